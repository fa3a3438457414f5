"""What is refused, with its code, and leaves nothing behind: bad input, other subjects'
items, callers who are not party to an objection, double decisions and extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import ORG, uscc
from tests.objections.helpers import bearer, counts, court_judgment, decide, file, submit
from xinyong.auth.keys import Role

OTHER = uscc(7)


@pytest.fixture
def setup(
    monday: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> dict[str, str]:
    court = make_key("court")
    mine = submit(monday, court, court_judgment("J1"))
    theirs = submit(monday, court, court_judgment("J2", OTHER, "厦门另一家公司"))
    return {
        "court": court,
        "mine": mine,
        "theirs": theirs,
        "subject": subject_key(ORG),
        "other": subject_key(OTHER),
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"grounds": "bad_luck"}, 422, "unknown_grounds"),
        ({"grounds": None}, 422, "unknown_grounds"),
        ({"statement": ""}, 422, "statement_required"),
        ({"statement": "   \n "}, 422, "statement_required"),
        ({"statement": "x" * 5001}, 422, "statement_too_long"),
        ({"statement": "nul \x00 byte"}, 422, "invalid_text"),
        ({"target": ""}, 422, "invalid_target"),
        ({"target": "r123"}, 422, "invalid_target"),
        ({"target": "rABCDEF0123456789ABCD"}, 422, "invalid_target"),
        ({"target": "judgment:r0123456789abcdef0123"}, 422, "invalid_target"),
        ({"target": "listing:Not A List"}, 422, "invalid_target"),
        ({"target": "grade:"}, 422, "invalid_target"),
        ({"target": "x" * 300}, 422, "invalid_target"),
        ({"target": "r0123456789abcdef0123"}, 404, "target_not_found"),
        ({"target": "listing:serious_dishonesty"}, 404, "target_not_found"),
        ({"target": "listing:no_such_list"}, 404, "target_not_found"),
        ({"target": "grade:no_such_scheme"}, 404, "target_not_found"),
        ({"target": "grade:tax_credit", "extra": 1}, 422, "invalid_request"),
    ],
)
def test_bad_filings_are_refused_with_their_code_and_write_nothing(
    monday: TestClient,
    engine: Engine,
    setup: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = counts(engine)
    sent = {
        "target": setup["mine"],
        "grounds": "error_or_omission",
        "statement": "It is wrong.",
        **body,
    }
    r = monday.post("/api/v1/objections", json=sent, headers=bearer(setup["subject"]))
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert counts(engine) == before


def test_another_subjects_items_are_never_revealed(
    monday: TestClient, engine: Engine, setup: dict[str, str], make_key: Callable[..., str]
) -> None:
    before = counts(engine)
    for target in (setup["theirs"], f"publicity:{setup['theirs']}", f"record:{setup['theirs']}"):
        refused = file(monday, setup["subject"], target, status=404)
        assert refused["code"] == "target_not_found"
    assert counts(engine) == before

    oid = file(monday, setup["subject"], setup["mine"])["id"]
    tax = make_key("tax")
    consumer_key = make_key(role=Role.consumer)
    for key in (setup["other"], tax, consumer_key, make_key(role=Role.auditor)):
        r = monday.get(f"/api/v1/objections/{oid}", headers=bearer(key))
        assert (r.status_code, r.json()["code"]) == (404, "objection_not_found")
    assert monday.get(f"/api/v1/objections/{oid}").status_code == 401
    r = monday.get("/api/v1/objections/o-nothing-here", headers=bearer(setup["subject"]))
    assert r.json()["code"] == "objection_not_found"
    # the other subject's list holds nothing of this one
    r = monday.get("/api/v1/objections", headers=bearer(setup["other"]))
    assert r.json()["items"] == []
    r = monday.get(f"/api/v1/objections?after={oid}", headers=bearer(setup["other"]))
    assert (r.status_code, r.json()["code"]) == (422, "invalid_after")


def test_only_a_subject_files_and_only_the_decider_decides(
    monday: TestClient,
    engine: Engine,
    setup: dict[str, str],
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    sent = {"target": setup["mine"], "grounds": "error_or_omission", "statement": "Wrong."}
    for key in (consumer_key("civil_aviation", "restrict_flights_rail"), setup["court"]):
        r = monday.post("/api/v1/objections", json=sent, headers=bearer(key))
        assert (r.status_code, r.json()["code"]) == (403, "not_a_subject")
    oid = file(monday, setup["subject"], setup["mine"])["id"]
    before = counts(engine)
    tax = make_key("tax")
    for path in ("decision", "extension"):
        body = {"outcome": "upheld", "reasons": "r"} if path == "decision" else {"reasons": "r"}
        r = monday.post(f"/api/v1/objections/{oid}/{path}", json=body, headers=bearer(tax))
        assert (r.status_code, r.json()["code"]) == (404, "objection_not_found")
        r = monday.post(
            f"/api/v1/objections/{oid}/{path}", json=body, headers=bearer(setup["subject"])
        )
        assert (r.status_code, r.json()["code"]) == (403, "not_the_decider")
    admin = make_key(role=Role.admin)
    r = monday.post(
        f"/api/v1/objections/{oid}/extension", json={"reasons": "r"}, headers=bearer(admin)
    )
    assert (r.status_code, r.json()["code"]) == (403, "not_the_decider")
    assert decide(monday, admin, oid, status=403, outcome="upheld", reasons="r")["code"] == (
        "not_escalated"
    )
    r = monday.post(
        f"/api/v1/objections/{oid}/statement", json={"text": "hi"}, headers=bearer(setup["court"])
    )
    assert (r.status_code, r.json()["code"]) == (403, "not_the_subject")
    assert counts(engine) == before


def test_a_second_objection_a_second_extension_and_a_second_decision_conflict(
    monday: TestClient, engine: Engine, setup: dict[str, str]
) -> None:
    court, subject = setup["court"], setup["subject"]
    oid = file(monday, subject, setup["mine"])["id"]
    again = file(monday, subject, f"record:{setup['mine']}", status=409)
    assert again["code"] == "objection_already_open"
    assert again["objection_id"] == oid
    # the publicity period is another target
    other = file(monday, subject, f"publicity:{setup['mine']}")["id"]

    def extend(reasons: str | None) -> Any:
        return monday.post(
            f"/api/v1/objections/{oid}/extension",
            json={} if reasons is None else {"reasons": reasons},
            headers=bearer(court),
        )

    before = counts(engine)
    assert extend(None).json()["code"] == "reasons_required"
    assert counts(engine) == before
    assert extend("Waiting for the bank.").status_code == 200
    before = counts(engine)
    r = extend("Still waiting.")
    assert (r.status_code, r.json()["code"]) == (409, "already_extended")
    assert counts(engine) == before

    decide(monday, court, oid, outcome="upheld", reasons="Stands.")
    before = counts(engine)
    second = decide(monday, court, oid, status=409, outcome="upheld", reasons="Again.")
    assert (second["code"], second["outcome"]) == ("objection_decided", "upheld")
    r = monday.post(
        f"/api/v1/objections/{oid}/extension", json={"reasons": "x"}, headers=bearer(court)
    )
    assert (r.status_code, r.json()["code"]) == (409, "objection_decided")
    assert counts(engine) == before
    # decided, the same record may be objected to again
    assert file(monday, subject, setup["mine"])["id"] not in (oid, other)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"outcome": "forgiven", "reasons": "r"}, "unknown_outcome"),
        ({}, "unknown_outcome"),
        ({"outcome": "corrected", "reasons": "r"}, "correction_required"),
        (
            {"outcome": "upheld", "reasons": "r", "correction": {"x": 1}},
            "correction_not_applicable",
        ),
        ({"outcome": "upheld", "reasons": "r" * 5001}, "reasons_too_long"),
        ({"outcome": "unconfirmed", "verification": "\x07"}, "invalid_text"),
        ({"outcome": "corrected", "correction": "J9"}, "correction_mismatch"),
        ({"outcome": "corrected", "correction": "same"}, "correction_mismatch"),
        ({"outcome": "corrected", "correction": "invalid"}, "correction_invalid"),
        ({"outcome": "corrected", "correction": "other"}, "correction_mismatch"),
    ],
)
def test_bad_decisions_are_refused_and_roll_back(
    monday: TestClient,
    engine: Engine,
    setup: dict[str, str],
    body: dict[str, Any],
    code: str,
) -> None:
    corrections = {
        "J9": court_judgment("J9", performance_status="partly_performed"),
        "same": court_judgment("J1"),
        "invalid": court_judgment("J1", performance_status="paid_in_full"),
        "other": court_judgment("J1", OTHER, "厦门另一家公司"),
    }
    if isinstance(body.get("correction"), str):
        body = {**body, "correction": corrections[body["correction"]]}
    oid = file(monday, setup["subject"], setup["mine"])["id"]
    before = counts(engine)
    refused = decide(monday, setup["court"], oid, status=422, **body)
    assert refused["code"] == code, refused
    if code == "correction_invalid":
        assert refused["errors"][0]["field"] == "performance_status"
    assert counts(engine) == before
    seen = monday.get(f"/api/v1/objections/{oid}", headers=bearer(setup["court"])).json()
    assert (seen["status"], seen["outcome"]) == ("open", None)
    # and it can still be decided
    decide(monday, setup["court"], oid, outcome="upheld", reasons="Stands.")
