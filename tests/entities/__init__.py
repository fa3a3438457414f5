"""Tests of entity search, entity pages and record histories; shared helpers below.

Records go in through the real API (``POST /api/v1/records``) or the real importer, so
that the store, its triggers and its search indexes are exercised as in production.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from fastapi.testclient import TestClient

from xinyong.identifiers import make_ric, make_uscc
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings

TODAY = today_in(Settings())  # the same zone as the app's (Asia/Shanghai by default)


def day(offset: int) -> str:
    """Today plus ``offset`` days, as the API takes dates."""
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def uscc(seed: int, prefix: str = "91", division: str = "350203") -> str:
    return make_uscc(random.Random(f"entities-test:{seed}"), division, prefix)


def ric(seed: int, division: str = "350203") -> str:
    rng = random.Random(f"entities-test:{seed}")
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
    return make_ric(rng, division, born, female=bool(seed % 2))


def judgment(
    prid: str,
    code: str,
    name: str,
    *,
    kind: str = "organisation",
    decided_on: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A judgment-default record (public for every kind of subject)."""
    return {
        "record_type": "judgment_default",
        "provider_record_id": prid,
        "subject": {"kind": kind, "code": code, "name": name},
        "decided_on": decided_on or day(-30),
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "document_number": f"（2026）闽02执{prid}号",
        "fields": {
            "case_number": f"（2026）闽02执{prid}号",
            "court": "厦门市中级人民法院",
            "filing_date": day(-60),
            "enforcement_basis": "（2025）闽0203民初1号民事判决书",
            "obligation": "支付货款人民币十万元",
            "performance_status": "unperformed",
            "conduct": "able_but_refusing",
            **fields,
        },
    }


def penalty(
    prid: str,
    code: str,
    name: str,
    *,
    kind: str = "organisation",
    severity: str = "general",
    decided_on: str | None = None,
) -> dict[str, Any]:
    """An administrative penalty (public for organisations, not for natural persons)."""
    return {
        "record_type": "admin_penalty",
        "provider_record_id": prid,
        "subject": {"kind": kind, "code": code, "name": name},
        "decided_on": decided_on or day(-10),
        "severity": severity,
        "legal_basis": "《中华人民共和国反不正当竞争法》第二十条",
        "document_number": f"厦市监罚〔2026〕{prid}号",
        "fields": {
            "violation_type": "虚假宣传",
            "facts": "在商品包装上作虚假宣传",
            "penalty_category": "fine",
            "penalty_content": "罚款人民币两万元",
            "fine_amount": 2,
            "valid_until": day(30),
            "authority_name": "厦门市市场监督管理局",
            "authority_uscc": "11350200LFFAT04NMF",
            "source_unit": "厦门市市场监督管理局",
            "source_unit_uscc": "11350200LFFAT04NMF",
        },
    }


def submit(client: TestClient, key: str, *records: dict[str, Any]) -> list[dict[str, Any]]:
    """POST each record; fail the test unless it is stored. Returns the API's answers."""
    out = []
    for record in records:
        r = client.post("/api/v1/records", json=record, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code in (200, 201), r.text
        out.append(r.json())
    return out


def submit_batch(client: TestClient, key: str, records: list[dict[str, Any]]) -> None:
    r = client.post(
        "/api/v1/records/batch",
        json={"records": records},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == 0, r.text


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/entities", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def codes(page: dict[str, Any]) -> list[str]:
    return [item["code"] for item in page["items"]]
