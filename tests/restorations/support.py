"""Shared by the restoration and expiry tests: records in the API's shape, pinned days,
requests."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.factories import penalty
from xinyong.db.tables import audit_log, entities, restoration_evidence, restorations

#: A Thursday. Three working days later is Tuesday 2026-02-24: Friday the 13th, Saturday
#: the 14th (worked before the Spring Festival), then the holiday until Monday the 23rd.
THURSDAY = dt.date(2026, 2, 12)
DUE = dt.date(2026, 2, 24)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% receipt: fine paid in full\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COMMITMENT = (
    "本单位承诺已纠正失信行为、履行全部法定义务，今后依法诚信经营，如违背承诺自愿接受惩戒。"
)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def evidence(
    data: bytes = PDF, media_type: str = "application/pdf", filename: str = "receipt.pdf"
) -> dict[str, str]:
    return {"filename": filename, "media_type": media_type, "content_base64": b64(data)}


def application(record_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "record_id": record_id,
        "commitment": COMMITMENT,
        "evidence": [evidence()],
    }
    body.update(changes)
    return body


def submit(client: TestClient, key: str, record: dict[str, Any]) -> str:
    r = client.post("/api/v1/records", json=record, headers=bearer(key))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def serious_dishonesty(
    prid: str, code: str, name: str, *, decided_on: str, notice_served_on: str
) -> dict[str, Any]:
    """A serious-dishonesty listing decision (a public, negative record of the serious tier)."""
    return {
        "record_type": "serious_dishonesty",
        "provider_record_id": prid,
        "subject": {"kind": "organisation", "code": code, "name": name},
        "decided_on": decided_on,
        "legal_basis": "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》",
        "document_number": f"厦市监失信〔2025〕{prid}号",
        "fields": {
            "area": "public_health_safety",
            "list_name": "食品安全严重失信主体名单",
            "conduct": "生产销售不符合食品安全标准的食品",
            "notice_served_on": notice_served_on,
            "authority_name": "厦门市市场监督管理局",
        },
    }


def general_penalty(prid: str, code: str, name: str, **kw: Any) -> dict[str, Any]:
    """A general-tier fine, decided long enough ago (3 months minimum) to be restorable."""
    kw.setdefault("decided_on", "2025-10-09")
    return penalty(prid, code, name, severity="general", valid_until="2026-12-31", **kw)


def honour(prid: str, code: str, name: str) -> dict[str, Any]:
    return {
        "record_type": "honour",
        "provider_record_id": prid,
        "subject": {"kind": "organisation", "code": code, "name": name},
        "decided_on": "2025-05-01",
        "legal_basis": "市政府表彰决定",
        "document_number": "厦府〔2025〕3号",
        "fields": {"honour_name": "守合同重信用企业", "conferred_by": "厦门市人民政府"},
    }


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(table)
        if where:
            stmt = stmt.where(*where)
        return int(conn.execute(stmt).scalar_one())


def nothing_filed(engine: Engine) -> None:
    """No application, no evidence and no audit entry of one was written."""
    assert count(engine, restorations) == 0
    assert count(engine, restoration_evidence) == 0
    assert count(engine, audit_log, audit_log.c.action == "restoration.filed") == 0


def public_id(engine: Engine, code: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(entities.c.public_id).where(entities.c.code == code)).scalar_one()
        )
