"""Every read evaluates expiry: a record whose publicity ends on day D is shown on D and, on
D + 1, by no public endpoint, although ``xinyong expire`` never ran.

Two organisations and a person, each with records whose publicity ends on D (and one that
ended the day before), read through the public API with "today" pinned to D and to D + 1.
D is the real today where the platform is, so that the records' transaction time (when they
were received) lies within D, as time travel (``as_of=D``) needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.expiry.conftest import OnDay
from tests.factories import judgment, penalty, ric, uscc
from tests.restorations.support import count, public_id, submit
from xinyong.db.tables import record_expiries
from xinyong.settings import Settings

D = dt.datetime.now(ZoneInfo(Settings().timezone)).date()
NEXT = D + dt.timedelta(days=1)
COMPANY, COMPANY_NAME = uscc(7401), "厦门期满公示有限公司"
EARLIER, EARLIER_NAME = uscc(7402), "厦门早已期满有限公司"
PERSON, PERSON_NAME = ric(7403), "欧阳期满"


def _ago(days: int) -> str:
    return (D - dt.timedelta(days=days)).isoformat()


def _until(record: dict[str, Any], day: dt.date) -> dict[str, Any]:
    return {**record, "publicity_until": day.isoformat()}


@pytest.fixture
def world(on_day: OnDay, engine: Engine, make_key: Callable[..., str]) -> dict[str, str]:
    """The records, submitted on D (their decisions lie before it)."""
    client = on_day(D)
    market, court = make_key("market_regulation"), make_key("court")
    ids = {
        "penalty": submit(
            client,
            market,
            _until(penalty("P1", COMPANY, COMPANY_NAME, severity="minor", decided_on=_ago(40)), D),
        ),
        "judgment": submit(
            client,
            court,
            _until(
                judgment("J1", COMPANY, COMPANY_NAME, decided_on=_ago(300), filing_date=_ago(330)),
                D,
            ),
        ),
        "person": submit(
            client,
            court,
            _until(
                judgment(
                    "J2",
                    PERSON,
                    PERSON_NAME,
                    kind="person",
                    decided_on=_ago(300),
                    filing_date=_ago(330),
                ),
                D,
            ),
        ),
        "earlier": submit(
            client,
            market,
            _until(
                penalty("P2", EARLIER, EARLIER_NAME, severity="minor", decided_on=_ago(40)),
                D - dt.timedelta(days=1),
            ),
        ),
    }
    ids["person_code"] = public_id(engine, PERSON)
    return ids


def _ok(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, (path, r.text)
    return r.json()


def _record_ids(client: TestClient, code: str, **params: Any) -> list[str]:
    return [r["id"] for r in _ok(client, f"/api/v1/entities/{code}", **params)["records"]]


def _found(client: TestClient, q: str) -> list[str]:
    return [i["code"] for i in _ok(client, "/api/v1/entities", q=q)["items"]]


def _listed(client: TestClient, **params: Any) -> list[str]:
    page = _ok(client, "/api/v1/lists/judgment_defaulters", **params)
    return [e["record_id"] for e in page["entries"]]


def _explained(client: TestClient, code: str, **params: Any) -> tuple[str, set[str]]:
    body = _ok(client, f"/api/v1/entities/{code}/ratings/city_grade", **params)
    return body["grade"], {e["record_id"] for e in body["explanation"] if e["record_id"]}


def test_shown_on_the_last_day_and_gone_the_next(
    world: dict[str, str], on_day: OnDay, engine: Engine
) -> None:
    last = on_day(D)
    company = [world["penalty"], world["judgment"]]
    assert sorted(_record_ids(last, COMPANY)) == sorted(company)
    assert _record_ids(last, EARLIER) == []  # its publicity ended the day before
    assert _found(last, PERSON_NAME) == [world["person_code"]]
    assert _record_ids(last, world["person_code"]) == [world["person"]]
    assert sorted(_listed(last)) == sorted([world["judgment"], world["person"]])
    entries = _ok(last, f"/api/v1/entities/{COMPANY}/lists")["entries"]
    assert [e["record_id"] for e in entries] == [world["judgment"]]
    assert entries[0]["until"] == D.isoformat()
    grade, explained = _explained(last, COMPANY)
    assert (grade, explained) == ("D", set(company))

    after = on_day(NEXT)
    assert _record_ids(after, COMPANY) == []
    assert _found(after, PERSON_NAME) == []
    assert _found(after, PERSON) == []  # nor by the identity number
    gone = after.get(f"/api/v1/entities/{world['person_code']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "entity_not_found")
    assert _listed(after) == []
    assert _ok(after, "/api/v1/lists/judgment_defaulters")["members"] == 0
    assert _ok(after, f"/api/v1/entities/{COMPANY}/lists")["entries"] == []
    person_lists = after.get(f"/api/v1/entities/{world['person_code']}/lists")
    assert person_lists.status_code == 404 or person_lists.json()["entries"] == []
    # a public explanation lists every record that counts and the rule it fired: none now
    assert _explained(after, COMPANY) == ("AA", set())
    current = _ok(after, f"/api/v1/entities/{COMPANY}/ratings")["ratings"]
    assert {r["scheme"]: r["grade"] for r in current}["city_grade"] == "AA"

    # all of it without the daily job
    assert count(engine, record_expiries) == 0


PAST_DAY_CASES = ["entity", "person", "lists", "entity_lists", "rating"]


@pytest.mark.parametrize("endpoint", PAST_DAY_CASES)
def test_a_past_day_does_not_bring_an_expired_record_back_to_the_public(
    world: dict[str, str], on_day: OnDay, endpoint: str
) -> None:
    """``as_of=D`` asked on D + 1 by the public: the record's publicity is over, so time
    travel must not serve it again (authorities may look back with a stated purpose)."""
    after = on_day(NEXT)
    past = {"as_of": D.isoformat()}
    if endpoint == "entity":
        assert _record_ids(after, COMPANY, **past) == []
    elif endpoint == "person":
        r = after.get(f"/api/v1/entities/{world['person_code']}", params=past)
        assert r.status_code == 404
    elif endpoint == "lists":
        assert _listed(after, **past) == []
    elif endpoint == "entity_lists":
        assert _ok(after, f"/api/v1/entities/{COMPANY}/lists", **past)["entries"] == []
    else:
        assert _explained(after, COMPANY, **past)[1] == set()


@pytest.mark.parametrize(
    ("measure", "via"),
    [
        ("restrict_flights_rail", "judgment_defaulters"),
        pytest.param(
            "increase_inspections",
            "focus_attention",
        ),
    ],
)
def test_check_decisions_follow_expiry_without_the_job(
    world: dict[str, str],
    on_day: OnDay,
    consumer_key: Callable[..., str],
    measure: str,
    via: str,
) -> None:
    """Checks are not public, but a sanction must not rest on an expired record either."""
    key = {"Authorization": f"Bearer {consumer_key('permits_office', measure)}"}

    def decide(client: TestClient) -> dict[str, Any]:
        r = client.post(
            "/api/v1/checks",
            json={"measure": measure, "subjects": [COMPANY], "purpose": "permit"},
            headers=key,
        )
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()["results"][0]
        return result

    last = decide(on_day(D))
    assert last["decision"] == "applies"
    assert [b["list"] for b in last["basis"]] == [via]
    assert decide(on_day(NEXT))["decision"] == "does_not_apply"
