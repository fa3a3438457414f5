"""The subject's whole file (GET /me/file) and what other subjects cannot see of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PERSON, judgment, penalty, ric, uscc
from tests.me.records import PERSON_NAME, bearer, submit, volunteer
from xinyong.auth.keys import Role

MASKED = "3405**********001X"


def my_file(client: TestClient, token: str) -> dict[str, Any]:
    r = client.get("/api/v1/me/file", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    return body


def test_the_file_holds_every_record_with_every_version_unmasked(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    market = make_key("market_regulation")
    first = penalty("P1", PERSON, PERSON_NAME, kind="person", remarks=f"当事人{PERSON}")
    fine = submit(client, market, first)
    corrected = penalty(
        "P1", PERSON, PERSON_NAME, kind="person", remarks=f"当事人{PERSON}", fine_amount=2.0
    )
    assert (
        client.post("/api/v1/records", json=corrected, headers=bearer(market)).json()["status"]
        == "corrected"
    )
    court = make_key("court")
    defaulted = submit(client, court, judgment("J1", PERSON, PERSON_NAME, kind="person"))
    ended = client.post(
        f"/api/v1/records/{defaulted}/end",
        json={"reason": "obligation_fulfilled"},
        headers=bearer(court),
    )
    assert ended.status_code == 200, ended.text
    volunteering = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))

    body = my_file(client, subject_key(PERSON))
    assert body["format"] == "xinyong.subject-file/1"
    assert body["subject"]["code"] == PERSON
    assert body["subject"]["name"] == PERSON_NAME
    records = {r["id"]: r for r in body["records"]}
    assert set(records) == {fine, defaulted, volunteering}

    p = records[fine]
    # a person's administrative penalty is for the subject and authorities only
    assert (p["record_type"], p["disclosure"]) == ("admin_penalty", "subject_and_agencies")
    assert p["in_force_today"] is True
    assert p["public_today"] is False
    assert p["may_hide"] is False
    assert p["current_version"] == 2
    assert [v["version"] for v in p["versions"]] == [1, 2]
    assert [v["current"] for v in p["versions"]] == [False, True]
    assert [v["fields"]["fine_amount"] for v in p["versions"]] == [1.5, 2.0]
    assert p["versions"][0]["fields"]["remarks"] == f"当事人{PERSON}"  # unmasked for the subject
    assert p["publicity_until"] is not None

    j = records[defaulted]
    assert j["disclosure"] == "public"
    assert j["end_reason"] == "obligation_fulfilled"
    assert j["ended_on"] is not None
    assert j["in_force_today"] is False
    assert j["public_today"] is False
    assert [v["end_reason"] for v in j["versions"]] == [None, "obligation_fulfilled"]

    v = records[volunteering]
    assert (v["disclosure"], v["may_hide"], v["hidden"]) == ("subject_and_agencies", True, False)

    city = next(r for r in body["ratings"] if r["scheme"] == "city_grade")
    assert city["public"] is False  # a person's grade
    assert city["under_objection"] == []
    listed = [e for e in body["lists"] if e["list"] == "judgment_defaulters"]
    assert listed
    assert listed[0]["record_id"] == defaulted
    assert listed[0]["state"] == "past"  # the judgment ended
    for part in ("objections", "restorations", "statements", "hidden_records", "access_log"):
        assert body[part] == [], part
    assert body["access_log_retention_years"] == 10


def test_an_organisation_sees_its_current_grade_and_listing(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    org = uscc(7)
    record = submit(client, make_key("court"), judgment("J1", org))
    body = my_file(client, subject_key(org))
    assert body["subject"]["code"] == org
    [r] = body["records"]
    assert (r["id"], r["public_today"], r["in_force_today"]) == (record, True, True)
    grades = {g["scheme"]: g for g in body["ratings"]}
    assert grades["city_grade"]["grade"] == "D"
    assert grades["city_grade"]["public"] is True
    assert grades["tax_credit"]["public"] is False  # subject and authorities only
    [entry] = [e for e in body["lists"] if e["list"] == "judgment_defaulters"]
    assert (entry["state"], entry["record_id"], entry["published"]) == ("current", record, True)


def test_a_subject_cannot_read_another_subjects_file(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    market = make_key("market_regulation")
    theirs = submit(client, market, penalty("P1", PERSON, PERSON_NAME, kind="person"))
    hideable = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))
    me_code = ric(5)
    submit(client, market, penalty("P2", me_code, "李四", kind="person"))
    mine = subject_key(me_code)
    theirs_public_id = client.get("/api/v1/me", headers=bearer(subject_key(PERSON))).json()[
        "public_id"
    ]

    me = client.get("/api/v1/me", headers=bearer(mine))
    assert me.json()["code"] == me_code
    file = client.get("/api/v1/me/file", headers=bearer(mine))
    assert theirs not in file.text
    assert hideable not in file.text
    assert PERSON not in file.text
    assert PERSON_NAME not in file.text
    log = client.get("/api/v1/me/access-log", headers=bearer(mine))
    assert log.status_code == 200
    assert PERSON not in log.text
    for record_id in (theirs, hideable):
        r = client.put(
            f"/api/v1/me/records/{record_id}/hidden", json={"hidden": True}, headers=bearer(mine)
        )
        assert (r.status_code, r.json()["code"]) == (404, "unknown_record")
    for code in (PERSON, theirs_public_id):
        authority_view = client.get(
            f"/api/v1/entities/{code}/file", params={"purpose": "curious"}, headers=bearer(mine)
        )
        assert (authority_view.status_code, authority_view.json()["code"]) == (
            403,
            "not_an_authority",
        )
    # nor the other's grade, even by public id, even with a purpose
    grade = client.get(
        f"/api/v1/entities/{theirs_public_id}/ratings/city_grade",
        params={"purpose": "curious"},
        headers=bearer(mine),
    )
    # (a person not on the public record is not found at all by anyone but authorities)
    assert (grade.status_code, grade.json()["code"]) in (
        (403, "purpose_required"),
        (404, "entity_not_found"),
    )
    by_number = client.get(f"/api/v1/entities/{PERSON}/ratings/city_grade", headers=bearer(mine))
    assert by_number.status_code == 404


def test_identity_numbers_are_masked_for_everyone_but_the_subject(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    submit(
        client,
        make_key("market_regulation"),
        penalty("P1", PERSON, PERSON_NAME, kind="person", remarks=f"当事人身份证号{PERSON}"),
    )
    submit(client, make_key("court"), judgment("J1", PERSON, PERSON_NAME, kind="person"))
    admin = bearer(make_key(role=Role.admin))
    why = {"purpose": "licensing review", "legal_basis": "《行政许可法》第五十六条"}
    public_id = client.get("/api/v1/me", headers=bearer(subject_key(PERSON))).json()["public_id"]
    answers = [
        client.get(f"/api/v1/entities/{PERSON}/file", params=why, headers=admin),
        client.get(f"/api/v1/entities/{PERSON}/ratings", params=why, headers=admin),
        client.get(f"/api/v1/entities/{PERSON}/ratings/city_grade", params=why, headers=admin),
        client.get(f"/api/v1/entities/{PERSON}/lists", params=why, headers=admin),
        client.get("/api/v1/lists/judgment_defaulters", params=why, headers=admin),
        client.get(f"/api/v1/entities/{public_id}", headers=admin),
        client.get(f"/api/v1/entities/{public_id}/ratings/city_grade", params=why, headers=admin),
    ]
    for r in answers:
        assert r.status_code == 200, (r.url, r.text)
        assert PERSON not in r.text, r.url
    authority_file = answers[0].json()
    assert authority_file["subject"]["display_code"] == MASKED
    [fine] = [r for r in authority_file["records"] if r["record_type"] == "admin_penalty"]
    assert fine["fields"]["remarks"] == f"当事人身份证号{MASKED}"
    # the subject, and only the subject, sees the number
    mine = client.get("/api/v1/me/file", headers=bearer(subject_key(PERSON)))
    assert PERSON in mine.text
