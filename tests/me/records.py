"""Records and calls shared by the subjects' tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import days_ago

PERSON_NAME = "张三"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def volunteer(prid: str, code: str, name: str = PERSON_NAME) -> dict[str, Any]:
    """A person's volunteer-service record (positive; the person may hide it)."""
    return {
        "record_type": "volunteer_service",
        "provider_record_id": prid,
        "subject": {"kind": "person", "code": code, "name": name},
        "decided_on": days_ago(20),
        "fields": {"hours": 12.5, "volunteer_organisation": "厦门市志愿者协会"},
    }


def submit(client: TestClient, key: str, record: dict[str, Any]) -> str:
    r = client.post("/api/v1/records", json=record, headers=bearer(key))
    assert r.status_code == 201, r.text
    record_id: str = r.json()["id"]
    return record_id


def sign_in(client: TestClient, token: str) -> dict[str, Any]:
    r = client.post("/api/v1/session", json={"method": "token", "token": token})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
