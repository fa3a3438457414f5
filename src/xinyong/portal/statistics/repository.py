"""SQL of the statistics dashboard: every figure is a GROUP BY in the database.

Nothing here returns a subject: only counts per authority, list, district, industry, grade,
measure or day. Months and days of timestamps are taken in the platform's time zone, by
adding its UTC offset (``offset_minutes``) in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from xinyong.db.tables import (
    entities,
    list_entries,
    objections,
    ratings,
    record_versions,
    records,
    restorations,
)
from xinyong.rating.impact import current_industries


def _shifted(conn: Connection, column: Any, offset_minutes: int, fmt: str) -> ColumnElement[Any]:
    """``column`` (naive UTC) in local time, formatted: ``fmt`` is ``"month"`` (YYYY-MM) or
    ``"day"`` (a date)."""
    if conn.dialect.name == "sqlite":
        modifier = f"{offset_minutes:+d} minutes"
        if fmt == "month":
            return func.strftime("%Y-%m", column, modifier)
        return func.date(column, modifier)
    local = column + literal_column(f"INTERVAL '{int(offset_minutes)} minutes'")
    if fmt == "month":
        return func.to_char(local, "YYYY-MM")
    return cast(local, Date)


def records_per_provider(
    conn: Connection, *, start: dt.datetime, offset_minutes: int
) -> list[tuple[str, str, int]]:
    """``(provider, month, record versions received)`` since ``start`` (UTC)."""
    rv, r = record_versions, records
    month = _shifted(conn, rv.c.received_at, offset_minutes, "month").label("month")
    stmt = (
        select(r.c.provider_code, month, func.count().label("n"))
        .select_from(rv.join(r, r.c.id == rv.c.record_id))
        .where(rv.c.received_at >= start)
        .group_by(r.c.provider_code, month)
    )
    return [(str(p), str(m), int(n)) for p, m, n in conn.execute(stmt)]


def list_sizes(
    conn: Connection, list_codes: Sequence[str], days: Sequence[dt.date]
) -> list[tuple[str, dt.date, int]]:
    """``(list, day, subjects on the list that day)`` for each of ``days``, as the entries
    stand now (the current revision of each entry)."""
    if not list_codes or not days:
        return []
    le = list_entries
    day_rows = union_all(*(select(literal(d, Date).label("day")) for d in days)).subquery("d")
    stmt = (
        select(le.c.list_code, day_rows.c.day, func.count(func.distinct(le.c.entity_id)))
        .select_from(
            day_rows.join(
                le,
                and_(
                    le.c.since <= day_rows.c.day,
                    or_(le.c.until.is_(None), le.c.until >= day_rows.c.day),
                ),
            )
        )
        .where(le.c.revision_to.is_(None), le.c.list_code.in_(list(list_codes)))
        .group_by(le.c.list_code, day_rows.c.day)
    )
    out: list[tuple[str, dt.date, int]] = []
    for code, day, n in conn.execute(stmt):
        found = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        out.append((str(code), found, int(n)))
    return out


def grades_by_district(
    conn: Connection, scheme: str, kinds: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """``(kind, division, grade, subjects)``: current grades under ``scheme`` of subjects
    of ``kinds``."""
    stmt = (
        select(entities.c.kind, entities.c.division, ratings.c.grade, func.count())
        .select_from(ratings.join(entities, entities.c.id == ratings.c.entity_id))
        .where(ratings.c.scheme == scheme, entities.c.kind.in_(list(kinds)))
        .group_by(entities.c.kind, entities.c.division, ratings.c.grade)
    )
    return [(str(k), str(d), str(g), int(n)) for k, d, g, n in conn.execute(stmt)]


def grades_by_industry(
    conn: Connection, scheme: str, kinds: Sequence[str]
) -> list[tuple[str, str, int]]:
    """``(industry letter, grade, subjects)`` of subjects that have an industry: the one of
    their current business registration (:func:`xinyong.rating.impact.current_industries`).
    Subjects without one are the grade's total less these (an inner join from the
    registrations lets the database look each rating up by its key)."""
    industry = current_industries().subquery("ind")
    stmt = (
        select(industry.c.industry, ratings.c.grade, func.count())
        .select_from(
            industry.join(
                ratings,
                and_(ratings.c.entity_id == industry.c.entity_id, ratings.c.scheme == scheme),
            ).join(entities, entities.c.id == ratings.c.entity_id)
        )
        .where(entities.c.kind.in_(list(kinds)))
        .group_by(industry.c.industry, ratings.c.grade)
    )
    return [(str(i), str(g), int(n)) for i, g, n in conn.execute(stmt)]


def _decided(
    conn: Connection, table: Any, *, start: dt.datetime, offset_minutes: int
) -> list[tuple[dt.date, dt.date, dt.date, int]]:
    decided_on = _shifted(conn, table.c.decided_at, offset_minutes, "day").label("decided_on")
    stmt = (
        select(table.c.filed_on, table.c.due_on, decided_on, func.count())
        .where(table.c.decided_at.is_not(None), table.c.decided_at >= start)
        .group_by(table.c.filed_on, table.c.due_on, decided_on)
    )
    out: list[tuple[dt.date, dt.date, dt.date, int]] = []
    for filed, due, decided, n in conn.execute(stmt):
        day = decided if isinstance(decided, dt.date) else dt.date.fromisoformat(str(decided))
        out.append((filed, due, day, int(n)))
    return out


def objections_decided(
    conn: Connection, *, start: dt.datetime, offset_minutes: int
) -> list[tuple[dt.date, dt.date, dt.date, int]]:
    """``(filed on, due on, decided on, objections)`` decided since ``start`` (UTC)."""
    return _decided(conn, objections, start=start, offset_minutes=offset_minutes)


def restorations_decided(
    conn: Connection, *, start: dt.datetime, offset_minutes: int
) -> list[tuple[dt.date, dt.date, dt.date, int]]:
    """``(filed on, due on, decided on, restorations)`` decided since ``start`` (UTC)."""
    return _decided(conn, restorations, start=start, offset_minutes=offset_minutes)


def open_overdue(conn: Connection, today: dt.date) -> tuple[int, int]:
    """Objections and restorations still undecided after their last day (``today``)."""
    o = conn.execute(
        select(func.count()).where(objections.c.decided_at.is_(None), objections.c.due_on < today)
    ).scalar_one()
    r = conn.execute(
        select(func.count()).where(
            restorations.c.decided_at.is_(None), restorations.c.due_on < today
        )
    ).scalar_one()
    return int(o), int(r)
