"""The fast ``POST /api/v1/checks`` route answers exactly as the FastAPI route does, and the
bulk path (no kinds read, garbage collector paused, log written while the answer is made)
decides as the single-subject path does."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import ORG, PERSON, judgment, ric, uscc
from xinyong.checks.fast import FastCheckRoute
from xinyong.checks.service import gc_paused

FLIGHTS = "restrict_flights_rail"
INSPECTIONS = "increase_inspections"  # organisations and individual businesses only


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def without_fast_route(app: FastAPI) -> None:
    app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, FastCheckRoute)]


def answers(client: TestClient, key: str, court: str) -> list[tuple[int, Any, str | None]]:
    """Status and body (check ids and dates left out) of a range of requests, good and bad."""
    h = {**bearer(key), "content-type": "application/json"}
    good = {"measure": FLIGHTS, "subjects": [ORG], "purpose": "ticket", "reference": "r1"}
    requests: list[tuple[bytes | str, dict[str, str]]] = [
        (json.dumps(good), h),
        (json.dumps({**good, "subjects": [ORG, PERSON, uscc(3), "X1", " " + ORG.lower()]}), h),
        (json.dumps(good), {"content-type": "application/json"}),  # no key
        (json.dumps(good), {"x-api-key": key, "content-type": "application/json"}),
        (json.dumps(good), {**bearer(court), "content-type": "application/json"}),
        (json.dumps({**good, "measure": "nope"}), h),
        (json.dumps({**good, "measure": "green_channel"}), h),
        (json.dumps({**good, "subjects": ["X" * 40]}), h),
        (json.dumps({**good, "subjects": []}), h),
        (json.dumps({**good, "purpose": ""}), h),
        (json.dumps({**good, "extra": 1}), h),
        (json.dumps({**good, "subjects": [1, 2]}), h),
        (json.dumps({"measure": FLIGHTS}), h),
        (json.dumps({**good, "as_of": "not a day"}), h),
        (json.dumps({**good, "as_of": "2999-01-01"}), h),
        (b'{"measure": "restrict_flights_rail", "subjects": [', h),
        (b"", h),
        (b"[]", h),
        (json.dumps(good), bearer(key)),  # no content type: FastAPI reads JSON anyway
        (json.dumps(good), {**bearer(key), "content-type": "text/plain"}),
        (json.dumps(good), {**bearer(key), "content-type": "application/json; charset=utf-8"}),
        (json.dumps(good), {**bearer(key), "content-type": "application/vnd.x+json"}),
    ]
    out = []
    for body, headers in requests:
        r = client.post("/api/v1/checks", content=body, headers=headers)
        data: Any = r.json()
        if isinstance(data, dict):
            data.pop("check_id", None)
            data.pop("on", None)
        out.append((r.status_code, data, r.headers.get("content-type")))
    return out


def test_fast_route_answers_as_the_fastapi_route(
    app: FastAPI,
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    court = make_key("court")
    assert client.post("/api/v1/records", json=judgment("J1"), headers=bearer(court)).is_success
    airline = consumer_key("civil_aviation", FLIGHTS)
    assert any(isinstance(r, FastCheckRoute) for r in app.router.routes)
    fast = answers(client, airline, court)
    without_fast_route(app)
    slow = answers(client, airline, court)
    assert fast == slow
    statuses = [s for s, _, _ in fast]
    assert statuses.count(200) >= 5
    assert 422 in statuses
    assert 401 in statuses
    assert fast[0][1]["results"][0]["decision"] == "applies"
    # the check stays in the OpenAPI document, with its body and answer
    post = client.get("/openapi.json").json()["paths"]["/api/v1/checks"]["post"]
    assert "requestBody" in post
    assert "200" in post["responses"]


def test_other_methods_on_the_path_are_refused_as_before(
    client: TestClient, consumer_key: Callable[..., str]
) -> None:
    r = client.get("/api/v1/checks", headers=bearer(consumer_key("civil_aviation", FLIGHTS)))
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("measure", [FLIGHTS, INSPECTIONS])
def test_a_bulk_check_decides_each_subject_as_a_single_check(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    measure: str,
) -> None:
    court = bearer(make_key("court"))
    listed_org, listed_person = uscc(11), ric(12)
    listed = ((listed_org, "organisation", "厦门某某有限公司"), (listed_person, "person", "张三"))
    for n, (code, kind, name) in enumerate(listed):
        rec = judgment(f"J{n}", code, name, kind=kind)
        created = client.post("/api/v1/records", json=rec, headers=court)
        assert created.status_code == 201, created.text
    key = consumer_key("civil_aviation", measure)
    codes = [listed_org, listed_person, ORG, PERSON, "X1", "91350200776049653B"]
    codes += [uscc(100 + i) for i in range(30)] + [listed_org]  # more than the inline limit
    bulk = client.post(
        "/api/v1/checks",
        json={"measure": measure, "subjects": codes, "purpose": "screening"},
        headers=bearer(key),
    )
    assert bulk.status_code == 200, bulk.text
    results = bulk.json()["results"]
    assert [r["subject"] for r in results] == codes
    for code, got in zip(codes, results, strict=True):
        one = client.post(
            "/api/v1/checks",
            json={"measure": measure, "subjects": [code], "purpose": "one"},
            headers=bearer(key),
        )
        assert one.json()["results"] == [got], code
    assert results[0]["decision"] == "applies"
    logged = client.get(f"/api/v1/checks/{bulk.json()['check_id']}", headers=bearer(key)).json()
    assert [r["subject_code"] for r in logged["results"]] == codes
    assert logged["applies"] == sum(r["decision"] == "applies" for r in results)
    assert gc.isenabled()


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
