"""``POST /api/v1/screening``: candidates for a name, best first, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import judgment, ric, uscc
from tests.screening.conftest import (
    ACME,
    ACME_BRANCH,
    BRANCH,
    CITY,
    DELTA,
    HEAD,
    HEAD_KEY,
    QUANZHOU,
    XINDA_EN,
    Store,
    screen,
)
from xinyong.auth.keys import Role


def test_variants_of_a_chinese_name_find_it_first(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    variants = [
        "厦门鑫达贸易有限公司",
        "厦门鑫达贸易有限责任公司",  # the legal form written in full
        "厦门市鑫达贸易有限公司",  # 市
        "福建省厦门市鑫达贸易有限公司",  # and the province
        "鑫达（厦门）贸易有限公司",  # the place in full-width brackets
        "鑫达(厦门)贸易有限公司",
        " 厦门 鑫达·贸易 有限公司 ",  # spaces and punctuation
    ]
    for name in variants:
        body = screen(client, headers, name)
        assert body["query"]["normalised"] == HEAD_KEY, name
        top = body["candidates"][0]
        assert (top["subject"], top["name"]) == (city[HEAD], CITY[HEAD][0]), name
        assert top["reasons"][0] == "same name once normalised"
        assert top["certain"] is False
        assert top["score"] > body["candidates"][1]["score"]
    exact = screen(client, headers, "厦门鑫达贸易有限公司")["candidates"][0]["score"]
    rewritten = screen(client, headers, "厦门市鑫达贸易有限责任公司")["candidates"][0]["score"]
    assert exact == 0.99  # a name alone is never certain
    assert 0.95 < rewritten < exact  # the same name, written differently: just below


def test_variants_of_an_english_name_and_full_width_letters(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    for name in (
        "ACME TRADING COMPANY LIMITED",
        "Acme Trading Co Ltd",
        "acme trading co., ltd",
        "ＡＣＭＥ　ＴＲＡＤＩＮＧ　ＣＯ．，ＬＴＤ．",
    ):
        body = screen(client, headers, name)
        assert body["query"]["normalised"] == "acmetrading limited"
        assert body["candidates"][0]["subject"] == city[ACME], name
        assert body["candidates"][0]["score"] > 0.98
    body = screen(client, headers, "ＸＩＡＭＥＮ　ＸＩＮＤＡ　ＴＲＡＤＩＮＧ　ＣＯ．，ＬＴＤ．")
    assert body["candidates"][0]["subject"] == city[XINDA_EN]
    assert body["candidates"][0]["reasons"] == ["same name once normalised"]
    # stored in full-width letters, looked up in half-width ones
    body = screen(client, headers, "Delta Logistics Ltd")
    assert body["candidates"][0]["subject"] == city[DELTA]
    assert body["candidates"][0]["matched_name"] == CITY[DELTA][0]


def test_a_branch_ranks_below_its_head_office_and_the_other_way_round(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    ranked = [c["subject"] for c in screen(client, headers, "厦门鑫达贸易有限公司")["candidates"]]
    assert ranked.index(city[HEAD]) < ranked.index(city[BRANCH])
    branch = next(
        c
        for c in screen(client, headers, "厦门鑫达贸易有限公司")["candidates"]
        if c["subject"] == city[BRANCH]
    )
    assert "a branch (思明); the query names a head office" in branch["reasons"]

    body = screen(client, headers, "厦门鑫达贸易有限公司思明分公司")
    assert body["query"]["branch"] == "思明"
    ranked = [c["subject"] for c in body["candidates"]]
    assert ranked[0] == city[BRANCH]
    assert ranked.index(city[BRANCH]) < ranked.index(city[HEAD])

    ranked = [c["subject"] for c in screen(client, headers, "Acme Trading Ltd")["candidates"]]
    assert ranked.index(city[ACME]) < ranked.index(city[ACME_BRANCH])


def test_scores_in_the_city_do_not_tie(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    # names as authorities submit them: a subject's name, rewritten or misspelt
    for name in (
        "厦门鑫达贸易有限公司",
        "厦门市鑫达商贸有限责任公司",
        "厦门鑫达进出口贸易有限公司",
        "厦门鑫盛贸易有限公司",
        "厦门鑫达贸易有限公司思明分公司",
        "Acme Trading Co., Ltd.",
        "Acme Trade Ltd",
        "Xinda Trading Ltd",
    ):
        candidates = screen(client, headers, name, limit=50)["candidates"]
        scores = [c["score"] for c in candidates]
        assert len(candidates) >= 4, name
        assert len(set(scores)) == len(scores), (name, scores)
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s < 1 and round(s, 4) == s for s in scores)
        assert all(c["reasons"] for c in candidates)


def test_equal_scores_are_ordered_by_name_then_code(
    client: TestClient, city: list[str], store: Store, headers: dict[str, str]
) -> None:
    # Without a place, the namesakes in Xiamen and Quanzhou are equally alike: a true tie.
    top = screen(client, headers, "鑫达贸易")["candidates"][:2]
    assert top[0]["score"] == top[1]["score"]
    assert [c["subject"] for c in top] == [city[HEAD], city[QUANZHOU]]  # 厦 before 泉
    # 华达 and 宏达 differ from 鑫达 in the same way: the same score again
    store([("厦门宏达贸易有限公司", "organisation"), ("厦门华达贸易有限公司", "organisation")], 100)
    candidates = screen(client, headers, "厦门鑫达贸易有限公司", limit=50)["candidates"]
    tied = [c for c in candidates if c["name"] in ("厦门宏达贸易有限公司", "厦门华达贸易有限公司")]
    assert tied[0]["score"] == tied[1]["score"]
    assert [c["name"] for c in tied] == sorted(c["name"] for c in tied)
    assert candidates.index(tied[0]) + 1 == candidates.index(tied[1])


def test_an_exact_code_is_certain(
    client: TestClient, city: list[str], headers: dict[str, str]
) -> None:
    body = screen(client, headers, "完全不同的名称有限公司", code=city[QUANZHOU].lower())
    assert body["query"]["code"] == city[QUANZHOU]
    assert body["query"]["code_found"] is True
    top = body["candidates"][0]
    assert (top["subject"], top["score"], top["certain"]) == (city[QUANZHOU], 1.0, True)
    assert top["reasons"][0] == "the code given is this subject's"

    # with the right name too, it is listed once, first
    body = screen(client, headers, "厦门鑫达贸易有限公司", code=city[QUANZHOU])
    subjects = [c["subject"] for c in body["candidates"]]
    assert subjects[0] == city[QUANZHOU]
    assert subjects.count(city[QUANZHOU]) == 1
    assert subjects[1] == city[HEAD]
    assert [c["certain"] for c in body["candidates"]].count(True) == 1

    unknown = screen(client, headers, "厦门鑫达贸易有限公司", code=uscc(99))
    assert unknown["query"]["code_found"] is False
    assert not any(c["certain"] for c in unknown["candidates"])
    # an organisation's code, but only individual businesses screened
    other = screen(
        client, headers, "厦门鑫达贸易有限公司", code=city[HEAD], kinds=["individual_business"]
    )
    assert other["query"]["code_found"] is False
    assert {c["kind"] for c in other["candidates"]} == {"individual_business"}


def test_persons_are_never_screened(
    client: TestClient, provider_headers: dict[str, str], headers: dict[str, str]
) -> None:
    person = judgment("P1", ric(1), "陈鑫达", kind="person")
    assert client.post("/api/v1/records", json=person, headers=provider_headers).status_code == 201
    org = judgment("O1", uscc(1), "厦门陈鑫达贸易有限公司")
    assert client.post("/api/v1/records", json=org, headers=provider_headers).status_code == 201
    body = screen(client, headers, "陈鑫达")
    assert [c["kind"] for c in body["candidates"]] == ["organisation"]
    r = client.post("/api/v1/screening", json={"name": "陈鑫达", "code": ric(1)}, headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "person_not_screened")
    r = client.post(
        "/api/v1/screening", json={"name": "陈鑫达", "kinds": ["person"]}, headers=headers
    )
    assert r.status_code == 422


def test_any_authority_may_screen_but_not_anonymous(
    client: TestClient, city: list[str], make_key: Callable[..., str]
) -> None:
    r = client.post("/api/v1/screening", json={"name": "厦门鑫达贸易有限公司"})
    assert (r.status_code, r.json()["code"]) == (401, "missing_api_key")
    bad = {"Authorization": "Bearer xy_nope_nope"}
    r = client.post("/api/v1/screening", json={"name": "鑫达"}, headers=bad)
    assert r.status_code == 401
    for key in (make_key("court"), make_key(role=Role.consumer), make_key(role=Role.admin)):
        body = screen(client, {"X-API-Key": key}, "厦门鑫达贸易有限公司")
        assert body["candidates"][0]["subject"] == city[HEAD]


def test_bad_input_is_422_never_500(client: TestClient, headers: dict[str, str]) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "invalid_request"),
        ({"name": "x" * 201}, "invalid_request"),
        ({"name": "鑫达", "limit": 0}, "invalid_request"),
        ({"name": "鑫达", "limit": 51}, "invalid_request"),
        ({"name": "鑫达", "limit": "many"}, "invalid_request"),
        ({"name": "鑫达", "kinds": []}, "invalid_request"),
        ({"name": "鑫达", "kinds": ["person"]}, "invalid_request"),
        ({"name": "鑫达", "surprise": 1}, "invalid_request"),
        ({}, "invalid_request"),
        ({"name": "   "}, "missing_name"),
        ({"name": "!!! ---"}, "empty_name"),
        ({"name": "鑫达\x00贸易"}, "invalid_name"),
        ({"name": "鑫达", "code": "91350200776049653B"}, "invalid_check_character"),
        ({"name": "鑫达", "code": "123"}, "invalid_length"),
        ({"name": "ﷺ" * 200}, "name_too_long"),  # NFKC makes each of these 18 letters
    ]
    for body, code in cases:
        r = client.post("/api/v1/screening", json=body, headers=headers)
        assert (r.status_code, r.json()["code"]) == (422, code), (body, r.text)
    r = client.post(
        "/api/v1/screening",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 422
