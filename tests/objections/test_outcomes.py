"""Each outcome of a decision through the API, on each kind of target: corrected (see
test_objection_flow), deleted (the record leaves the public page and the lists), upheld
with reasons, unconfirmed with the verification; listings, grades and restorations."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from tests.factories import ORG
from tests.objections.helpers import bearer, counts, court_judgment, decide, file, submit
from xinyong.auth.keys import Role
from xinyong.db.tables import audit_log, entities, restorations
from xinyong.rights.marks import marks_of


def _lists(client: TestClient) -> list[str]:
    r = client.get(f"/api/v1/entities/{ORG}/lists")
    assert r.status_code == 200, r.text
    return sorted(e["list"] for e in r.json()["entries"])


def test_deleted_withdraws_the_record_from_the_public_page_and_the_lists(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    page = monday.get(f"/api/v1/entities/{ORG}").json()
    assert [r["id"] for r in page["records"]] == [rid]
    assert _lists(monday) == ["judgment_defaulters"]

    oid = file(
        monday, subject_key(ORG), "listing:judgment_defaulters", grounds="listed_without_criteria"
    )["id"]
    before = counts(engine)
    decided = decide(
        monday, court, oid, outcome="deleted", reasons="Filed against the wrong company."
    )
    assert decided["outcome"] == "deleted"
    assert decided["corrected_version"] is None
    assert decided["events"][-1]["details"]["record_version"] == 2
    after = counts(engine)
    assert after["versions"] == before["versions"] + 1  # the withdrawing version

    page = monday.get(f"/api/v1/entities/{ORG}").json()
    assert page["records"] == []
    assert _lists(monday) == []
    history = monday.get(f"/api/v1/records/{rid}", headers=bearer(court)).json()
    assert len(history["versions"]) == 2  # nothing is erased: the withdrawal is a version
    with engine.connect() as conn:
        eid = conn.execute(select(entities.c.id).where(entities.c.code == ORG)).scalar_one()
        assert marks_of(conn, eid).listing_objections == {}
        ended = conn.execute(
            select(audit_log.c.target, audit_log.c.details).where(
                audit_log.c.action == "record.ended"
            )
        ).one()
        assert ended.target == rid
        assert json.loads(ended.details)["objection_id"] == oid


def test_upheld_needs_reasons_and_keeps_the_record(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    oid = file(monday, subject_key(ORG), rid)["id"]
    before = counts(engine)
    refused = decide(monday, court, oid, status=422, outcome="upheld", reasons="   ")
    assert refused["code"] == "reasons_required"
    assert counts(engine) == before
    decided = decide(monday, court, oid, outcome="upheld", reasons="The court's records agree.")
    assert decided["reasons"] == "The court's records agree."
    page = monday.get(f"/api/v1/entities/{ORG}").json()
    assert [r["id"] for r in page["records"]] == [rid]
    assert [r["version"] for r in page["records"]] == [1]


def test_unconfirmed_records_the_verification_and_the_objection(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    subject = subject_key(ORG)
    oid = file(monday, subject, rid)["id"]
    refused = decide(monday, court, oid, status=422, outcome="unconfirmed")
    assert refused["code"] == "verification_required"
    decided = decide(
        monday,
        court,
        oid,
        outcome="unconfirmed",
        verification="The payment receipt could not be matched with the bank's records.",
    )
    assert decided["outcome"] == "unconfirmed"
    assert decided["verification"].startswith("The payment receipt")
    # the subject still sees its objection beside the verification
    seen = monday.get(f"/api/v1/objections/{oid}", headers=bearer(subject)).json()
    assert seen["statement"].startswith("The debt was paid")
    assert seen["outcome"] == "unconfirmed"
    page = monday.get(f"/api/v1/entities/{ORG}").json()
    assert [r["id"] for r in page["records"]] == [rid]


def test_a_late_decision_is_allowed_and_recorded_as_late(
    on_day: Callable[[dt.date], TestClient],
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    monday = on_day(dt.date(2026, 2, 9))
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    oid = file(monday, subject_key(ORG), rid)["id"]
    later = on_day(dt.date(2026, 2, 24))
    decided = decide(later, court, oid, outcome="upheld", reasons="Checked after the holiday.")
    assert decided["late"] is True
    assert decided["events"][-1]["details"]["late"] is True
    assert decided["overdue"] is False  # decided: no longer overdue


def test_a_grade_is_decided_by_the_schemes_authority_without_a_record(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    submit(monday, make_key("court"), court_judgment("J1"))
    subject = subject_key(ORG)
    filed = file(monday, subject, "grade:city_grade", grounds="wrong_grade")
    oid = filed["id"]
    assert filed["decider"] == "development_reform"
    assert filed["scheme"] == "city_grade"
    assert filed["events"][0]["details"]["grade"] == "D"
    with engine.connect() as conn:
        eid = conn.execute(select(entities.c.id).where(entities.c.code == ORG)).scalar_one()
        assert marks_of(conn, eid).grade_objections == {"city_grade": [oid]}

    authority = make_key("development_reform")
    assert decide(monday, authority, oid, status=422, outcome="deleted", reasons="x")["code"] == (
        "outcome_not_applicable"
    )
    wrong = decide(
        monday,
        authority,
        oid,
        status=422,
        outcome="corrected",
        reasons="x",
        correction=court_judgment("J1"),
    )
    assert wrong["code"] == "correction_not_applicable"
    assert decide(monday, authority, oid, status=422, outcome="corrected")["code"] == (
        "reasons_required"
    )
    decided = decide(
        monday, authority, oid, outcome="corrected", reasons="The grade is recomputed."
    )
    assert decided["outcome"] == "corrected"
    assert decided["corrected_version"] is None


def test_a_listing_by_grade_and_a_restoration_are_decided_by_the_platform(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    subject = subject_key(ORG)
    admin = make_key(role=Role.admin)
    # the D city grade puts the company on the focus-attention list: no record decides that
    listing = file(monday, subject, "listing:focus_attention", grounds="listed_without_criteria")
    assert listing["decider"] == "platform"
    assert listing["record_id"] is None
    assert (
        monday.get(f"/api/v1/objections/{listing['id']}", headers=bearer(court)).status_code == 404
    )
    decide(monday, admin, listing["id"], outcome="upheld", reasons="The grade is D.")

    with engine.begin() as conn:
        eid = conn.execute(select(entities.c.id).where(entities.c.code == ORG)).scalar_one()
        now = dt.datetime.now(dt.UTC)
        for rest_id, decided_at in (("rs1", now), ("rs2", None)):
            conn.execute(
                insert(restorations).values(
                    id=rest_id,
                    record_id=rid,
                    record_version=1,
                    entity_id=eid,
                    decider="court",
                    commitment="I commit to keep my word.",
                    filed_by="subject#1",
                    filed_at=now,
                    filed_on=dt.date(2026, 2, 2),
                    due_on=dt.date(2026, 2, 5),
                    status="rejected" if decided_at else "pending",
                    reasons="Not yet eligible." if decided_at else None,
                    decided_at=decided_at,
                    decided_by="provider:court#1" if decided_at else None,
                )
            )
    pending = file(monday, subject, "restoration:rs2", grounds="restoration_result", status=409)
    assert pending["code"] == "restoration_not_decided"
    filed = file(monday, subject, "restoration:rs1", grounds="restoration_result")
    assert filed["decider"] == "platform"
    assert filed["restoration_id"] == "rs1"
    assert filed["events"][0]["details"]["restoration_status"] == "rejected"
    assert file(monday, subject, "restoration:rs9", status=404)["code"] == "target_not_found"
    refused = decide(monday, admin, filed["id"], status=422, outcome="deleted")
    assert refused["code"] == "outcome_not_applicable"
    decided = decide(
        monday, admin, filed["id"], outcome="corrected", reasons="The court re-decides it."
    )
    assert decided["outcome"] == "corrected"
