"""GET /api/v1/entities: Chinese substrings of any length, exact codes, name variants,
persons only while public, kinds, paging, and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.entities import (
    codes,
    day,
    judgment,
    penalty,
    ric,
    search,
    submit,
    submit_batch,
    uscc,
)
from xinyong.db.tables import entities

SHANGHAI = uscc(1)
XIAMEN = uscc(2)
BEIJING = uscc(3)
SHOP = uscc(4, prefix="92")
ABC = uscc(5)
ODD = uscc(6)


@pytest.fixture
def companies(client: TestClient, make_key: Callable[..., str]) -> None:
    """Six subjects, stored in this order (so their names' ids follow it)."""
    key = make_key("court")
    submit(
        client,
        key,
        judgment("C1", SHANGHAI, "上海电气有限公司"),
        judgment("C2", XIAMEN, "厦门海鲜贸易有限公司"),
        judgment("C3", BEIJING, "北京科技有限公司"),
        judgment("C4", SHOP, "思明海韵小吃店", kind="individual_business"),
        judgment("C5", ABC, "ABC科技（厦门）有限公司"),
        judgment("C6", ODD, "百分百%_贸易有限公司"),
    )


@pytest.mark.usefixtures("companies")
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("海", [SHANGHAI, XIAMEN, SHOP]),  # 1 character: the gram table
        ("上海", [SHANGHAI]),  # 2 characters: the gram table
        ("海鲜", [XIAMEN]),
        ("上海电", [SHANGHAI]),  # 3 characters: FTS5 trigram / pg_trgm
        ("海鲜贸易", [XIAMEN]),
        ("有限公司", [SHANGHAI, XIAMEN, BEIJING, ABC, ODD]),
        ("科技", [BEIJING, ABC]),
        ("鹭", []),
        ("上海电力", []),
        ("abc", [ABC]),  # Latin letters match in any case
        ("Ab", [ABC]),
        ("b", [ABC]),
        ("%", [ODD]),  # LIKE wildcards are literal characters
        ("_", [ODD]),
        ("%_", [ODD]),
        ("%_贸", [ODD]),
        ("%%%", []),
        ("___", []),
        ('"上海', []),  # FTS5 syntax is literal too
        ("上海 OR 北京", []),
        ("海*", []),
        ("NEAR(上海)", []),
        ("  海鲜  ", [XIAMEN]),  # surrounding blanks are ignored
    ],
)
def test_name_substring(client: TestClient, q: str, expected: list[str]) -> None:
    page = search(client, q=q)
    assert codes(page) == expected
    assert page["next_cursor"] is None


@pytest.mark.usefixtures("companies")
def test_item_shape(client: TestClient) -> None:
    page = search(client, q="海韵")
    assert page == {
        "items": [
            {
                "code": SHOP,
                "kind": "individual_business",
                "name": "思明海韵小吃店",
                "division": SHOP[2:8],
            }
        ],
        "next_cursor": None,
    }


@pytest.mark.usefixtures("companies")
def test_exact_code_finds_that_entity_only(client: TestClient) -> None:
    page = search(client, q=XIAMEN)
    assert codes(page) == [XIAMEN]
    assert page["items"][0]["name"] == "厦门海鲜贸易有限公司"
    assert codes(search(client, q=XIAMEN.lower())) == [XIAMEN]
    assert codes(search(client, q=f" {XIAMEN} ")) == [XIAMEN]
    # a valid code that nobody has: nothing, not a substring search
    assert codes(search(client, q=uscc(99))) == []
    # a part of a code is not a code, and no name contains it
    assert codes(search(client, q=XIAMEN[:10])) == []
    # kind applies to exact codes too
    assert codes(search(client, q=XIAMEN, kind="individual_business")) == []
    assert codes(search(client, q=SHOP, kind="individual_business")) == [SHOP]


@pytest.mark.usefixtures("companies")
def test_kind_filter(client: TestClient) -> None:
    assert codes(search(client, q="海", kind="individual_business")) == [SHOP]
    assert codes(search(client, q="海", kind="organisation")) == [SHANGHAI, XIAMEN]
    assert codes(search(client, q="海", kind="person")) == []


