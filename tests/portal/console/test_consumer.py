"""A consuming authority's watch lists and check log export in the console."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import judgment, uscc
from tests.portal.console.helpers import bearer, count, sign_in
from xinyong.auth.keys import Role
from xinyong.checks.service import LOG_FIELDS
from xinyong.db.tables import watches

FLIGHTS = "restrict_flights_rail"


def _subjects(client: TestClient, make_key: Callable[..., str]) -> list[str]:
    court = make_key("court")
    codes = [uscc(51), uscc(52)]
    for n, code in enumerate(codes):
        r = client.post("/api/v1/records", json=judgment(f"W{n}", code), headers=bearer(court))
        assert r.status_code == 201, r.text
    return codes


def test_watch_add_and_remove(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    codes = _subjects(client, make_key)
    sign_in(client, consumer_key("civil_aviation", FLIGHTS))
    page = client.get("/console/watches", params={"lang": "en"})
    assert page.status_code == 200
    assert f'<option value="{FLIGHTS}">' in page.text
    assert "No webhook is registered" in page.text
    added = client.post(
        "/console/watches",
        data={"measure": FLIGHTS, "subjects": f"{codes[0]}\n\n {codes[1].lower()} \n91NOSUCH\n"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    shown = client.get(added.headers["location"] + "&lang=en")
    assert "Subjects added: 2" in shown.text
    assert "91NOSUCH" in shown.text
    assert f"<code>{codes[0]}</code>" in shown.text
    assert f"<code>{codes[1]}</code>" in shown.text
    assert count(engine, watches) == 2
    removed = client.post(
        "/console/watches/remove",
        data={"measure": FLIGHTS, "subjects": codes[0]},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    after = client.get("/console/watches")
    assert f"<code>{codes[0]}</code>" not in after.text
    assert f"<code>{codes[1]}</code>" in after.text
    assert count(engine, watches) == 1
    # refusals write nothing: no codes, a measure outside the key's scope
    empty = client.post("/console/watches", data={"measure": FLIGHTS, "subjects": "\n"})
    assert empty.status_code == 400
    assert "subjects_required" in empty.text
    scope = client.post(
        "/console/watches", data={"measure": "restrict_procurement", "subjects": codes[0]}
    )
    assert scope.status_code == 403
    assert "measure_not_in_scope" in scope.text
    assert count(engine, watches) == 1
    # a webhook registered by the API is shown (never its secret)
    hook = client.put(
        "/api/v1/webhook",
        json={"url": "https://hooks.example/xinyong", "secret": "s" * 32},
        headers=bearer(consumer_key("civil_aviation", FLIGHTS)),
    )
    assert hook.status_code == 200, hook.text
    shown = client.get("/console/watches")
    assert "https://hooks.example/xinyong" in shown.text
    assert "s" * 32 not in shown.text


def test_a_provider_has_no_watch_lists(client: TestClient, make_key: Callable[..., str]) -> None:
    sign_in(client, make_key("court"))
    assert client.get("/console/watches").status_code == 403
    r = client.post("/console/watches", data={"measure": FLIGHTS, "subjects": uscc(51)})
    assert r.status_code == 403
    assert client.get("/console/check-log").status_code == 403
    assert client.get("/console/check-log.csv").status_code == 403


def test_check_log_csv_and_json(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    codes = _subjects(client, make_key)
    airline = consumer_key("civil_aviation", FLIGHTS)
    r = client.post(
        "/api/v1/checks",
        json={"measure": FLIGHTS, "subjects": codes, "purpose": "ticket sale"},
        headers=bearer(airline),
    )
    assert r.status_code == 200, r.text
    other = consumer_key("public_procurement", "restrict_procurement")
    r = client.post(
        "/api/v1/checks",
        json={"measure": "restrict_procurement", "subjects": codes[:1], "purpose": "tender"},
        headers=bearer(other),
    )
    assert r.status_code == 200, r.text
    sign_in(client, airline)
    page = client.get("/console/check-log")
    assert page.status_code == 200
    assert 'href="/console/check-log.csv"' in page.text
    today = dt.date.today()
    query = {
        "from": (today - dt.timedelta(days=2)).isoformat(),
        "to": (today + dt.timedelta(days=2)).isoformat(),
    }
    filtered = client.get("/console/check-log", params=query)
    assert f"/console/check-log.csv?from={query['from']}&amp;to={query['to']}" in filtered.text
    got = client.get("/console/check-log.csv", params=query)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert tuple(rows[0]) == LOG_FIELDS
    assert sorted(r["subject_code"] for r in rows) == sorted(codes)
    assert {r["consumer_code"] for r in rows} == {"civil_aviation"}  # only its own
    lines = client.get("/console/check-log.jsonl", params=query)
    assert lines.status_code == 200
    parsed = [orjson.loads(line) for line in lines.content.splitlines() if line]
    assert sorted(p["subject_code"] for p in parsed) == sorted(codes)
    # a window that holds nothing, and bad dates
    future = {"from": (today + dt.timedelta(days=5)).isoformat()}
    assert len(client.get("/console/check-log.csv", params=future).text.splitlines()) == 1
    bad = client.get("/console/check-log.csv", params={"from": "2026-13-40"})
    assert bad.status_code == 400
    assert "invalid_date" in bad.text
    assert client.get("/console/check-log", params={"to": "yesterday"}).status_code == 400
    assert client.get("/console/check-log.xml").status_code == 404
    # an administrator exports every consumer's, or one
    sign_in(client, make_key(role=Role.admin))
    every = list(csv.DictReader(io.StringIO(client.get("/console/check-log.csv").text)))
    assert {r["consumer_code"] for r in every} == {"civil_aviation", "public_procurement"}
    one = client.get("/console/check-log.csv", params={"consumer": "public_procurement"})
    assert len(list(csv.DictReader(io.StringIO(one.text)))) == 1
