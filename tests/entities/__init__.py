"""Tests of entity search, entity pages and record histories; shared helpers below.

Records go in through the real API (``POST /api/v1/records``) or the real importer, so
that the store, its triggers and its search indexes are exercised as in production.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import judgment, penalty
from xinyong.identifiers import make_ric, make_uscc
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings

__all__ = ["TODAY", "day", "judgment", "penalty", "ric", "submit", "uscc"]

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
