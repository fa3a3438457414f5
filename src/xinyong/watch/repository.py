"""SQL of watch lists, webhooks and the outbox of deliveries (``webhook_deliveries``).

Nothing here commits. Watch rows read for re-deciding are locked (``FOR UPDATE`` on
PostgreSQL; SQLite's writer transaction is exclusive anyway), so that a sweep and a record
write never both tell a consumer about the same change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from xinyong.db.bulk import bulk_insert
from xinyong.db.tables import entities, watches, webhook_deliveries, webhooks
from xinyong.db.types import UTCDateTime

BATCH = 5000
#: Ids per statement where PostgreSQL takes them as one array.
BIG_BATCH = 50_000
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _chunks(values: Sequence[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def _among(conn: Connection, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids`` with one parameter, not thousands: ``= ANY(array)`` on
    PostgreSQL, ``IN (SELECT value FROM json_each(?))`` on SQLite."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(list(ids), type_=ARRAY(Integer)))
    each = func.json_each(literal(json.dumps([int(i) for i in ids]))).table_valued("value")
    return column.in_(select(each.c.value))


# ---- watches ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    consumer_code: str
    entity_id: int
    measure: str
    last_decision: str | None
    last_data_version: int | None


_WATCH_COLUMNS = (
    watches.c.id,
    watches.c.consumer_code,
    watches.c.entity_id,
    watches.c.measure,
    watches.c.last_decision,
    watches.c.last_data_version,
)


def _watches(rows: Any) -> list[Watch]:
    return [
        Watch(int(i), consumer, int(eid), measure, last, None if version is None else int(version))
        for i, consumer, eid, measure, last, version in rows
    ]


def watches_of_entities(conn: Connection, entity_ids: Sequence[int]) -> list[Watch]:
    """Every watch on these subjects, locked for update, by id. Rows are locked in the
    order of their ids (as the sweep locks them), so that two writers never deadlock."""
    ids: list[int] = []
    for chunk in _chunks(sorted(set(entity_ids)), BIG_BATCH):
        stmt = select(watches.c.id).where(_among(conn, watches.c.entity_id, chunk))
        ids += [int(x) for x in conn.execute(stmt).scalars()]
    out: list[Watch] = []
    for chunk in _chunks(sorted(ids), BIG_BATCH):
        stmt = (
            select(*_WATCH_COLUMNS)
            .where(_among(conn, watches.c.id, chunk))
            .order_by(watches.c.id)
            .with_for_update()
        )
        out += _watches(conn.execute(stmt))
    return out


def watch_batch(conn: Connection, *, after: int, limit: int) -> list[Watch]:
    """The next ``limit`` watches of every consumer after id ``after``, locked for update."""
    stmt = (
        select(*_WATCH_COLUMNS)
        .where(watches.c.id > after)
        .order_by(watches.c.id)
        .limit(limit)
        .with_for_update()
    )
    return _watches(conn.execute(stmt))


def any_watch(conn: Connection) -> bool:
    return conn.execute(select(watches.c.id).limit(1)).first() is not None


def set_decisions(conn: Connection, changes: Sequence[tuple[int, str, int]]) -> None:
    """``(watch id, decision, data version)``: what the consumer was last told."""
    if not changes:
        return
    stmt = (
        update(watches)
        .where(watches.c.id == bindparam("watch_id"))
        .values(last_decision=bindparam("decision"), last_data_version=bindparam("version"))
    )
    for chunk in _chunks(changes):
        conn.execute(stmt, [{"watch_id": i, "decision": d, "version": v} for i, d, v in chunk])


_STAGING = "xy_watch_staging"
_STAGING_DDL = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (
    entity_id INTEGER NOT NULL,
    decision VARCHAR(16) NOT NULL
)"""


