"""SQL for imports and their row errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select, update

from xinyong.db.bulk import bulk_insert
from xinyong.db.tables import import_errors, imports
from xinyong.ingest.problems import RowError


def start(
    conn: Connection,
    provider: str,
    filename: str,
    sha256: str,
    fmt: str,
    total: int,
    now: dt.datetime,
) -> int:
    result = conn.execute(
        insert(imports)
        .values(
            provider_code=provider,
            filename=filename,
            file_sha256=sha256,
            format=fmt,
            status="running",
            rows_total=total,
            rows_done=0,
            accepted=0,
            unchanged=0,
            corrected=0,
            rejected=0,
            started_at=now,
        )
        .returning(imports.c.id)
    )
    return int(result.scalar_one())


def add_errors(conn: Connection, import_id: int, errors: list[RowError]) -> None:
    bulk_insert(
        conn,
        import_errors.name,
        ("import_id", "file", "row", "field", "code", "message"),
        [(import_id, e.file, e.row, e.field, e.code, e.message) for e in errors],
    )


def progress(conn: Connection, import_id: int, **counts: int) -> None:
    conn.execute(update(imports).where(imports.c.id == import_id).values(**counts))


def finish(conn: Connection, import_id: int, status: str, now: dt.datetime) -> None:
    conn.execute(
        update(imports).where(imports.c.id == import_id).values(status=status, finished_at=now)
    )


def get(conn: Connection, import_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(imports).where(imports.c.id == import_id)).mappings().first()
    return dict(row) if row else None


def errors_of(conn: Connection, import_id: int) -> list[RowError]:
    stmt = (
        select(
            import_errors.c.file,
            import_errors.c.row,
            import_errors.c.field,
            import_errors.c.code,
            import_errors.c.message,
        )
        .where(import_errors.c.import_id == import_id)
        .order_by(import_errors.c.id)
    )
    return [RowError(*r) for r in conn.execute(stmt)]
