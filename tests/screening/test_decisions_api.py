"""``POST /api/v1/screening/decisions``: reviewers' decisions, kept and reused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import count_rows, judgment, ric, uscc
from tests.screening.conftest import CITY, HEAD, HEAD_KEY, HENGTONG, QUANZHOU, SHANGMAO, screen
from xinyong.db.tables import screening_decisions


def decide(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    r = client.post("/api/v1/screening/decisions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def by_subject(body: Any) -> dict[str, Any]:
    return {c["subject"]: c for c in body["candidates"]}


def test_not_a_match_is_kept_and_reused_for_every_way_of_writing_the_name(
    client: TestClient,
    city: list[str],
    provider_headers: dict[str, str],
    headers: dict[str, str],
    engine: Engine,
) -> None:
    before = screen(client, headers, "厦门鑫达贸易有限公司")
    assert [c["review"] for c in before["candidates"]] == [None] * len(before["candidates"])
    assert before["candidates"][-1]["subject"] != city[QUANZHOU]

    stored = decide(
        client,
        provider_headers,
        name="厦门鑫达贸易有限公司",
        subject=city[QUANZHOU],
        verdict="not_a_match",
        reviewer="  张三 ",
        reason="泉州的同名企业：注册地不同",
    )
    assert stored["normalised"] == HEAD_KEY
    assert (stored["subject"], stored["verdict"], stored["reviewer"]) == (
        city[QUANZHOU],
        "not_a_match",
        "张三",
    )
    assert stored["decided_by"] == "court"  # the authority of the key
    decided_at = dt.datetime.fromisoformat(stored["decided_at"])
    assert abs(dt.datetime.now(dt.UTC) - decided_at) < dt.timedelta(minutes=5)

    # the same name written otherwise: the same key, the decision reused
    for name in ("厦门鑫达贸易有限公司", "厦门市鑫达贸易有限责任公司", "鑫达（厦门）贸易有限公司"):
        body = screen(client, headers, name, limit=50)
        last = body["candidates"][-1]
        assert last["subject"] == city[QUANZHOU], name
        assert last["dismissed"] is True
        assert last["review"] == {
            "verdict": "not_a_match",
            "reviewer": "张三",
            "reason": "泉州的同名企业：注册地不同",
            "decided_by": "court",
            "decided_at": last["review"]["decided_at"],
        }
        assert dt.datetime.fromisoformat(last["review"]["decided_at"]) == decided_at
        others = body["candidates"][:-1]
        assert not any(c["dismissed"] or c["review"] for c in others)
        assert others[0]["subject"] == city[HEAD]
    # a different name has no decision
    other = by_subject(screen(client, headers, "泉州鑫达贸易有限公司"))
    assert other[city[QUANZHOU]]["review"] is None
    with engine.connect() as conn:
        row = conn.execute(select(screening_decisions)).mappings().one()
    assert (row["normalised_name"], row["verdict"], row["decided_by"]) == (
        HEAD_KEY,
        "not_a_match",
        "court",
    )


def test_a_match_comes_first_and_the_latest_decision_wins(
    client: TestClient, city: list[str], headers: dict[str, str], engine: Engine
) -> None:
    name = "厦门鑫达贸易有限公司"
    decide(
        client,
        headers,
        name=name,
        subject=city[SHANGMAO],
        verdict="match",
        reviewer="李四",
        reason="营业执照核对：同一企业的旧名",
    )
    first = screen(client, headers, name)["candidates"][0]
    assert (first["subject"], first["review"]["verdict"], first["dismissed"]) == (
        city[SHANGMAO],
        "match",
        False,
    )
    assert first["score"] < 0.99  # first by the decision, not by its score

    # a subject the name alone would not find: a confirmed match is still shown
    decide(
        client,
        headers,
        name=name,
        subject=city[HENGTONG].lower(),
        verdict="match",
        reviewer="李四",
        reason="变更登记前的名称",
    )
    shown = by_subject(screen(client, headers, name))
    assert shown[city[HENGTONG]]["review"]["verdict"] == "match"
    assert shown[city[HENGTONG]]["name"] == CITY[HENGTONG][0]

    # changing one's mind: a new decision, the old one kept as history
    decide(
        client,
        headers,
        name=name,
        subject=city[SHANGMAO],
        verdict="not_a_match",
        reviewer="王五",
        reason="复核：不是同一企业",
    )
    body = screen(client, headers, name, limit=50)
    assert body["candidates"][-1]["subject"] == city[SHANGMAO]
    assert body["candidates"][-1]["review"]["reviewer"] == "王五"
    assert body["candidates"][0]["subject"] == city[HENGTONG]
    assert count_rows(engine, screening_decisions) == 3


def test_a_dismissed_candidate_makes_room(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    top = screen(client, headers, "厦门鑫达贸易有限公司", limit=1)["candidates"]
    assert top[0]["subject"] == city[HEAD]
    decide(
        client,
        headers,
        name="厦门鑫达贸易有限公司",
        subject=city[HEAD],
        verdict="not_a_match",
        reviewer="张三",
        reason="提交单位确认不是该企业",
    )
    top = screen(client, headers, "厦门鑫达贸易有限公司", limit=1)["candidates"]
    assert top[0]["subject"] != city[HEAD]
    assert top[0]["review"] is None


def test_unknown_subjects_and_bad_decisions(
    client: TestClient,
    city: list[str],
    provider_headers: dict[str, str],
    headers: dict[str, str],
    engine: Engine,
) -> None:
    person = judgment("P1", ric(1), "陈鑫达", kind="person")
    assert client.post("/api/v1/records", json=person, headers=provider_headers).status_code == 201
    good = {
        "name": "厦门鑫达贸易有限公司",
        "subject": city[HEAD],
        "verdict": "not_a_match",
        "reviewer": "张三",
        "reason": "不同企业",
    }
    for subject in (uscc(99), "nope", ric(1), "x" * 64):
        r = client.post(
            "/api/v1/screening/decisions", json={**good, "subject": subject}, headers=headers
        )
        assert (r.status_code, r.json()["code"]) == (404, "unknown_subject"), subject
    cases: list[tuple[dict[str, Any], str]] = [
        ({"reason": ""}, "invalid_request"),
        ({"reason": "   "}, "missing_reason"),
        ({"reviewer": ""}, "invalid_request"),
        ({"reviewer": "\t"}, "missing_reviewer"),
        ({"reviewer": "张\x00三"}, "invalid_reviewer"),
        ({"reason": "a\x1bb"}, "invalid_reason"),
        ({"verdict": "maybe"}, "invalid_request"),
        ({"name": "???"}, "empty_name"),
        ({"name": ""}, "invalid_request"),
        ({"subject": ""}, "invalid_request"),
        ({"subject": "x" * 65}, "invalid_request"),
        ({"extra": 1}, "invalid_request"),
    ]
    for change, code in cases:
        r = client.post("/api/v1/screening/decisions", json={**good, **change}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (422, code), (change, r.text)
    r = client.post("/api/v1/screening/decisions", json=good)
    assert (r.status_code, r.json()["code"]) == (401, "missing_api_key")
    assert count_rows(engine, screening_decisions) == 0
    # a reason may run over lines
    stored = decide(client, headers, **{**good, "reason": "第一行\n第二行"})
    assert stored["reason"] == "第一行\n第二行"
    assert stored["decided_by"] == "consumer"  # a key without an authority: its role