def upsert_watches(
    conn: Connection,
    consumer: str,
    measure: str,
    decisions: Sequence[tuple[int, str]],
    *,
    version: int,
    now: dt.datetime,
) -> int:
    """Watch these ``(entity id, current decision)``, set-based; a watch that exists takes
    the current decision as the one last told (the registering answer tells it). Returns
    how many of them were watched already."""
    if not decisions:
        return 0
    conn.execute(text(_STAGING_DDL))
    conn.execute(text(f"DELETE FROM {_STAGING}"))
    bulk_insert(conn, _STAGING, ("entity_id", "decision"), decisions)
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {_STAGING}"))
    keys = {"consumer": consumer, "measure": measure}
    already = conn.execute(
        text(
            f"""SELECT count(*) FROM {_STAGING} s JOIN watches w
            ON w.entity_id = s.entity_id AND w.consumer_code = :consumer
            AND w.measure = :measure"""
        ),
        keys,
    ).scalar_one()
    conn.execute(
        text(
            f"""INSERT INTO watches
                (consumer_code, entity_id, measure, last_decision, last_data_version, created_at)
            SELECT :consumer, s.entity_id, :measure, s.decision, :version, :now
            FROM {_STAGING} s WHERE true
            ON CONFLICT (consumer_code, entity_id, measure) DO UPDATE
            SET last_decision = excluded.last_decision,
                last_data_version = excluded.last_data_version
            WHERE watches.last_decision IS NULL
                OR watches.last_decision <> excluded.last_decision"""
        ).bindparams(bindparam("now", type_=UTCDateTime())),
        {**keys, "version": version, "now": now},
    )
    conn.execute(text(f"DELETE FROM {_STAGING}"))
    return int(already)


def delete_watches(conn: Connection, consumer: str, measure: str, entity_ids: Sequence[int]) -> int:
    removed = 0
    w = watches.c
    for chunk in _chunks(sorted(set(entity_ids)), BIG_BATCH):
        result = conn.execute(
            delete(watches).where(
                w.consumer_code == consumer,
                w.measure == measure,
                _among(conn, w.entity_id, chunk),
            )
        )
        removed += int(result.rowcount or 0)
    return removed


@dataclass(frozen=True, slots=True)
class WatchItem:
    id: int
    subject: str
    kind: str
    measure: str
    last_decision: str | None
    last_data_version: int | None
    created_at: dt.datetime


def watch_page(
    conn: Connection,
    consumer: str,
    measures: Sequence[str],
    *,
    after: int,
    limit: int,
) -> list[WatchItem]:
    """A page of one consumer's watches on ``measures``, by id."""
    w, e = watches.c, entities.c
    stmt = (
        select(w.id, e.code, e.kind, w.measure, w.last_decision, w.last_data_version, w.created_at)
        .join(entities, e.id == w.entity_id)
        .where(w.consumer_code == consumer, w.measure.in_(list(measures)), w.id > after)
        .order_by(w.id)
        .limit(limit)
    )
    return [
        WatchItem(
            int(row.id),
            row.code,
            row.kind,
            row.measure,
            row.last_decision,
            None if row.last_data_version is None else int(row.last_data_version),
            row.created_at,
        )
        for row in conn.execute(stmt)
    ]


# ---- webhooks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    consumer_code: str
    url: str
    secret: str
    created_at: dt.datetime


def webhooks_of(conn: Connection, consumers: Sequence[str]) -> dict[str, Webhook]:
    if not consumers:
        return {}
    stmt = select(webhooks).where(webhooks.c.consumer_code.in_(sorted(set(consumers))))
    return {
        row.consumer_code: Webhook(row.consumer_code, row.url, row.secret, row.created_at)
        for row in conn.execute(stmt)
    }


def put_webhook(conn: Connection, consumer: str, url: str, secret: str, now: dt.datetime) -> None:
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(webhooks).values(consumer_code=consumer, url=url, secret=secret, created_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[webhooks.c.consumer_code],
            set_={"url": url, "secret": secret, "created_at": now},
        )
    )


def delete_webhook(conn: Connection, consumer: str) -> bool:
    result = conn.execute(delete(webhooks).where(webhooks.c.consumer_code == consumer))
    return bool(result.rowcount)


# ---- deliveries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewDelivery:
    event_id: str
    consumer_code: str
    url: str
    payload: str


