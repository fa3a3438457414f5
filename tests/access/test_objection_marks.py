"""A listing or a grade under an open objection says so wherever it is shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, update

from tests.factories import penalty, uscc
from tests.me.records import bearer, submit
from xinyong.auth.keys import Role
from xinyong.db.engine import writing
from xinyong.db.tables import entities, objections
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings


def object_to(engine: Engine, code: str, oid: str, **target: str) -> None:
    now = utcnow()
    with writing(engine) as conn:
        entity_id = conn.execute(select(entities.c.id).where(entities.c.code == code)).scalar_one()
        conn.execute(
            insert(objections).values(
                id=oid,
                entity_id=entity_id,
                target_type="listing" if "list_code" in target else "grade",
                target=next(iter(target.values())),
                decider="platform",
                grounds="listed_without_criteria",
                statement="I was listed by mistake.",
                filed_by="subject#1",
                filed_at=now,
                filed_on=now.date(),
                due_on=now.date() + dt.timedelta(days=7),
                status="open",
                **target,
            )
        )


def test_open_objections_are_shown_on_lists_and_grades(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    org, clean = uscc(41), uscc(42)
    market = make_key("market_regulation")
    submit(client, market, penalty("P1", org, severity="serious"))
    submit(client, market, penalty("P2", clean, severity="serious"))
    object_to(engine, org, "obj_listing", list_code="focus_attention")
    object_to(engine, org, "obj_grade", scheme="city_grade")
    admin = bearer(make_key(role=Role.admin))
    why = {"purpose": "supervision plan"}

    def marks() -> dict[str, Any]:
        page = client.get("/api/v1/lists/focus_attention", params=why, headers=admin).json()
        mine = client.get(f"/api/v1/entities/{org}/lists", params=why, headers=admin).json()
        grades = client.get(f"/api/v1/entities/{org}/ratings").json()["ratings"]
        grade = client.get(f"/api/v1/entities/{org}/ratings/city_grade").json()
        return {
            "page": {e["subject"]["code"]: e["under_objection"] for e in page["entries"]},
            "entity": {e["list"]: e["under_objection"] for e in mine["entries"]},
            "grades": {g["scheme"]: g["under_objection"] for g in grades},
            "grade": grade["under_objection"],
        }

    found = marks()
    assert found["page"] == {org: ["obj_listing"], clean: []}
    assert found["entity"]["focus_attention"] == ["obj_listing"]
    assert found["grades"]["city_grade"] == ["obj_grade"]
    assert found["grades"]["environment_credit"] == []
    assert found["grade"] == ["obj_grade"]
    # the day before the objections were filed, nothing was under objection
    yesterday = (today_in(Settings()) - dt.timedelta(days=1)).isoformat()  # the platform's
    past = client.get(
        f"/api/v1/entities/{org}/ratings/city_grade", params={"as_of": yesterday}
    ).json()
    assert past["under_objection"] == []

    with writing(engine) as conn:
        conn.execute(
            update(objections).values(status="decided", outcome="upheld", decided_at=utcnow())
        )
    found = marks()
    assert found["page"] == {org: [], clean: []}
    assert found["entity"]["focus_attention"] == []
    assert found["grades"]["city_grade"] == []
    assert found["grade"] == []
