"""SQL for the store. Only this module (and other repositories) touch the database.

Writes are set-based: the rows of one write go into a per-connection temporary staging
table in bulk (``executemany`` on SQLite, ``COPY`` on PostgreSQL), and a handful of
``INSERT ... SELECT`` and ``UPDATE ... FROM`` statements then resolve subjects, tell new
records from unchanged and corrected ones, and add versions. The SQL is the same on both
databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Date, bindparam, func, select, text

from xinyong.db.bulk import bulk_insert
from xinyong.db.tables import entities, entity_names, record_versions, records
from xinyong.db.types import UTCDateTime

FAR_FUTURE = dt.date(9999, 12, 31)
STAGING = "xy_staging"
CLASSIFIED = "xy_classified"

#: Columns of the staging table that the caller fills, in order.
STAGING_COLUMNS = (
    "row_no",
    "record_id",
    "provider_record_id",
    "record_type",
    "subject_kind",
    "subject_code",
    "subject_name",
    "decided_on",
    "severity",
    "legal_basis",
    "document_number",
    "publicity_until",
    "fields",
    "content_hash",
)

#: The staging table's columns, also those of a scratch file's (:mod:`xinyong.store.scratch`).
STAGING_BODY = """(
    row_no INTEGER PRIMARY KEY,
    record_id VARCHAR(24) NOT NULL,
    provider_record_id VARCHAR(128) NOT NULL,
    record_type VARCHAR(64) NOT NULL,
    subject_kind VARCHAR(24) NOT NULL,
    subject_code VARCHAR(32) NOT NULL,
    subject_name VARCHAR(512) NOT NULL,
    decided_on DATE NOT NULL,
    severity VARCHAR(16),
    legal_basis TEXT,
    document_number VARCHAR(256),
    publicity_until DATE,
    fields JSON NOT NULL,
    content_hash VARCHAR(32) NOT NULL
)"""
_STAGING_DDL = f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} {STAGING_BODY}"


def stage(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Empty this connection's staging table and fill it with ``rows``."""
    conn.execute(text(_STAGING_DDL))
    _empty(conn, STAGING)
    bulk_insert(conn, STAGING, STAGING_COLUMNS, rows)
    _analyze(conn, STAGING, len(rows))


def _empty(conn: Connection, table: str) -> None:
    """Empty a staging table. On PostgreSQL ``TRUNCATE``: nothing vacuums temporary tables,
    so the rows that ``DELETE`` leaves dead would pile up chunk after chunk."""
    verb = "TRUNCATE" if conn.dialect.name == "postgresql" else "DELETE FROM"
    conn.execute(text(f"{verb} {table}"))


def _run(conn: Connection, sql: str, **params: Any) -> None:
    stmt = text(sql)
    if "stamp" in params:
        stmt = stmt.bindparams(bindparam("stamp", type_=UTCDateTime()))
    conn.execute(stmt, params)


LATEST = "xy_latest"
#: The latest rows' columns, also those of a scratch file's.
LATEST_BODY = """(
    subject_code VARCHAR(32) PRIMARY KEY,
    subject_kind VARCHAR(24) NOT NULL,
    subject_name VARCHAR(512) NOT NULL,
    decided_on DATE NOT NULL,
    division VARCHAR(6) NOT NULL,
    public_id VARCHAR(24) NOT NULL,
    entity_id INTEGER
)"""
_LATEST_DDL = f"CREATE TEMPORARY TABLE IF NOT EXISTS {LATEST} {LATEST_BODY}"


@dataclass(frozen=True)
class Staged:
    """Where a write's staged rows are: by default this connection's staging tables
    (:func:`stage`, :func:`fill_latest`); or the tables ``staging`` and ``latest`` of an
    attached scratch file (:func:`in_schema`, :mod:`xinyong.store.scratch`), which have
    the same columns and are read in place."""

    staging: str = STAGING
    latest: str = LATEST


#: This connection's own staging tables.
HERE = Staged()


def in_schema(schema: str) -> Staged:
    """The staged rows of the scratch file attached as ``schema``."""
    return Staged(f"{schema}.staging", f"{schema}.latest")


