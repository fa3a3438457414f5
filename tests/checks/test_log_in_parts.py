"""Big checks are logged in parts, each written by the log's process while the next is
decided: the whole check is committed once, with everything in it, or not at all; the
small checks sent meanwhile are committed with it; a check whose part was lost fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from tests.factories import ORG, judgment, uscc
from xinyong.audit.service import verify
from xinyong.checks import service
from xinyong.checks.log_writer import CheckLogUnavailable, CheckLogWriter
from xinyong.db.tables import audit_log, check_results, checks

FLIGHTS = "restrict_flights_rail"
DAY = dt.date(2026, 12, 6)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def count(engine: Engine, table: Any, **where: str) -> int:
    stmt = select(func.count()).select_from(table)
    for column, value in where.items():
        stmt = stmt.where(table.c[column] == value)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def head(check_id: str, subjects: int, applies: int = 0) -> dict[str, Any]:
    return {
        "id": check_id,
        "at": dt.datetime(2026, 12, 6, 8, 0, 0, tzinfo=dt.UTC),
        "key_id": None,
        "consumer_code": "civil_aviation",
        "measure": FLIGHTS,
        "purpose": "screening",
        "reference": check_id,
        "on_date": DAY,
        "data_version": 0,
        "subjects": subjects,
        "applies": applies,
    }


def part_rows(start: int, n: int) -> list[tuple[Any, ...]]:
    return [(start + i, f"X{start + i}", None, "does_not_apply", None) for i in range(n)]


def small(check_id: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    return head(check_id, 1), [(check_id, 0, ORG, None, "does_not_apply", None)]


@pytest.fixture
def writer(engine: Engine) -> Iterator[CheckLogWriter]:
    w = CheckLogWriter(engine)
    yield w
    w.stop()


def wait(loop: asyncio.AbstractEventLoop, *futures: asyncio.Future[None]) -> list[Any]:
    async def gather() -> list[Any]:
        return await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 30)

    return loop.run_until_complete(gather())


def test_small_checks_sent_between_the_parts_are_committed_with_the_big_one(
    engine: Engine, writer: CheckLogWriter, loop: asyncio.AbstractEventLoop
) -> None:
    parts = writer.in_parts("chk_big")
    parts.send(head("chk_big", 9), part_rows(0, 4))
    smalls = [writer.submit(*small(f"chk_small{n}"), loop=loop) for n in range(3)]
    parts.send(None, part_rows(4, 5))
    done = parts.end(head("chk_big", 9, applies=2), loop)
    assert wait(loop, *smalls, done) == [None] * 4
    assert count(engine, checks) == 4
    assert count(engine, check_results, check_id="chk_big") == 9
    with engine.connect() as conn:
        big = conn.execute(select(checks).where(checks.c.id == "chk_big")).mappings().one()
        positions = conn.execute(
            select(check_results.c.position)
            .where(check_results.c.check_id == "chk_big")
            .order_by(check_results.c.position)
        ).scalars()
        assert list(positions) == list(range(9))
        audited = conn.execute(
            select(func.count()).where(audit_log.c.action == "check.logged")
        ).scalar_one()
        assert verify(conn).ok
    assert (big["subjects"], big["applies"]) == (9, 2)
    assert audited == 4


def test_an_aborted_big_check_leaves_nothing_and_the_others_are_committed(
    engine: Engine, writer: CheckLogWriter, loop: asyncio.AbstractEventLoop
) -> None:
    parts = writer.in_parts("chk_aborted")
    parts.send(head("chk_aborted", 8), part_rows(0, 4))
    before = writer.submit(*small("chk_before"), loop=loop)
    parts.abort()
    after = writer.submit(*small("chk_after"), loop=loop)
    assert wait(loop, before, after) == [None, None]
    assert count(engine, checks, id="chk_aborted") == 0
    assert count(engine, check_results, check_id="chk_aborted") == 0
    assert count(engine, checks) == 2
    with engine.connect() as conn:
        assert verify(conn).ok


def test_a_big_check_half_sent_when_the_writer_stops_is_never_committed(
    engine: Engine, writer: CheckLogWriter, loop: asyncio.AbstractEventLoop
) -> None:
    parts = writer.in_parts("chk_half")
    parts.send(head("chk_half", 8), part_rows(0, 4))
    sent = writer.submit(*small("chk_sent"), loop=loop)
    while not parts._outbox.empty():  # the sender thread has taken the part
        time.sleep(0.01)
    time.sleep(0.2)  # and sent it
    writer.stop()
    assert wait(loop, sent) == [None]
    assert count(engine, checks, id="chk_half") == 0
    assert count(engine, check_results, check_id="chk_half") == 0
    assert count(engine, checks, id="chk_sent") == 1


@pytest.fixture
def refusing_results(engine: Engine) -> Iterator[None]:
    """The database refuses results at position 5 and after (a trigger)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION xy_refuse_part() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.position >= 5 THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER xy_refuse_part BEFORE INSERT ON check_results "
                    "FOR EACH ROW EXECUTE FUNCTION xy_refuse_part()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER xy_refuse_part BEFORE INSERT ON check_results "
                    "WHEN NEW.position >= 5 BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
    yield
    with engine.begin() as conn:
        on = " ON check_results" if postgres else ""
        conn.execute(text(f"DROP TRIGGER IF EXISTS xy_refuse_part{on}"))


