"""Entity search, entity views and record histories, under the catalogue's disclosure rules.

What the public sees:

* organisations and individual businesses, always, under their USCC;
* natural persons only while at least one record of theirs is public today
  (``entities.public_until``), under their opaque public id, never their identity number;
* only the current version of a record, only of a record type whose disclosure for the
  subject's kind is ``public``, only once decided and until its publicity ends;
* never a record the subject hid; beside each record the marks of the subjects' rights
  (open objections, a pending restoration, the subject's statements).

A record's full history is shown to the authority that submitted it and to administrators.
Both take ``as_of``: the page, or the history, as the platform had it at the end of a past
day (``docs/time-travel.md``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from xinyong.auth.keys import Principal, Role
from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.entities import repository as repo
from xinyong.entities.schemas import (
    EntityItem,
    EntityView,
    LocalNameOut,
    PublicRecord,
    RecordHistory,
    RecordVersionOut,
    SearchPage,
    StatementOut,
    SubjectOut,
)
from xinyong.errors import Forbidden, NotFound, ValidationFailed
from xinyong.identifiers import IdentifierError, display_code, validate_ric, validate_uscc
from xinyong.rights import marks as marks_module
from xinyong.timetravel import known_by, last_moment

DEFAULT_LIMIT = 20
#: Most matching names one search request examines (see :func:`search`).
SCAN_BUDGET = 2000
MAX_QUERY = 100
CODE_LENGTH = 18
_CURSOR_PREFIX = "n:"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KINDS = tuple(k.value for k in SubjectKind)


# ---- search ------------------------------------------------------------------------------


def parse_limit(raw: str | int | None, max_limit: int) -> int:
    """The page size: default 20, 1 to ``max_limit``; anything else is ``invalid_limit``."""
    if raw is None or raw == "":
        return min(DEFAULT_LIMIT, max_limit)
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= max_limit:
        raise ValidationFailed(
            f"limit must be a whole number from 1 to {max_limit}, not {str(raw)[:20]!r}",
            code="invalid_limit",
        )
    return int(text)


def encode_cursor(name_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{name_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    """The position a cursor stands for (0 without one); ``invalid_cursor`` if forged."""
    if raw is None or raw == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if (
        not text.startswith(_CURSOR_PREFIX)
        or not number.isascii()
        or not number.isdigit()
        or len(number) > 12
        or encode_cursor(int(number)) != raw
    ):
        raise ValidationFailed(
            "cursor is not one this API gave out; pass next_cursor unchanged",
            code="invalid_cursor",
        )
    return int(number)


def parse_kind(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in _KINDS:
        raise ValidationFailed(
            f"kind must be one of {', '.join(_KINDS)}, not {raw[:40]!r}", code="invalid_kind"
        )
    return raw


def parse_division(raw: str | None) -> str | None:
    """A district's six-digit GB/T 2260 code, or ``None`` for any."""
    text = (raw or "").strip()
    if not text:
        return None
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise ValidationFailed(
            f"division is a six-digit GB/T 2260 code, not {text[:40]!r}", code="invalid_division"
        )
    return text


def parse_query(raw: str | None) -> str:
    q = (raw or "").strip()
    if not q:
        raise ValidationFailed(
            "q (a name, part of a name, or a code) is required", code="missing_query"
        )
    if len(q) > MAX_QUERY:
        raise ValidationFailed(
            f"q may have at most {MAX_QUERY} characters, not {len(q)}", code="query_too_long"
        )
    if _CONTROL.search(q):
        raise ValidationFailed("q may not contain control characters", code="invalid_query")
    return q


def as_code(q: str) -> str | None:
    """``q`` normalised if it is a valid USCC or resident identity number, else ``None``."""
    compact = q.replace(" ", "").replace("-", "").upper()
    if len(compact) != CODE_LENGTH or not compact.isascii() or not compact.isalnum():
        return None
    for validate in (validate_uscc, validate_ric):
        try:
            return validate(compact)
        except IdentifierError:
            continue
    return None


def _item(hit: repo.Hit) -> EntityItem:
    person = hit.kind == SubjectKind.person
    return EntityItem(
        code=hit.public_id if person else hit.code,
        kind=hit.kind,
        name=hit.name,
        division=None if person else hit.division,
    )


