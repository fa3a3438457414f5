"""Objections and restorations in the console, through their services: the deadline
countdown, answering, extending, deciding, and who may not."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import days_ago, judgment, penalty, uscc
from tests.portal.console.helpers import bearer, count, sign_in
from tests.restorations.support import PDF, application
from xinyong.auth.keys import Role
from xinyong.db.tables import access_log, objections, restorations

NAME = "厦门鑫达贸易有限公司"


def _submit(client: TestClient, key: str, record: dict[str, Any]) -> str:
    r = client.post("/api/v1/records", json=record, headers=bearer(key))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def _objection(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> tuple[str, str, str]:
    """A court judgment under objection: (court key, objection id, subject code)."""
    court = make_key("court")
    code = uscc(31)
    record_id = _submit(client, court, judgment("J1", code, NAME))
    r = client.post(
        "/api/v1/objections",
        json={"target": record_id, "grounds": "error_or_omission", "statement": "Paid in full."},
        headers=bearer(subject_key(code)),
    )
    assert r.status_code == 201, r.text
    return court, str(r.json()["id"]), code


def _status(engine: Engine, objection_id: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(objections.c.status).where(objections.c.id == objection_id)
            ).scalar_one()
        )


def test_the_provider_answers_an_objection_before_its_deadline(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court, oid, _code = _objection(client, make_key, subject_key)
    sign_in(client, court)
    listed = client.get("/console/objections", params={"lang": "en"})
    assert listed.status_code == 200
    assert f'href="/console/objections/{oid}"' in listed.text
    api = client.get(f"/api/v1/objections/{oid}", headers=bearer(court)).json()
    left = api["working_days_left"]
    assert isinstance(left, int)
    assert left > 0
    assert f"<td>{left}" in listed.text
    assert "Overdue" not in listed.text
    page = client.get(f"/console/objections/{oid}", params={"lang": "en"})
    assert page.status_code == 200
    assert f"{left} working days left" in page.text
    for outcome in ("corrected", "deleted", "upheld", "unconfirmed"):
        assert f'value="{outcome}"' in page.text
    # upheld needs reasons: refused, nothing changes
    refused = client.post(f"/console/objections/{oid}/decision", data={"outcome": "upheld"})
    assert refused.status_code == 400
    assert "reasons_required" in refused.text
    bad_json = client.post(
        f"/console/objections/{oid}/decision", data={"outcome": "corrected", "correction": "{"}
    )
    assert bad_json.status_code == 400
    assert "correction_invalid" in bad_json.text
    assert _status(engine, oid) == "open"
    # extend once with reasons; a second time is refused
    extended = client.post(
        f"/console/objections/{oid}/extension",
        data={"reasons": "The case file is with the enforcement bureau."},
        follow_redirects=False,
    )
    assert extended.status_code == 303
    again = client.post(f"/console/objections/{oid}/extension", data={"reasons": "More."})
    assert again.status_code == 409
    assert "already_extended" in again.text
    decided = client.post(
        f"/console/objections/{oid}/decision",
        data={"outcome": "upheld", "reasons": "The judgment stands; nothing was paid."},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/console/objections/{oid}"
    assert _status(engine, oid) == "decided"
    shown = client.get(decided.headers["location"], params={"lang": "en"})
    assert "<strong>upheld</strong>" in shown.text
    assert "Record the decision" not in shown.text
    assert oid not in client.get("/console/objections").text  # no longer open
    # the page read the subject's objection: it is in the subject's access log
    assert count(engine, access_log) >= 1


def test_another_authority_cannot_see_or_decide_it(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    consumer_key: Callable[..., str],
) -> None:
    _court, oid, _code = _objection(client, make_key, subject_key)
    sign_in(client, make_key("market_regulation"))
    assert oid not in client.get("/console/objections").text
    assert client.get(f"/console/objections/{oid}").status_code == 404
    r = client.post(
        f"/console/objections/{oid}/decision", data={"outcome": "upheld", "reasons": "No."}
    )
    assert r.status_code == 404
    assert client.post(f"/console/objections/{oid}/extension", data={"reasons": "x"}).status_code
    assert _status(engine, oid) == "open"
    # an administrator sees it, but decides only once it is escalated
    sign_in(client, make_key(role=Role.admin))
    assert f'href="/console/objections/{oid}"' in client.get("/console/objections").text
    r = client.post(
        f"/console/objections/{oid}/decision", data={"outcome": "upheld", "reasons": "No."}
    )
    assert r.status_code == 403
    assert "not_escalated" in r.text
    assert _status(engine, oid) == "open"
    sign_in(client, consumer_key("civil_aviation", "restrict_flights_rail"))
    assert client.get("/console/objections").status_code == 403
    assert client.get("/console/restorations").status_code == 403


def _restoration(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> tuple[str, str, str, str]:
    """A fine under application: (provider key, application id, subject code, document)."""
    market = make_key("market_regulation")
    code = uscc(41)
    fine = penalty("P1", code, NAME, severity="general", decided_on=days_ago(150))
    fine["fields"]["valid_until"] = days_ago(-200)
    record_id = _submit(client, market, fine)
    r = client.post(
        "/api/v1/restorations", json=application(record_id), headers=bearer(subject_key(code))
    )
    assert r.status_code == 201, r.text
    return market, str(r.json()["id"]), code, str(fine["document_number"])


def test_an_approved_restoration_takes_the_record_off_the_public_page(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    market, rid, code, document = _restoration(client, make_key, subject_key)
    assert document in client.get(f"/entities/{code}").text
    sign_in(client, market)
    listed = client.get("/console/restorations")
    assert f'href="/console/restorations/{rid}"' in listed.text
    page = client.get(f"/console/restorations/{rid}")
    assert page.status_code == 200
    assert f'href="/console/restorations/{rid}/evidence/1"' in page.text
    logged = count(engine, access_log)
    evidence = client.get(f"/console/restorations/{rid}/evidence/1")
    assert evidence.status_code == 200
    assert evidence.content == PDF
    assert count(engine, access_log) == logged + 1  # the download is in the access log
    assert client.get(f"/console/restorations/{rid}/evidence/2").status_code == 404
    # a rejection needs reasons; no choice is refused too
    no_reasons = client.post(f"/console/restorations/{rid}/decision", data={"decision": "rejected"})
    assert no_reasons.status_code == 400
    assert "reasons_required" in no_reasons.text
    nothing = client.post(f"/console/restorations/{rid}/decision", data={})
    assert nothing.status_code == 400
    approved = client.post(
        f"/console/restorations/{rid}/decision",
        data={"decision": "approved"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    with engine.connect() as conn:
        status = conn.execute(
            select(restorations.c.status).where(restorations.c.id == rid)
        ).scalar_one()
    assert status == "approved"
    assert document not in client.get(f"/entities/{code}").text
    again = client.post(f"/console/restorations/{rid}/decision", data={"decision": "approved"})
    assert again.status_code == 409


def test_another_provider_cannot_decide_a_restoration(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    _market, rid, _code, _doc = _restoration(client, make_key, subject_key)
    sign_in(client, make_key("tax"))
    assert rid not in client.get("/console/restorations").text
    assert client.get(f"/console/restorations/{rid}").status_code == 404
    assert client.get(f"/console/restorations/{rid}/evidence/1").status_code == 404
    r = client.post(f"/console/restorations/{rid}/decision", data={"decision": "approved"})
    assert r.status_code == 404
    # an administrator may decide any
    sign_in(client, make_key(role=Role.admin))
    assert f"/console/restorations/{rid}" in client.get("/console/restorations").text
    r = client.post(
        f"/console/restorations/{rid}/decision",
        data={"decision": "rejected", "reasons": "The fine is unpaid."},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_a_correction_starts_from_the_record_as_it_stands(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    court, oid, code = _objection(client, make_key, subject_key)
    sign_in(client, court)
    page = client.get(f"/console/objections/{oid}")
    found = re.search(r'<textarea id="correction"[^>]*>(.*?)</textarea>', page.text, re.DOTALL)
    assert found is not None
    record = orjson.loads(html.unescape(found.group(1)))
    assert record["provider_record_id"] == "J1"
    assert record["subject"]["code"] == code
    # unchanged, it changes nothing: refused, still open
    same = client.post(
        f"/console/objections/{oid}/decision",
        data={"outcome": "corrected", "correction": orjson.dumps(record).decode()},
    )
    assert same.status_code == 400
    assert "correction_mismatch" in same.text
    assert _status(engine, oid) == "open"
    record["fields"]["performance_status"] = "partly_performed"
    done = client.post(
        f"/console/objections/{oid}/decision",
        data={"outcome": "corrected", "correction": orjson.dumps(record).decode()},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert _status(engine, oid) == "decided"
    api = client.get(f"/api/v1/objections/{oid}", headers=bearer(court)).json()
    assert api["outcome"] == "corrected"
    assert api["corrected_version"] == 2