def add_deliveries(conn: Connection, rows: Sequence[NewDelivery], now: dt.datetime) -> None:
    """Queue deliveries, due at once."""
    for chunk in _chunks(rows):
        conn.execute(
            insert(webhook_deliveries),
            [
                {
                    "event_id": d.event_id,
                    "consumer_code": d.consumer_code,
                    "url": d.url,
                    "payload": d.payload,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for d in chunk
            ],
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_id: str
    consumer_code: str
    url: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


def _delivery(row: Any) -> Delivery:
    return Delivery(
        int(row.id),
        row.event_id,
        row.consumer_code,
        row.url,
        row.payload,
        row.status,
        int(row.attempts),
        row.next_attempt_at,
        row.last_error,
        row.created_at,
        row.delivered_at,
    )


def deliveries(
    conn: Connection,
    *,
    consumer: str | None,
    status: str | None,
    after: int,
    limit: int,
) -> list[Delivery]:
    """A page of the delivery log (of one consumer, in one status), by id."""
    d = webhook_deliveries.c
    stmt = select(webhook_deliveries).where(d.id > after).order_by(d.id).limit(limit)
    if consumer is not None:
        stmt = stmt.where(d.consumer_code == consumer)
    if status is not None:
        stmt = stmt.where(d.status == status)
    return [_delivery(row) for row in conn.execute(stmt)]


def count_by_status(conn: Connection, consumer: str | None = None) -> dict[str, int]:
    d = webhook_deliveries.c
    stmt = select(d.status, func.count()).group_by(d.status)
    if consumer is not None:
        stmt = stmt.where(d.consumer_code == consumer)
    return {status: int(n) for status, n in conn.execute(stmt)}


def any_due(conn: Connection, now: dt.datetime) -> bool:
    d = webhook_deliveries.c
    stmt = select(d.id).where(d.status == PENDING, d.next_attempt_at <= now).limit(1)
    return conn.execute(stmt).first() is not None


def claim_due(
    conn: Connection, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> list[Delivery]:
    """Take up to ``limit`` pending deliveries due at ``now``: their next attempt moves to
    ``lease_until``, so that no other dispatcher takes them meanwhile (and one that died
    holding them lets them be retried when the lease ends). Rows another transaction is
    claiming are skipped (``SKIP LOCKED`` on PostgreSQL)."""
    d = webhook_deliveries.c
    due = (
        select(webhook_deliveries)
        .where(d.status == PENDING, d.next_attempt_at <= now)
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = [_delivery(row) for row in conn.execute(due)]
    if rows:
        conn.execute(
            update(webhook_deliveries)
            .where(d.id.in_([r.id for r in rows]))
            .values(next_attempt_at=lease_until)
        )
    return rows


def release(conn: Connection, ids: Sequence[int], due: dt.datetime) -> None:
    """Give back claimed deliveries that were not attempted: due again at ``due``."""
    d = webhook_deliveries.c
    conn.execute(
        update(webhook_deliveries)
        .where(d.id.in_(list(ids)), d.status == PENDING)
        .values(next_attempt_at=due)
    )


def record_outcome(
    conn: Connection,
    delivery: Delivery,
    status: str,
    *,
    url: str,
    error: str | None,
    next_at: dt.datetime | None,
    delivered_at: dt.datetime | None,
) -> bool:
    """Record one attempt's outcome, unless another dispatcher recorded one meanwhile."""
    d = webhook_deliveries.c
    result = conn.execute(
        update(webhook_deliveries)
        .where(and_(d.id == delivery.id, d.status == PENDING, d.attempts == delivery.attempts))
        .values(
            status=status,
            url=url,
            attempts=delivery.attempts + 1,
            last_error=error,
            next_attempt_at=next_at,
            delivered_at=delivered_at,
        )
    )
    return bool(result.rowcount)


def fail_pending(conn: Connection, consumer: str, error: str) -> int:
    """End every pending delivery of a consumer as failed (its webhook was removed)."""
    d = webhook_deliveries.c
    result = conn.execute(
        update(webhook_deliveries)
        .where(d.consumer_code == consumer, d.status == PENDING)
        .values(status=FAILED, last_error=error, next_attempt_at=None)
    )
    return int(result.rowcount or 0)


def requeue(conn: Connection, event_id: str, now: dt.datetime) -> bool:
    """A failed delivery back to pending, due now, with a fresh count of attempts."""
    d = webhook_deliveries.c
    result = conn.execute(
        update(webhook_deliveries)
        .where(d.event_id == event_id, d.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None)
    )
    return bool(result.rowcount)
