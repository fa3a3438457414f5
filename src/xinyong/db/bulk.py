"""Bulk loading that both databases do fast: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection


def naive_utc_text(stamp: dt.datetime) -> str:
    """A timestamp as :class:`~xinyong.db.types.UTCDateTime` stores it, for bulk loading."""
    return stamp.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows fast: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    Values must be what both databases read from text: str, int, float or None; dates in
    ISO format and timestamps as naive UTC ISO text, JSON as text.
    """
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
