"""Credit restoration end to end through the HTTP API, on the working-day calendar: a
serious-dishonesty listing restored (public view, list, check decision and grade all change
before the decision returns), and a rejection followed by a new application."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import uscc
from tests.restorations.conftest import OnDay
from tests.restorations.support import (
    DUE,
    PDF,
    THURSDAY,
    application,
    bearer,
    general_penalty,
    serious_dishonesty,
    submit,
)
from xinyong.audit.service import verify
from xinyong.auth.keys import Role
from xinyong.db.tables import audit_log, restoration_evidence

FLIGHTS = "restrict_flights_rail"
NAME = "厦门味来食品有限公司"


def _check(client: TestClient, key: str, code: str) -> str:
    r = client.post(
        "/api/v1/checks",
        json={"measure": FLIGHTS, "subjects": [code], "purpose": "ticket sale"},
        headers=bearer(key),
    )
    assert r.status_code == 200, r.text
    decision: str = r.json()["results"][0]["decision"]
    return decision


def test_an_approved_restoration_ends_the_record_everywhere_before_it_returns(
    on_day: OnDay,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    client = on_day(THURSDAY)
    market = make_key("market_regulation")
    code = uscc(7001)
    # decided 13 months ago (the serious tier's minimum is 12), notice served 20 days before:
    # on the list from the decision day on
    record_id = submit(
        client,
        market,
        serious_dishonesty(
            "SD1", code, NAME, decided_on="2025-01-10", notice_served_on="2024-12-20"
        ),
    )
    airline = consumer_key("civil_aviation", FLIGHTS)
    assert _check(client, airline, code) == "applies"
    assert client.get(f"/api/v1/entities/{code}/ratings/city_grade").json()["grade"] == "D"
    listed = client.get("/api/v1/lists/serious_dishonesty").json()
    assert [e["record_id"] for e in listed["entries"]] == [record_id]

    subject = bearer(subject_key(code))
    filed = client.post("/api/v1/restorations", json=application(record_id), headers=subject)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    rid = body["id"]
    assert body["status"] == "pending"
    assert body["filed_on"] == THURSDAY.isoformat()
    # 3 working days: Fri 13th, the adjusted working Saturday 14th, then Tue 24th after the
    # Spring Festival holiday
    assert body["due_on"] == DUE.isoformat() == "2026-02-24"
    assert body["working_days_left"] == 3
    assert body["overdue"] is False
    assert body["decider"] == "market_regulation"
    assert body["record"]["id"] == record_id
    assert body["record"]["applied_to_version"] == 1
    assert body["decision"] is None
    [file] = body["evidence"]
    assert file["n"] == 1
    assert file["filename"] == "receipt.pdf"
    assert file["media_type"] == "application/pdf"
    assert file["size"] == len(PDF)
    assert len(file["sha256"]) == 64

    # the provider sees it in its queue and downloads the evidence
    provider = bearer(market)
    queue = client.get("/api/v1/restorations", params={"status": "pending"}, headers=provider)
    assert [i["id"] for i in queue.json()["items"]] == [rid]
    download = client.get(f"/api/v1/restorations/{rid}/evidence/1", headers=provider)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "receipt.pdf" in download.headers["content-disposition"]
    assert (
        client.get(f"/api/v1/restorations/{rid}/evidence/2", headers=provider).json()["code"]
        == "evidence_not_found"
    )

    # the clock, read on other days: Friday has 2 working days left; Wednesday 25th overdue
    friday = on_day(THURSDAY + dt.timedelta(days=1)).get(
        f"/api/v1/restorations/{rid}", headers=subject
    )
    assert (friday.json()["working_days_left"], friday.json()["overdue"]) == (2, False)
    late = on_day(DUE + dt.timedelta(days=1)).get(f"/api/v1/restorations/{rid}", headers=subject)
    assert (late.json()["working_days_left"], late.json()["overdue"]) == (0, True)
    on_time = on_day(DUE).get(f"/api/v1/restorations/{rid}", headers=subject).json()
    assert (on_time["working_days_left"], on_time["overdue"]) == (0, False)

    # a second application for the same record waits for the first
    again = client.post("/api/v1/restorations", json=application(record_id), headers=subject)
    assert again.status_code == 409
    assert again.json()["code"] == "restoration_pending"
    assert again.json()["restoration_id"] == rid

    # the subject cannot decide its own application
    own = client.post(
        f"/api/v1/restorations/{rid}/decision", json={"decision": "approved"}, headers=subject
    )
    assert (own.status_code, own.json()["code"]) == (403, "not_the_decider")

    decided = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "approved", "reasons": "罚没款已缴清，整改到位"},
        headers=provider,
    )
    assert decided.status_code == 200, decided.text
    out = decided.json()
    assert out["status"] == "approved"
    assert out["decision"]["decision"] == "approved"
    assert out["decision"]["reasons"] == "罚没款已缴清，整改到位"
    assert out["record"]["end_reason"] == "restoration_approved"
    assert out["record"]["ended_on"] == "2026-02-11"  # in effect until yesterday
    assert out["record"]["version"] == 2
    assert out["working_days_left"] is None
    assert out["overdue"] is False

    # before the call returned: not shown, not listed, no sanction, a better grade
    page = client.get(f"/api/v1/entities/{code}").json()
    assert record_id not in [r["id"] for r in page["records"]]
    assert client.get(f"/api/v1/entities/{code}/lists").json()["entries"] == []
    assert client.get("/api/v1/lists/serious_dishonesty").json()["members"] == 0
    assert _check(client, airline, code) == "does_not_apply"
    rating = client.get(f"/api/v1/entities/{code}/ratings/city_grade").json()
    assert rating["grade"] == "AA"
    assert rating["explanation"] == []
    stored = client.get(f"/api/v1/entities/{code}/ratings").json()["ratings"]
    assert {r["scheme"]: (r["grade"], r["source"]) for r in stored}["city_grade"] == (
        "AA",
        "stored",
    )

    # decided once only
    twice = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "rejected", "reasons": "x"},
        headers=provider,
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "restoration_decided")

    # the audit log holds both steps, chained
    with engine.connect() as conn:
        actions = [
            (row.action, row.target)
            for row in conn.execute(
                select(audit_log.c.action, audit_log.c.target).where(
                    audit_log.c.action.like("restoration.%")
                )
            )
        ]
        assert actions == [("restoration.filed", rid), ("restoration.decided", rid)]
        assert verify(conn).ok
        stored_file = conn.execute(select(restoration_evidence.c.content)).scalar_one()
        assert stored_file == PDF


def test_a_rejection_keeps_the_record_and_a_new_application_can_follow(
    on_day: OnDay,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    client = on_day(THURSDAY)
    market = make_key("market_regulation")
    code = uscc(7002)
    record_id = submit(client, market, general_penalty("GP1", code, NAME))
    subject = bearer(subject_key(code))
    rid = client.post("/api/v1/restorations", json=application(record_id), headers=subject).json()[
        "id"
    ]
    provider = bearer(market)

    bare = client.post(
        f"/api/v1/restorations/{rid}/decision", json={"decision": "rejected"}, headers=provider
    )
    assert (bare.status_code, bare.json()["code"]) == (422, "reasons_required")
    blank = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "rejected", "reasons": "   "},
        headers=provider,
    )
    assert blank.json()["code"] == "reasons_required"

    rejected = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "rejected", "reasons": "罚款尚未缴纳，缴费凭证与决定书不符"},
        headers=provider,
    )
    assert rejected.status_code == 200, rejected.text
    out = rejected.json()
    assert out["status"] == "rejected"
    assert out["decision"]["reasons"] == "罚款尚未缴纳，缴费凭证与决定书不符"
    assert out["record"]["ended_on"] is None
    # the subject reads the reasons; the record is still public
    mine = client.get(f"/api/v1/restorations/{rid}", headers=subject).json()
    assert mine["decision"]["decision"] == "rejected"
    page = client.get(f"/api/v1/entities/{code}").json()
    assert record_id in [r["id"] for r in page["records"]]

    # a new application, decided by an administrator
    second = client.post("/api/v1/restorations", json=application(record_id), headers=subject)
    assert second.status_code == 201, second.text
    admin = bearer(make_key(role=Role.admin))
    approved = client.post(
        f"/api/v1/restorations/{second.json()['id']}/decision",
        json={"decision": "approved"},
        headers=admin,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"]["reasons"] is None
    assert approved.json()["decision"]["decided_by"].startswith("admin:")
    page = client.get(f"/api/v1/entities/{code}").json()
    assert record_id not in [r["id"] for r in page["records"]]
    history = client.get("/api/v1/restorations", headers=subject).json()["items"]
    assert [i["status"] for i in history] == ["rejected", "approved"]
