"""SQL for the store. Only this module (and other repositories) touch the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from xinyong.db.tables import entities, entity_names, record_versions, records

IN_BATCH = 5000
FAR_FUTURE = dt.date(9999, 12, 31)


def batched(items: Sequence[Any], size: int = IN_BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows fast: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    Values are plain Python (str, int, date, naive-or-aware UTC datetime, JSON text).
    """
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    tuple(
                        v.astimezone(dt.UTC).replace(tzinfo=None)
                        if isinstance(v, dt.datetime) and v.tzinfo
                        else v
                        for v in row
                    )
                )
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
        [tuple(_sqlite_value(v) for v in row) for row in rows],
    )


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those that would break a unique constraint."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


# ---- entities ----------------------------------------------------------------------------


def entities_by_code(conn: Connection, codes: Iterable[str]) -> dict[str, tuple[int, dt.date]]:
    """code -> (entity id, date of its current name) for the codes that exist."""
    found: dict[str, tuple[int, dt.date]] = {}
    stmt = select(entities.c.code, entities.c.id, entities.c.name_on).where(
        entities.c.code.in_(bindparam("codes", expanding=True))
    )
    for chunk in batched(list(codes)):
        for code, id_, name_on in conn.execute(stmt, {"codes": list(chunk)}):
            found[code] = (id_, name_on)
    return found


def rename_entities(conn: Connection, renames: list[dict[str, Any]]) -> None:
    """Set entities' current names: dicts of ``eid``, ``name``, ``name_on``."""
    if renames:
        stmt = (
            update(entities)
            .where(entities.c.id == bindparam("eid"))
            .values(name=bindparam("name"), name_on=bindparam("name_on"))
        )
        conn.execute(stmt, renames)


def refresh_public_until(
    conn: Connection, entity_ids: Iterable[int], public_types: Sequence[str]
) -> None:
    """Recompute, for persons, the last day on which some record of theirs is public.

    ``public_types`` are the record types whose records the catalogue makes public for
    persons. A record with no end of publicity counts as public until 9999-12-31.
    """
    ids = list(entity_ids)
    latest = (
        select(func.max(func.coalesce(record_versions.c.publicity_until, FAR_FUTURE)))
        .select_from(
            records.join(
                record_versions,
                and_(
                    record_versions.c.record_id == records.c.id,
                    record_versions.c.version == records.c.current_version,
                ),
            )
        )
        .where(
            records.c.entity_id == entities.c.id,
            records.c.record_type.in_(list(public_types) or [""]),
        )
        .scalar_subquery()
    )
    stmt = (
        update(entities)
        .where(entities.c.id.in_(bindparam("ids", expanding=True)), entities.c.kind == "person")
        .values(public_until=latest)
    )
    for chunk in batched(ids):
        conn.execute(stmt, {"ids": list(chunk)})


# ---- records -----------------------------------------------------------------------------


def record_heads(conn: Connection, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """record id -> (current version, content hash of that version)."""
    found: dict[str, tuple[int, str]] = {}
    stmt = select(records.c.id, records.c.current_version, records.c.current_hash).where(
        records.c.id.in_(bindparam("ids", expanding=True))
    )
    for chunk in batched(list(ids)):
        for id_, version, digest in conn.execute(stmt, {"ids": list(chunk)}):
            found[id_] = (version, digest)
    return found


def move_heads(conn: Connection, moves: list[dict[str, Any]]) -> None:
    """Point corrected records at their new version: dicts of rid, version, hash, type, eid."""
    if moves:
        stmt = (
            update(records)
            .where(records.c.id == bindparam("rid"))
            .values(
                current_version=bindparam("version"),
                current_hash=bindparam("hash"),
                record_type=bindparam("rtype"),
                entity_id=bindparam("eid"),
            )
        )
        conn.execute(stmt, moves)


RECORD_COLUMNS = (
    "id",
    "provider_code",
    "provider_record_id",
    "record_type",
    "entity_id",
    "current_version",
    "current_hash",
    "created_at",
)
VERSION_COLUMNS = (
    "record_id",
    "version",
    "entity_id",
    "record_type",
    "subject_name",
    "severity",
    "legal_basis",
    "document_number",
    "decided_on",
    "publicity_until",
    "fields",
    "content_hash",
    "received_at",
    "import_id",
)
ENTITY_COLUMNS = ("kind", "code", "public_id", "name", "name_on", "division", "created_at")


def insert_entities(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    bulk_insert(conn, entities, ENTITY_COLUMNS, rows)


def insert_records(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    bulk_insert(conn, records, RECORD_COLUMNS, rows)


def insert_versions(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    bulk_insert(conn, record_versions, VERSION_COLUMNS, rows)


def insert_names(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_ignoring_duplicates(conn, entity_names, rows)