def test_a_part_the_database_refuses_fails_the_big_check_and_its_transaction(
    engine: Engine,
    writer: CheckLogWriter,
    loop: asyncio.AbstractEventLoop,
    refusing_results: None,
) -> None:
    parts = writer.in_parts("chk_refused")
    parts.send(head("chk_refused", 8), part_rows(0, 4))
    between = writer.submit(*small("chk_between"), loop=loop)
    parts.send(None, part_rows(4, 4))  # position 5: refused, the transaction is lost
    done = parts.end(head("chk_refused", 8), loop)
    outcomes = wait(loop, between, done)
    assert all(isinstance(o, CheckLogUnavailable) for o in outcomes), outcomes
    assert count(engine, checks) == 0
    assert count(engine, check_results) == 0
    # the next checks are logged as ever
    assert wait(loop, writer.submit(*small("chk_next"), loop=loop)) == [None]
    parts = writer.in_parts("chk_ok")
    parts.send(head("chk_ok", 4), part_rows(0, 4))
    assert wait(loop, parts.end(head("chk_ok", 4), loop)) == [None]
    assert count(engine, checks) == 2
    with engine.connect() as conn:
        assert verify(conn).ok


def test_a_big_check_whose_writer_died_between_parts_fails(
    engine: Engine, writer: CheckLogWriter, loop: asyncio.AbstractEventLoop
) -> None:
    writer.start()
    parts = writer.in_parts("chk_orphan")
    parts.send(head("chk_orphan", 8), part_rows(0, 4))
    first = writer.process_id
    assert first is not None
    os.kill(first, signal.SIGKILL)
    deadline = loop.time() + 10
    while writer.process_id == first and loop.time() < deadline:
        loop.run_until_complete(asyncio.sleep(0.01))
    parts.send(None, part_rows(4, 4))
    [outcome] = wait(loop, parts.end(head("chk_orphan", 8), loop))
    assert isinstance(outcome, CheckLogUnavailable)
    assert count(engine, checks, id="chk_orphan") == 0
    assert wait(loop, writer.submit(*small("chk_later"), loop=loop)) == [None]
    assert count(engine, checks) == 1


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    def set_size(n: int) -> None:
        monkeypatch.setattr(service, "PART_SUBJECTS", n)

    return set_size


def test_a_check_in_parts_answers_and_logs_as_one_in_a_single_part(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    small_parts: Callable[[int], None],
) -> None:
    court = bearer(make_key("court"))
    listed = [uscc(n) for n in range(1, 8)]
    for n, code in enumerate(listed):
        r = client.post("/api/v1/records", json=judgment(f"J{n}", code), headers=court)
        assert r.status_code == 201, r.text
    subjects = [uscc(n) for n in range(1, 30)] + ["not a code", listed[0], "91350200MA0000000X"]
    airline = bearer(consumer_key("civil_aviation", FLIGHTS))
    body = {"measure": FLIGHTS, "subjects": subjects, "purpose": "screening"}
    answers = []
    for size in (7, 1_000):  # five parts, then one
        small_parts(size)
        r = client.post("/api/v1/checks", json=body, headers=airline)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    in_parts, whole = answers
    assert in_parts["check_id"] != whole["check_id"]
    assert in_parts["results"] == whole["results"]
    applies = sum(1 for r in in_parts["results"] if r["decision"] == "applies")
    assert applies == len(listed) + 1
    assert in_parts["results"][29]["problem"] == "invalid_identifier"
    for answer in answers:
        logged = client.get(f"/api/v1/checks/{answer['check_id']}", headers=airline)
        assert logged.status_code == 200, logged.text
        log = logged.json()
        assert (log["subjects"], log["applies"]) == (len(subjects), applies)
        assert [r["position"] for r in log["results"]] == list(range(len(subjects)))
        assert [r["subject_code"] for r in log["results"]] == [s.upper() for s in subjects]
        assert [r["decision"] for r in log["results"]] == [r["decision"] for r in answer["results"]]
    with engine.connect() as conn:
        assert verify(conn).ok
