"""SQL of the expiry job: records whose publicity is over and not yet recorded as expired,
the expiries, and pruning the access log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select

from xinyong.db.tables import entities, record_expiries, record_versions, records


@dataclass(frozen=True)
class Due:
    """A record whose current version's publicity ended before today, not yet recorded."""

    record_id: str
    version: int
    entity_id: int
    kind: str
    publicity_until: dt.date


def _due_where(today: dt.date) -> Any:
    r, v, x = records, record_versions, record_expiries
    recorded = exists().where(x.c.record_id == r.c.id, x.c.version == r.c.current_version)
    return and_(v.c.publicity_until.is_not(None), v.c.publicity_until < today, ~recorded)


def _current() -> Any:
    r, v = records, record_versions
    return r.join(v, and_(v.c.record_id == r.c.id, v.c.version == r.c.current_version))


def count_due(conn: Connection, today: dt.date) -> int:
    stmt = select(func.count()).select_from(_current()).where(_due_where(today))
    return int(conn.execute(stmt).scalar_one())


def due(conn: Connection, today: dt.date, *, after: str, limit: int) -> list[Due]:
    """The next ``limit`` due records after the record id ``after``, in id order."""
    r, v = records, record_versions
    stmt = (
        select(r.c.id, r.c.current_version, r.c.entity_id, entities.c.kind, v.c.publicity_until)
        .select_from(_current().join(entities, entities.c.id == r.c.entity_id))
        .where(_due_where(today), r.c.id > after)
        .order_by(r.c.id)
        .limit(limit)
    )
    return [Due(str(a), int(b), int(c), str(d), e) for a, b, c, d, e in conn.execute(stmt)]


def add_expiries(conn: Connection, rows: Sequence[Due], recorded_at: dt.datetime) -> None:
    if rows:
        conn.execute(
            insert(record_expiries),
            [
                {
                    "record_id": d.record_id,
                    "version": d.version,
                    "expired_on": d.publicity_until + dt.timedelta(days=1),
                    "recorded_at": recorded_at,
                }
                for d in rows
            ],
        )
