"""The audit log's API: only auditors and administrators; entries in order, head, verify."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.factories import PERSON
from xinyong.audit import service
from xinyong.auth.keys import Role
from xinyong.db.engine import writing

PATHS = ("/api/v1/audit", "/api/v1/audit/head", "/api/v1/audit/verify")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("path", PATHS)
def test_only_auditors_and_administrators_read_the_log(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
    path: str,
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "missing_api_key"
    assert client.get(path, headers=bearer("xy_nope_nope")).status_code == 401
    others = {
        "provider": make_key("court"),
        "consumer": consumer_key("civil_aviation", "restrict_flights_rail"),
        "subject": subject_key(PERSON),
    }
    for role, key in others.items():
        r = client.get(path, headers=bearer(key))
        assert r.status_code == 403, role
        assert r.json()["code"] == "not_an_auditor", role
    for role in (Role.auditor, Role.admin):
        r = client.get(path, headers=bearer(make_key(role=role)))
        assert r.status_code == 200, (role, r.text)


def test_entries_head_and_verify(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    auditor = bearer(make_key(role=Role.auditor))  # make_key audits key.created: entry 1
    for i in range(5):
        with writing(engine) as conn:
            service.record(conn, "platform", "records.expired", f"r{i}", {"n": i})
    page = client.get("/api/v1/audit", params={"limit": 2}, headers=auditor).json()
    assert [e["seq"] for e in page["entries"]] == [1, 2]
    assert page["entries"][0]["action"] == "key.created"
    assert page["entries"][1]["details"] == {"n": 0}
    assert page["entries"][1]["prev_hash"] == page["entries"][0]["hash"]
    assert page["next_after"] == 2
    rest = client.get("/api/v1/audit", params={"after": 2, "limit": 10}, headers=auditor).json()
    assert [e["seq"] for e in rest["entries"]] == [3, 4, 5, 6]
    assert rest["next_after"] is None
    only = client.get("/api/v1/audit", params={"action": "key.*"}, headers=auditor).json()
    assert [e["action"] for e in only["entries"]] == ["key.created"]
    bad = client.get("/api/v1/audit", params={"action": "'; drop"}, headers=auditor)
    assert bad.status_code == 422
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=auditor).status_code == 422

    head = client.get("/api/v1/audit/head", headers=auditor).json()
    assert head["seq"] == 6
    assert head["anchor"] == f"6:{head['hash']}"
    assert head["hash"] == rest["entries"][-1]["hash"]

    ok = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert ok == {"ok": True, "entries": 6, "broken_seq": None, "problem": None, "head": head}
    anchored = client.get(
        "/api/v1/audit/verify", params={"anchor": head["anchor"]}, headers=auditor
    )
    assert anchored.json()["ok"] is True
    malformed = client.get("/api/v1/audit/verify", params={"anchor": "6:xyz"}, headers=auditor)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "invalid_anchor"

    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET target = 'r9' WHERE seq = 3"))
    broken = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert broken["ok"] is False
    assert broken["broken_seq"] == 3
    assert broken["entries"] == 2
    assert "altered" in broken["problem"]
    assert broken["head"] is None


def test_an_empty_log_has_a_genesis_head(client: TestClient, engine: Engine) -> None:
    with writing(engine) as conn:
        from xinyong.auth.keys import create_key

        key = create_key(conn, Role.auditor, actor=None)  # not audited: the log stays empty
    head = client.get("/api/v1/audit/head", headers=bearer(key)).json()
    assert head == {"seq": 0, "hash": "0" * 64, "anchor": "0:" + "0" * 64}
    verdict = client.get(
        "/api/v1/audit/verify", params={"anchor": head["anchor"]}, headers=bearer(key)
    ).json()
    assert (verdict["ok"], verdict["entries"]) == (True, 0)
