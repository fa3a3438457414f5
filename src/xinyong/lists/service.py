"""Keeping list entries in step with the records and grades, and reading them for a date.

:func:`refresh` recomputes the entries of some subjects (or of everyone) and, when anything
changed, writes one new revision: the data version that checks cite. It never commits; the
caller's transaction does, so a record and the list entries it causes land together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue
from xinyong.errors import BadRequest
from xinyong.lists import repository as repo
from xinyong.lists.entries import Entry, diff, entries_of
from xinyong.lists.model import Declaration
from xinyong.rating.service import field_types


def record_types(decl: Declaration) -> list[str]:
    """Every record type some list looks at."""
    return sorted({m.record_type for lst in decl.lists for m in lst.criteria.records})


def wanted_grades(decl: Declaration) -> list[tuple[str, str]]:
    """Every (scheme, grade) some list looks at."""
    return sorted(
        {(g.scheme, grade) for lst in decl.lists for g in lst.criteria.grades for grade in g.in_}
    )


@dataclass(frozen=True)
class Refreshed:
    """A refresh's outcome: the new data version (``None`` if nothing changed), the
    subjects whose entries changed, and how many entries were closed and added."""

    revision: int | None
    entities: list[int]
    closed: int = 0
    added: int = 0


def refresh(
    conn: Connection,
    decl: Declaration,
    catalogue: Catalogue,
    entity_ids: Sequence[int] | None,
    *,
    now: dt.datetime,
    reason: str,
    actor: str = audit.PLATFORM,
) -> Refreshed:
    """Bring the entries of ``entity_ids`` (``None``: every subject) up to date. A change
    is audited as ``lists.refreshed`` (listings and removals, see :func:`audit_details`)."""
    if entity_ids is not None and not entity_ids:
        return Refreshed(None, [])
    records = repo.list_records(conn, record_types(decl), field_types(catalogue), entity_ids)
    grades = repo.grades(conn, wanted_grades(decl), entity_ids)
    wanted = entries_of(decl, records, grades)
    current = repo.open_entries(conn, entity_ids)
    change = diff(current, wanted)
    if not change.closed and not change.added:
        return Refreshed(None, [])
    revision = repo.new_revision(conn, reason, len(change.entities), now)
    repo.close_entries(conn, change.closed, revision)
    repo.add_entries(conn, change.added, revision)
    details = audit_details(
        revision, reason, len(change.entities), change.added, [current[i] for i in change.closed]
    )
    audit.record(conn, actor, "lists.refreshed", str(revision), details, now=now)
    return Refreshed(revision, change.entities, len(change.closed), len(change.added))


#: Up to this many entry keys are written into the audit entry itself (beside the digest).
AUDIT_KEYS = 100


def entry_key(e: Entry) -> str:
    """An entry as the audit log names it: ``list|subject id|basis|since|until`` (the
    subject's internal id, never its identity number; ``until`` empty when open)."""
    until = e.until.isoformat() if e.until else ""
    return f"{e.list_code}|{e.entity_id}|{e.basis_key}|{e.since.isoformat()}|{until}"


def entries_digest(added: Iterable[str], closed: Iterable[str]) -> str:
    """SHA-256 over ``added`` then ``closed`` entry keys, each list sorted, one key a line:
    recomputable from ``list_entries`` (``revision_from`` / ``revision_to`` = the revision)."""
    text = "\n".join(["added", *sorted(added), "closed", *sorted(closed)])
    return hashlib.sha256(text.encode()).hexdigest()


def audit_details(
    revision: int, reason: str, subjects: int, added: Sequence[Entry], closed: Sequence[Entry]
) -> dict[str, Any]:
    """What ``lists.refreshed`` records: per list the entries added (listings) and closed
    (removals), a digest of their keys, and the keys themselves when there are few."""
    added_keys = [entry_key(e) for e in added]
    closed_keys = [entry_key(e) for e in closed]
    ins, outs = Counter(e.list_code for e in added), Counter(e.list_code for e in closed)
    details: dict[str, Any] = {
        "revision": revision,
        "reason": reason,
        "subjects": subjects,
        "lists": {
            code: {"added": ins[code], "closed": outs[code]}
            for code in sorted(set(ins) | set(outs))
        },
        "added": len(added_keys),
        "closed": len(closed_keys),
        "digest": entries_digest(added_keys, closed_keys),
    }
    if len(added_keys) + len(closed_keys) <= AUDIT_KEYS:
        details["added_keys"] = sorted(added_keys)
        details["closed_keys"] = sorted(closed_keys)
    return details


def resolve_version(
    conn: Connection, requested: int | None, *, known_by: dt.datetime | None = None
) -> int:
    """The data version to read: a past one that exists if ``requested``, else the one in
    force at ``known_by`` (a view of a past day), else the latest."""
    latest = repo.data_version(conn)
    if requested is None:
        return latest if known_by is None else repo.data_version_before(conn, known_by)
    if requested < 0 or requested > latest:
        raise BadRequest(
            f"data_version must be between 0 and {latest}", code="invalid_data_version"
        )
    return requested
