"""Lists in the API: escalation, publication rules, persons masked, incentives, and a
measure that no memorandum publishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import ORG, PERSON, days_ago, judgment, uscc
from xinyong.api.app import create_app
from xinyong.auth.keys import Role
from xinyong.catalogue.model import Catalogue
from xinyong.lists.loader import default_declaration
from xinyong.settings import Settings


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def abnormal(prid: str, code: str, decided_on: str) -> dict[str, Any]:
    return {
        "record_type": "abnormal_operation",
        "provider_record_id": prid,
        "subject": {"kind": "organisation", "code": code, "name": "厦门久异贸易有限公司"},
        "decided_on": decided_on,
        "legal_basis": "《企业信息公示暂行条例》第十七条",
        "document_number": f"厦市监异〔{prid}〕号",
        "fields": {"reason": "annual_report_missing", "authority_name": "厦门市市场监督管理局"},
    }


def tax_grade(prid: str, code: str, grade: str) -> dict[str, Any]:
    return {
        "record_type": "tax_credit_rating",
        "provider_record_id": prid,
        "subject": {"kind": "organisation", "code": code, "name": "厦门甲级纳税有限公司"},
        "decided_on": days_ago(20),
        "fields": {"grade": grade, "year": 2025},
    }


def check(client: TestClient, key: str, measure: str, *codes: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/checks",
        json={"measure": measure, "subjects": list(codes), "purpose": "inspection plan"},
        headers=bearer(key),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_abnormal_operations_become_serious_illegal(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    market = bearer(make_key("market_regulation"))
    old, recent = uscc(11), uscc(12)
    for prid, code, day in (("A1", old, days_ago(4 * 365)), ("A2", recent, days_ago(100))):
        r = client.post("/api/v1/records", json=abnormal(prid, code, day), headers=market)
        assert r.status_code == 201, r.text
    serious = client.get("/api/v1/lists/serious_illegal").json()
    assert [e["subject"]["code"] for e in serious["entries"]] == [old]
    abnormal_now = client.get("/api/v1/lists/abnormal_operations").json()
    assert [e["subject"]["code"] for e in abnormal_now["entries"]] == [recent]
    inspector = consumer_key("market_inspection", "increase_inspections")
    body = check(client, inspector, "increase_inspections", old, recent)
    assert [r["basis"][0]["list"] for r in body["results"]] == [
        "serious_illegal",
        "abnormal_operations",
    ]


def test_focus_attention_is_for_authorities_with_a_purpose(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    anonymous = client.get("/api/v1/lists/focus_attention")
    assert (anonymous.status_code, anonymous.json()["code"]) == (403, "purpose_required")
    admin = bearer(make_key(role=Role.admin))
    ok = client.get(
        "/api/v1/lists/focus_attention", params={"purpose": "supervision plan"}, headers=admin
    )
    assert ok.status_code == 200, ok.text
    assert client.get("/api/v1/lists/nope").json()["code"] == "unknown_list"
    bad = client.get("/api/v1/lists/judgment_defaulters", params={"as_of": "someday"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_as_of")
    future = client.get("/api/v1/lists/judgment_defaulters", params={"data_version": 99})
    assert future.json()["code"] == "invalid_data_version"


def test_persons_are_listed_by_public_id_with_the_number_masked(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = bearer(make_key("court"))
    person = judgment("P1", code=PERSON, name="李四", kind="person")
    assert client.post("/api/v1/records", json=person, headers=court).status_code == 201
    listed = client.get("/api/v1/lists/judgment_defaulters").json()
    [entry] = listed["entries"]
    assert entry["subject"]["masked_code"] == "3405**********001X"
    assert PERSON not in str(listed)
    mine = client.get(f"/api/v1/entities/{entry['subject']['code']}/lists").json()
    assert [e["list"] for e in mine["entries"]] == ["judgment_defaulters"]


def test_an_a_grade_taxpayer_gets_the_green_channel(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    tax = bearer(make_key("tax"))
    a, b = uscc(21), uscc(22)
    assert (
        client.post("/api/v1/records", json=tax_grade("T1", a, "A"), headers=tax).status_code == 201
    )
    assert (
        client.post("/api/v1/records", json=tax_grade("T2", b, "B"), headers=tax).status_code == 201
    )
    office = consumer_key("permits_office", "green_channel")
    body = check(client, office, "green_channel", a, b, ORG)
    assert [r["decision"] for r in body["results"]] == [
        "applies",
        "does_not_apply",
        "does_not_apply",
    ]
    assert body["kind"] == "incentive"
    assert body["results"][0]["basis"][0]["list"] == "red_taxpayers_a"


def test_a_measure_no_memorandum_publishes_cannot_be_applied(
    settings: Settings,
    engine: Engine,
    catalogue: Catalogue,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    shipped = default_declaration()
    unpublished = shipped.model_copy(
        update={
            "memoranda": tuple(
                m for m in shipped.memoranda if "restrict_flights_rail" not in m.measures
            )
        }
    )
    app = create_app(settings, engine=engine, catalogue=catalogue, declaration=unpublished)
    with TestClient(app) as client:
        court = bearer(make_key("court"))
        assert client.post("/api/v1/records", json=judgment("J1"), headers=court).status_code == 201
        r = client.post(
            "/api/v1/checks",
            json={"measure": "restrict_flights_rail", "subjects": [ORG], "purpose": "ticket"},
            headers=bearer(consumer_key("civil_aviation", "restrict_flights_rail")),
        )
        assert (r.status_code, r.json()["code"]) == (409, "measure_not_published")


def test_serious_dishonesty_is_listed_after_the_notice_period(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    env = bearer(make_key("ecology_environment"))
    early, waiting = uscc(31), uscc(32)
    for prid, code, served in (("S1", early, days_ago(40)), ("S2", waiting, days_ago(3))):
        record = {
            "record_type": "serious_dishonesty",
            "provider_record_id": prid,
            "subject": {"kind": "organisation", "code": code, "name": "厦门排污有限公司"},
            "decided_on": days_ago(40),
            "legal_basis": "《环境保护法》第六十三条",
            "document_number": f"厦环失信〔2026〕{prid}号",
            "fields": {
                "area": "public_health_safety",
                "list_name": "生态环境领域严重失信主体名单",
                "conduct": "篡改监测数据",
                "notice_served_on": served,
                "authority_name": "厦门市生态环境局",
            },
        }
        r = client.post("/api/v1/records", json=record, headers=env)
        assert r.status_code == 201, r.text
    listed = client.get("/api/v1/lists/serious_dishonesty").json()
    assert [e["subject"]["code"] for e in listed["entries"]] == [early]  # 10 days' notice
    [entry] = listed["entries"]
    assert entry["since"] == days_ago(30)


def test_a_correction_that_names_another_subject_moves_the_listing(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    """A court first named the wrong company, then corrected its record (same id, another
    code): the first company is no longer listed nor restricted, at once."""
    court = bearer(make_key("court"))
    wrong, right = uscc(21), uscc(22)
    first = client.post("/api/v1/records", json=judgment("J9", code=wrong), headers=court)
    assert first.status_code == 201, first.text
    listed = client.get("/api/v1/lists/judgment_defaulters").json()
    assert [e["subject"]["code"] for e in listed["entries"]] == [wrong]
    fixed = client.post("/api/v1/records", json=judgment("J9", code=right), headers=court)
    assert fixed.json()["status"] == "corrected", fixed.text
    listed = client.get("/api/v1/lists/judgment_defaulters").json()
    assert [e["subject"]["code"] for e in listed["entries"]] == [right]
    assert client.get(f"/api/v1/entities/{wrong}/lists").json()["entries"] == []
    airline = consumer_key("civil_aviation", "restrict_flights_rail")
    body = check(client, airline, "restrict_flights_rail", wrong, right)
    assert [r["decision"] for r in body["results"]] == ["does_not_apply", "applies"]
