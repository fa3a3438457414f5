"""Watch lists: notifying consumers when a watched subject's decision changes.

A consuming authority watches subjects for a measure it applies. Registering records the
current decision as the one the consumer was told (the answer tells it). Afterwards, each
time the decision changes (``applies`` <-> ``does_not_apply``), one event is queued in the
outbox (``webhook_deliveries``) for the consumer's webhook, and the watch remembers the new
decision. Decisions change when records change (:func:`notify`, called by
:func:`xinyong.changes.records_changed` in the writing transaction) and when a date passes
(:func:`sweep`, run by the dispatcher every ``watch_sweep_seconds``).

Nothing here commits: the record, the list entries it causes and the outbox row land in one
transaction, so an event is never lost nor sent for a change that was rolled back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from xinyong.auth.keys import Principal
from xinyong.checks.decide import Basis, Decision, decide_for_entities
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration, Measure
from xinyong.rating.model import Scheme
from xinyong.watch import repository as repo
from xinyong.watch.schemas import (
    DeliveryOut,
    DeliveryPage,
    UnwatchOut,
    WatchesIn,
    WatchItem,
    WatchPage,
    WebhookIn,
    WebhookOut,
)

log = logging.getLogger(__name__)

EVENT_TYPE = "decision.changed"
SWEEP_BATCH = 1000


# ---- re-deciding -----------------------------------------------------------------------


def notify(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    entity_ids: Sequence[int],
    *,
    day: dt.date,
    now: dt.datetime,
) -> int:
    """Queue a webhook delivery for every watch on these subjects whose decision changed.
    Returns how many deliveries were queued. Never commits."""
    if not entity_ids:
        return 0
    return _redecide(conn, decl, schemes, repo.watches_of_entities(conn, entity_ids), day, now)


def sweep(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    day: dt.date,
    now: dt.datetime,
) -> int:
    """Re-decide every watch on ``day`` (an entry's end may have passed with nobody writing
    anything) and queue a delivery for each change. Never commits."""
    queued, after = 0, 0
    while True:
        n, last = sweep_batch(conn, decl, schemes, day=day, now=now, after=after)
        queued += n
        if last is None:
            return queued
        after = last


def sweep_batch(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    *,
    day: dt.date,
    now: dt.datetime,
    after: int,
    limit: int = SWEEP_BATCH,
) -> tuple[int, int | None]:
    """Re-decide the next ``limit`` watches after id ``after``: how many deliveries were
    queued, and the last watch id seen (``None`` when there were none left)."""
    rows = repo.watch_batch(conn, after=after, limit=limit)
    if not rows:
        return 0, None
    return _redecide(conn, decl, schemes, rows, day, now), rows[-1].id


def _redecide(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    rows: Sequence[repo.Watch],
    day: dt.date,
    now: dt.datetime,
) -> int:
    if not rows:
        return 0
    version = lists_repo.data_version(conn)
    by_measure: dict[str, list[repo.Watch]] = {}
    for w in rows:
        by_measure.setdefault(w.measure, []).append(w)
    changes: list[tuple[int, str, int]] = []
    events: list[tuple[repo.Watch, Decision]] = []
    for code, watched in sorted(by_measure.items()):
        measure = decl.measure(code)
        if measure is None:
            log.warning("watches on %r: no such measure is declared; not re-decided", code)
            continue
        ids = sorted({w.entity_id for w in watched})
        try:
            decided = decide_for_entities(
                conn, decl, schemes, measure, ids, day=day, version=version
            )
        except Conflict as exc:  # e.g. measure_not_published: nothing can be decided
            log.warning("watches on %r not re-decided: %s", code, exc.message)
            continue
        for w in watched:
            d = decided.get(w.entity_id)
            if d is None or d.decision == w.last_decision:
                continue
            changes.append((w.id, d.decision, version))
            if w.last_decision is not None:
                events.append((w, d))
    repo.set_decisions(conn, changes)
    hooks = repo.webhooks_of(conn, sorted({w.consumer_code for w, _ in events}))
    queued = [
        repo.NewDelivery(
            event_id,
            w.consumer_code,
            hook.url,
            event_json(event_id, w, d, version=version, day=day, now=now),
        )
        for w, d in events
        if (hook := hooks.get(w.consumer_code)) is not None
        for event_id in (uuid.uuid4().hex,)
    ]
    repo.add_deliveries(conn, queued, now)
    return len(queued)


def basis_json(b: Basis) -> dict[str, Any]:
    return {
        "list": b.list,
        "record_id": b.record_id,
        "legal_basis": b.legal_basis,
        "document_number": b.document_number,
        "since": b.since.isoformat(),
        "until": b.until.isoformat() if b.until else None,
        "scheme": b.scheme,
        "grade": b.grade,
    }


def event_json(
    event_id: str,
    watch: repo.Watch,
    decision: Decision,
    *,
    version: int,
    day: dt.date,
    now: dt.datetime,
) -> str:
    """The body of a ``decision.changed`` delivery, exactly as it is sent and signed."""
    event = {
        "event_id": event_id,
        "type": EVENT_TYPE,
        "consumer": watch.consumer_code,
        "measure": watch.measure,
        "subject": decision.subject,
        "decision": decision.decision,
        "previous": watch.last_decision,
        "basis": [basis_json(b) for b in decision.basis],
        "data_version": version,
        "day": day.isoformat(),
        "at": now.astimezone(dt.UTC).isoformat(),
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


# ---- the API's operations --------------------------------------------------------------


def _consumer(caller: Principal) -> str:
    if not caller.consumer_code:
        raise Forbidden("this key names no consuming authority", code="not_a_consumer")
    return caller.consumer_code


def _in_scope(caller: Principal, measure: str) -> None:
    if measure not in caller.scopes:
        raise Forbidden(
            f"this key may not apply the measure {measure!r} "
            f"(its measures: {', '.join(caller.scopes) or 'none'})",
            code="measure_not_in_scope",
        )


def _measure(decl: Declaration, caller: Principal, code: str) -> Measure:
    _in_scope(caller, code)
    measure = decl.measure(code)
    if measure is None:
        raise NotFound(f"no measure {code!r} is declared", code="unknown_measure")
    return measure


def _codes(subjects: Sequence[str], max_subjects: int) -> list[str]:
    codes = list(dict.fromkeys(s.strip().upper() for s in subjects))
    if len(codes) > max_subjects:
        raise ValidationFailed(
            f"at most {max_subjects:,} subjects at a time, not {len(codes):,}",
            code="too_many_subjects",
        )
    return codes


def register(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    caller: Principal,
    body: WatchesIn,
    *,
    day: dt.date,
    now: dt.datetime,
    max_subjects: int,
) -> dict[str, Any]:
    """Watch subjects for a measure (again: idempotent) and answer their current decision,
    which becomes the decision the consumer was last told. The answer is the JSON body of
    :class:`~xinyong.watch.schemas.WatchesOut`, built as plain data: 100,000 items are
    served without validating them again."""
    consumer = _consumer(caller)
    measure = _measure(decl, caller, body.measure)
    codes = _codes(body.subjects, max_subjects)
    found = lists_repo.entity_ids_by_code(conn, codes)
    ids = sorted({found[c][0] for c in codes if c in found})
    version = lists_repo.data_version(conn)
    decided = decide_for_entities(conn, decl, schemes, measure, ids, day=day, version=version)
    already = repo.upsert_watches(
        conn,
        consumer,
        measure.code,
        [(eid, decided[eid].decision) for eid in ids],
        version=version,
        now=now,
    )
    items = []
    for c in codes:
        if c in found:
            d = decided[found[c][0]]
            basis = [basis_json(b) for b in d.basis]
            items.append(
                {"subject": c, "decision": d.decision, "basis": basis, "problem": d.problem}
            )
    return {
        "measure": measure.code,
        "day": day.isoformat(),
        "data_version": version,
        "added": len(ids) - already,
        "already_watched": already,
        "items": items,
        "unknown": [c for c in codes if c not in found],
    }


def unregister(
    conn: Connection, caller: Principal, body: WatchesIn, *, max_subjects: int
) -> UnwatchOut:
    """Stop watching subjects for a measure."""
    consumer = _consumer(caller)
    _in_scope(caller, body.measure)
    codes = _codes(body.subjects, max_subjects)
    found = lists_repo.entity_ids_by_code(conn, codes)
    ids = sorted({eid for eid, _kind in found.values()})
    removed = repo.delete_watches(conn, consumer, body.measure, ids)
    return UnwatchOut(
        measure=body.measure,
        removed=removed,
        not_watched=len(ids) - removed,
        unknown=[c for c in codes if c not in found],
    )


def list_watches(
    conn: Connection, caller: Principal, *, measure: str | None, after: int, limit: int
) -> WatchPage:
    """A page of the caller's watches (on one measure, or on every measure of its key)."""
    consumer = _consumer(caller)
    if measure is not None:
        _in_scope(caller, measure)
    measures = [measure] if measure is not None else list(caller.scopes)
    rows = repo.watch_page(conn, consumer, measures, after=after, limit=limit)
    return WatchPage(
        items=[
            WatchItem(
                id=r.id,
                subject=r.subject,
                kind=r.kind,
                measure=r.measure,
                last_decision=r.last_decision,
                last_data_version=r.last_data_version,
                created_at=r.created_at,
            )
            for r in rows
        ],
        next_after=rows[-1].id if len(rows) == limit else None,
    )


