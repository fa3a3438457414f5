"""Keeping list entries in step with the records and grades, and reading them for a date.

:func:`refresh` recomputes the entries of some subjects (or of everyone) and, when anything
changed, writes one new revision: the data version that checks cite. It never commits; the
caller's transaction does, so a record and the list entries it causes land together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue
from xinyong.errors import BadRequest
from xinyong.lists import repository as repo
from xinyong.lists.entries import diff, entries_of
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
) -> Refreshed:
    """Bring the entries of ``entity_ids`` (``None``: every subject) up to date."""
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
    return Refreshed(revision, change.entities, len(change.closed), len(change.added))


def resolve_version(conn: Connection, requested: int | None) -> int:
    """The data version to read: the latest, or a past one that exists."""
    latest = repo.data_version(conn)
    if requested is None:
        return latest
    if requested < 0 or requested > latest:
        raise BadRequest(
            f"data_version must be between 0 and {latest}", code="invalid_data_version"
        )
    return requested
