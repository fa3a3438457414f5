"""An objection end to end through the HTTP API, with today pinned: filed on Monday
2026-02-09, due on the working Saturday 2026-02-14; before the Spring Festival; extended to
20 working days; decided by correcting the record; marked at once, unmarked when decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import ORG, uscc
from tests.objections.helpers import bearer, court_judgment, decide, file, submit
from xinyong.audit import service as audit
from xinyong.auth.keys import Role
from xinyong.db.tables import audit_log, entities
from xinyong.rights.marks import marks_of


def _entity_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(entities.c.id).where(entities.c.code == code)).scalar_one())


def test_an_objection_is_filed_marked_extended_corrected_and_unmarked(
    monday: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court = make_key("court")
    rid = submit(monday, court, court_judgment("J1"))
    subject = subject_key(ORG)

    filed = file(monday, subject, rid)
    oid = filed["id"]
    assert oid.startswith("o")
    assert filed["status"] == "open"
    assert filed["target_type"] == "record"
    assert filed["record_id"] == rid
    assert filed["decider"] == "court"
    assert filed["filed_on"] == "2026-02-09"
    # five working days after Monday 9 February: Saturday the 14th, worked before the holiday
    assert filed["due_on"] == "2026-02-14"
    assert dt.date.fromisoformat(filed["due_on"]).weekday() == 5
    assert filed["working_days_left"] == 5
    assert filed["overdue"] is False
    assert [e["step"] for e in filed["events"]] == ["filed"]
    assert filed["events"][0]["details"]["due_on"] == "2026-02-14"

    # marked "under objection" at once
    eid = _entity_id(engine, ORG)
    with engine.connect() as conn:
        assert marks_of(conn, eid).under_objection(rid) == [oid]

    # the subject, the deciding court and an administrator see every step
    admin = make_key(role=Role.admin)
    for key in (subject, court, admin):
        seen = monday.get(f"/api/v1/objections/{oid}", headers=bearer(key))
        assert seen.status_code == 200, seen.text
        assert seen.json()["statement"] == filed["statement"]

    # the court extends once: 20 working days from filing, across the Spring Festival
    r = monday.post(
        f"/api/v1/objections/{oid}/extension",
        json={"reasons": "The enforcement file is held by the appeal court."},
        headers=bearer(court),
    )
    assert r.status_code == 200, r.text
    extended = r.json()
    assert extended["due_on"] == "2026-03-13"
    assert extended["extension"]["reasons"].startswith("The enforcement file")
    assert extended["working_days_left"] == 20
    assert extended["events"][-1]["details"] == {
        "from": "2026-02-14",
        "due_on": "2026-03-13",
        "reasons": "The enforcement file is held by the appeal court.",
    }

    # the subject adds a statement while it is open
    r = monday.post(
        f"/api/v1/objections/{oid}/statement",
        json={"text": "Payment receipt no. 2025-12-18-001."},
        headers=bearer(subject),
    )
    assert r.status_code == 201, r.text
    assert [s["record_id"] for s in r.json()["statements"]] == [rid]

    # the court corrects the record: a new version
    correction = court_judgment("J1", performance_status="partly_performed")
    decided = decide(
        monday, court, oid, outcome="corrected", reasons="Part was paid.", correction=correction
    )
    assert decided["status"] == "decided"
    assert decided["outcome"] == "corrected"
    assert decided["corrected_version"] == 2
    assert decided["late"] is False
    assert decided["working_days_left"] is None
    assert [e["step"] for e in decided["events"]] == ["filed", "extended", "statement", "decided"]
    history = monday.get(f"/api/v1/records/{rid}", headers=bearer(court)).json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][-1]["fields"]["performance_status"] == "partly_performed"

    # no longer under objection; the statement stays beside the record
    with engine.connect() as conn:
        marks = marks_of(conn, eid)
        assert marks.under_objection(rid) == []
        assert [s.objection_id for s in marks.statements[rid]] == [oid]
        # and as of before the decision it was
        then = dt.datetime.fromisoformat(filed["filed_at"])
        assert marks_of(conn, eid, at=then).under_objection(rid) == [oid]
    r = monday.post(
        f"/api/v1/objections/{oid}/statement",
        json={"text": "I accept the correction."},
        headers=bearer(subject),
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["statements"]) == 2

    # every step is audited, and the chain holds
    with engine.connect() as conn:
        actions = list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.target == oid)
                .order_by(audit_log.c.seq)
            ).scalars()
        )
        assert actions == [
            "objection.filed",
            "objection.extended",
            "statement.added",
            "objection.decided",
            "statement.added",
        ]
        assert audit.verify(conn).ok


def test_filing_before_the_spring_festival_is_due_after_it(
    on_day: Callable[[dt.date], TestClient],
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    thursday = on_day(dt.date(2026, 2, 12))
    rid = submit(thursday, make_key("court"), court_judgment("J2"))
    filed = file(thursday, subject_key(ORG), f"publicity:{rid}", grounds="past_publicity_period")
    assert filed["target_type"] == "publicity"
    # Friday 13th, Saturday 14th (worked), the holiday 15th-23rd, then 24th, 25th, 26th
    assert filed["due_on"] == "2026-02-26"
    assert filed["working_days_left"] == 5


def test_the_subject_lists_its_own_and_the_provider_those_it_decides(
    monday: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    consumer_key: Callable[..., str],
) -> None:
    court = make_key("court")
    first = submit(monday, court, court_judgment("J3"))
    second = submit(monday, court, court_judgment("J4"))
    subject = subject_key(ORG)
    a = file(monday, subject, first)["id"]
    b = file(monday, subject, f"record:{second}")["id"]
    decide(monday, court, b, outcome="upheld", reasons="The judgment stands.")

    def ids(key: str, query: str = "") -> list[str]:
        r = monday.get(f"/api/v1/objections{query}", headers=bearer(key))
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert ids(subject) == [a, b]
    assert ids(subject, "?status=open") == [a]
    assert ids(subject, "?status=decided") == [b]
    assert ids(court) == [a, b]
    assert ids(make_key(role=Role.admin), "?limit=1") == [a]
    page = monday.get(
        "/api/v1/objections?limit=1", headers=bearer(make_key(role=Role.admin))
    ).json()
    assert page["next_after"] == a
    assert ids(court, f"?after={a}") == [b]
    assert ids(make_key("tax")) == []
    assert ids(subject_key(uscc(99))) == []  # a subject without a file
    for key in (
        consumer_key("civil_aviation", "restrict_flights_rail"),
        make_key(role=Role.auditor),
    ):
        r = monday.get("/api/v1/objections", headers=bearer(key))
        assert r.status_code == 403
        assert r.json()["code"] == "not_a_party"
    assert monday.get("/api/v1/objections").status_code == 401
