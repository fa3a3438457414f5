"""An overdue objection: shown as overdue whenever it is read past its due day (even if no
job ran), escalated to the administrators by the API and by ``xinyong objections
escalate``, listed for them, and decided by them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.factories import ORG
from tests.objections.helpers import bearer, court_judgment, decide, file, submit
from xinyong.auth.keys import Role
from xinyong.cli.main import app as cli
from xinyong.db.tables import audit_log
from xinyong.settings import get_settings

runner = CliRunner()
#: Monday after the due Saturday 2026-02-14: a holiday of the Spring Festival.
AFTER_DUE = dt.date(2026, 2, 16)


@pytest.fixture
def cli_db(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("XINYONG_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYONG_TODAY", AFTER_DUE.isoformat())
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def _file_on_monday(
    monday: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> tuple[str, str]:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    filed = file(monday, subject_key(ORG), rid)
    assert filed["due_on"] == "2026-02-14"
    return court, filed["id"]


def test_overdue_is_shown_escalated_listed_and_decided_by_an_admin(
    monday: TestClient,
    on_day: Callable[[dt.date], TestClient],
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court, oid = _file_on_monday(monday, make_key, subject_key)
    admin = make_key(role=Role.admin)
    # on the due day itself it is not overdue
    saturday = on_day(dt.date(2026, 2, 14))
    due_day = saturday.get(f"/api/v1/objections/{oid}", headers=bearer(court)).json()
    assert (due_day["overdue"], due_day["working_days_left"]) == (False, 0)
    assert saturday.post("/api/v1/objections/escalations", headers=bearer(admin)).json() == {
        "escalated": []
    }

    later = on_day(AFTER_DUE)
    seen = later.get(f"/api/v1/objections/{oid}", headers=bearer(court)).json()
    assert seen["overdue"] is True  # computed at read: no job has run
    assert seen["escalated_at"] is None
    assert seen["working_days_left"] == 0
    # too late to extend now
    r = later.post(
        f"/api/v1/objections/{oid}/extension", json={"reasons": "x"}, headers=bearer(court)
    )
    assert (r.status_code, r.json()["code"]) == (409, "extension_too_late")
    # the administrator cannot decide a provider's objection before it is escalated
    refused = decide(later, admin, oid, status=403, outcome="upheld", reasons="r")
    assert refused["code"] == "not_escalated"

    for key in (court, subject_key(ORG)):
        r = later.post("/api/v1/objections/escalations", headers=bearer(key))
        assert r.status_code == 403
    r = later.post("/api/v1/objections/escalations", headers=bearer(admin))
    assert r.status_code == 200, r.text
    assert r.json() == {"escalated": [oid]}
    assert later.post("/api/v1/objections/escalations", headers=bearer(admin)).json() == {
        "escalated": []
    }
    seen = later.get(f"/api/v1/objections/{oid}", headers=bearer(subject_key(ORG))).json()
    assert seen["escalated_at"] is not None
    assert [e["step"] for e in seen["events"]] == ["filed", "escalated"]
    assert seen["events"][1]["actor"] == "platform"

    listed = later.get("/api/v1/objections?overdue=true", headers=bearer(admin)).json()
    assert [o["id"] for o in listed["items"]] == [oid]
    listed = later.get("/api/v1/objections?escalated=true", headers=bearer(admin)).json()
    assert [o["id"] for o in listed["items"]] == [oid]
    assert (
        later.get("/api/v1/objections?overdue=false", headers=bearer(admin)).json()["items"] == []
    )
    # on the pinned Monday it was not overdue
    assert (
        monday.get("/api/v1/objections?overdue=true", headers=bearer(admin)).json()["items"] == []
    )

    decided = decide(later, admin, oid, outcome="upheld", reasons="Decided by the platform.")
    assert decided["late"] is True
    assert decided["events"][-1]["details"]["escalated"] is True
    assert decided["overdue"] is False
    with engine.connect() as conn:
        escalations = conn.execute(
            select(audit_log.c.actor).where(audit_log.c.action == "objection.escalated")
        ).all()
        assert [tuple(e) for e in escalations] == [("platform",)]


def test_the_cli_lists_and_escalates_overdue_objections(
    monday: TestClient,
    cli_db: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    _court, oid = _file_on_monday(monday, make_key, subject_key)

    listed = runner.invoke(cli, ["objections", "list", "--overdue", "--json"])
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert body["today"] == "2026-02-16"
    assert [(o["id"], o["overdue"]) for o in body["items"]] == [(oid, True)]
    assert (
        runner.invoke(cli, ["objections", "list", "--status", "decided", "--json"]).exit_code == 0
    )
    bad = runner.invoke(cli, ["objections", "list", "--status", "closed"])
    assert bad.exit_code == 1
    assert "invalid_status" in bad.output

    table = runner.invoke(cli, ["objections", "escalate"])
    assert table.exit_code == 0, table.output
    assert "1 objections escalated on 2026-02-16" in table.output
    again = runner.invoke(cli, ["objections", "escalate", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {"today": "2026-02-16", "escalated": []}
    listed = runner.invoke(cli, ["objections", "list", "--json"])
    [item] = json.loads(listed.stdout)["items"]
    assert item["escalated_at"] is not None
    plain = runner.invoke(cli, ["objections", "list"])
    assert plain.exit_code == 0
    assert "objections on 2026-02-16" in plain.output


def test_the_cli_escalates_with_json(
    monday: TestClient,
    cli_db: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    _court, oid = _file_on_monday(monday, make_key, subject_key)
    out = runner.invoke(cli, ["objections", "escalate", "--json"])
    assert out.exit_code == 0, out.output
    [item] = json.loads(out.stdout)["escalated"]
    assert (item["id"], item["decider"], item["due_on"]) == (oid, "court", "2026-02-14")
