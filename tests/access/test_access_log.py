"""The access log ("data tracker"): an authority's reads of non-public data, with their
purpose, appear in the subject's GET /me/access-log; reads without a purpose are refused
and not logged; public reads and the subject's own reads are not logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from tests.factories import PERSON, judgment, penalty, uscc
from tests.me.records import PERSON_NAME, bearer, submit
from xinyong.access import service as access
from xinyong.auth.keys import Role
from xinyong.db.engine import writing
from xinyong.db.tables import access_log, entities
from xinyong.db.types import utcnow

COMPANY = "厦门鑫达贸易有限公司"
BASIS = "《浙江省公共信用信息管理条例》第二十条"


def log_of(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/me/access-log", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def logged(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(access_log)).scalar_one())


def serious_penalty(prid: str, code: str) -> dict[str, Any]:
    """A serious administrative penalty: the company goes on the focus-attention list."""
    return penalty(prid, code, COMPANY, severity="serious")


def test_an_authoritys_reads_with_a_purpose_appear_in_the_subjects_access_log(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    org = uscc(11)
    fine = submit(client, make_key("market_regulation"), serious_penalty("P1", org))
    tax = bearer(make_key("tax"))
    market = bearer(make_key("market_regulation"))
    admin = bearer(make_key(role=Role.admin))

    # (1) the authorities' view of the file, with a purpose and a legal basis
    file = client.get(
        f"/api/v1/entities/{org}/file",
        params={"purpose": "tax inspection plan", "legal_basis": BASIS},
        headers=tax,
    )
    assert file.status_code == 200, file.text
    assert [r["id"] for r in file.json()["records"]] == [fine]
    # (2) a grade that is not public (tax credit: subject and authorities only)
    grade = client.get(
        f"/api/v1/entities/{org}/ratings/tax_credit",
        params={"purpose": "licence renewal"},
        headers=market,
    )
    assert grade.status_code == 200, grade.text
    # (3) the focus-attention list, which is not published
    listed = client.get(
        "/api/v1/lists/focus_attention", params={"purpose": "supervision plan"}, headers=admin
    )
    assert listed.status_code == 200, listed.text
    assert [e["subject"]["code"] for e in listed.json()["entries"]] == [org]
    # (4) a check at the point of service
    check = client.post(
        "/api/v1/checks",
        json={"measure": "restrict_flights_rail", "subjects": [org], "purpose": "ticket sale"},
        headers=bearer(consumer_key("civil_aviation", "restrict_flights_rail")),
    )
    assert check.status_code == 200, check.text

    token = subject_key(org)
    body = log_of(client, token)
    assert body["retention_years"] == 10
    assert body["next"] is None
    seen = [
        (e["source"], e["reader"], e["reader_role"], e["what"], e["purpose"])
        for e in body["entries"]
    ]
    assert seen == [  # newest first
        ("check", "civil_aviation", "consumer", "check:restrict_flights_rail", "ticket sale"),
        ("read", "admin", "admin", "list:focus_attention", "supervision plan"),
        ("read", "market_regulation", "provider", "rating:tax_credit", "licence renewal"),
        ("read", "tax", "provider", "file", "tax inspection plan"),
    ]
    checked, _, rated, filed = body["entries"]
    assert filed["legal_basis"] == BASIS
    assert filed["record_ids"] == [fine]
    assert rated["legal_basis"] is None
    assert checked["decision"] == "does_not_apply"
    assert checked["legal_basis"]  # the measure's
    times = [dt.datetime.fromisoformat(e["at"]) for e in body["entries"]]
    assert times == sorted(times, reverse=True)

    # page by page, the same entries, each once
    pages, after = [], None
    while True:
        page = log_of(client, token, limit=1, **({"after": after} if after else {}))
        pages += page["entries"]
        after = page["next"]
        if after is None:
            break
    assert [e["id"] for e in pages] == [e["id"] for e in body["entries"]]
    bad = client.get("/api/v1/me/access-log", params={"after": "nope"}, headers=bearer(token))
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")

    # the whole file carries the log too
    mine = client.get("/api/v1/me/file", headers=bearer(token)).json()
    assert [e["id"] for e in mine["access_log"]] == [e["id"] for e in body["entries"]]


def test_a_persons_grade_read_by_an_authority_is_logged(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    submit(client, make_key("court"), judgment("J1", PERSON, PERSON_NAME, kind="person"))
    consumer = bearer(make_key(role=Role.admin))
    r = client.get(
        f"/api/v1/entities/{PERSON}/ratings",
        params={"purpose": "permit review", "legal_basis": BASIS},
        headers=consumer,
    )
    assert r.status_code == 200, r.text
    assert [g["scheme"] for g in r.json()["ratings"]] == ["city_grade"]
    [entry] = log_of(client, subject_key(PERSON))["entries"]
    assert (entry["what"], entry["purpose"], entry["legal_basis"]) == (
        "rating:city_grade",
        "permit review",
        BASIS,
    )


def test_reads_without_a_purpose_are_refused_and_not_logged(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    org = uscc(12)
    submit(client, make_key("market_regulation"), serious_penalty("P1", org))
    tax = bearer(make_key("tax"))
    for params in ({}, {"purpose": "   "}):
        r = client.get(f"/api/v1/entities/{org}/file", params=params, headers=tax)
        assert (r.status_code, r.json()["code"]) == (422, "purpose_required")
        rating = client.get(
            f"/api/v1/entities/{org}/ratings/tax_credit", params=params, headers=tax
        )
        assert (rating.status_code, rating.json()["code"]) == (403, "purpose_required")
        focus = client.get("/api/v1/lists/focus_attention", params=params, headers=tax)
        assert (focus.status_code, focus.json()["code"]) == (403, "purpose_required")
    assert logged(engine) == 0

    # public reads are not logged, even by an authority stating a purpose
    why = {"purpose": "curiosity"}
    assert client.get(f"/api/v1/entities/{org}", headers=tax).status_code == 200
    public = client.get(f"/api/v1/entities/{org}/ratings/city_grade", params=why, headers=tax)
    assert public.status_code == 200
    assert (
        client.get("/api/v1/lists/judgment_defaulters", params=why, headers=tax).status_code == 200
    )
    # nor are the subject's own reads
    token = subject_key(org)
    own = client.get(f"/api/v1/entities/{org}/ratings/tax_credit", headers=bearer(token))
    assert own.status_code == 200, own.text
    assert client.get("/api/v1/me/file", headers=bearer(token)).status_code == 200
    assert logged(engine) == 0
    assert log_of(client, token)["entries"] == []
    # an unknown subject is not found, and nothing is logged
    unknown = client.get(f"/api/v1/entities/{uscc(13)}/file", params=why, headers=tax)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "entity_not_found")
    assert logged(engine) == 0


def test_a_list_page_logs_each_subject_shown_in_one_go(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    market = make_key("market_regulation")
    first, second = uscc(21), uscc(22)
    submit(client, market, serious_penalty("P1", first))
    submit(client, market, serious_penalty("P2", second))
    admin = bearer(make_key(role=Role.admin))
    page = client.get(
        "/api/v1/lists/focus_attention",
        params={"purpose": "spot checks", "legal_basis": BASIS, "limit": 1},
        headers=admin,
    ).json()
    [shown] = [e["subject"]["code"] for e in page["entries"]]
    other = second if shown == first else first
    assert [e["what"] for e in log_of(client, subject_key(shown))["entries"]] == [
        "list:focus_attention"
    ]
    assert log_of(client, subject_key(other))["entries"] == []  # not on the page

    everyone = client.get(
        "/api/v1/lists/focus_attention", params={"purpose": "spot checks"}, headers=admin
    )
    assert len(everyone.json()["entries"]) == 2
    assert logged(engine) == 3
    # a subject's own entries, read by an authority, name the unpublished lists
    entries = client.get(
        f"/api/v1/entities/{other}/lists", params={"purpose": "permit review"}, headers=admin
    )
    assert "focus_attention" in [e["list"] for e in entries.json()["entries"]]
    newest = log_of(client, subject_key(other))["entries"][0]
    assert (newest["what"], newest["purpose"]) == ("lists:focus_attention", "permit review")
    assert len(newest["record_ids"]) == 1


def test_entries_older_than_the_retention_period_are_not_shown_and_are_purged(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    org = uscc(31)
    submit(client, make_key("court"), judgment("J1", org))
    now = utcnow()
    with writing(engine) as conn:
        entity_id = conn.execute(select(entities.c.id).where(entities.c.code == org)).scalar_one()
        conn.execute(
            insert(access_log),
            [
                {
                    "at": at,
                    "entity_id": entity_id,
                    "reader_role": "provider",
                    "reader": "tax",
                    "purpose": purpose,
                    "what": "file",
                }
                for at, purpose in (
                    (now - dt.timedelta(days=365 * 10 + 5), "long ago"),
                    (now - dt.timedelta(days=365 * 9), "within ten years"),
                )
            ],
        )
    token = subject_key(org)
    assert [e["purpose"] for e in log_of(client, token)["entries"]] == ["within ten years"]
    with writing(engine) as conn:
        assert access.purge(conn, 10) == 1
    assert logged(engine) == 1
    assert [e["purpose"] for e in log_of(client, token)["entries"]] == ["within ten years"]
