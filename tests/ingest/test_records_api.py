"""Submitting records over the API: created, unchanged, corrected; errors; keys; limits."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import ORG, PERSON, count_rows, judgment, penalty, uscc
from xinyong.auth.keys import Role
from xinyong.db.tables import entities, entity_names, record_versions, records


def test_created_unchanged_corrected(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    rec = judgment("J1")
    first = client.post("/api/v1/records", json=rec, headers=h)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "created"
    assert body["version"] == 1
    assert body["id"].startswith("r")

    again = client.post("/api/v1/records", json=rec, headers=h)
    assert again.status_code == 200
    assert again.json() == {"id": body["id"], "version": 1, "status": "unchanged"}

    rec["fields"]["performance_status"] = "partly_performed"
    fixed = client.post("/api/v1/records", json=rec, headers=h)
    assert fixed.json() == {"id": body["id"], "version": 2, "status": "corrected"}
    # nothing overwritten: both versions are kept
    assert count_rows(engine, record_versions) == 2
    assert count_rows(engine, records) == 1
    with engine.connect() as conn:
        versions = conn.execute(
            select(record_versions.c.version, record_versions.c.fields).order_by(
                record_versions.c.version
            )
        ).all()
    assert [v[1]["performance_status"] for v in versions] == ["unperformed", "partly_performed"]


def test_one_entity_per_code_and_name_variants_kept(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    old = judgment("J1", name="厦门旧名贸易有限公司", decided_on="2026-01-05")
    new = judgment("J2", name="厦门新名贸易有限公司", decided_on="2026-03-05")
    assert client.post("/api/v1/records", json=new, headers=h).status_code == 201
    assert client.post("/api/v1/records", json=old, headers=h).status_code == 201
    with engine.connect() as conn:
        assert conn.execute(select(entities.c.code, entities.c.name)).all() == [
            (ORG, "厦门新名贸易有限公司")  # the name of the latest decision wins
        ]
        names = sorted(conn.execute(select(entity_names.c.name)).scalars())
    assert names == ["厦门新名贸易有限公司", "厦门旧名贸易有限公司"]


def test_invalid_record_names_field_and_check(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    rec = judgment("J1", code="91350200776049653B")
    del rec["fields"]["court"]
    rec["decided_on"] = "2026-02-30"
    r = client.post("/api/v1/records", json=rec, headers=h)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    got = {(e["field"], e["code"]) for e in body["errors"]}
    assert got == {
        ("subject_code", "invalid_check_character"),
        ("decided_on", "invalid_date"),
        ("court", "missing_required"),
    }
    assert count_rows(engine, records) == 0


def test_person_code_checks_birth_date_and_kind(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    ok = client.post(
        "/api/v1/records", json=judgment("P1", PERSON, kind="person", name="张三"), headers=h
    )
    assert ok.status_code == 201, ok.text
    bad = client.post(
        "/api/v1/records",
        json=judgment("P2", "340524198001010013", kind="person", name="李四"),
        headers=h,
    )
    assert bad.json()["errors"][0]["code"] == "invalid_check_character"
    wrong_kind = client.post(
        "/api/v1/records", json=judgment("P3", uscc(5, prefix="92"), name="小店"), headers=h
    )
    assert wrong_kind.json()["errors"][0]["code"] == "kind_mismatch"


def test_closed_catalogue_and_provider_scope(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = {"Authorization": f"Bearer {make_key('court')}"}
    # a field outside the catalogue
    rec = judgment("J1", religion="x")
    r = client.post("/api/v1/records", json=rec, headers=court)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "unknown_field"
    # a record type the court may not submit
    r = client.post("/api/v1/records", json=penalty("X1"), headers=court)
    assert r.json()["errors"][0]["code"] == "record_type_not_allowed"
    # a key scoped narrower than its provider
    narrow = make_key("market_regulation", scopes=("business_registration",))
    r = client.post(
        "/api/v1/records", json=penalty("X1"), headers={"Authorization": f"Bearer {narrow}"}
    )
    assert r.json()["errors"][0]["code"] == "out_of_scope"


def test_severity_and_publicity_rules(client: TestClient, make_key: Callable[..., str]) -> None:
    h = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    r = client.post("/api/v1/records", json=penalty("X1", severity="huge"), headers=h)
    assert r.json()["errors"][0]["code"] == "invalid_severity"
    too_long = penalty("X2", severity="minor", decided_on="2026-01-10")
    too_long["publicity_until"] = "2026-06-10"  # minor: at most 3 months
    r = client.post("/api/v1/records", json=too_long, headers=h)
    assert r.json()["errors"][0]["code"] == "publicity_too_long"
    too_short = penalty("X3", severity="serious", decided_on="2026-01-10")
    too_short["publicity_until"] = "2026-06-10"  # serious: at least 12 months
    r = client.post("/api/v1/records", json=too_short, headers=h)
    assert r.json()["errors"][0]["code"] == "publicity_too_short"
    future = penalty("X4", decided_on="2099-01-01")
    r = client.post("/api/v1/records", json=future, headers=h)
    assert r.json()["errors"][0]["code"] == "date_in_future"


def test_publicity_end_computed_from_catalogue(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    rec = penalty("X1", severity="general", decided_on="2026-01-31")
    assert client.post("/api/v1/records", json=rec, headers=h).status_code == 201
    with engine.connect() as conn:
        until = conn.execute(select(record_versions.c.publicity_until)).scalar_one()
    assert until.isoformat() == "2027-01-31"  # general: at most 12 months


def test_batch_commits_valid_and_reports_invalid(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    good = [judgment(f"J{i}", uscc(i)) for i in range(5)]
    bad = judgment("JX", "123")
    r = client.post("/api/v1/records/batch", json={"records": [*good, bad, {"nope": 1}]}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (5, 2)
    assert [x["status"] for x in body["results"]] == ["created"] * 5 + ["rejected"] * 2
    assert body["results"][5]["errors"][0]["code"] == "invalid_length"
    assert body["results"][6]["errors"][0]["code"] == "unknown_field"
    assert count_rows(engine, records) == 5


def test_batch_limit(client: TestClient, make_key: Callable[..., str]) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    r = client.post(
        "/api/v1/records/batch",
        json={"records": [judgment(f"J{i}") for i in range(1001)]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["code"] == "batch_too_large"


def test_keys_are_required_and_checked(client: TestClient, make_key: Callable[..., str]) -> None:
    rec = judgment("J1")
    assert client.post("/api/v1/records", json=rec).json()["code"] == "missing_api_key"
    r = client.post("/api/v1/records", json=rec, headers={"Authorization": "Bearer xy_nope_x"})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key")
    admin = make_key(role=Role.admin)
    r = client.post("/api/v1/records", json=rec, headers={"X-API-Key": admin})
    assert (r.status_code, r.json()["code"]) == (403, "not_a_provider")


def test_malformed_bodies_are_422_not_500(client: TestClient, make_key: Callable[..., str]) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}", "content-type": "application/json"}
    for body in (b"{", b"[]", b'{"record_type": 5}', b"null", "\u6d77".encode()):
        r = client.post("/api/v1/records", content=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid_request"
    r = client.post("/api/v1/records/batch", json={"records": [5, "x"]}, headers=h)
    assert r.status_code == 422


def test_oversized_body_is_refused(
    live_server: str, make_key: Callable[..., str], app: object
) -> None:
    limit = app.state.settings.max_upload_bytes  # type: ignore[attr-defined]
    h = {"Authorization": f"Bearer {make_key('court')}"}
    r = httpx.post(
        f"{live_server}/api/v1/imports",
        headers=h,
        files={"file": ("court.csv", b"x" * (limit + 10))},
        timeout=60,
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


def test_real_http_round_trip(live_server: str, make_key: Callable[..., str]) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    r = httpx.post(f"{live_server}/api/v1/records", json=judgment("J9"), headers=h)
    assert r.status_code == 201
    assert r.json()["status"] == "created"
    r = httpx.get(f"{live_server}/api/v1/catalogue")
    assert {t["code"] for t in r.json()["record_types"]} >= {"admin_penalty", "judgment_default"}


def test_json_bodies_have_their_own_smaller_limit(
    live_server: str, make_key: Callable[..., str], app: object
) -> None:
    settings = app.state.settings  # type: ignore[attr-defined]
    h = {"Authorization": f"Bearer {make_key('court')}"}
    padding = "x" * (settings.max_request_bytes + 10)
    r = httpx.post(
        f"{live_server}/api/v1/records/batch",
        headers={**h, "content-type": "application/json"},
        content=('{"records": [], "pad": "' + padding + '"}').encode(),
        timeout=60,
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    # an upload of the same size is under the (larger) upload limit: it is read and judged
    big = b"record_type,provider_record_id,subject_code\n" + b"x" * len(padding)
    assert len(big) < settings.max_upload_bytes
    r = httpx.post(
        f"{live_server}/api/v1/imports", headers=h, files={"file": ("court.csv", big)}, timeout=60
    )
    assert r.status_code == 201, r.text