LATEST_COLUMNS = (
    "subject_code",
    "subject_kind",
    "subject_name",
    "decided_on",
    "division",
    "public_id",
)


def fill_latest(conn: Connection, latest: Sequence[tuple[Any, ...]]) -> None:
    """Empty this connection's table of latest rows and fill it with ``latest``: per
    subject code, the staged row with the latest decision (:data:`LATEST_COLUMNS`), which
    sets the subject's current name."""
    conn.execute(text(_LATEST_DDL))
    _empty(conn, LATEST)
    bulk_insert(conn, LATEST, LATEST_COLUMNS, latest)
    _analyze(conn, LATEST, len(latest))


def resolve_entities(conn: Connection, stamp: dt.datetime, at: Staged | None = None) -> None:
    """Create missing subjects, rename to the newest name and keep every name variant
    (the staged rows, and the latest ones: :func:`fill_latest`)."""
    at = at or HERE
    _run(
        conn,
        f"""
        UPDATE entities SET name = l.subject_name, name_on = l.decided_on
        FROM {at.latest} l
        WHERE entities.code = l.subject_code
          AND entities.code IN (SELECT subject_code FROM {at.latest})
          AND l.decided_on > entities.name_on AND l.subject_name <> entities.name""",
    )
    _run(
        conn,
        f"""
        INSERT INTO entities (kind, code, public_id, name, name_on, division, created_at)
        SELECT subject_kind, subject_code, public_id, subject_name, decided_on, division, :stamp
        FROM {at.latest} l
        WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.code = l.subject_code)""",
        stamp=stamp,
    )
    after = int(conn.execute(select(func.coalesce(func.max(entity_names.c.id), 0))).scalar_one())
    _run(
        conn,
        f"""
        INSERT INTO entity_names (entity_id, name, first_seen_at)
        SELECT DISTINCT e.id, s.subject_name, :stamp
        FROM {at.staging} s JOIN entities e ON e.code = s.subject_code
        WHERE NOT EXISTS (
            SELECT 1 FROM entity_names n WHERE n.entity_id = e.id AND n.name = s.subject_name)""",
        stamp=stamp,
    )
    index_new_names(conn, after)


#: The columns of the staging tables that joins and filters use: the only ones whose
#: statistics the plans need (sampling the JSON and text columns took most of the time).
#: PostgreSQL's scratch tables (:mod:`xinyong.store.scratch`) are analysed the same way.
ANALYZED = {
    STAGING: "(row_no, record_id, subject_code)",
    LATEST: "(subject_code)",
    CLASSIFIED: "(row_no, entity_id, status, subject_kind, record_type)",
}


def _analyze(conn: Connection, table: str, rows: int | None = None) -> None:
    """PostgreSQL keeps no statistics on temporary tables until asked; plans need them.
    The staging tables live as long as the connection and are emptied for each chunk
    (``rows``: how many it holds now), so their statistics are taken again only when a
    chunk's size is far from the analysed one (an import's chunks are alike; an API call's
    few rows are not). ``rows=None``: a table made afresh, analysed every time.

    What was analysed is remembered on the pooled connection (``conn.info``). A rolled-back
    transaction takes a table it created, and its statistics, with it; the table is then
    made again without statistics until a chunk of another size comes: slower plans (the
    default estimates), never wrong answers."""
    if conn.dialect.name != "postgresql":
        return
    key = f"xy_analyzed:{table}"
    before = conn.info.get(key)
    if rows is None or before is None or not before / 2 <= rows <= before * 2:
        conn.execute(text(f"ANALYZE {table} {ANALYZED[table]}"))
        conn.info[key] = rows


def index_new_names(conn: Connection, after_id: int) -> None:
    """Add names inserted after ``after_id`` to SQLite's FTS5 name indexes (trigrams, and
    single characters for short searches), one statement each.

    On PostgreSQL the pg_trgm index and the gram table's triggers follow the table by
    themselves.
    """
    if conn.dialect.name == "sqlite":
        _run(
            conn,
            "INSERT INTO entity_names_fts(rowid, name) "
            "SELECT id, name FROM entity_names WHERE id > :after",
            after=after_id,
        )
        _run(
            conn,
            "INSERT INTO entity_name_chars(rowid, chars) "
            "SELECT id, xy_spaced(name) FROM entity_names WHERE id > :after",
            after=after_id,
        )


