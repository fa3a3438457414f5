"""GET /api/v1/records/{id}: every version of a record, for its provider and admins only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.entities import judgment, penalty, ric, submit, uscc
from xinyong.auth.keys import Role
from xinyong.catalogue.model import Catalogue
from xinyong.ingest.importer import import_bytes
from xinyong.settings import Settings


def _history(client: TestClient, record_id: str, key: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/records/{record_id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _received(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_history_shows_both_versions_after_a_correction(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = make_key("court")
    number = ric(1)
    record = judgment("H1", number, "郑丽华", kind="person")
    (v1,) = submit(client, court, record)
    record["fields"]["performance_status"] = "partly_performed"
    record["subject"]["name"] = "郑丽花"
    (v2,) = submit(client, court, record)
    assert v2 == {"id": v1["id"], "version": 2, "status": "corrected"}

    body = _history(client, v1["id"], court)
    versions = body.pop("versions")
    assert body == {
        "id": v1["id"],
        "provider": "court",
        "provider_record_id": "H1",
        "record_type": "judgment_default",
        # this view is for authorities: the full identity number
        "subject": {"kind": "person", "code": number, "name": "郑丽花"},
        "current_version": 2,
        "created_at": body["created_at"],
        "as_of": None,  # every version, the latest current (see test_time_travel.py)
    }
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["current"] for v in versions] == [False, True]
    assert [v["fields"]["performance_status"] for v in versions] == [
        "unperformed",
        "partly_performed",
    ]
    assert [v["subject"] for v in versions] == [
        {"kind": "person", "code": number, "name": "郑丽华"},
        {"kind": "person", "code": number, "name": "郑丽花"},
    ]
    first, second = versions
    assert first["content_hash"] != second["content_hash"]
    assert len(first["content_hash"]) == 32
    assert first["import_id"] is None
    assert _received(first["received_at"]) <= _received(second["received_at"])
    assert _received(second["received_at"]).tzinfo is not None
    for v in versions:
        assert v["record_type"] == "judgment_default"
        assert v["decided_on"] == record["decided_on"]
        assert v["severity"] is None
        assert v["legal_basis"] == record["legal_basis"]
        assert v["document_number"] == record["document_number"]
        assert v["publicity_until"] > record["decided_on"]
        assert set(v) == {
            "version", "current", "record_type", "subject", "severity", "legal_basis",
            "document_number", "decided_on", "publicity_until", "fields", "content_hash",
            "received_at", "import_id",
        }  # fmt: skip


def test_history_names_the_import(
    client: TestClient,
    make_key: Callable[..., str],
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
) -> None:
    code = uscc(7)
    header = (
        "record_type,provider_record_id,subject_kind,subject_code,subject_name,decided_on,"
        "legal_basis,document_number,case_number,court,filing_date,enforcement_basis,"
        "obligation,conduct,performance_status"
    )
    row = (
        f"judgment_default,F1,organisation,{code},厦门导入贸易有限公司,2026-01-05,"
        "法释〔2017〕7号,（2026）闽02执F1号,（2026）闽02执F1号,厦门市中级人民法院,"
        "2025-12-01,民事判决书,支付货款,able_but_refusing,{status}"
    )
    first = import_bytes(
        engine, catalogue, settings,
        data=f"{header}\n{row.format(status='unperformed')}\n".encode(),
        name="court.csv", provider_code="court",
    )  # fmt: skip
    second = import_bytes(
        engine, catalogue, settings,
        data=f"{header}\n{row.format(status='partly_performed')}\n".encode(),
        name="court.csv", provider_code="court",
    )  # fmt: skip
    assert (first.accepted, second.corrected) == (1, 1)
    found = client.get("/api/v1/entities/" + code).json()
    (record,) = found["records"]
    body = _history(client, record["id"], make_key("court"))
    assert [(v["version"], v["import_id"]) for v in body["versions"]] == [
        (1, first.import_id),
        (2, second.import_id),
    ]
    assert first.import_id != second.import_id
    assert [v["decided_on"] for v in body["versions"]] == ["2026-01-05", "2026-01-05"]
    assert body["versions"][1]["fields"] == {
        "case_number": "（2026）闽02执F1号",
        "court": "厦门市中级人民法院",
        "filing_date": "2025-12-01",
        "enforcement_basis": "民事判决书",
        "obligation": "支付货款",
        "conduct": "able_but_refusing",
        "performance_status": "partly_performed",
    }


@pytest.fixture
def record_id(client: TestClient, make_key: Callable[..., str]) -> str:
    (out,) = submit(
        client, make_key("market_regulation"), penalty("A1", uscc(8), "厦门授权测试有限公司")
    )
    return str(out["id"])


def test_the_provider_and_admins_may_read_it(
    client: TestClient, make_key: Callable[..., str], record_id: str
) -> None:
    assert _history(client, record_id, make_key("market_regulation"))["id"] == record_id
    admin = _history(client, record_id, make_key(role=Role.admin))
    assert admin["provider"] == "market_regulation"
    assert [v["version"] for v in admin["versions"]] == [1]


@pytest.mark.parametrize("who", ["court", "tax", "consumer"])
def test_anyone_else_is_403(
    client: TestClient, make_key: Callable[..., str], record_id: str, who: str
) -> None:
    key = make_key(role=Role.consumer) if who == "consumer" else make_key(who)
    r = client.get(f"/api/v1/records/{record_id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 403
    assert r.json()["code"] == "not_your_record"


def test_without_a_key_is_401(client: TestClient, record_id: str) -> None:
    r = client.get(f"/api/v1/records/{record_id}")
    assert r.status_code == 401
    assert r.json()["code"] == "missing_api_key"
    bad = client.get(f"/api/v1/records/{record_id}", headers={"Authorization": "Bearer xy_no_no"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_api_key"


def test_unknown_record_is_404(client: TestClient, make_key: Callable[..., str]) -> None:
    r = client.get(
        "/api/v1/records/rdoesnotexist",
        headers={"Authorization": f"Bearer {make_key(role=Role.admin)}"},
    )
    assert r.status_code == 404
    assert r.json()["code"] == "record_not_found"
