"""The daily job: ``expire`` records what expired, propagates it, prunes the access log, and
audits it all; a second run changes nothing. Also through ``xinyong expire``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from tests.expiry.conftest import OnDay
from tests.factories import judgment, penalty, ric, uscc
from tests.restorations.support import count, submit
from xinyong.audit.service import verify
from xinyong.catalogue.model import Catalogue
from xinyong.cli.main import app as cli
from xinyong.db.engine import writing
from xinyong.db.tables import (
    access_log,
    audit_log,
    entities,
    ratings,
    record_expiries,
    records,
)
from xinyong.expiry.service import ExpirySummary, expire
from xinyong.lists.loader import default_declaration
from xinyong.rating.loader import load_schemes
from xinyong.rights.model import default_rights
from xinyong.settings import Settings

D = dt.date(2026, 2, 27)
NEXT = D + dt.timedelta(days=1)
NOW = dt.datetime(2026, 2, 28, 1, 0, tzinfo=dt.UTC)
COMPANY, PERSON, OTHER = uscc(7501), ric(7502), uscc(7503)


def _until(record: dict[str, Any], day: dt.date) -> dict[str, Any]:
    return {**record, "publicity_until": day.isoformat()}


def _world(client: Any, make_key: Callable[..., str]) -> list[str]:
    """Three records whose publicity ends on D, and one that goes on. The expiring ids."""
    market, court = make_key("market_regulation"), make_key("court")
    name = "厦门到期测试有限公司"
    expiring = [
        submit(
            client,
            market,
            _until(penalty("P1", COMPANY, name, severity="minor", decided_on="2026-01-05"), D),
        ),
        submit(
            client,
            court,
            _until(
                judgment("J1", COMPANY, name, decided_on="2025-03-01", filing_date="2025-02-01"), D
            ),
        ),
        submit(
            client,
            court,
            _until(
                judgment(
                    "J2",
                    PERSON,
                    "欧阳到期",
                    kind="person",
                    decided_on="2025-03-01",
                    filing_date="2025-02-01",
                ),
                D,
            ),
        ),
    ]
    submit(client, market, penalty("P2", OTHER, "厦门未到期有限公司", decided_on="2026-01-05"))
    return expiring


def _run(engine: Engine, catalogue: Catalogue, today: dt.date, **kw: Any) -> ExpirySummary:
    settings = Settings()
    schemes = load_schemes(settings.schemes_dir, catalogue)
    with writing(engine) as conn:
        return expire(
            conn,
            catalogue,
            schemes,
            default_declaration(),
            default_rights(),
            today=today,
            now=kw.pop("now", NOW),
            **kw,
        )


def _grade(engine: Engine, code: str) -> tuple[str, dt.date]:
    with engine.connect() as conn:
        row = conn.execute(
            select(ratings.c.grade, ratings.c.as_of)
            .join(entities, entities.c.id == ratings.c.entity_id)
            .where(entities.c.code == code, ratings.c.scheme == "city_grade")
        ).one()
    return str(row.grade), row.as_of


def test_expire_records_propagates_and_is_idempotent(
    on_day: OnDay, engine: Engine, catalogue: Catalogue, make_key: Callable[..., str]
) -> None:
    expiring = _world(on_day(D), make_key)
    assert _grade(engine, COMPANY) == ("D", D)
    # a stale visibility date for the person, to see the job recompute it
    with writing(engine) as conn:
        conn.execute(
            update(entities)
            .where(entities.c.code == PERSON)
            .values(public_until=dt.date(9999, 12, 31))
        )

    on_the_last_day = _run(engine, catalogue, D)
    assert not on_the_last_day.changed
    assert count(engine, record_expiries) == 0

    audit_before = count(engine, audit_log)
    done = _run(engine, catalogue, NEXT, batch=1)  # one record per batch: the paging too
    assert done.records_expired == 3
    assert done.subjects == 2
    assert done.persons_refreshed == 1
    expected = hashlib.sha256("".join(f"{i}\n" for i in sorted(expiring)).encode()).hexdigest()
    assert done.record_ids_sha256 == expected
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                record_expiries.c.record_id,
                record_expiries.c.version,
                record_expiries.c.expired_on,
                records.c.current_version,
            ).join(records, records.c.id == record_expiries.c.record_id)
        ).all()
        assert sorted(r.record_id for r in rows) == sorted(expiring)
        assert {r.expired_on for r in rows} == {NEXT}
        assert all(r.version == r.current_version for r in rows)
        public_until = conn.execute(
            select(entities.c.public_until).where(entities.c.code == PERSON)
        ).scalar_one()
        assert public_until == D
        [entry] = conn.execute(
            select(audit_log.c.actor, audit_log.c.details).where(
                audit_log.c.action == "records.expired"
            )
        ).all()
        assert entry.actor == "platform"
        details = json.loads(entry.details)
        assert details["count"] == 3
        assert details["record_ids_sha256"] == expected
        assert verify(conn).ok
    # the company's grade rose from D: it left the focus-attention list, audited as such
    with engine.connect() as conn:
        added = conn.execute(
            select(audit_log.c.action, audit_log.c.details).where(audit_log.c.seq > audit_before)
        ).all()
    assert [a.action for a in added] == ["lists.refreshed", "records.expired"]
    assert json.loads(added[0].details)["lists"] == {"focus_attention": {"added": 0, "closed": 1}}
    assert len(done.data_versions) == 1
    # the grade stored for the company is today's: without the records, the base
    assert _grade(engine, COMPANY) == ("AA", NEXT)

    again = _run(engine, catalogue, NEXT)
    assert not again.changed
    assert (again.records_expired, again.subjects, again.record_ids_sha256) == (0, 0, None)
    assert count(engine, record_expiries) == 3
    assert count(engine, audit_log) == audit_before + 2


def test_the_access_log_is_pruned_after_its_retention(
    on_day: OnDay, engine: Engine, catalogue: Catalogue, make_key: Callable[..., str]
) -> None:
    _world(on_day(D), make_key)
    years = default_rights().access_log.retention_years
    cutoff = NOW.replace(year=NOW.year - years)
    with writing(engine) as conn:
        entity_id = conn.execute(select(entities.c.id).where(entities.c.code == COMPANY)).scalar()
        conn.execute(
            insert(access_log),
            [
                {
                    "at": at,
                    "entity_id": entity_id,
                    "reader_role": "consumer",
                    "reader": "civil_aviation",
                    "purpose": "ticket sale",
                    "what": "file",
                }
                for at in (
                    cutoff - dt.timedelta(seconds=1),  # older than the retention: goes
                    cutoff,  # exactly as old as the retention: stays
                    NOW - dt.timedelta(days=1),
                )
            ],
        )
    done = _run(engine, catalogue, D)
    assert done.access_log_pruned == 1
    assert done.access_log_cutoff == cutoff
    with engine.connect() as conn:
        kept = sorted(conn.execute(select(access_log.c.at)).scalars())
        assert kept == [cutoff, NOW - dt.timedelta(days=1)]
        [entry] = conn.execute(
            select(audit_log.c.details).where(audit_log.c.action == "access_log.pruned")
        ).scalars()
        assert json.loads(entry)["count"] == 1
    assert _run(engine, catalogue, D).access_log_pruned == 0
    assert count(engine, audit_log, audit_log.c.action == "access_log.pruned") == 1


runner = CliRunner()


def test_the_expire_command(
    cli_db: Engine, on_day: OnDay, make_key: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expiring = _world(on_day(D), make_key)
    # a "large" run from one record on: the progress bar path
    monkeypatch.setattr("xinyong.cli.expire.LARGE_RUN", 1)
    first = runner.invoke(cli, ["expire", "--today", NEXT.isoformat()])
    assert first.exit_code == 0, first.output
    assert "3 records expired by 2026-02-28" in first.stdout
    assert count(cli_db, record_expiries) == len(expiring)

    second = runner.invoke(cli, ["expire", "--today", NEXT.isoformat(), "--json"])
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout)
    assert summary["today"] == NEXT.isoformat()
    assert (summary["records_expired"], summary["access_log_pruned"]) == (0, 0)
    assert summary["record_ids_sha256"] is None
    quiet = runner.invoke(cli, ["expire", "--today", NEXT.isoformat()])
    assert "nothing expired" in quiet.stdout

    bad = runner.invoke(cli, ["expire", "--today", "tomorrow"])
    assert bad.exit_code == 1
    assert "invalid_date" in bad.output