_CLASSIFIED_DDL = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {CLASSIFIED} (
    row_no INTEGER PRIMARY KEY,
    record_id VARCHAR(24) NOT NULL,
    record_type VARCHAR(64) NOT NULL,
    subject_kind VARCHAR(24) NOT NULL,
    publicity_until DATE,
    entity_id INTEGER NOT NULL,
    head_version INTEGER,
    status VARCHAR(16) NOT NULL
)"""


def classify(conn: Connection, rows: int, at: Staged | None = None) -> None:
    """Join each of the ``rows`` staged rows to its subject and its record's head, and mark
    it ``created``, ``unchanged`` or ``corrected`` (one pass, no updates). Only the keys and
    the decision are kept: the wide columns stay in the staging table."""
    at = at or HERE
    conn.execute(text(_CLASSIFIED_DDL))
    _empty(conn, CLASSIFIED)
    _run(
        conn,
        f"""
        INSERT INTO {CLASSIFIED} (row_no, record_id, record_type, subject_kind,
                                  publicity_until, entity_id, head_version, status)
        SELECT s.row_no, s.record_id, s.record_type, s.subject_kind, s.publicity_until,
               e.id, r.current_version,
               CASE WHEN r.id IS NULL THEN 'created'
                    WHEN r.current_hash = s.content_hash THEN 'unchanged'
                    ELSE 'corrected' END
        FROM {at.staging} s
        JOIN entities e ON e.code = s.subject_code
        LEFT JOIN records r ON r.id = s.record_id""",
    )
    _analyze(conn, CLASSIFIED, rows)


def add_versions(
    conn: Connection,
    provider_code: str,
    stamp: dt.datetime,
    import_id: int | None,
    at: Staged | None = None,
) -> None:
    """Insert new records and the new versions of new and corrected ones; move heads.

    The classified rows carry the join keys and the decision; the wide columns (fields,
    legal basis, names) are read from the staged row, by its row number."""
    at = at or HERE
    _run(
        conn,
        f"""
        INSERT INTO records (id, provider_code, provider_record_id, record_type, entity_id,
                             current_version, current_hash, created_at)
        SELECT c.record_id, :provider, s.provider_record_id, c.record_type, c.entity_id, 1,
               s.content_hash, :stamp
        FROM {CLASSIFIED} c JOIN {at.staging} s ON s.row_no = c.row_no
        WHERE c.status = 'created' ORDER BY c.record_id""",
        provider=provider_code,
        stamp=stamp,
    )
    _run(
        conn,
        f"""
        INSERT INTO record_versions (record_id, version, entity_id, record_type, subject_name,
            severity, legal_basis, document_number, decided_on, publicity_until, fields,
            content_hash, received_at, import_id)
        SELECT c.record_id, 1, c.entity_id, c.record_type, s.subject_name,
            s.severity, s.legal_basis, s.document_number, s.decided_on, s.publicity_until,
            s.fields, s.content_hash, :stamp, :import_id
        FROM {CLASSIFIED} c JOIN {at.staging} s ON s.row_no = c.row_no
        WHERE c.status = 'created' ORDER BY c.record_id""",
        stamp=stamp,
        import_id=import_id,
    )
    # A correction of a record that has ended stays ended: the end carries over, and its
    # publicity stops no later than the end.
    _run(
        conn,
        f"""
        INSERT INTO record_versions (record_id, version, entity_id, record_type, subject_name,
            severity, legal_basis, document_number, decided_on, publicity_until, ended_on,
            end_reason, fields, content_hash, received_at, import_id)
        SELECT c.record_id, c.head_version + 1, c.entity_id, c.record_type, s.subject_name,
            s.severity, s.legal_basis, s.document_number, s.decided_on,
            CASE WHEN p.ended_on IS NULL THEN s.publicity_until
                 WHEN s.publicity_until IS NULL OR s.publicity_until > p.ended_on
                 THEN p.ended_on ELSE s.publicity_until END,
            p.ended_on, p.end_reason, s.fields, s.content_hash, :stamp, :import_id
        FROM {CLASSIFIED} c
        JOIN {at.staging} s ON s.row_no = c.row_no
        JOIN record_versions p ON p.record_id = c.record_id AND p.version = c.head_version
        WHERE c.status = 'corrected'""",
        stamp=stamp,
        import_id=import_id,
    )
    _run(
        conn,
        f"""
        UPDATE records SET current_version = c.head_version + 1, current_hash = s.content_hash,
            record_type = c.record_type, entity_id = c.entity_id
        FROM {CLASSIFIED} c JOIN {at.staging} s ON s.row_no = c.row_no
        WHERE records.id = c.record_id AND c.status = 'corrected'""",
    )


def outcomes(conn: Connection) -> list[tuple[int, str, int, str]]:
    """Per staged row: (row number, record id, its version now, status)."""
    rows = conn.execute(
        text(
            f"""SELECT row_no, record_id,
                CASE WHEN status = 'unchanged' THEN head_version
                     ELSE COALESCE(head_version, 0) + 1 END, status
            FROM {CLASSIFIED} ORDER BY row_no"""
        )
    )
    return [(int(a), str(b), int(c), str(d)) for a, b, c, d in rows]


#: The subjects that corrected records belonged to before the correction named another
#: subject: their lists, ratings and public days change as well (the record left them).
_MOVED_FROM = f"""
    SELECT v.entity_id FROM {CLASSIFIED} c
    JOIN record_versions v ON v.record_id = c.record_id AND v.version = c.head_version
    WHERE c.status = 'corrected' AND v.entity_id <> c.entity_id"""

#: Subjects whose records this write created or corrected, and those a record left.
_CHANGED = f"""
    SELECT entity_id FROM {CLASSIFIED} WHERE status <> 'unchanged'
    UNION {_MOVED_FROM}"""


def changed_entities(conn: Connection) -> list[int]:
    """Subjects whose records this write created or corrected, and the subjects a corrected
    record belonged to before (:data:`_MOVED_FROM`)."""
    rows = conn.execute(text(_CHANGED))
    return sorted(int(r[0]) for r in rows)


def mark_ratings_stale(conn: Connection) -> None:
    """The ratings of subjects whose records changed no longer hold: ``xinyong rate --due``
    (or the next read) recomputes them. Nothing to do before anyone was rated (a first
    import): the statement would still read every staged row."""
    if conn.execute(text("SELECT 1 FROM ratings LIMIT 1")).first() is None:
        return
    _run(
        conn,
        f"UPDATE ratings SET stale = TRUE WHERE entity_id IN ({_CHANGED})",
    )


def has_records(conn: Connection) -> bool:
    """Whether the store holds any record (an import into an empty one is a first load)."""
    return conn.execute(select(records.c.id).limit(1)).first() is not None


def status_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(text(f"SELECT status, COUNT(*) FROM {CLASSIFIED} GROUP BY status"))
    return {str(status): int(n) for status, n in rows}


def refresh_public_until(conn: Connection, public_types: Sequence[str]) -> None:
    """For the persons among the staged rows that changed, bring up to date the last day on
    which some record of theirs is public (a record without end counts as 9999-12-31).

    ``public_types`` are the record types the catalogue makes public for persons. A new
    record can only move that day later, so for persons with new records of a public type
    the day becomes the later of the stored one and the new records' own (one pass over the
    staged rows). A correction can move it either way (its type or its publicity may have
    changed, or it may name another person now): the persons with a corrected record, and
    those a corrected record left, are recomputed from all their current records. A new
    record of another type changes nothing.
    """
    params = {"far": FAR_FUTURE, "types": list(public_types) or [""]}
    later = text(
        f"""
        UPDATE entities SET public_until = CASE
            WHEN entities.public_until IS NULL OR n.last_day > entities.public_until
            THEN n.last_day ELSE entities.public_until END
        FROM (SELECT entity_id, MAX(COALESCE(publicity_until, :far)) AS last_day
              FROM {CLASSIFIED}
              WHERE status = 'created' AND subject_kind = 'person' AND record_type IN :types
              GROUP BY entity_id) n
        WHERE entities.id = n.entity_id AND entities.kind = 'person'"""
    ).bindparams(bindparam("types", expanding=True), bindparam("far", type_=Date()))
    conn.execute(later, params)
    again = text(
        f"""
        UPDATE entities SET public_until = (
            SELECT MAX(COALESCE(v.publicity_until, :far))
            FROM records r JOIN record_versions v
              ON v.record_id = r.id AND v.version = r.current_version
            WHERE r.entity_id = entities.id AND r.record_type IN :types)
        WHERE entities.kind = 'person' AND entities.id IN (
            SELECT entity_id FROM {CLASSIFIED}
            WHERE subject_kind = 'person' AND status = 'corrected'
            UNION {_MOVED_FROM})"""
    ).bindparams(bindparam("types", expanding=True), bindparam("far", type_=Date()))
    conn.execute(again, params)


def current_version(conn: Connection, record_id: str) -> dict[str, Any] | None:
    """The head and current version of a record."""
    r, v, e = records, record_versions, entities
    stmt = (
        select(
            r.c.id,
            r.c.provider_code,
            r.c.entity_id,
            r.c.current_version,
            v.c.decided_on,
            v.c.publicity_until,
            v.c.ended_on,
            v.c.end_reason,
            e.c.kind,
        )
        .join(v, (v.c.record_id == r.c.id) & (v.c.version == r.c.current_version))
        .join(e, e.c.id == r.c.entity_id)
        .where(r.c.id == record_id)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row is not None else None


def add_end_version(
    conn: Connection,
    record_id: str,
    version: int,
    last_day: dt.date,
    reason: str,
    stamp: dt.datetime,
) -> None:
    """A new version of the record that ends it: in effect until ``last_day`` at most.

    The content hash stays the content's (the head keeps it), so resubmitting the same
    content later is ``unchanged`` and does not revive the record.
    """
    stmt = text(
        """
        INSERT INTO record_versions (record_id, version, entity_id, record_type, subject_name,
            severity, legal_basis, document_number, decided_on, publicity_until, ended_on,
            end_reason, fields, content_hash, received_at, import_id)
        SELECT record_id, version + 1, entity_id, record_type, subject_name, severity,
            legal_basis, document_number, decided_on,
            CASE WHEN publicity_until IS NULL OR publicity_until > :last_day THEN :last_day
                 ELSE publicity_until END,
            :last_day, :reason, fields, content_hash, :stamp, NULL
        FROM record_versions WHERE record_id = :rid AND version = :version"""
    ).bindparams(bindparam("last_day", type_=Date()), bindparam("stamp", type_=UTCDateTime()))
    conn.execute(
        stmt,
        {
            "rid": record_id,
            "version": version,
            "last_day": last_day,
            "reason": reason,
            "stamp": stamp,
        },
    )
    _run(
        conn,
        "UPDATE records SET current_version = :next WHERE id = :rid AND current_version = :v",
        next=version + 1,
        rid=record_id,
        v=version,
    )


def refresh_public_until_of(
    conn: Connection, entity_ids: Sequence[int], public_types: Sequence[str]
) -> None:
    """:func:`refresh_public_until` for some persons, named by id."""
    stmt = text(
        """
        UPDATE entities SET public_until = (
            SELECT MAX(COALESCE(v.publicity_until, :far))
            FROM records r JOIN record_versions v
              ON v.record_id = r.id AND v.version = r.current_version
            WHERE r.entity_id = entities.id AND r.record_type IN :types)
        WHERE entities.kind = 'person' AND entities.id IN :ids"""
    ).bindparams(bindparam("types", expanding=True), bindparam("ids", expanding=True))
    conn.execute(
        stmt, {"far": FAR_FUTURE, "types": list(public_types) or [""], "ids": list(entity_ids)}
    )
