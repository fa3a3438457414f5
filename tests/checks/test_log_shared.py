"""The check log's writer shared by the server processes of ``xinyong serve --workers N``:
every worker's checks are committed through one process, a worker's stop commits what it
sent, a worker's half-written big check is never committed, and a process that died is
replaced on the same address."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.checks.test_log_in_parts import head, part_rows, small, wait
from tests.conftest import _free_port
from tests.factories import ORG, judgment
from xinyong.audit.service import verify
from xinyong.checks.log_shared import ADDRESS_ENV, SharedCheckLog
from xinyong.checks.log_writer import CheckLogUnavailable, CheckLogWriter
from xinyong.db.tables import check_results, checks

FLIGHTS = "restrict_flights_rail"


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def shared(engine: Engine) -> Iterator[SharedCheckLog]:
    log = SharedCheckLog(engine.url.render_as_string(hide_password=False))
    log.start()
    yield log
    log.stop()


def test_two_workers_log_through_one_process(
    engine: Engine, shared: SharedCheckLog, loop: asyncio.AbstractEventLoop
) -> None:
    one, two = CheckLogWriter(engine, shared.address), CheckLogWriter(engine, shared.address)
    big = two.in_parts("chk_big")
    big.send(head("chk_big", 8), part_rows(0, 4))
    futures = [w.submit(*small(f"chk_{n}"), loop=loop) for n, w in enumerate([one, two] * 50)]
    big.send(None, part_rows(4, 4))
    futures.append(big.end(head("chk_big", 8), loop))
    assert wait(loop, *futures) == [None] * 101
    assert one.process_id is None  # no process of its own
    assert one.connected
    one.stop()
    two.stop()
    assert count(engine, checks) == 101
    assert count(engine, check_results) == 108
    with engine.connect() as conn:
        assert verify(conn).ok


def test_a_worker_that_goes_loses_only_its_half_written_check(
    engine: Engine, shared: SharedCheckLog, loop: asyncio.AbstractEventLoop
) -> None:
    staying, going = CheckLogWriter(engine, shared.address), CheckLogWriter(engine, shared.address)
    sent = going.submit(*small("chk_sent"), loop=loop)
    assert wait(loop, sent) == [None]
    half = going.in_parts("chk_half")
    half.send(head("chk_half", 8), part_rows(0, 4))
    while not half._outbox.empty():
        time.sleep(0.01)
    time.sleep(0.2)
    going.stop()  # without ending its big check
    assert wait(loop, staying.submit(*small("chk_after"), loop=loop)) == [None]
    staying.stop()
    with engine.connect() as conn:
        ids = set(conn.execute(select(checks.c.id)).scalars())
    assert ids == {"chk_sent", "chk_after"}


def test_a_shared_process_that_died_is_replaced_on_its_address(
    engine: Engine, shared: SharedCheckLog, loop: asyncio.AbstractEventLoop
) -> None:
    writer = CheckLogWriter(engine, shared.address)
    assert wait(loop, writer.submit(*small("chk_before"), loop=loop)) == [None]
    first = shared.process_id
    assert first is not None
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while (shared.process_id == first or writer.connected) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shared.process_id != first
    assert shared.restarts == 1
    [outcome] = wait(loop, writer.submit(*small("chk_after"), loop=loop))
    assert outcome is None, outcome  # the writer connected to the new process
    writer.stop()
    assert count(engine, checks) == 2


def test_a_writer_with_no_shared_process_fails_its_checks(
    engine: Engine, loop: asyncio.AbstractEventLoop, tmp_path: Any
) -> None:
    writer = CheckLogWriter(engine, str(tmp_path / "nobody.sock"))
    [outcome] = wait(loop, writer.submit(*small("chk_lost"), loop=loop))
    assert isinstance(outcome, CheckLogUnavailable)
    writer.stop()
    assert count(engine, checks) == 0


def test_serve_with_two_workers_logs_every_check(
    db_url: str,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    port = _free_port()
    env = {**os.environ, "XINYONG_DATABASE_URL": db_url}
    env.pop(ADDRESS_ENV, None)
    command = ["serve", "--workers", "2", "--no-warm", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "xinyong.cli.main", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        court = {"Authorization": f"Bearer {make_key('court')}"}
        assert httpx.post(f"{base}/api/v1/records", json=judgment("J1"), headers=court).is_success
        airline = {"Authorization": f"Bearer {consumer_key('civil_aviation', FLIGHTS)}"}
        body = {"measure": FLIGHTS, "subjects": [ORG], "purpose": "boarding"}
        with httpx.Client(base_url=base, headers=airline, timeout=30) as http:
            answers = [http.post("/api/v1/checks", json=body) for _ in range(60)]
            bulk = http.post("/api/v1/checks", json={**body, "subjects": [ORG] * 25_000})
        assert [a.status_code for a in answers] == [200] * 60
        assert {a.json()["results"][0]["decision"] for a in answers} == {"applies"}
        assert bulk.status_code == 200, bulk.text
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output.decode()
    assert "one writer process" in output.decode(), output.decode()
    assert count(engine, checks) == 61
    assert count(engine, check_results) == 60 + 25_000
    with engine.connect() as conn:
        assert verify(conn).ok
