"""SQL of the audit log: the chain's head (under a lock), appending, reading in order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from xinyong.db.tables import audit_log

#: PostgreSQL advisory lock that serialises appends (SQLite writers are serial already).
_LOCK_KEY = 0x78696E796F6E67  # "xinyong"


def lock_head(conn: Connection) -> tuple[int, str] | None:
    """The last entry's ``(seq, hash)``, holding the chain's lock until the transaction
    ends, so that two writers never chain onto the same entry."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    return last(conn)


def last(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def append(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(audit_log), list(rows))


def entries(conn: Connection, *, after: int = 0, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry after ``after`` in ``seq`` order, read in batches."""
    last = after
    while True:
        rows = (
            conn.execute(
                select(audit_log)
                .where(audit_log.c.seq > last)
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
        last = int(rows[-1]["seq"])


def page(conn: Connection, *, after: int, limit: int, action: str | None) -> list[dict[str, Any]]:
    query = select(audit_log).where(audit_log.c.seq > after)
    if action:
        query = query.where(audit_log.c.action == action)
    return [
        dict(r) for r in conn.execute(query.order_by(audit_log.c.seq).limit(limit)).mappings().all()
    ]


def entry_at(conn: Connection, seq: int) -> dict[str, Any] | None:
    row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).mappings().first()
    return None if row is None else dict(row)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
