"""The check API end to end: listing by a record, deciding, citing, ending, logging."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import ORG, PERSON, days_ago, judgment, uscc

FLIGHTS = "restrict_flights_rail"
CONSUMPTION = "restrict_high_consumption"
REPRESENTATIVE = "34052419800101001X"  # the company's legal representative, a person
REPRESENTATIVE_NAME = "张伟"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def check(
    client: TestClient, key: str, measure: str, *subjects: str, purpose: str = "ticket sale"
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/checks",
        json={
            "measure": measure,
            "subjects": list(subjects),
            "purpose": purpose,
            "reference": "order 42",
        },
        headers=bearer(key),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def honour(prid: str, code: str, name: str) -> dict[str, Any]:
    return {
        "record_type": "honour",
        "provider_record_id": prid,
        "subject": {"kind": "person", "code": code, "name": name},
        "decided_on": "2026-01-10",
        "legal_basis": "市政府表彰决定",
        "document_number": "厦府〔2026〕3号",
        "fields": {"honour_name": "见义勇为", "conferred_by": "厦门市人民政府"},
    }


def test_a_judgment_default_restricts_the_company_and_only_it(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    court = bearer(make_key("court"))
    rec = judgment("J1", legal_representative=REPRESENTATIVE_NAME)
    created = client.post("/api/v1/records", json=rec, headers=court)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    # the legal representative is a subject of the store too, with a record of his own
    civil = bearer(make_key("civil_affairs"))
    r = client.post(
        "/api/v1/records", json=honour("H1", REPRESENTATIVE, REPRESENTATIVE_NAME), headers=civil
    )
    assert r.status_code == 201, r.text

    airline = consumer_key("civil_aviation", FLIGHTS, CONSUMPTION)
    for measure in (FLIGHTS, CONSUMPTION):
        body = check(client, airline, measure, ORG, REPRESENTATIVE)
        company, person = body["results"]
        assert company["decision"] == "applies"
        assert company["measure"] == measure
        [basis] = company["basis"]
        assert basis["list"] == "judgment_defaulters"
        assert basis["record_id"] == record_id
        assert "失信被执行人" in basis["legal_basis"]
        assert basis["since"] == rec["decided_on"]
        assert basis["until"] is not None
        # never through the company's listing
        assert person == {
            "subject": REPRESENTATIVE,
            "decision": "does_not_apply",
            "measure": measure,
            "basis": [],
        }
        assert body["data_version"] >= 1
        assert body["check_id"].startswith("chk_")

    # the court ends the record (full performance): at once, nothing applies
    ended = client.post(
        f"/api/v1/records/{record_id}/end", json={"reason": "obligation_fulfilled"}, headers=court
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["data_version"] is not None
    after = check(client, airline, FLIGHTS, ORG)
    assert after["results"][0]["decision"] == "does_not_apply"
    assert after["data_version"] > body["data_version"]

    # the list as of yesterday still shows the entry; today it does not
    today = client.get("/api/v1/lists/judgment_defaulters").json()
    assert today["members"] == 0
    before = client.get(
        "/api/v1/lists/judgment_defaulters", params={"data_version": body["data_version"]}
    ).json()
    assert [e["record_id"] for e in before["entries"]] == [record_id]
    # what the platform knows now about the day of the decision (the latest data version;
    # as_of alone would show what it knew then: nothing, the record arrived today). The
    # public sees only what is still public today; an authority with a purpose sees all.
    history = client.get(
        f"/api/v1/entities/{ORG}/lists",
        params={
            "as_of": rec["decided_on"],
            "data_version": after["data_version"],
            "purpose": "reviewing a refusal",
        },
        headers=bearer(airline),
    )
    [past] = history.json()["entries"]  # on the list from its decision until yesterday
    assert past["until"] == days_ago(1)

    # every check is in the consumer's log, with who, purpose and data version
    log = client.get("/api/v1/checks/log", params={"format": "csv"}, headers=bearer(airline))
    assert log.status_code == 200
    rows = list(csv.DictReader(io.StringIO(log.text)))
    assert len(rows) == 5  # 2 measures x 2 subjects, then 1
    assert {r["consumer_code"] for r in rows} == {"civil_aviation"}
    assert {r["purpose"] for r in rows} == {"ticket sale"}
    assert rows[0]["basis"] == f"judgment_defaulters:{record_id}"
    lines = client.get("/api/v1/checks/log", headers=bearer(airline)).text.splitlines()
    assert [json.loads(x)["decision"] for x in lines][-1] == "does_not_apply"


def test_scope_publication_and_bad_input(
    client: TestClient, consumer_key: Callable[..., str], make_key: Callable[..., str]
) -> None:
    airline = consumer_key("civil_aviation", FLIGHTS)
    h = bearer(airline)
    base = {"measure": FLIGHTS, "subjects": [ORG], "purpose": "ticket"}
    assert client.post("/api/v1/checks", json=base).status_code == 401
    provider = client.post("/api/v1/checks", json=base, headers=bearer(make_key("court")))
    assert provider.json()["code"] == "not_a_consumer"
    out = client.post("/api/v1/checks", json={**base, "measure": "green_channel"}, headers=h)
    assert (out.status_code, out.json()["code"]) == (403, "measure_not_in_scope")
    unknown = client.post("/api/v1/checks", json={**base, "measure": "nope"}, headers=h)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_measure")
    for bad in ({**base, "subjects": []}, {**base, "purpose": ""}, {"measure": FLIGHTS}):
        r = client.post("/api/v1/checks", json=bad, headers=h)
        assert (r.status_code, r.json()["code"]) == (422, "invalid_request"), bad
    long = client.post("/api/v1/checks", json={**base, "subjects": ["X" * 40]}, headers=h)
    assert long.json()["code"] == "invalid_subject_code"
    odd = check(client, airline, FLIGHTS, "91350200776049653B", uscc(7), PERSON)
    assert [r["problem"] for r in odd["results"]] == [
        "invalid_identifier",
        "unknown_subject",
        "unknown_subject",
    ]
    assert {r["decision"] for r in odd["results"]} == {"does_not_apply"}


def test_feedback_and_statistics(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    court = bearer(make_key("court"))
    assert client.post("/api/v1/records", json=judgment("J1"), headers=court).status_code == 201
    airline = consumer_key("civil_aviation", FLIGHTS)
    other = consumer_key("railway", FLIGHTS)
    body = check(client, airline, FLIGHTS, ORG)
    url = f"/api/v1/checks/{body['check_id']}/feedback"
    fb = {"items": [{"subject": ORG, "action": "applied", "note": "ticket refused"}]}
    assert client.post(url, json=fb, headers=bearer(other)).status_code == 404
    r = client.post(url, json=fb, headers=bearer(airline))
    assert r.status_code == 201, r.text
    assert r.json() == {"check_id": body["check_id"], "stored": 1}
    stranger = {"items": [{"subject": uscc(3), "action": "applied"}]}
    bad = client.post(url, json=stranger, headers=bearer(airline))
    assert (bad.status_code, bad.json()["code"]) == (422, "subject_not_in_check")
    stats = client.get("/api/v1/checks/statistics", headers=bearer(airline)).json()
    [line] = stats["feedback"]
    assert line["measure"] == FLIGHTS
    assert line["kind"] == "sanction"
    assert line["action"] == "applied"
    assert line["count"] == 1
    assert stats["checks"][0]["applies"] == 1
    mine = client.get(f"/api/v1/checks/{body['check_id']}", headers=bearer(airline))
    assert mine.json()["results"][0]["decision"] == "applies"
    theirs = client.get(f"/api/v1/checks/{body['check_id']}", headers=bearer(other))
    assert theirs.status_code == 404
    assert client.get("/api/v1/checks/statistics", headers=bearer(other)).json()["feedback"] == []
    # every action fits its column, on PostgreSQL too (the longest has 17 characters)
    for action in ("not_applied", "exception_applied"):
        more = {"items": [{"subject": ORG, "action": action, "note": "at the counter"}]}
        assert client.post(url, json=more, headers=bearer(airline)).status_code == 201