def search(
    conn: Connection,
    *,
    q: str | None,
    kind: str | None = None,
    limit: str | int | None = None,
    cursor: str | None = None,
    today: dt.date,
    max_limit: int,
    budget: int | None = None,
    division: str | None = None,
) -> SearchPage:
    """Search entities by part of a name, or by an exact code; see the module's docs.

    A valid 18-character USCC or resident identity number matches that entity only. Any
    other ``q`` matches every entity with a name (current or former) containing it.

    One call examines at most ``budget`` (default :data:`SCAN_BUDGET`) matching names. A
    page may therefore hold fewer than ``limit`` items, even none, and still have a
    ``next_cursor``: the results go on after it. Only ``next_cursor: null`` ends them.
    """
    query = parse_query(q)
    size = parse_limit(limit, max_limit)
    after = decode_cursor(cursor)
    wanted = parse_kind(kind)
    district = parse_division(division)
    code = as_code(query)
    if code is not None:
        hits = (
            []
            if after
            else repo.search_by_code(conn, code, kind=wanted, today=today, division=district)
        )
        return SearchPage(items=[_item(h) for h in hits], next_cursor=None)
    found = repo.search_by_name(
        conn,
        query,
        kind=wanted,
        division=district,
        today=today,
        after=after,
        limit=size + 1,
        budget=max(budget or SCAN_BUDGET, size + 1),
    )
    hits = found.hits[:size]
    if len(found.hits) > size:
        resume: int | None = hits[-1].name_id
    else:  # the last page, unless the scan stopped at its budget
        resume = found.scanned_to
    return SearchPage(
        items=[_item(h) for h in hits],
        next_cursor=None if resume is None else encode_cursor(resume),
    )


# ---- one entity --------------------------------------------------------------------------


def public_record_types(catalogue: Catalogue, kind: str) -> list[str]:
    """The record types whose records about a subject of ``kind`` everyone may see."""
    return [
        rt.code
        for rt in catalogue.record_types
        if kind in rt.subject_kinds and rt.disclosure_for(kind) is Disclosure.public
    ]


def public_today(
    conn: Connection, catalogue: Catalogue, record_ids: Iterable[str], today: dt.date
) -> set[str]:
    """Those of ``record_ids`` that the public may see today: of a type public for their
    subject's kind, decided, and neither past the end of their publicity nor ended.

    A past view for the public (``as_of``) shows only records that are still public today:
    a record whose publicity has ended, or that was restored, withdrawn or ended, is never
    served publicly again, not even as part of what the platform showed on an earlier day.
    The subject and authorities with a stated purpose see the full history.
    """
    wanted = [r for r in record_ids if r]
    if not wanted:
        return set()
    public: dict[str, set[str]] = {}
    shown: set[str] = set()
    for row in repo.current_publicity(conn, wanted):
        kind = row["kind"]
        if kind not in public:
            public[kind] = set(public_record_types(catalogue, kind))
        if (
            row["record_type"] in public[kind]
            and row["decided_on"] <= today
            and (row["publicity_until"] is None or row["publicity_until"] >= today)
            and (row["ended_on"] is None or row["ended_on"] >= today)
        ):
            shown.add(row["id"])
    return shown


def _masked(value: Any, code: str, shown: str) -> Any:
    """A person's identity number replaced by its masked form, wherever it appears."""
    if isinstance(value, str):
        return value.replace(code, shown).replace(code.lower(), shown)
    return value


def _not_found() -> NotFound:
    # the same answer whether the code is unknown, an identity number or a hidden person
    return NotFound("no public entity has this code", code="entity_not_found")


def _marks_at(conn: Connection, entity_id: int, known_by: dt.datetime | None) -> marks_module.Marks:
    """The subject's marks now, or at the last moment of the day ``known_by`` ends."""
    return marks_module.marks_of(conn, entity_id, at=last_moment(known_by))


