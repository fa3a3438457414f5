"""The check log's writer process: what was sent before a stop is committed, a log the
database refuses fails its checks (never answered), and a writer that died is replaced."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from tests.factories import ORG
from xinyong.audit.service import verify
from xinyong.checks.log_writer import CheckLogWriter
from xinyong.db.tables import audit_log, check_results, checks

FLIGHTS = "restrict_flights_rail"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def head(n: int) -> tuple[dict[str, object], list[tuple[object, ...]]]:
    check_id = f"test{n:020d}"
    return (
        {
            "id": check_id,
            "at": dt.datetime(2026, 12, 6, 8, 0, n % 60, tzinfo=dt.UTC),
            "key_id": None,
            "consumer_code": "civil_aviation",
            "measure": FLIGHTS,
            "purpose": "boarding",
            "reference": f"r{n}",
            "on_date": dt.date(2026, 12, 6),
            "data_version": 0,
            "subjects": 2,
            "applies": 0,
        },
        [
            (check_id, 0, ORG, None, "does_not_apply", None),
            (check_id, 1, "X1", None, "does_not_apply", None),
        ],
    )


def test_every_check_sent_before_a_stop_is_committed(engine: Engine) -> None:
    writer = CheckLogWriter(engine)

    async def send() -> list[asyncio.Future[None]]:
        return [writer.submit(*head(n)) for n in range(300)]

    loop = asyncio.new_event_loop()
    try:
        futures = loop.run_until_complete(send())
        writer.stop()  # before any acknowledgement was awaited: they are all committed
        loop.run_until_complete(asyncio.gather(*futures))
    finally:
        loop.close()
    assert count(engine, checks) == 300
    assert count(engine, check_results) == 600
    with engine.connect() as conn:
        refs = conn.execute(select(checks.c.reference).order_by(checks.c.reference)).scalars()
        assert sorted(refs) == sorted(f"r{n}" for n in range(300))
        logged = conn.execute(
            select(func.count()).where(audit_log.c.action == "check.logged")
        ).scalar_one()
        assert logged == 300
        assert verify(conn).ok
    assert writer.process_id is None


def test_a_writer_that_was_never_used_stops_at_once(engine: Engine) -> None:
    writer = CheckLogWriter(engine)
    writer.start()
    assert writer.process_id is not None
    writer.stop()
    assert writer.process_id is None
    assert count(engine, checks) == 0


@pytest.fixture
def refusing_checks(engine: Engine) -> Iterator[Callable[[bool], None]]:
    """Make the database refuse new rows in ``checks`` (a trigger), or accept them again."""
    postgres = engine.dialect.name == "postgresql"

    def refuse(on: bool) -> None:
        with engine.begin() as conn:
            if postgres and on:
                conn.execute(
                    text(
                        "CREATE OR REPLACE FUNCTION xy_refuse() RETURNS trigger AS "
                        "$$ BEGIN RAISE EXCEPTION 'the log is refused'; END $$ LANGUAGE plpgsql"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER xy_refuse BEFORE INSERT ON checks "
                        "FOR EACH ROW EXECUTE FUNCTION xy_refuse()"
                    )
                )
            elif on:
                conn.execute(
                    text(
                        "CREATE TRIGGER xy_refuse BEFORE INSERT ON checks "
                        "BEGIN SELECT RAISE(ABORT, 'the log is refused'); END"
                    )
                )
            else:
                conn.execute(
                    text("DROP TRIGGER IF EXISTS xy_refuse" + (" ON checks" if postgres else ""))
                )

    yield refuse
    refuse(False)


def test_a_check_the_database_refuses_to_log_is_not_answered(
    client: TestClient,
    engine: Engine,
    consumer_key: Callable[..., str],
    refusing_checks: Callable[[bool], None],
) -> None:
    airline = bearer(consumer_key("civil_aviation", FLIGHTS))
    body = {"measure": FLIGHTS, "subjects": [ORG], "purpose": "ticket"}
    assert client.post("/api/v1/checks", json=body, headers=airline).status_code == 200
    refusing_checks(True)
    for subjects in ([ORG], [f"9135020077604965{n:02d}" for n in range(40)]):  # single, bulk
        r = client.post("/api/v1/checks", json={**body, "subjects": subjects}, headers=airline)
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "check_log_unavailable"
        assert "results" not in r.json()
    assert count(engine, checks) == 1
    refusing_checks(False)
    r = client.post("/api/v1/checks", json=body, headers=airline)
    assert r.status_code == 200, r.text
    assert count(engine, checks) == 2


def test_a_writer_process_that_died_is_replaced(
    app: FastAPI, client: TestClient, engine: Engine, consumer_key: Callable[..., str]
) -> None:
    airline = bearer(consumer_key("civil_aviation", FLIGHTS))
    body = {"measure": FLIGHTS, "subjects": [ORG], "purpose": "ticket"}
    assert client.post("/api/v1/checks", json=body, headers=airline).status_code == 200
    writer: CheckLogWriter = app.state.check_log
    pid = writer.process_id
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while writer.process_id == pid and time.monotonic() < deadline:
        time.sleep(0.01)  # its acknowledgements' thread notices that it has gone
    assert writer.process_id != pid
    r = client.post("/api/v1/checks", json=body, headers=airline)
    assert r.status_code == 200, r.text
    assert writer.process_id not in (None, pid)
    assert count(engine, checks) == 2
    logged = client.get(f"/api/v1/checks/{r.json()['check_id']}", headers=airline)
    assert logged.status_code == 200
