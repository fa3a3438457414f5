"""SQL of the audit log: the chain's head (under a lock), appending, reading in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from xinyong.db.bulk import bulk_insert, naive_utc_text
from xinyong.db.tables import audit_log

#: PostgreSQL advisory lock that serialises appends (SQLite writers are serial already).
_LOCK_KEY = 0x78696E796F6E67  # "xinyong"

COLUMNS = ("seq", "at", "actor", "action", "target", "details", "prev_hash", "hash")


#: Raw SQL for the hot path (a check's entry): no statement building per call.
_LOCK = f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"
_LAST = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"


def lock_head(conn: Connection) -> tuple[int, str] | None:
    """The last entry's ``(seq, hash)``, holding the chain's lock until the transaction
    ends, so that two writers never chain onto the same entry."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_LOCK)
    return last(conn)


def last(conn: Connection) -> tuple[int, str] | None:
    row = conn.exec_driver_sql(_LAST).first()
    return None if row is None else (int(row[0]), str(row[1]))


def append(conn: Connection, at: dt.datetime, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add entries of one moment ``at``, each ``(seq, actor, action, target, details,
    prev_hash, hash)``, in bulk (``COPY`` on PostgreSQL): a check's entry rides in the group
    commit of the check log, so it must cost little."""
    when = naive_utc_text(at)
    bulk_insert(conn, audit_log.name, COLUMNS, [(r[0], when, *r[1:]) for r in rows])


def entries(conn: Connection, *, after: int = 0, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry after ``after`` in ``seq`` order, read in batches."""
    done = after
    while True:
        rows = (
            conn.execute(
                select(audit_log)
                .where(audit_log.c.seq > done)
                .order_by(audit_log.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for r in rows:
            yield dict(r)
        done = int(rows[-1]["seq"])


def page(conn: Connection, *, after: int, limit: int, action: str | None) -> list[dict[str, Any]]:
    """Entries after ``after`` in order; ``action`` is one action, or ``prefix.*``."""
    query = select(audit_log).where(audit_log.c.seq > after)
    if action and action.endswith(".*"):
        prefix = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(audit_log.c.action.like(prefix + "%", escape="\\"))
    elif action:
        query = query.where(audit_log.c.action == action)
    return [
        dict(r) for r in conn.execute(query.order_by(audit_log.c.seq).limit(limit)).mappings().all()
    ]


def entry_at(conn: Connection, seq: int) -> dict[str, Any] | None:
    row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).mappings().first()
    return None if row is None else dict(row)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