def test_division_filter(client: TestClient, make_key: Callable[..., str]) -> None:
    """Organisations by the district in their code; persons never (it would tell where they
    were born)."""
    huli = uscc(7, division="350206")
    person = ric(8, division="350206")
    submit(
        client,
        make_key("court"),
        judgment("D1", huli, "湖里区滨海贸易有限公司"),
        judgment("D2", XIAMEN, "厦门海滨贸易有限公司"),
        judgment("D3", person, "滨海", kind="person"),
    )
    assert codes(search(client, q="滨")) != []
    assert codes(search(client, q="滨", division="350206")) == [huli]
    assert codes(search(client, q="滨", division="350203")) == [XIAMEN]
    assert codes(search(client, q=huli, division="350203")) == []  # an exact code too
    assert codes(search(client, q=huli, division="350206")) == [huli]
    assert codes(search(client, q="滨海", kind="person", division="350206")) == []
    page = client.get("/search", params={"q": "滨", "district": "350206", "lang": "zh"})
    assert f'href="/entities/{huli}"' in page.text
    assert f'href="/entities/{XIAMEN}"' not in page.text
    assert '<option value="350206" selected>湖里区</option>' in page.text
    bad = client.get("/search", params={"q": "滨", "district": "湖里"})
    assert bad.status_code == 400
    assert "invalid_division" in bad.text