def _webhook_out(conn: Connection, consumer: str) -> WebhookOut:
    hook = repo.webhooks_of(conn, [consumer]).get(consumer)
    if hook is None:
        raise NotFound("no webhook is registered for this authority", code="webhook_not_found")
    counts = dict.fromkeys((repo.PENDING, repo.DELIVERED, repo.FAILED), 0)
    counts.update(repo.count_by_status(conn, consumer))
    return WebhookOut(url=hook.url, created_at=hook.created_at, deliveries=counts)


def put_webhook(
    conn: Connection, caller: Principal, body: WebhookIn, now: dt.datetime
) -> WebhookOut:
    """Register (or replace) the caller's webhook. Pending deliveries go to the new URL,
    signed with the new secret."""
    consumer = _consumer(caller)
    repo.put_webhook(conn, consumer, body.url, body.secret, now)
    return _webhook_out(conn, consumer)


def get_webhook(conn: Connection, caller: Principal) -> WebhookOut:
    return _webhook_out(conn, _consumer(caller))


def delete_webhook(conn: Connection, caller: Principal) -> int:
    """Remove the caller's webhook; its pending deliveries end as failed. Returns how many."""
    consumer = _consumer(caller)
    if not repo.delete_webhook(conn, consumer):
        raise NotFound("no webhook is registered for this authority", code="webhook_not_found")
    return repo.fail_pending(conn, consumer, "the webhook was removed")


def delivery_out(d: repo.Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        status=d.status,
        attempts=d.attempts,
        url=d.url,
        next_attempt_at=d.next_attempt_at if d.status == repo.PENDING else None,
        last_error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        event=json.loads(d.payload),
    )


def delivery_log(
    conn: Connection, caller: Principal, *, status: str | None, after: int, limit: int
) -> DeliveryPage:
    """A page of the caller's deliveries, oldest first."""
    rows = repo.deliveries(
        conn, consumer=_consumer(caller), status=status, after=after, limit=limit
    )
    return DeliveryPage(
        items=[delivery_out(d) for d in rows],
        next_after=rows[-1].id if len(rows) == limit else None,
    )
