"""SQL of the console's submission statistics: simple aggregates over records and imports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, cast, extract, func, select

from xinyong.db.tables import import_errors, imports, records


def records_by_type_and_month(conn: Connection, provider: str) -> list[dict[str, Any]]:
    """Records first received from ``provider``, per record type and month (UTC), newest
    month first."""
    year = cast(extract("year", records.c.created_at), Integer).label("year")
    month = cast(extract("month", records.c.created_at), Integer).label("month")
    stmt = (
        select(records.c.record_type, year, month, func.count().label("records"))
        .where(records.c.provider_code == provider)
        .group_by(records.c.record_type, year, month)
        .order_by(year.desc(), month.desc(), records.c.record_type)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def imports_of(conn: Connection, provider: str, limit: int = 100) -> list[dict[str, Any]]:
    """The provider's latest imports with their totals and how many row errors each has."""
    errors = (
        select(import_errors.c.import_id, func.count().label("errors"))
        .group_by(import_errors.c.import_id)
        .subquery()
    )
    stmt = (
        select(
            imports.c.id,
            imports.c.filename,
            imports.c.format,
            imports.c.status,
            imports.c.rows_total,
            imports.c.accepted,
            imports.c.unchanged,
            imports.c.corrected,
            imports.c.rejected,
            imports.c.started_at,
            func.coalesce(errors.c.errors, 0).label("errors"),
        )
        .select_from(imports.outerjoin(errors, errors.c.import_id == imports.c.id))
        .where(imports.c.provider_code == provider)
        .order_by(imports.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
