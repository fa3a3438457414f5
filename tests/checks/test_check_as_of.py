"""``POST /checks`` with ``as_of``: the decision the platform would have given on a past
day, from the list entries (the data version in force at the end of that day) and the
grades it knew then; logged with that day and that data version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.entities import day, judgment, penalty, submit, uscc
from tests.entities.history import known_since, latest_revision, received_on, revision_on

FLIGHTS = "restrict_flights_rail"
GREEN = "green_channel"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post_check(
    client: TestClient, key: str, measure: str, *subjects: str, as_of: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"measure": measure, "subjects": list(subjects), "purpose": "audit"}
    if as_of is not None:
        body["as_of"] = as_of
    r = client.post("/api/v1/checks", json=body, headers=bearer(key))
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def decisions(answer: dict[str, Any]) -> list[str]:
    return [r["decision"] for r in answer["results"]]


def test_received_today_does_not_apply_as_of_yesterday(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    code = uscc(301)
    (j,) = submit(client, make_key("court"), judgment("CA1", code, decided_on=day(-30)))
    airline = consumer_key("civil_aviation", FLIGHTS)

    now = post_check(client, airline, FLIGHTS, code)
    assert decisions(now) == ["applies"]
    assert "as_of" not in now  # a check of today says nothing more

    today = post_check(client, airline, FLIGHTS, code, as_of=day(0))
    assert (today["on"], today["as_of"]) == (day(0), day(0))
    assert decisions(today) == ["applies"]
    assert today["results"][0]["basis"][0]["record_id"] == j["id"]
    assert today["data_version"] == now["data_version"]

    # yesterday the platform had neither the judgment nor the company on file
    past = post_check(client, airline, FLIGHTS, code, as_of=day(-1))
    assert (past["on"], past["as_of"]) == (day(-1), day(-1))
    assert decisions(past) == ["does_not_apply"]
    assert past["results"][0]["basis"] == []
    assert past["results"][0]["problem"] == "unknown_subject"
    assert past["data_version"] == 0  # no list revision existed then

    # logged as decided: that day, that data version
    logged = client.get(f"/api/v1/checks/{past['check_id']}", headers=bearer(airline)).json()
    assert (logged["on_date"], logged["data_version"]) == (day(-1), 0)
    assert [r["decision"] for r in logged["results"]] == ["does_not_apply"]
    logged = client.get(f"/api/v1/checks/{today['check_id']}", headers=bearer(airline)).json()
    assert (logged["on_date"], logged["data_version"]) == (day(0), now["data_version"])
    assert [r["decision"] for r in logged["results"]] == ["applies"]


@pytest.fixture
def listed(client: TestClient, make_key: Callable[..., str], engine: Engine) -> dict[str, Any]:
    """A company on file since day -60; a judgment decided on day -30 was received, and the
    company listed as a judgment defaulter, on day -20."""
    code = uscc(302)
    (p,) = submit(client, make_key("market_regulation"), penalty("CA2", code, decided_on=day(-60)))
    received_on(engine, p["id"], 1, -60)
    known_since(engine, code, -60)
    before = latest_revision(engine)
    (j,) = submit(client, make_key("court"), judgment("CA3", code, decided_on=day(-30)))
    listing = latest_revision(engine)
    assert listing > before
    received_on(engine, j["id"], 1, -20)
    revision_on(engine, listing, -20)
    if before:
        revision_on(engine, before, -60)
    return {"code": code, "judgment": j["id"], "listing": listing, "before": before}


def test_a_listing_applies_from_the_day_it_was_known(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    listed: dict[str, Any],
) -> None:
    code, j = listed["code"], listed["judgment"]
    airline = consumer_key("civil_aviation", FLIGHTS)
    # decided on day -30, but known only from day -20: on day -25 the answer was "no"
    for offset in (-50, -25, -21):
        past = post_check(client, airline, FLIGHTS, code, as_of=day(offset))
        assert decisions(past) == ["does_not_apply"], offset
        assert past["results"][0].get("problem") is None  # a known subject, not listed
        assert past["data_version"] == listed["before"]
    for offset in (-20, -1):
        past = post_check(client, airline, FLIGHTS, code, as_of=day(offset))
        assert decisions(past) == ["applies"], offset
        [basis] = past["results"][0]["basis"]
        assert (basis["list"], basis["record_id"], basis["since"]) == (
            "judgment_defaulters",
            j,
            day(-30),
        )
        assert past["data_version"] == listed["listing"]

    # the debt is paid today: from today on it no longer applies; the past stays as it was
    r = client.post(
        f"/api/v1/records/{j}/end",
        json={"reason": "obligation_fulfilled"},
        headers=bearer(make_key("court")),
    )
    assert r.status_code == 200, r.text
    assert decisions(post_check(client, airline, FLIGHTS, code)) == ["does_not_apply"]
    assert decisions(post_check(client, airline, FLIGHTS, code, as_of=day(0))) == ["does_not_apply"]
    yesterday = post_check(client, airline, FLIGHTS, code, as_of=day(-1))
    assert decisions(yesterday) == ["applies"]
    assert yesterday["data_version"] == listed["listing"]


def test_many_subjects_as_of_a_day(
    client: TestClient, consumer_key: Callable[..., str], listed: dict[str, Any]
) -> None:
    airline = consumer_key("civil_aviation", FLIGHTS)
    codes = [listed["code"], uscc(399), "not-a-code", *[uscc(400 + i) for i in range(25)]]
    past = post_check(client, airline, FLIGHTS, *codes, as_of=day(-10))
    assert [r["subject"] for r in past["results"]] == [c.upper() for c in codes]
    assert decisions(past) == ["applies"] + ["does_not_apply"] * (len(codes) - 1)
    assert past["results"][2]["problem"] == "invalid_identifier"
    assert past["results"][1]["problem"] == "unknown_subject"


def test_a_grade_counts_as_of_the_day_it_was_known(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    engine: Engine,
) -> None:
    """The green channel follows a city grade of AAA: a national honour (+30) lifts a
    company from the base grade (AA) to AAA."""
    code = uscc(303)
    (h,) = submit(
        client,
        make_key("development_reform"),
        {
            "record_type": "honour",
            "provider_record_id": "CA4",
            "subject": {"kind": "organisation", "code": code, "name": "厦门守信示范有限公司"},
            "decided_on": day(-20),
            "legal_basis": "国务院表彰决定",
            "document_number": "国发〔2026〕1号",
            "fields": {
                "honour_name": "全国守信示范企业",
                "conferred_by": "国务院",
                "level": "national",
            },
        },
    )
    received_on(engine, h["id"], 1, -20)
    known_since(engine, code, -40)
    office = consumer_key("permits_office", GREEN)
    now = post_check(client, office, GREEN, code)
    assert decisions(now) == ["applies"]
    assert [(b["scheme"], b["grade"]) for b in now["results"][0]["basis"]] == [
        ("city_grade", "AAA")
    ]
    before = post_check(client, office, GREEN, code, as_of=day(-25))
    assert decisions(before) == ["does_not_apply"]
    assert before["results"][0].get("problem") is None
    after = post_check(client, office, GREEN, code, as_of=day(-15))
    assert decisions(after) == ["applies"]
    [basis] = after["results"][0]["basis"]
    assert (basis["scheme"], basis["grade"], basis["since"]) == ("city_grade", "AAA", day(-15))
    # known on day -20, but decided that day too: on day -20 it already counts
    assert decisions(post_check(client, office, GREEN, code, as_of=day(-20))) == ["applies"]


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-02-30", "2026-2-3", "20260203", "2026-W05-1", "1949-09-30",
     "2026-02-03T00:00", " ", "x" * 100],
)  # fmt: skip
def test_an_invalid_as_of_is_400(
    client: TestClient, consumer_key: Callable[..., str], value: str
) -> None:
    airline = consumer_key("civil_aviation", FLIGHTS)
    r = client.post(
        "/api/v1/checks",
        json={"measure": FLIGHTS, "subjects": [uscc(304)], "purpose": "x", "as_of": value},
        headers=bearer(airline),
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_as_of"


def test_a_day_after_today_is_400_and_nothing_is_logged(
    client: TestClient, consumer_key: Callable[..., str]
) -> None:
    airline = consumer_key("civil_aviation", FLIGHTS)
    r = client.post(
        "/api/v1/checks",
        json={"measure": FLIGHTS, "subjects": [uscc(305)], "purpose": "x", "as_of": day(1)},
        headers=bearer(airline),
    )
    assert r.status_code == 400
    assert r.json()["code"] == "as_of_in_future"
    log = client.get("/api/v1/checks/log", headers=bearer(airline))
    assert log.status_code == 200
    assert log.text == ""
    # a number is not a day: the body's schema refuses it
    r = client.post(
        "/api/v1/checks",
        json={"measure": FLIGHTS, "subjects": [uscc(305)], "purpose": "x", "as_of": 20260101},
        headers=bearer(airline),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_request"
