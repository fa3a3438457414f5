"""Creating the engine for the configured database, SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from xinyong.settings import get_settings

#: Execution option that marks a connection as a writer (``BEGIN IMMEDIATE`` on SQLite).
WRITER_OPTION = "xinyong_writer"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: ``XINYONG_DATABASE_URL``).

    SQLite runs in WAL mode with foreign keys on, so that readers never wait for the
    writer; its folder is created if missing. PostgreSQL URLs without a driver use psycopg 3.
    """
    raw = url or get_settings().database_url
    parsed = make_url(raw)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()
        dbapi_connection.create_function("xy_spaced", 1, spaced_chars, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers ask for the write lock up front, so that a transaction that read first
        # never fails to upgrade to writing (SQLITE_BUSY_SNAPSHOT) under WAL.
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement on its own (see ``reading_autocommit``)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITER_OPTION) else "BEGIN")


def spaced_chars(text: str | None) -> str | None:
    """``"上海电气"`` -> ``"上 海 电 气"``: one token per character for SQLite's FTS5
    index of short name searches (``entity_name_chars``)."""
    return None if text is None else " ".join(text.lower())


@contextmanager
def writing(engine: Engine, attach: Mapping[str, str] | None = None) -> Iterator[Connection]:
    """A connection in a write transaction, committed on success, rolled back on error.

    ``attach`` (SQLite only): other database files to attach for the transaction, by
    schema name (SQLite attaches and detaches only outside transactions)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITER_OPTION: True})
        if not attach:
            with conn.begin():
                yield conn
            return
        if conn.dialect.name != "sqlite":
            raise ValueError("only SQLite attaches database files")
        raw: Any = conn.connection.driver_connection
        attached: list[str] = []
        try:
            for schema, path in attach.items():
                raw.execute(f'ATTACH DATABASE ? AS "{schema}"', (path,))
                attached.append(schema)
            with conn.begin():
                yield conn
        finally:
            try:
                for schema in attached:
                    raw.execute(f'DETACH DATABASE "{schema}"')
            except Exception:
                conn.invalidate()  # never back to the pool with a file attached
                raise
