"""Shared steps of the objection tests: records on fixed days, filing, counting."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.factories import ORG, judgment
from xinyong.db.tables import audit_log, objection_events, objections, record_versions, statements

NAME = "厦门鑫达贸易有限公司"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def court_judgment(prid: str, code: str = ORG, name: str = NAME, **fields: Any) -> dict[str, Any]:
    """A judgment-default record decided before the pinned days of these tests."""
    return judgment(prid, code, name, decided_on="2026-01-05", filing_date="2025-11-20", **fields)


def submit(client: TestClient, key: str, record: dict[str, Any]) -> str:
    r = client.post("/api/v1/records", json=record, headers=bearer(key))
    assert r.status_code in (200, 201), r.text
    rid: str = r.json()["id"]
    return rid


def file(
    client: TestClient,
    key: str,
    target: str,
    *,
    grounds: str = "error_or_omission",
    statement: str = "The debt was paid in December; the record is wrong.",
    status: int = 201,
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/objections",
        json={"target": target, "grounds": grounds, "statement": statement},
        headers=bearer(key),
    )
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def decide(
    client: TestClient, key: str, objection_id: str, status: int = 200, **body: Any
) -> dict[str, Any]:
    r = client.post(f"/api/v1/objections/{objection_id}/decision", json=body, headers=bearer(key))
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def counts(engine: Engine) -> dict[str, int]:
    """Rows that objections write: to compare before and after a refused request."""
    with engine.connect() as conn:

        def n(stmt: Any) -> int:
            return int(conn.execute(stmt).scalar_one())

        return {
            "objections": n(select(func.count()).select_from(objections)),
            "decided": n(
                select(func.count()).select_from(objections).where(objections.c.status != "open")
            ),
            "extended": n(
                select(func.count())
                .select_from(objections)
                .where(objections.c.extended_at.is_not(None))
            ),
            "events": n(select(func.count()).select_from(objection_events)),
            "statements": n(select(func.count()).select_from(statements)),
            "versions": n(select(func.count()).select_from(record_versions)),
            "audit": n(
                select(func.count())
                .select_from(audit_log)
                .where(
                    audit_log.c.action.like("objection.%") | audit_log.c.action.like("statement.%")
                )
            ),
        }