def entity_view(
    conn: Connection,
    catalogue: Catalogue,
    code: str,
    *,
    today: dt.date,
    as_of: dt.date | None = None,
    timezone: str = "Asia/Shanghai",
    full: bool = False,
    own_code: str | None = None,
    with_fields: bool = True,
) -> EntityView:
    """A subject's public page: its names and its records that are public today, or as
    the page showed them on ``as_of`` (see ``docs/time-travel.md``): of the versions
    received by the end of that day, each record's latest, if public on that day; the
    names known then; persons only if some record of theirs was public then. Records the
    subject hid are left out; each record carries its marks (open objections, a pending
    restoration, the subject's statements) as they stood then. A past day shows only
    records that are still public today (see :func:`public_today`), unless ``full`` (the
    subject itself, or an authority with a stated purpose, whose read is logged): then it
    is the page exactly as it was shown that day. ``with_fields=False``: each record's
    ``fields`` is left empty, not read (for a page that does not show them).
    """
    day = as_of or today
    cutoff = known_by(as_of, today, timezone)
    found = repo.entity_by_public_code(conn, code.strip())
    if found is None or (cutoff is not None and found.created_at >= cutoff):
        raise _not_found()
    person = found.kind == SubjectKind.person
    full = cutoff is not None and (full or own_code == found.code)
    # A person off the public record today stays off it, also in views of past days.
    if person and not full and (found.public_until is None or found.public_until < today):
        raise _not_found()
    rows = repo.public_records(
        conn,
        found.id,
        public_record_types(catalogue, found.kind),
        day,
        known_by=cutoff,
        with_fields=with_fields,
    )
    if cutoff is not None and rows and not full:  # a past day: only what is public today
        still = public_today(conn, catalogue, [r["id"] for r in rows], today)
        rows = [r for r in rows if r["id"] in still]
    marks = _marks_at(conn, found.id, cutoff) if rows else marks_module.Marks()
    rows = [r for r in rows if r["id"] not in marks.hidden]
    if person and not rows:
        raise _not_found()
    shown = display_code(found.kind, found.code)
    records: list[PublicRecord] = []
    type_names: dict[str, LocalNameOut] = {}  # one per record type, not one per record
    for r in rows:
        rt = catalogue.record_type(r["record_type"])
        if rt is None:  # pragma: no cover - filtered by public_record_types
            continue
        type_name = type_names.get(rt.code)
        if type_name is None:
            type_name = type_names[rt.code] = LocalNameOut(zh=rt.name.zh, en=rt.name.en)
        fields = r.get("fields") or {}  # a fresh dict per row: no copy needed
        legal_basis, document_number = r["legal_basis"], r["document_number"]
        said = marks.statements.get(r["id"], [])
        if person:
            fields = {k: _masked(v, found.code, shown) for k, v in fields.items()}
            legal_basis = _masked(legal_basis, found.code, shown)
            document_number = _masked(document_number, found.code, shown)
        records.append(
            PublicRecord(
                id=r["id"],
                record_type=rt.code,
                record_type_name=type_name,
                severity=r["severity"],
                decided_on=r["decided_on"],
                publicity_until=r["publicity_until"],
                legal_basis=legal_basis,
                document_number=document_number,
                provider=r["provider_code"],
                fields=fields,
                version=r["version"],
                under_objection=list(marks.under_objection(r["id"])),
                restoration_pending=marks.restorations.get(r["id"]),
                statements=[
                    StatementOut(
                        text=_masked(st.text, found.code, shown) if person else st.text,
                        at=st.at,
                    )
                    for st in said
                ],
            )
        )
    name = found.name
    if cutoff is not None:
        name = repo.name_known_by(conn, found.id, cutoff) or name
    view = EntityView(
        code=found.public_id if person else found.code,
        display_code=shown,
        kind=found.kind,
        name=name,
        names=repo.names_of(conn, found.id, known_by=cutoff),
        division=None if person else found.division,
        as_of=day,
        records=records,
    )
    view._entity_id = found.id
    return view


# ---- a record's history ------------------------------------------------------------------


def record_history(
    conn: Connection,
    record_id: str,
    caller: Principal,
    *,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    timezone: str = "Asia/Shanghai",
) -> RecordHistory:
    """Every version of a record, for its provider and administrators only; with
    ``as_of``, the versions received by the end of that day, the latest of them current."""
    head = repo.record_head(conn, record_id)
    if head is None:
        raise NotFound(f"no record {record_id[:40]!r}", code="record_not_found")
    mine = caller.role is Role.provider and caller.provider_code == head["provider_code"]
    if not (mine or caller.role is Role.admin):
        raise Forbidden(
            "a record's history is shown only to its provider and to administrators",
            code="not_your_record",
        )
    cutoff = None if as_of is None or today is None else known_by(as_of, today, timezone)
    known = repo.record_versions_of(conn, record_id, known_by=cutoff)
    if not known:
        raise NotFound(
            f"record {record_id[:40]!r} was not yet received on {as_of}", code="record_not_found"
        )
    # the version current then names the type and subject (a correction may change them)
    then = known[-1] if cutoff is not None else head
    current_version = int(then["version"]) if cutoff is not None else int(head["current_version"])
    versions = [
        RecordVersionOut(
            version=v["version"],
            current=v["version"] == current_version,
            record_type=v["record_type"],
            subject=SubjectOut(
                kind=v["subject_kind"], code=v["subject_code"], name=v["subject_name"]
            ),
            severity=v["severity"],
            legal_basis=v["legal_basis"],
            document_number=v["document_number"],
            decided_on=v["decided_on"],
            publicity_until=v["publicity_until"],
            fields=dict(v["fields"] or {}),
            content_hash=v["content_hash"],
            received_at=v["received_at"],
            import_id=v["import_id"],
        )
        for v in known
    ]
    return RecordHistory(
        id=head["id"],
        provider=head["provider_code"],
        provider_record_id=head["provider_record_id"],
        record_type=then["record_type"],
        subject=SubjectOut(
            kind=then["subject_kind"], code=then["subject_code"], name=then["subject_name"]
        ),
        current_version=current_version,
        created_at=head["created_at"],
        as_of=as_of,
        versions=versions,
    )


def subject_of_record(conn: Connection, record_id: str) -> int | None:
    """The internal id of a record's subject (for the access log)."""
    return repo.entity_of_record(conn, record_id)