def test_renamed_company_found_by_its_old_name(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    code = uscc(10)
    submit(
        client,
        key,
        judgment("R1", code, "厦门鹭岛旧名贸易有限公司", decided_on=day(-300)),
        judgment("R2", code, "厦门鹭岛新名科技有限公司", decided_on=day(-20)),
    )
    expected = [
        {
            "code": code,
            "kind": "organisation",
            "name": "厦门鹭岛新名科技有限公司",
            "division": code[2:8],
        }
    ]
    for q in ("旧名", "旧", "旧名贸易", "新名", "新名科技"):
        assert search(client, q=q)["items"] == expected, q
    # both names match: the entity still appears once
    for q in ("鹭", "鹭岛", "厦门鹭岛", "有限公司"):
        assert search(client, q=q)["items"] == expected, q


def _person_entity(engine: Engine, code: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(entities.c.public_id, entities.c.name).where(entities.c.code == code)
        ).one()
    return row[0], row[1]


def test_persons_only_while_they_have_a_public_record(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    listed, penalised, expired = ric(1), ric(2), ric(3)
    submit(client, court, judgment("P1", listed, "陈志明", kind="person"))
    # an administrative penalty of a natural person is not public
    submit(client, market, penalty("P2", penalised, "陈志强", kind="person"))
    # listed two years ago, listing over
    submit(
        client,
        court,
        judgment("P3", expired, "陈志刚", kind="person", decided_on=day(-800)),
    )
    public_id, _ = _person_entity(engine, listed)
    shown = {"code": public_id, "kind": "person", "name": "陈志明", "division": None}
    assert public_id.startswith("s")
    assert listed not in public_id
    for q in ("陈", "陈志", "陈志明", "志明"):
        assert search(client, q=q)["items"] == [shown], q
    assert search(client, q="陈志强")["items"] == []
    assert search(client, q="陈志刚")["items"] == []
    # by identity number: the public person only, and never under that number
    assert search(client, q=listed)["items"] == [shown]
    assert search(client, q=penalised)["items"] == []
    assert search(client, q=expired)["items"] == []
    assert search(client, q="陈", kind="person")["items"] == [shown]
    assert search(client, q="陈", kind="organisation")["items"] == []
    # once a public record arrives, the penalised person appears too
    submit(client, court, judgment("P4", penalised, "陈志强", kind="person"))
    assert [i["name"] for i in search(client, q="陈志")["items"]] == ["陈志明", "陈志强"]


def _all_pages(client: TestClient, q: str, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": q, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = search(client, **params)
        pages += 1
        assert len(page["items"]) <= limit
        seen += codes(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(page["items"]) == limit


def test_cursor_paging_returns_every_match_once(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    records = [judgment(f"M{i}", uscc(100 + i), f"厦门海洋{i:02d}贸易有限公司") for i in range(23)]
    # renamed subjects: two of their names match, they must still come once
    records += [
        judgment(f"N{i}", uscc(100 + i), f"厦门海洋{i:02d}物流有限公司", decided_on=day(-5))
        for i in range(0, 23, 4)
    ]
    records.append(judgment("X1", uscc(200), "泉州山水茶业有限公司"))
    submit_batch(client, key, records)
    everyone = sorted(uscc(100 + i) for i in range(23))
    for q in ("海", "洋", "海洋", "厦门海洋", "门海洋"):
        for limit in (1, 7, 23, 100):
            seen, pages = _all_pages(client, q, limit)
            assert sorted(seen) == everyone, (q, limit)
            assert len(seen) == len(set(seen)) == 23
            assert pages == -(-23 // limit)
    # each page's cursor is stable: asking again gives the same page
    first = search(client, q="海洋", limit=5)
    again = search(client, q="海洋", limit=5, cursor=first["next_cursor"])
    assert again == search(client, q="海洋", limit=5, cursor=first["next_cursor"])
    assert not set(codes(first)) & set(codes(again))
    # default page size is 20
    assert len(search(client, q="海洋")["items"]) == 20


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "海", "limit": "0"}, "invalid_limit"),
        ({"q": "海", "limit": "-1"}, "invalid_limit"),
        ({"q": "海", "limit": "101"}, "invalid_limit"),
        ({"q": "海", "limit": "abc"}, "invalid_limit"),
        ({"q": "海", "limit": "1.5"}, "invalid_limit"),
        ({"q": "海", "limit": "１０"}, "invalid_limit"),
        ({"q": "海", "cursor": "zzz"}, "invalid_cursor"),
        ({"q": "海", "cursor": "bjox="}, "invalid_cursor"),  # "n:1", padded
        ({"q": "海", "cursor": "bjotMQ"}, "invalid_cursor"),  # "n:-1"
        ({"q": "海", "cursor": "eDox"}, "invalid_cursor"),  # "x:1"
        ({"q": "海", "cursor": "bjowMQ"}, "invalid_cursor"),  # "n:01"
        ({"q": "海", "cursor": "bjo"}, "invalid_cursor"),  # "n:"
        ({"q": "海", "cursor": "bjoxMjM0NTY3ODkwMTIz"}, "invalid_cursor"),  # 13 digits
        ({"q": "海", "cursor": "%%%"}, "invalid_cursor"),
        ({"q": "海", "cursor": "5Lit"}, "invalid_cursor"),  # "中"
        ({"q": "海", "kind": "company"}, "invalid_kind"),
        ({"q": "海", "kind": "PERSON"}, "invalid_kind"),
        ({}, "missing_query"),
        ({"q": "   "}, "missing_query"),
        ({"q": "海" * 101}, "query_too_long"),
        ({"q": "海\x01"}, "invalid_query"),  # NUL: refused before (test_request_guard)
        ({"q": "海", "division": "3502"}, "invalid_division"),
        ({"q": "海", "division": "思明区"}, "invalid_division"),
    ],
)
def test_bad_parameters_are_422_with_a_code(
    client: TestClient, params: dict[str, str], code: str
) -> None:
    r = client.get("/api/v1/entities", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code
    assert body["message"]


def test_cursor_round_trip_values(client: TestClient, make_key: Callable[..., str]) -> None:
    submit(
        client,
        make_key("court"),
        *[judgment(f"K{i}", uscc(300 + i), f"漳州{i}号五金有限公司") for i in range(3)],
    )
    first = search(client, q="五金", limit=2)
    assert [i["name"] for i in first["items"]] == ["漳州0号五金有限公司", "漳州1号五金有限公司"]
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    last = search(client, q="五金", limit=2, cursor=cursor)
    assert [i["name"] for i in last["items"]] == ["漳州2号五金有限公司"]
    assert last["next_cursor"] is None


def test_search_over_real_http(
    live_server: str, client: TestClient, make_key: Callable[..., str]
) -> None:
    submit(
        client,
        make_key("court"),
        judgment("H1", uscc(400), "厦门鹭江船务有限公司"),
        judgment("H2", uscc(401), "厦门鹭江道餐饮管理有限公司"),
    )
    with httpx.Client(base_url=live_server, timeout=10) as http:
        one = http.get("/api/v1/entities", params={"q": "鹭"})
        assert one.status_code == 200
        assert one.headers["content-type"] == "application/json"
        assert [i["name"] for i in one.json()["items"]] == [
            "厦门鹭江船务有限公司",
            "厦门鹭江道餐饮管理有限公司",
        ]
        three = http.get("/api/v1/entities", params={"q": "鹭江道", "limit": 1})
        assert [i["code"] for i in three.json()["items"]] == [uscc(401)]
        bad = http.get("/api/v1/entities", params={"q": "鹭", "limit": 1000})
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_limit"


SUBJECTS: list[tuple[str, str, str, str]] = [
    # (kind, code, name, record): interleaved so that every filter rejects some matches
    *(
        pair
        for i in range(6)
        for pair in (
            ("organisation", uscc(500 + i), f"厦门海鲜{i}贸易有限公司", "judgment"),
            ("individual_business", uscc(520 + i, prefix="92"), f"思明海鲜{i}商行", "judgment"),
        )
    ),
    ("person", ric(540), "林海鲜", "judgment"),  # public
    ("person", ric(541), "陈海鲜", "penalty"),  # not public: never found
    ("organisation", uscc(542), "泉州山海鲜品贸易有限公司", "judgment"),
]


@pytest.fixture
def mixed(client: TestClient, make_key: Callable[..., str], engine: Engine) -> dict[str, str]:
    """SUBJECTS stored; maps each code to the code search shows (public id for persons)."""
    court, market = make_key("court"), make_key("market_regulation")
    for i, (kind, code, name, record) in enumerate(SUBJECTS):
        if record == "judgment":
            submit(client, court, judgment(f"S{i}", code, name, kind=kind))
        else:
            submit(client, market, penalty(f"S{i}", code, name, kind=kind))
    with engine.connect() as conn:
        shown = dict(conn.execute(select(entities.c.code, entities.c.public_id)).all())
    return {c: (shown[c] if k == "person" else c) for k, c, _n, _r in SUBJECTS}


@pytest.mark.parametrize("budget", [3, 2000])
@pytest.mark.parametrize("probe_rows", [3, 2000])
def test_pages_under_a_small_scan_budget_still_find_everything_once(
    client: TestClient,
    mixed: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    budget: int,
    probe_rows: int,
) -> None:
    """Each request examines a bounded number of matching names; pages may be short, even
    empty, but following next_cursor still yields every match exactly once."""
    from xinyong.entities import repository, service

    monkeypatch.setattr(service, "SCAN_BUDGET", budget)
    monkeypatch.setattr(repository, "PROBE_ROWS", probe_rows)
    short_pages = 0
    for q in ("海", "海鲜", "海鲜1", "鲜贸易", "商行", "有限公司"):
        for kind in (None, "organisation", "individual_business", "person"):
            expected = sorted(
                mixed[code]
                for k, code, name, record in SUBJECTS
                if q in name and (kind is None or k == kind) and record == "judgment"
            )
            for limit in (1, 4):
                seen: list[str] = []
                cursor: str | None = None
                for _ in range(100):
                    params: dict[str, Any] = {"q": q, "limit": limit}
                    if kind:
                        params["kind"] = kind
                    if cursor:
                        params["cursor"] = cursor
                    page = search(client, **params)
                    seen += codes(page)
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
                    short_pages += len(page["items"]) < limit
                assert sorted(seen) == expected, (q, kind, limit)
    if budget == 3:
        assert short_pages > 0  # the budget did cut scans short
    elif probe_rows == 2000:
        assert short_pages == 0
