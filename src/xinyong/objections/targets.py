"""What an objection contests, and who decides it.

A target is written as the subject sees it: a record id (``r`` and 20 hex digits, or
``record:<id>``), ``publicity:<record id>`` (the record's publicity period),
``listing:<list code>`` (the subject's current entry on that list), ``grade:<scheme code>``
or ``restoration:<restoration id>`` (a restoration decision about the subject).

The target must be the subject's own: anything else answers ``target_not_found``, exactly
as an id that does not exist, so that nobody learns about other subjects' items.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue
from xinyong.errors import Conflict, NotFound, ValidationFailed
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration
from xinyong.objections import repository as repo
from xinyong.rating.model import Scheme

#: The decider of what no single provider answers for.
PLATFORM = "platform"
#: Target types whose decision may correct or withdraw a record.
RECORD_TYPES = ("record", "publicity")

_RECORD_ID = re.compile(r"^r[0-9a-f]{20}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_RESTORATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_KINDS = ("record", "publicity", "listing", "grade", "restoration")
MAX_TARGET_CHARS = 128


@dataclass(frozen=True)
class Target:
    """A resolved target: what it is, which columns name it, who decides."""

    type: str
    given: str
    decider: str
    record_id: str | None = None
    list_code: str | None = None
    scheme: str | None = None
    restoration_id: str | None = None
    #: what the item was when the objection was filed (list entry, grade...)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def record_based(self) -> bool:
        """Whether the decision acts on a record (correct it, withdraw it): a record, its
        publicity, or a listing whose basis is a record."""
        return self.record_id is not None and self.type in (*RECORD_TYPES, "listing")


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_target", field="target")


def not_found() -> NotFound:
    return NotFound("the subject has no such item to object to", code="target_not_found")


def parse(text: str | None) -> tuple[str, str]:
    """``(type, key)`` of a target as written; ``invalid_target`` otherwise."""
    given = (text or "").strip()
    if not given:
        raise _invalid("a target is required: a record id, publicity:, listing:, grade:, ...")
    if len(given) > MAX_TARGET_CHARS:
        raise _invalid(f"a target has at most {MAX_TARGET_CHARS} characters")
    kind, sep, key = given.partition(":")
    if not sep:
        kind, key = "record", given
    if kind not in _KINDS:
        raise _invalid(
            f"unknown target {kind[:32]!r}: a record id, or publicity:, listing:, grade:, "
            "restoration: followed by an id or code"
        )
    valid = {
        "record": _RECORD_ID,
        "publicity": _RECORD_ID,
        "listing": _CODE,
        "grade": _CODE,
        "restoration": _RESTORATION_ID,
    }[kind]
    if not valid.fullmatch(key):
        what = "a record id (r and 20 hex digits)" if kind in RECORD_TYPES else "an id or code"
        raise _invalid(f"a {kind} target names {what}, not {key[:40]!r}")
    return kind, key


def resolve(
    conn: Connection,
    subject: Mapping[str, Any],
    text: str | None,
    *,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    today: dt.date,
) -> Target:
    """The subject's item named by ``text``, with its decider."""
    kind, key = parse(text)
    given = (text or "").strip()
    entity_id = int(subject["id"])
    if kind in RECORD_TYPES:
        rec = repo.record_of(conn, key)
        if rec is None or int(rec["entity_id"]) != entity_id:
            raise not_found()
        return Target(
            kind,
            given,
            rec["provider_code"],
            record_id=key,
            details={"record_version": int(rec["current_version"])},
        )
    if kind == "listing":
        if declaration.list(key) is None:
            raise not_found()
        version = lists_repo.data_version(conn)
        found = lists_repo.entries_on(conn, [entity_id], [key], today, version).get(entity_id)
        if not found:
            raise not_found()
        entry = found[-1]
        decider = PLATFORM
        if entry.record_id is not None:
            rec = repo.record_of(conn, entry.record_id)
            if rec is not None:
                decider = rec["provider_code"]
        return Target(
            kind,
            given,
            decider,
            record_id=entry.record_id,
            list_code=key,
            details={
                "since": entry.since.isoformat(),
                "basis": entry.basis_key,
                "data_version": version,
            },
        )
    if kind == "grade":
        scheme = schemes.get(key)
        if scheme is None or subject["kind"] not in {k.value for k in scheme.subject_kinds}:
            raise not_found()
        authority = scheme.authority if catalogue.provider(scheme.authority) else PLATFORM
        return Target(
            kind,
            given,
            authority,
            scheme=key,
            details={"grade": repo.current_grade(conn, entity_id, key)},
        )
    restoration = repo.restoration_of(conn, key)
    if restoration is None or int(restoration["entity_id"]) != entity_id:
        raise not_found()
    if restoration["decided_at"] is None:
        raise Conflict(
            "the restoration is not decided yet: object to its decision once there is one",
            code="restoration_not_decided",
        )
    return Target(
        kind,
        given,
        PLATFORM,
        record_id=restoration["record_id"],
        restoration_id=key,
        details={"restoration_status": restoration["status"]},
    )
