"""SQL of the access log ("data tracker"): who read a subject's non-public data, and the
checks run on a subject. Only this module of the package touches SQL.

A page of the subject's log merges two sources, newest first: ``access_log`` rows (reads by
an authority with a stated purpose) and ``checks`` (a consuming authority asked whether a
measure applies). Both are ordered by ``(at, source, id)`` descending, so one cursor, the
last ``(at, source, id)`` shown, continues either source without repeating or skipping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select

from xinyong.db.tables import access_log, check_results, checks

#: The two sources of the subject's log, in their order within one instant (descending).
READ = "read"
CHECK = "check"


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last entry's time, source and id."""

    at: dt.datetime
    source: str
    id: str


def insert_reads(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append reads in bulk (one statement, executed for many rows)."""
    if rows:
        conn.execute(insert(access_log), list(rows))


def _older(
    at: ColumnElement[Any],
    ident: ColumnElement[Any],
    source: str,
    before: Position | None,
    as_id: Callable[[str], Any],
) -> ColumnElement[bool] | None:
    """Rows of ``source`` that come after ``before`` in (at, source, id) descending order."""
    if before is None:
        return None
    if source < before.source:  # the same instant still comes after the cursor
        return at <= before.at
    if source > before.source:
        return at < before.at
    return or_(at < before.at, and_(at == before.at, ident < as_id(before.id)))


def reads_of(
    conn: Connection,
    entity_id: int,
    *,
    since: dt.datetime,
    before: Position | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The subject's logged reads from ``since`` on, newest first."""
    a = access_log.c
    stmt = select(
        a.id, a.at, a.reader_role, a.reader, a.purpose, a.legal_basis, a.what, a.record_ids
    ).where(a.entity_id == entity_id, a.at >= since)
    cond = _older(a.at, a.id, READ, before, _int_or_zero)
    if cond is not None:
        stmt = stmt.where(cond)
    stmt = stmt.order_by(a.at.desc(), a.id.desc()).limit(limit)
    return [dict(row) for row in conn.execute(stmt).mappings()]


def _int_or_zero(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _same(text: str) -> str:
    return text


def checks_of(
    conn: Connection,
    entity_id: int,
    *,
    since: dt.datetime,
    before: Position | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The checks run on the subject from ``since`` on, newest first, one row per check
    (a check that named the subject twice is one entry)."""
    c, r = checks.c, check_results.c
    stmt = (
        select(
            c.id,
            c.at,
            c.consumer_code,
            c.measure,
            c.purpose,
            c.reference,
            func.min(r.decision).label("decision"),
        )
        .select_from(check_results.join(checks, c.id == r.check_id))
        .where(r.entity_id == entity_id, c.at >= since)
    )
    cond = _older(c.at, c.id, CHECK, before, _same)
    if cond is not None:
        stmt = stmt.where(cond)
    stmt = (
        stmt.group_by(c.id, c.at, c.consumer_code, c.measure, c.purpose, c.reference)
        .order_by(c.at.desc(), c.id.desc())
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def delete_before(conn: Connection, before: dt.datetime) -> int:
    """Remove reads logged before ``before`` (past their retention); how many."""
    result = conn.execute(delete(access_log).where(access_log.c.at < before))
    return int(result.rowcount or 0)
