"""SQL for imports and their row errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, union, update

from xinyong.db.bulk import bulk_insert
from xinyong.db.tables import import_errors, imports, record_versions
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


def interrupted(conn: Connection, provider: str, sha256: str, before: int) -> list[int]:
    """Earlier imports of the same file by the same provider that never finished (the
    process stopped): their committed rows are in, their list refresh is not."""
    stmt = select(imports.c.id).where(
        imports.c.provider_code == provider,
        imports.c.file_sha256 == sha256,
        imports.c.status == "running",
        imports.c.id < before,
    )
    return [int(x) for x in conn.execute(stmt).scalars()]


def entities_of_imports(
    conn: Connection, import_ids: Sequence[int], record_types: Sequence[str]
) -> list[int]:
    """The subjects of these imports' records of these types, and the subjects such a
    record belonged to before one of these imports corrected it to name another subject
    (the record, and what it lists, left them)."""
    rv, before = record_versions, record_versions.alias("before")
    ids, types = list(import_ids), list(record_types)
    now = select(rv.c.entity_id).where(rv.c.import_id.in_(ids), rv.c.record_type.in_(types))
    left = (
        select(before.c.entity_id)
        .join(rv, (before.c.record_id == rv.c.record_id) & (before.c.version == rv.c.version - 1))
        .where(
            rv.c.import_id.in_(ids),
            rv.c.version > 1,
            before.c.record_type.in_(types),
            before.c.entity_id != rv.c.entity_id,
        )
    )
    return sorted(int(x) for x in conn.execute(union(now, left)).scalars())


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
