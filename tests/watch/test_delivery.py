"""From a record to a signed webhook at a real local receiver: retries with backoff, failures,
restarts, decisions that change by date, and the dispatcher thread."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tests.factories import ORG, judgment, uscc
from tests.watch.support import (
    MEASURE,
    SECRET,
    Receiver,
    hook,
    known_subject,
    list_it,
    watch,
)
from xinyong.api.app import create_app
from xinyong.catalogue.model import Catalogue
from xinyong.checks.decide import decide_for_entities
from xinyong.db.engine import make_engine, writing
from xinyong.db.tables import watches, webhook_deliveries
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import default_declaration
from xinyong.rating.loader import default_schemes
from xinyong.settings import Settings
from xinyong.watch import service
from xinyong.watch.dispatcher import Counts, Dispatcher, backoff, deliver_due
from xinyong.watch.signing import verify

Headers = dict[str, str]


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(webhook_deliveries).order_by(webhook_deliveries.c.id)))


def deliveries(client: TestClient, consumer: Headers, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/webhook/deliveries", params=params, headers=consumer)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def listed_and_watched(
    client: TestClient, court: Headers, market: Headers, aviation: Headers, receiver: Receiver
) -> str:
    """ORG known and on no list, watched by civil aviation with a webhook; then listed."""
    known_subject(client, market, ORG, "P1")
    hook(client, aviation, receiver.url)
    assert watch(client, aviation, ORG)["items"][0]["decision"] == "does_not_apply"
    return list_it(client, court, ORG, "J1")


def test_a_listing_sends_one_signed_event_with_the_new_decision(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    record_id = listed_and_watched(wclient, court, market, aviation, receiver)
    queued = rows(engine)
    assert [(r.status, r.attempts, r.consumer_code) for r in queued] == [
        ("pending", 0, "civil_aviation")
    ]

    assert deliver_due(engine, quick_settings) == Counts(delivered=1)
    (got,) = receiver.wait_for(1)
    assert got.path == "/hooks/xinyong"
    event = json.loads(got.body)
    assert verify(
        SECRET, got.headers["X-Xinyong-Timestamp"], got.body, got.headers["X-Xinyong-Signature"]
    )
    assert not verify(
        "another-secret-16chars",
        got.headers["X-Xinyong-Timestamp"],
        got.body,
        got.headers["X-Xinyong-Signature"],
    )
    assert not verify(
        SECRET,
        got.headers["X-Xinyong-Timestamp"],
        got.body + b" ",
        got.headers["X-Xinyong-Signature"],
    )
    assert got.headers["X-Xinyong-Event"] == event["event_id"] == queued[0].event_id
    assert got.headers["Content-Type"].startswith("application/json")
    assert event["type"] == "decision.changed"
    assert event["consumer"] == "civil_aviation"
    assert event["measure"] == MEASURE
    assert event["subject"] == ORG
    assert (event["previous"], event["decision"]) == ("does_not_apply", "applies")
    (basis,) = event["basis"]
    assert basis["list"] == "judgment_defaulters"
    assert basis["record_id"] == record_id
    assert basis["legal_basis"]
    assert event["data_version"] >= 1
    assert dt.datetime.fromisoformat(event["at"]).tzinfo is not None

    (logged,) = deliveries(wclient, aviation)
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 1
    assert logged["delivered_at"] is not None
    assert logged["event"] == event
    with engine.connect() as conn:
        (w,) = conn.execute(select(watches)).all()
    assert (w.last_decision, w.last_data_version) == ("applies", event["data_version"])

    # Nothing more is due; the same record again, and a record that changes no decision,
    # send nothing.
    assert deliver_due(engine, quick_settings) == Counts()
    list_it_again = wclient.post(
        "/api/v1/records",
        json=judgment("J1", ORG),
        headers=court,
    )
    assert list_it_again.status_code == 200
    known_subject(wclient, market, ORG, "P2")
    list_it(wclient, court, ORG, "J2")  # a second listing: it still applies
    assert len(rows(engine)) == 1
    assert deliver_due(engine, quick_settings) == Counts()
    assert len(receiver.requests) == 1


def test_ending_the_record_sends_does_not_apply(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    record_id = listed_and_watched(wclient, court, market, aviation, receiver)
    r = wclient.post(
        f"/api/v1/records/{record_id}/end", json={"reason": "obligation_fulfilled"}, headers=court
    )
    assert r.status_code == 200, r.text
    assert deliver_due(engine, quick_settings) == Counts(delivered=2)
    first, second = (json.loads(x.body) for x in receiver.wait_for(2))
    assert (first["previous"], first["decision"]) == ("does_not_apply", "applies")
    assert (second["previous"], second["decision"]) == ("applies", "does_not_apply")
    assert second["basis"] == []
    assert first["event_id"] != second["event_id"]


def test_a_receiver_that_is_down_gets_the_event_when_it_is_back(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    receiver.stop()  # connection refused
    listed_and_watched(wclient, court, market, aviation, receiver)
    t0 = utcnow()
    assert deliver_due(engine, quick_settings) == Counts(retrying=1)
    (row,) = rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connect" in row.last_error
    assert row.next_attempt_at >= t0 + backoff(quick_settings, 1)
    # Not due yet: nothing is attempted before the backoff has passed.
    assert deliver_due(engine, quick_settings, now=t0) == Counts()

    later = row.next_attempt_at + dt.timedelta(milliseconds=1)
    assert deliver_due(engine, quick_settings, now=later) == Counts(retrying=1)
    (row,) = rows(engine)
    assert row.attempts == 2
    assert row.next_attempt_at == later + backoff(quick_settings, 2)  # doubled
    assert backoff(quick_settings, 2) == 2 * backoff(quick_settings, 1)

    receiver.start()
    assert deliver_due(engine, quick_settings, now=row.next_attempt_at) == Counts(delivered=1)
    (got,) = receiver.wait_for(1)
    assert got.headers["X-Xinyong-Attempt"] == "3"
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 3, None)


def test_an_error_answer_is_retried_and_too_many_fail_for_good(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    receiver.answer(500, 503, 500)  # max attempts is 3
    listed_and_watched(wclient, court, market, aviation, receiver)
    counts = Counts()
    for _ in range(3):
        (row,) = rows(engine)
        counts += deliver_due(engine, quick_settings, now=row.next_attempt_at)
    assert counts == Counts(retrying=2, failed=1)
    (row,) = rows(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("HTTP 500")
    assert row.next_attempt_at is None
    assert len(receiver.wait_for(3)) == 3
    ids = {r.headers["X-Xinyong-Event"] for r in receiver.requests}
    assert len(ids) == 1  # the same event each time
    (logged,) = deliveries(wclient, aviation, status="failed")
    assert logged["attempts"] == 3
    assert deliveries(wclient, aviation, status="pending") == []
    # A failed delivery is never attempted again by itself.
    assert deliver_due(engine, quick_settings, now=utcnow() + dt.timedelta(days=1)) == Counts()


def test_an_error_then_success(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    receiver.answer(500)
    listed_and_watched(wclient, court, market, aviation, receiver)
    assert deliver_due(engine, quick_settings) == Counts(retrying=1)
    (row,) = rows(engine)
    assert deliver_due(engine, quick_settings, now=row.next_attempt_at) == Counts(delivered=1)
    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert (first.headers["X-Xinyong-Attempt"], second.headers["X-Xinyong-Attempt"]) == ("1", "2")


def test_nothing_queued_is_lost_across_a_restart(
    db_url: str,
    catalogue: Catalogue,
    quick_settings: Settings,
    wclient: TestClient,
    engine: Engine,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    receiver.stop()
    known_subject(wclient, market, ORG, "P1")
    other = uscc(7)
    known_subject(wclient, market, other, "P2")
    hook(wclient, aviation, receiver.url)
    watch(wclient, aviation, ORG, other)
    list_it(wclient, court, ORG, "J1")
    list_it(wclient, court, other, "J2")
    assert deliver_due(engine, quick_settings) == Counts(retrying=2)
    # A dispatcher died holding a claim: its lease keeps the row from everyone until it ends.
    with writing(engine) as conn:
        conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == 1)
            .values(next_attempt_at=utcnow() + dt.timedelta(minutes=5))
        )

    # "Restart": a new process (a fresh engine), with the receiver up again.
    receiver.start()
    fresh = make_engine(db_url)
    try:
        soon = utcnow() + dt.timedelta(seconds=1)
        assert deliver_due(fresh, quick_settings, now=soon) == Counts(delivered=1)
        after_lease = utcnow() + dt.timedelta(minutes=6)
        assert deliver_due(fresh, quick_settings, now=after_lease) == Counts(delivered=1)
    finally:
        fresh.dispose()
    subjects = sorted(json.loads(r.body)["subject"] for r in receiver.wait_for(2))
    assert subjects == sorted([ORG, other])
    assert [r.status for r in rows(engine)] == ["delivered", "delivered"]


def test_the_dispatcher_thread_delivers_and_retries_by_itself(
    db_url: str,
    engine: Engine,
    catalogue: Catalogue,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    settings = Settings(
        database_url=db_url,
        webhook_dispatch=True,
        webhook_backoff_seconds=0.05,
        webhook_max_attempts=5,
        webhook_timeout_seconds=2.0,
    )
    receiver.answer(500)
    with TestClient(create_app(settings, engine=engine, catalogue=catalogue)) as client:
        listed_and_watched(client, court, market, aviation, receiver)
        first, second = receiver.wait_for(2)
        assert first.body == second.body
        deadline = time.monotonic() + 10
        while rows(engine)[0].status != "delivered":
            assert time.monotonic() < deadline, "the dispatcher did not record the delivery"
            time.sleep(0.02)
    assert rows(engine)[0].attempts == 2


def test_a_dispatcher_started_after_a_restart_delivers_what_was_queued(
    db_url: str,
    engine: Engine,
    wclient: TestClient,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    listed_and_watched(wclient, court, market, aviation, receiver)  # queued, never sent
    settings = Settings(database_url=db_url, webhook_backoff_seconds=0.05)
    fresh = make_engine(db_url)
    dispatcher = Dispatcher(fresh, settings)
    dispatcher.start()
    try:
        (got,) = receiver.wait_for(1)
    finally:
        dispatcher.stop()
        fresh.dispose()
    assert not dispatcher.running
    assert json.loads(got.body)["decision"] == "applies"


def test_a_decision_that_ends_by_date_is_sent_by_the_sweep(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    listed_and_watched(wclient, court, market, aviation, receiver)
    assert deliver_due(engine, quick_settings) == Counts(delivered=1)
    decl, schemes = default_declaration(), default_schemes()
    today = today_in(quick_settings)
    with writing(engine) as conn:
        assert service.sweep(conn, decl, schemes, today, utcnow()) == 0  # nothing changed
    # The listing lasts at most 24 months: three years on, the measure no longer applies.
    later = today + dt.timedelta(days=3 * 365)
    with writing(engine) as conn:
        assert service.sweep(conn, decl, schemes, later, utcnow()) == 1
        assert service.sweep(conn, decl, schemes, later, utcnow()) == 0  # told once
    assert deliver_due(engine, quick_settings) == Counts(delivered=1)
    _, got = receiver.wait_for(2)
    event = json.loads(got.body)
    assert (event["previous"], event["decision"]) == ("applies", "does_not_apply")
    assert event["day"] == later.isoformat()
    assert verify(
        SECRET, got.headers["X-Xinyong-Timestamp"], got.body, got.headers["X-Xinyong-Signature"]
    )


def test_notify_directly_in_the_writing_transaction(
    wclient: TestClient,
    engine: Engine,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    """notify() compares with the decision last told and queues only on a change; a rolled
    back transaction leaves nothing queued."""
    listed_and_watched(wclient, court, market, aviation, receiver)
    decl, schemes = default_declaration(), default_schemes()
    with engine.connect() as conn:
        (eid,) = conn.execute(select(watches.c.entity_id)).scalars()
    today = dt.date.today()
    with writing(engine) as conn:
        assert service.notify(conn, decl, schemes, [eid], day=today, now=utcnow()) == 0
        measure = decl.measure(MEASURE)
        assert measure is not None
        assert decide_for_entities(conn, decl, schemes, measure, [eid], day=today)[eid].applies
    later = today + dt.timedelta(days=3 * 365)
    with engine.connect() as conn, conn.begin():
        assert service.notify(conn, decl, schemes, [eid], day=later, now=utcnow()) == 1
        conn.rollback()
    assert len(rows(engine)) == 1  # only the listing's event


def test_without_a_webhook_the_watch_still_follows_the_decision(
    wclient: TestClient,
    engine: Engine,
    court: Headers,
    market: Headers,
    aviation: Headers,
) -> None:
    known_subject(wclient, market, ORG, "P1")
    watch(wclient, aviation, ORG)
    list_it(wclient, court, ORG, "J1")
    assert rows(engine) == []
    page = wclient.get("/api/v1/watches", headers=aviation).json()
    assert page["items"][0]["last_decision"] == "applies"


def test_removing_the_webhook_ends_its_pending_deliveries(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    listed_and_watched(wclient, court, market, aviation, receiver)
    assert wclient.delete("/api/v1/webhook", headers=aviation).status_code == 204
    (row,) = rows(engine)
    assert (row.status, row.last_error) == ("failed", "the webhook was removed")
    assert deliver_due(engine, quick_settings) == Counts()
    assert receiver.requests == []


def test_dispatchers_running_at_once_deliver_each_event_once(
    wclient: TestClient,
    engine: Engine,
    db_url: str,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    codes = [uscc(100 + i) for i in range(12)]
    hook(wclient, aviation, receiver.url)
    for i, code in enumerate(codes):
        known_subject(wclient, market, code, f"P{i}")
    watch(wclient, aviation, *codes)
    for i, code in enumerate(codes):
        list_it(wclient, court, code, f"J{i}")
    engines = [make_engine(db_url) for _ in range(3)]
    results: list[Counts] = []
    try:
        threads = [
            threading.Thread(
                target=lambda e=e: results.append(deliver_due(e, quick_settings, batch=2))
            )
            for e in engines
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        for e in engines:
            e.dispose()
    assert sum((c for c in results), Counts()) == Counts(delivered=12)
    got = receiver.wait_for(12)
    assert len({r.headers["X-Xinyong-Event"] for r in got}) == len(got) == 12
    assert {(r.status, r.attempts) for r in rows(engine)} == {("delivered", 1)}


def test_a_stopping_dispatcher_gives_back_what_it_claimed_but_did_not_try(
    wclient: TestClient,
    engine: Engine,
    quick_settings: Settings,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    codes = [uscc(200 + i) for i in range(3)]
    hook(wclient, aviation, receiver.url)
    for i, code in enumerate(codes):
        known_subject(wclient, market, code, f"P{i}")
    watch(wclient, aviation, *codes)
    for i, code in enumerate(codes):
        list_it(wclient, court, code, f"J{i}")
    stop = threading.Event()
    receiver.on_request = stop.set  # the process is asked to stop during the first POST
    assert deliver_due(engine, quick_settings, stop=stop) == Counts(delivered=1)
    pending = [r for r in rows(engine) if r.status == "pending"]
    assert len(pending) == 2
    assert all(r.next_attempt_at <= utcnow() and r.attempts == 0 for r in pending)
    receiver.on_request = None
    assert deliver_due(engine, quick_settings) == Counts(delivered=2)  # at once, no lease
    assert len({r.headers["X-Xinyong-Event"] for r in receiver.wait_for(3)}) == 3
