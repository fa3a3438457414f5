"""The rating API over real HTTP on SQLite and PostgreSQL: read-your-writes, explanations,
time travel, who may see a person's grade, schemes, and bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tests.factories import ORG, PERSON, judgment, penalty
from xinyong.auth.keys import Role
from xinyong.db.tables import ratings, record_versions
from xinyong.settings import DATA_DIR


def grades(client: TestClient, code: str, **params: str) -> dict[str, str]:
    body = client.get(f"/api/v1/entities/{code}/ratings", params=params).json()
    return {r["scheme"]: r["grade"] for r in body["ratings"]}


def test_a_new_record_re_rates_before_the_call_returns(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    market = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    court = {"Authorization": f"Bearer {make_key('court')}"}
    assert client.post("/api/v1/records", json=penalty("P1"), headers=market).status_code == 201
    assert grades(client, ORG)["city_grade"] == "A"  # 1000 - 30 - 10 (fine band)
    with engine.connect() as conn:
        stored = conn.execute(select(ratings.c.scheme, ratings.c.grade, ratings.c.engine)).all()
    assert ("city_grade", "A", "reference") in stored

    assert client.post("/api/v1/records", json=judgment("J1"), headers=court).status_code == 201
    body = client.get(f"/api/v1/entities/{ORG}/ratings").json()
    city = next(r for r in body["ratings"] if r["scheme"] == "city_grade")
    assert city == city | {"grade": "D", "source": "stored"}

    one = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade").json()
    assert Decimal(one["base"]) + sum(Decimal(e["points"]) for e in one["explanation"]) == Decimal(
        one["score"]
    )
    assert one["score"] == "760"
    rules = [e["rule"] for e in one["explanation"]]
    assert "judgment_default" in rules
    assert "override:judgment_default_lowest" in rules
    assert any(c["kind"] == "restoration" for c in one["next_changes"])


def test_time_travel_uses_what_was_known_then(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court = {"Authorization": f"Bearer {make_key('court')}"}
    rec = judgment("J1", decided_on=(dt.date.today() - dt.timedelta(days=40)).isoformat())
    assert client.post("/api/v1/records", json=rec, headers=court).status_code == 201
    # pretend the court's record arrived ten days ago
    with engine.begin() as conn:
        conn.execute(
            update(record_versions).values(
                received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
            )
        )
    past = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    before = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade", params={"as_of": past})
    assert before.json()["grade"] == "AA"  # decided then, but not yet known to the platform
    now = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade").json()
    assert now["grade"] == "D"


def test_stale_ratings_are_recomputed_for_the_read(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    market = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    client.post("/api/v1/records", json=penalty("P1"), headers=market)
    with engine.begin() as conn:
        conn.execute(update(ratings).values(stale=True, grade="C"))
    body = client.get(f"/api/v1/entities/{ORG}/ratings").json()
    city = next(r for r in body["ratings"] if r["scheme"] == "city_grade")
    assert city["grade"] == "A"
    assert city["source"] == "live"


def test_a_persons_grade_needs_an_authority_and_a_purpose(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = {"Authorization": f"Bearer {make_key('court')}"}
    rec = judgment("J1", code=PERSON, name="张三", kind="person")
    assert client.post("/api/v1/records", json=rec, headers=court).status_code == 201
    # anonymous: no grade by identity number, none by public id either
    assert client.get(f"/api/v1/entities/{PERSON}/ratings/city_grade").status_code == 404
    admin = {"Authorization": f"Bearer {make_key(role=Role.admin)}"}
    refused = client.get(f"/api/v1/entities/{PERSON}/ratings/city_grade", headers=admin)
    assert refused.status_code == 403
    assert refused.json()["code"] == "purpose_required"
    ok = client.get(
        f"/api/v1/entities/{PERSON}/ratings/city_grade",
        params={"purpose": "administrative licensing review"},
        headers=admin,
    )
    assert ok.status_code == 200
    assert ok.json()["grade"] == "D"
    assert PERSON not in ok.text  # the subject is shown by public id
    public_id = ok.json()["subject"]
    assert grades(client, public_id) == {}


def test_schemes_are_readable_by_anyone(client: TestClient) -> None:
    listed = client.get("/api/v1/schemes").json()
    assert {s["code"] for s in listed} == {"tax_credit", "city_grade", "environment_credit"}
    tax = client.get("/api/v1/schemes/tax_credit").json()
    assert tax["scheme"]["base"] == "100"
    assert any("forces grade D" in line for line in tax["criteria"])


def test_bad_input(client: TestClient) -> None:
    r = client.get("/api/v1/schemes/nope")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_scheme"
    r = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade")
    assert r.status_code == 404
    assert r.json()["code"] == "entity_not_found"
    r = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade", params={"as_of": "2026-13-01"})
    assert r.status_code in (400, 404)


def test_impact_of_a_scheme_change_for_administrators(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    market = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    assert client.post("/api/v1/records", json=penalty("P1"), headers=market).status_code == 201
    harsher = (DATA_DIR / "schemes" / "city_grade.yaml").read_text(encoding="utf-8")
    harsher = harsher.replace(
        "points: -30\n    category: penalties", "points: -130\n    category: penalties"
    )
    admin = {"Authorization": f"Bearer {make_key(role=Role.admin)}"}
    r = client.post("/api/v1/schemes/impact", json={"scheme": harsher}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["changed"] == 1
    assert body["matrix"]["A"]["B"] == 1
    assert body["svg"].startswith("<svg")
    assert client.post("/api/v1/schemes/impact", json={"scheme": harsher}).status_code == 401
    refused = client.post("/api/v1/schemes/impact", json={"scheme": harsher}, headers=market)
    assert refused.status_code == 403
    assert refused.json()["code"] == "admin_only"
    bad = client.post("/api/v1/schemes/impact", json={"scheme": "code: [x"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["code"] == "scheme_not_yaml"
    wrong = client.post(
        "/api/v1/schemes/impact",
        json={"scheme": harsher.replace("record_type: honour", "record_type: gossip")},
        headers=admin,
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "invalid_scheme"


def test_dates_beyond_what_engines_compute_are_refused(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = {"Authorization": f"Bearer {make_key('court')}"}
    client.post("/api/v1/records", json=judgment("J1"), headers=court)
    for day, code in (("9999-12-31", "as_of_in_future"), ("0001-01-01", "invalid_as_of")):
        r = client.get(f"/api/v1/entities/{ORG}/ratings/city_grade", params={"as_of": day})
        assert r.status_code == 400
        assert r.json()["code"] == code
