"""``as_of``: what the public entity page and a record's history showed on a past day.

Built from the stored versions: valid time (``decided_on``, ``publicity_until``,
``ended_on``) decides what is shown on a day, transaction time (``received_at``) what the
platform knew by the end of it. See docs/time-travel.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from tests.entities import TODAY, day, judgment, penalty, ric, submit, uscc
from tests.entities.history import (
    known_since,
    latest_revision,
    name_seen_on,
    noon,
    received_on,
    revision_on,
)
from xinyong.api.app import create_app
from xinyong.auth.keys import Role
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import (
    entities,
    hidden_records,
    objections,
    restorations,
    statements,
)
from xinyong.settings import Settings

OLD_NAME, NEW_NAME = "厦门旧时光贸易有限公司", "厦门新时光贸易有限公司"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


#: The full view of a past day is an authority's, with a purpose (the public sees only
#: records still public today: tests/expiry/test_never_served_after_end.py).
AUTHORITY: dict[str, str] = {}
PURPOSE = {"purpose": "reviewing a complaint about the page"}


@pytest.fixture(autouse=True)
def _an_authority(make_key: Callable[..., str]) -> None:
    AUTHORITY.clear()
    AUTHORITY.update(bearer(make_key(role=Role.admin)))


def page(client: TestClient, code: str, as_of: str | None = None) -> dict[str, Any]:
    params = {"as_of": as_of, **PURPOSE} if as_of is not None else {}
    r = client.get(f"/api/v1/entities/{code}", params=params, headers=AUTHORITY)
    assert r.status_code == 200, (as_of, r.text)
    body: dict[str, Any] = r.json()
    return body


def not_found(client: TestClient, code: str, as_of: str | None = None) -> None:
    params = {"as_of": as_of, **PURPOSE} if as_of is not None else {}
    r = client.get(f"/api/v1/entities/{code}", params=params, headers=AUTHORITY)
    assert r.status_code == 404, (as_of, r.text)
    assert r.json()["code"] == "entity_not_found"


def shown(client: TestClient, code: str, as_of: str | None = None) -> list[tuple[str, int]]:
    """(record id, version) of the records on the page."""
    return [(r["id"], r["version"]) for r in page(client, code, as_of)["records"]]


def history(
    client: TestClient, record_id: str, key: str, as_of: str | None = None
) -> dict[str, Any]:
    params = {"as_of": as_of} if as_of is not None else {}
    r = client.get(f"/api/v1/records/{record_id}", params=params, headers=bearer(key))
    assert r.status_code == 200, (as_of, r.text)
    body: dict[str, Any] = r.json()
    return body


def entity_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(entities.c.id).where(entities.c.code == code)).scalar_one())


# ---- transaction time with the real clock ------------------------------------------------


def test_what_arrived_today_is_not_shown_as_of_yesterday(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = make_key("court")
    code = uscc(201)
    # decided a month ago, but the platform receives it only now
    (a,) = submit(client, court, judgment("TT1", code, OLD_NAME, decided_on=day(-30)))
    assert shown(client, code) == [(a["id"], 1)]
    assert shown(client, code, day(0)) == [(a["id"], 1)]
    assert page(client, code, day(0))["as_of"] == day(0)
    # yesterday the platform had no such subject on file: its page did not exist
    not_found(client, code, day(-1))
    not_found(client, code, day(-30))
    # nor did the record's history
    r = client.get(f"/api/v1/records/{a['id']}", params={"as_of": day(-1)}, headers=bearer(court))
    assert r.status_code == 404
    assert r.json()["code"] == "record_not_found"
    assert history(client, a["id"], court, day(0))["current_version"] == 1


def test_a_record_received_today_about_a_known_subject(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    code = uscc(202)
    (old,) = submit(client, market, penalty("TT2", code, OLD_NAME, decided_on=day(-40)))
    received_on(engine, old["id"], 1, -40)
    known_since(engine, code, -40)
    # a later decision, under a new name, received today
    (new,) = submit(client, court, judgment("TT3", code, NEW_NAME, decided_on=day(-30)))
    # on each past day only the penalty was known, though the judgment was decided then;
    # and the subject went by its old name only
    for offset in (-40, -30, -1):
        body = page(client, code, day(offset))
        assert [(r["id"], r["version"]) for r in body["records"]] == [(old["id"], 1)]
        assert (body["name"], body["names"]) == (OLD_NAME, [OLD_NAME])
    not_found(client, code, day(-41))  # before the subject was on file
    body = page(client, code)
    assert [r["id"] for r in body["records"]] == [new["id"], old["id"]]
    assert (body["name"], body["names"]) == (NEW_NAME, [OLD_NAME, NEW_NAME])
    assert page(client, code, day(0))["names"] == [OLD_NAME, NEW_NAME]


# ---- a record's life: submitted, corrected, ended ----------------------------------------


@pytest.fixture
def corrected_and_ended(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> tuple[str, str, str, dict[str, Any]]:
    """A judgment decided 30 days ago: received 20 days ago, corrected (new name, partly
    performed) 10 days ago, ended 3 days ago (obligation fulfilled; last day in effect:
    4 days ago). Returns (code, record id, court key, the record as first sent)."""
    court = make_key("court")
    code = uscc(203)
    sent = judgment("TL1", code, OLD_NAME, decided_on=day(-30))
    (v1,) = submit(client, court, sent)
    corrected = {
        **sent,
        "subject": {**sent["subject"], "name": NEW_NAME},
        "fields": {**sent["fields"], "performance_status": "partly_performed"},
    }
    (v2,) = submit(client, court, corrected)
    assert v2 == {"id": v1["id"], "version": 2, "status": "corrected"}
    r = client.post(
        f"/api/v1/records/{v1['id']}/end",
        json={"reason": "obligation_fulfilled", "effective_on": day(-3)},
        headers=bearer(court),
    )
    assert r.status_code == 200, r.text
    assert r.json()["in_effect_until"] == day(-4)
    known_since(engine, code, -20)
    name_seen_on(engine, NEW_NAME, -10)
    for version, offset in ((1, -20), (2, -10), (3, -3)):
        received_on(engine, v1["id"], version, offset)
    return code, str(v1["id"]), court, sent


def test_each_day_shows_the_version_known_then(
    client: TestClient, corrected_and_ended: tuple[str, str, str, dict[str, Any]]
) -> None:
    code, rid, _, sent = corrected_and_ended
    # before the platform had it: no page
    not_found(client, code, day(-21))
    # received: the first version, under the first name
    for offset in (-20, -11):
        body = page(client, code, day(offset))
        assert body["as_of"] == day(offset)
        assert body["name"] == OLD_NAME
        assert body["names"] == [OLD_NAME]
        (record,) = body["records"]
        assert (record["id"], record["version"]) == (rid, 1)
        assert record["fields"]["performance_status"] == "unperformed"
        assert record["decided_on"] == sent["decided_on"]
    # corrected: the second version; its name joins the names (the current name follows
    # the latest decision, and a correction of the same decision does not rename)
    for offset in (-10, -4):
        body = page(client, code, day(offset))
        assert body["name"] == OLD_NAME
        assert body["names"] == [OLD_NAME, NEW_NAME]
        (record,) = body["records"]
        assert (record["id"], record["version"]) == (rid, 2)
        assert record["fields"]["performance_status"] == "partly_performed"
    # ended (known from day -3 on, last in effect on day -4): no longer shown
    for offset in (-3, -1, 0):
        body = page(client, code, day(offset))
        assert body["records"] == []
        assert body["name"] == OLD_NAME
    assert page(client, code)["records"] == []


def test_the_end_counts_only_from_when_it_was_known(
    client: TestClient,
    corrected_and_ended: tuple[str, str, str, dict[str, Any]],
    engine: Engine,
) -> None:
    code, rid, _, _ = corrected_and_ended
    # had the end arrived only today, the past days would still show the record
    received_on(engine, rid, 3, 0)
    assert shown(client, code, day(-3)) == [(rid, 2)]
    assert shown(client, code, day(-1)) == [(rid, 2)]
    assert shown(client, code) == []


def test_record_history_as_of(
    client: TestClient,
    corrected_and_ended: tuple[str, str, str, dict[str, Any]],
    make_key: Callable[..., str],
) -> None:
    code, rid, court, _ = corrected_and_ended
    r = client.get(f"/api/v1/records/{rid}", params={"as_of": day(-21)}, headers=bearer(court))
    assert r.status_code == 404
    assert r.json()["code"] == "record_not_found"
    expected = {-20: [1], -11: [1], -10: [1, 2], -4: [1, 2], -3: [1, 2, 3], 0: [1, 2, 3]}
    for offset, versions in expected.items():
        body = history(client, rid, court, day(offset))
        assert body["as_of"] == day(offset)
        assert [v["version"] for v in body["versions"]] == versions
        assert body["current_version"] == versions[-1]
        assert [v["current"] for v in body["versions"]] == [v == versions[-1] for v in versions]
        assert body["subject"] == {
            "kind": "organisation",
            "code": code,
            "name": OLD_NAME if versions == [1] else NEW_NAME,
        }
    admin = history(client, rid, make_key(role=Role.admin), day(-15))
    assert [v["version"] for v in admin["versions"]] == [1]
    full = history(client, rid, court)
    assert full["as_of"] is None
    assert [v["version"] for v in full["versions"]] == [1, 2, 3]
    # as of a day, still only for its provider and administrators
    other = client.get(
        f"/api/v1/records/{rid}", params={"as_of": day(-15)}, headers=bearer(make_key("tax"))
    )
    assert other.status_code == 403
    assert other.json()["code"] == "not_your_record"


# ---- publicity and persons ---------------------------------------------------------------


def test_shown_on_the_last_day_of_publicity_not_the_day_after(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court = make_key("court")
    code = uscc(204)
    (rec,) = submit(
        client,
        court,
        {**judgment("TP1", code, OLD_NAME, decided_on=day(-40)), "publicity_until": day(-10)},
    )
    received_on(engine, rec["id"], 1, -40)
    known_since(engine, code, -40)
    not_found(client, code, day(-41))
    assert shown(client, code, day(-40)) == [(rec["id"], 1)]
    assert shown(client, code, day(-10)) == [(rec["id"], 1)]
    assert shown(client, code, day(-9)) == []
    assert shown(client, code) == []


def test_a_person_is_visible_only_while_a_record_of_theirs_was_public(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    number = ric(205)
    (rec,) = submit(
        client,
        court,
        {
            **judgment("TP2", number, "陈时光", kind="person", decided_on=day(-40)),
            "publicity_until": day(-10),
        },
    )
    # a penalty on a person is never public: it does not make the person visible
    (hidden,) = submit(
        client, market, penalty("TP3", number, "陈时光", kind="person", decided_on=day(-20))
    )
    received_on(engine, rec["id"], 1, -40)
    received_on(engine, hidden["id"], 1, -20)
    known_since(engine, number, -40)
    with engine.connect() as conn:
        public_id = conn.execute(
            select(entities.c.public_id).where(entities.c.code == number)
        ).scalar_one()
    not_found(client, public_id, day(-41))
    body = page(client, public_id, day(-40))
    assert body["code"] == public_id
    assert body["display_code"] != number
    assert [r["id"] for r in body["records"]] == [rec["id"]]
    assert [r["id"] for r in page(client, public_id, day(-10))["records"]] == [rec["id"]]
    not_found(client, public_id, day(-9))
    not_found(client, public_id)
    # never by the identity number, on any day
    not_found(client, number, day(-20))

    # a new judgment, decided long ago but received only today: visible today, not before
    (late,) = submit(
        client, court, judgment("TP4", number, "陈时光", kind="person", decided_on=day(-60))
    )
    assert [r["id"] for r in page(client, public_id)["records"]] == [late["id"]]
    not_found(client, public_id, day(-1))
    assert [r["id"] for r in page(client, public_id, day(-10))["records"]] == [rec["id"]]


# ---- marks of the subjects' rights -------------------------------------------------------


@pytest.fixture
def marked(client: TestClient, make_key: Callable[..., str], engine: Engine) -> dict[str, Any]:
    """A company with a judgment and an honour (both received 20 days ago), and marks
    written straight into the tables as the objection, restoration and subject's-file
    endpoints would: an objection open from day -10 to day -5, another open since day -2,
    a restoration pending since day -8, a statement since day -7, one withdrawn on day -1,
    and the honour hidden by the subject on day -4."""
    court, civil = make_key("court"), make_key("civil_affairs")
    code = uscc(206)
    (j,) = submit(client, court, judgment("TM1", code, OLD_NAME, decided_on=day(-30)))
    (h,) = submit(
        client,
        civil,
        {
            "record_type": "honour",
            "provider_record_id": "TM2",
            "subject": {"kind": "organisation", "code": code, "name": OLD_NAME},
            "decided_on": day(-25),
            "legal_basis": "市政府表彰决定",
            "document_number": "厦府〔2026〕9号",
            "fields": {"honour_name": "守合同重信用企业", "conferred_by": "厦门市人民政府"},
        },
    )
    for rid in (j["id"], h["id"]):
        received_on(engine, rid, 1, -20)
    known_since(engine, code, -20)
    eid = entity_id(engine, code)

    def objection(oid: str, target_type: str, filed: int, decided: int | None) -> dict[str, Any]:
        return {
            "id": oid,
            "entity_id": eid,
            "target_type": target_type,
            "target": j["id"],
            "record_id": j["id"],
            "decider": "court",
            "grounds": "error",
            "statement": "款项已付清",
            "filed_by": f"subject:{code}",
            "filed_at": noon(filed),
            "filed_on": TODAY + dt.timedelta(days=filed),
            "due_on": TODAY + dt.timedelta(days=filed + 7),
            "status": "open" if decided is None else "decided",
            "outcome": None if decided is None else "upheld",
            "decided_at": None if decided is None else noon(decided),
        }

    with engine.begin() as conn:
        conn.execute(
            insert(objections),
            [objection("obj_a", "record", -10, -5), objection("obj_b", "publicity", -2, None)],
        )
        conn.execute(
            insert(restorations).values(
                id="rst_a",
                record_id=j["id"],
                record_version=1,
                entity_id=eid,
                decider="court",
                commitment="本公司承诺守信",
                filed_by=f"subject:{code}",
                filed_at=noon(-8),
                filed_on=TODAY - dt.timedelta(days=8),
                due_on=TODAY - dt.timedelta(days=3),
                status="pending",
            )
        )
        conn.execute(
            insert(statements),
            [
                {
                    "entity_id": eid,
                    "record_id": j["id"],
                    "text": "已全额履行",
                    "at": noon(-7),
                    "withdrawn_at": None,
                },
                {
                    "entity_id": eid,
                    "record_id": j["id"],
                    "text": "撤回的说明",
                    "at": noon(-6),
                    "withdrawn_at": noon(-1),
                },
            ],
        )
        conn.execute(
            insert(hidden_records).values(
                record_id=h["id"], entity_id=eid, hidden=True, at=noon(-4)
            )
        )
    return {"code": code, "judgment": j["id"], "honour": h["id"]}


def _record(body: dict[str, Any], record_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in body["records"] if r["id"] == record_id]
    assert len(found) == 1, record_id
    return found[0]


def _marks(body: dict[str, Any], record_id: str) -> tuple[list[str], str | None, list[str]]:
    r = _record(body, record_id)
    return r["under_objection"], r["restoration_pending"], [s["text"] for s in r["statements"]]


def test_marks_appear_and_disappear_with_their_dates(
    client: TestClient, marked: dict[str, Any]
) -> None:
    code, j, h = marked["code"], marked["judgment"], marked["honour"]
    expected = {
        -11: ([], None, []),
        -10: (["obj_a"], None, []),
        -8: (["obj_a"], "rst_a", []),
        -7: (["obj_a"], "rst_a", ["已全额履行"]),
        -6: (["obj_a"], "rst_a", ["已全额履行", "撤回的说明"]),
        -5: ([], "rst_a", ["已全额履行", "撤回的说明"]),  # decided at noon of day -5
        -2: (["obj_b"], "rst_a", ["已全额履行", "撤回的说明"]),
        -1: (["obj_b"], "rst_a", ["已全额履行"]),  # withdrawn on day -1
    }
    for offset, marks in expected.items():
        assert _marks(page(client, code, day(offset)), j) == marks, offset
    assert _marks(page(client, code), j) == (["obj_b"], "rst_a", ["已全额履行"])
    assert _marks(page(client, code, day(0)), j) == (["obj_b"], "rst_a", ["已全额履行"])
    statement = _record(page(client, code), j)["statements"][0]
    at = dt.datetime.fromisoformat(statement["at"].replace("Z", "+00:00"))
    assert at == noon(-7)
    # the honour: shown with no marks until the subject hid it on day -4
    assert _marks(page(client, code, day(-5)), h) == ([], None, [])
    for offset in (-4, -1):
        assert [r["id"] for r in page(client, code, day(offset))["records"]] == [j]
    assert [r["id"] for r in page(client, code)["records"]] == [j]


def test_a_person_whose_only_public_record_is_hidden_is_not_shown(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court = make_key("court")
    number = ric(207)
    (rec,) = submit(client, court, judgment("TM3", number, "林时光", kind="person"))
    eid = entity_id(engine, number)
    with engine.connect() as conn:
        public_id = conn.execute(
            select(entities.c.public_id).where(entities.c.id == eid)
        ).scalar_one()
    assert [r["id"] for r in page(client, public_id)["records"]] == [rec["id"]]
    with engine.begin() as conn:
        conn.execute(
            insert(hidden_records).values(
                record_id=rec["id"], entity_id=eid, hidden=True, at=dt.datetime.now(dt.UTC)
            )
        )
    not_found(client, public_id)


# ---- bad values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01", "2026-02-30", "2026-2-3", "20260203", "2026-W05-1",
     "1949-09-30", "2026-02-03T00:00", " ", "x" * 200, "２０２６-０１-０１"],
)  # fmt: skip
def test_an_invalid_as_of_is_400(
    client: TestClient, make_key: Callable[..., str], value: str
) -> None:
    code = uscc(208)
    (rec,) = submit(client, make_key("court"), judgment("TB1", code, OLD_NAME))
    r = client.get(f"/api/v1/entities/{code}", params={"as_of": value})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_as_of"
    h = client.get(
        f"/api/v1/records/{rec['id']}",
        params={"as_of": value},
        headers=bearer(make_key(role=Role.admin)),
    )
    assert h.status_code == 400
    assert h.json()["code"] == "invalid_as_of"
    # an empty as_of is no as_of: today
    assert client.get(f"/api/v1/entities/{code}", params={"as_of": ""}).status_code == 200


def test_a_day_after_today_is_400(client: TestClient, make_key: Callable[..., str]) -> None:
    code = uscc(209)
    (rec,) = submit(client, make_key("court"), judgment("TB2", code, OLD_NAME))
    for url, headers in (
        (f"/api/v1/entities/{code}", {}),
        (f"/api/v1/records/{rec['id']}", bearer(make_key(role=Role.admin))),
    ):
        r = client.get(url, params={"as_of": day(1)}, headers=headers)
        assert r.status_code == 400
        assert r.json()["code"] == "as_of_in_future"


def test_today_is_the_pinned_today(
    settings: Settings, engine: Engine, catalogue: Catalogue, make_key: Callable[..., str]
) -> None:
    pinned = TODAY - dt.timedelta(days=10)
    app = create_app(
        settings.model_copy(update={"today": pinned}), engine=engine, catalogue=catalogue
    )
    with TestClient(app) as client:
        code = uscc(210)
        submit(client, make_key("court"), judgment("TB3", code, OLD_NAME, decided_on=day(-30)))
        r = client.get(f"/api/v1/entities/{code}", params={"as_of": day(-9)})
        assert r.status_code == 400
        assert r.json()["code"] == "as_of_in_future"
        # the pinned today is "now": what has arrived so far
        assert page(client, code, pinned.isoformat())["as_of"] == pinned.isoformat()
        assert len(page(client, code, pinned.isoformat())["records"]) == 1


# ---- ratings and lists take as_of too (another part owns them) ---------------------------


@pytest.fixture
def listed_long_ago(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> dict[str, Any]:
    """A company on file since day -60; a judgment decided on day -30, received (and the
    company listed as a judgment defaulter) on day -20."""
    market, court = make_key("market_regulation"), make_key("court")
    code = uscc(211)
    (first,) = submit(client, market, penalty("TR0", code, OLD_NAME, decided_on=day(-60)))
    received_on(engine, first["id"], 1, -60)
    before = latest_revision(engine)
    (j,) = submit(client, court, judgment("TR1", code, OLD_NAME, decided_on=day(-30)))
    listing = latest_revision(engine)
    assert listing > before
    received_on(engine, j["id"], 1, -20)
    revision_on(engine, listing, -20)
    if before:
        revision_on(engine, before, -60)
    known_since(engine, code, -60)
    return {"code": code, "judgment": j["id"], "listing": listing, "before": before}


def test_a_rating_as_of_a_past_day_uses_the_records_known_then(
    client: TestClient, listed_long_ago: dict[str, Any]
) -> None:
    code, j = listed_long_ago["code"], listed_long_ago["judgment"]
    url = f"/api/v1/entities/{code}/ratings/city_grade"
    then = client.get(url, params={"as_of": day(-25)})
    after = client.get(url, params={"as_of": day(-15)})
    assert then.status_code == after.status_code == 200, (then.text, after.text)
    # on day -25 the judgment (decided on day -30) was not yet known: it does not count
    assert j not in {e["record_id"] for e in then.json()["explanation"]}
    assert j in {e["record_id"] for e in after.json()["explanation"]}
    assert float(after.json()["score"]) < float(then.json()["score"])
    bad = client.get(url, params={"as_of": "not-a-day"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_as_of"


def _members(client: TestClient, **params: Any) -> list[str | None]:
    r = client.get("/api/v1/lists/judgment_defaulters", params=params)
    assert r.status_code == 200, r.text
    return [e["record_id"] for e in r.json()["entries"]]


def test_a_list_as_of_a_past_day(client: TestClient, listed_long_ago: dict[str, Any]) -> None:
    j = listed_long_ago["judgment"]
    assert j in _members(client)
    assert j in _members(client, as_of=day(-15))
    assert j not in _members(client, as_of=day(-31))  # before the decision
    # with the data version of that day, what the platform knew then
    before = listed_long_ago["before"]
    assert j not in _members(client, as_of=day(-25), data_version=before)
    r = client.get(f"/api/v1/entities/{listed_long_ago['code']}/lists", params={"as_of": day(-15)})
    assert r.status_code == 200
    assert [e["record_id"] for e in r.json()["entries"]] == [j]


def test_a_list_as_of_a_past_day_shows_only_what_was_known_then(
    client: TestClient, listed_long_ago: dict[str, Any]
) -> None:
    assert listed_long_ago["judgment"] not in _members(client, as_of=day(-25))
