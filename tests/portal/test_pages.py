"""The public portal's pages, over real HTTP on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import days_ago, judgment, penalty, ric, uscc
from tests.me.records import bearer, submit

ORG_NAME = "厦门门户测试有限公司"
ZH = {"lang": "zh"}


def test_home_search_entity_and_scheme(client: TestClient, make_key: Callable[..., str]) -> None:
    org = uscc(9101)
    submit(client, make_key("market_regulation"), penalty("P1", org, ORG_NAME))
    submit(client, make_key("court"), judgment("J1", org, ORG_NAME))

    home = client.get("/", params=ZH)
    assert home.status_code == 200
    assert '<html lang="zh-Hans">' in home.text
    assert 'action="/search"' in home.text
    assert 'href="#main"' in home.text
    assert "<main" in home.text
    assert "<nav" in home.text
    assert "<footer" in home.text

    found = client.get("/search", params={"q": "门户测试", "lang": "zh"})
    assert found.status_code == 200
    assert f'href="/entities/{org}"' in found.text
    assert ORG_NAME in found.text
    none = client.get("/search", params={"q": "门户测试", "kind": "person"})
    assert f"/entities/{org}" not in none.text
    assert client.get("/search").status_code == 200  # the empty form

    page = client.get(f"/entities/{org}", params=ZH)
    assert page.status_code == 200, page.text
    assert f"<h1>{ORG_NAME}</h1>" in page.text
    assert "行政处罚信息" in page.text  # the record type's name from the catalogue
    assert "厦市监罚〔2026〕P1号" in page.text  # the document number
    assert "失信被执行人" in page.text  # on the judgment-defaulter list
    assert 'href="/schemes/city_grade"' in page.text
    assert 'href="/lists/judgment_defaulters"' in page.text

    scheme = client.get("/schemes/city_grade", params=ZH)
    assert scheme.status_code == 200
    assert "<h1>" in scheme.text
    assert "<li>" in scheme.text


def test_person_page_shows_only_the_masked_number(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    person = ric(9102)
    record = judgment("JP", person, "李四", kind="person")
    record["fields"]["obligation"] = f"{person} 支付货款"
    submit(client, make_key("court"), record)
    found = client.get("/search", params={"q": person})
    ids = re.findall(r'href="/entities/([^"]+)"', found.text)
    assert len(ids) == 1
    assert ids[0] != person
    page = client.get(f"/entities/{ids[0]}")
    assert page.status_code == 200, page.text
    assert "李四" in page.text
    assert person not in page.text
    assert person.lower() not in page.text
    for url in ("/lists/judgment_defaulters", "/lists/judgment_defaulters.csv"):
        shown = client.get(url)
        assert shown.status_code == 200
        assert person not in shown.text
    # the identity number itself does not open the page
    assert client.get(f"/entities/{person}").status_code == 404


def test_objection_and_statement_are_shown_beside_the_record(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    org = uscc(9103)
    record_id = submit(client, make_key("market_regulation"), penalty("P3", org, ORG_NAME))
    filed = client.post(
        "/api/v1/objections",
        json={"target": record_id, "grounds": "error_or_omission", "statement": "paid"},
        headers=bearer(subject_key(org)),
    )
    assert filed.status_code == 201, filed.text
    said = client.post(
        f"/api/v1/objections/{filed.json()['id']}/statement",
        json={"text": "罚款已于上月缴清，收据号 <b>2026-001</b>。"},
        headers=bearer(subject_key(org)),
    )
    assert said.status_code == 201, said.text
    zh = client.get(f"/entities/{org}", params=ZH)
    assert "异议处理中" in zh.text
    assert 'class="record objected"' in zh.text
    assert "罚款已于上月缴清，收据号 &lt;b&gt;2026-001&lt;/b&gt;。" in zh.text
    en = client.get(f"/entities/{org}", params={"lang": "en"})
    assert "Under objection" in en.text
    assert "Statement by the subject" in en.text


def test_language_switch_sets_the_cookie(client: TestClient) -> None:
    en = client.get("/", params={"lang": "en"})
    assert en.status_code == 200
    assert '<html lang="en">' in en.text
    assert "Red and black lists" in en.text
    assert "xinyong_lang=en" in en.headers["set-cookie"]
    assert 'href="/?lang=zh"' in en.text  # the switch back
    # the cookie keeps the language on the next page
    again = client.get("/lists")
    assert "Red and black lists" in again.text
    assert "红黑名单" not in again.text
    zh = client.get("/lists", params=ZH)
    assert "红黑名单" in zh.text
    assert "xinyong_lang=zh" in zh.headers["set-cookie"]
    client.cookies.clear()
    assert "Red and black lists" in client.get("/", headers={"Accept-Language": "en-GB"}).text
    assert "红黑名单" in client.get("/").text  # the default


def test_no_page_loads_anything_from_elsewhere(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    org = uscc(9104)
    submit(client, make_key("court"), judgment("J4", org, ORG_NAME))
    urls = [
        "/",
        "/search?q=门户",
        f"/entities/{org}",
        "/schemes/city_grade",
        "/lists",
        "/lists/judgment_defaulters",
        "/publicity/penalties",
        "/publicity/licences",
        "/entities/NOPE",
    ]
    for url in urls:
        html = client.get(url).text
        for ref in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert not ref.startswith(("http://", "https://", "//")), (url, ref)
    css = client.get("/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text
    assert 'href="/static/portal.css"' in client.get("/").text


def test_names_are_escaped(client: TestClient, make_key: Callable[..., str]) -> None:
    org = uscc(9105)
    evil = "厦门<script>alert(1)</script>有限公司"
    submit(client, make_key("market_regulation"), penalty("P5", org, evil))
    for url in (f"/entities/{org}", "/publicity/penalties", "/search?q=alert"):
        html = client.get(url).text
        assert "<script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_list_page_and_csv(client: TestClient, make_key: Callable[..., str]) -> None:
    court = make_key("court")
    org_a, org_b = uscc(9106), uscc(9107)
    submit(client, court, judgment("JA", org_a, "厦门甲公司"))
    submit(client, court, judgment("JB", org_b, "厦门乙公司"))
    page = client.get("/lists/judgment_defaulters", params=ZH)
    assert page.status_code == 200
    assert "<h1>" in page.text
    assert "厦门甲公司" in page.text
    assert "厦门乙公司" in page.text
    assert "（2026）闽02执JA号" in page.text
    assert 'href="/lists/judgment_defaulters.csv"' in page.text
    orgs = client.get("/lists/judgment_defaulters", params={"kind": "person"})
    assert "厦门甲公司" not in orgs.text
    csv = client.get("/lists/judgment_defaulters.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "code,kind,name,since,until,legal_basis,document_number"
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted([org_a, org_b])
    # an unpublished list is not shown to the public
    for url in ("/lists/focus_attention", "/lists/focus_attention.csv", "/lists/nope"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "<h1>" in r.text, url
    assert "focus_attention" not in client.get("/lists").text


def test_penalties_page_filters(client: TestClient, make_key: Callable[..., str]) -> None:
    market = make_key("market_regulation")
    org = uscc(9108)
    submit(client, market, penalty("OLD", org, ORG_NAME, decided_on=days_ago(40)))
    submit(client, market, penalty("NEW", org, ORG_NAME, decided_on=days_ago(5)))
    page = client.get("/publicity/penalties", params=ZH)
    assert page.status_code == 200
    assert "<h1>行政处罚</h1>" in page.text
    new, old = page.text.index("〔2026〕NEW号"), page.text.index("〔2026〕OLD号")
    assert new < old  # newest first
    recent = client.get("/publicity/penalties", params={"date_from": days_ago(10)})
    assert "〔2026〕NEW号" in recent.text
    assert "〔2026〕OLD号" not in recent.text
    older = client.get("/publicity/penalties", params={"date_to": days_ago(10)})
    assert "〔2026〕OLD号" in older.text
    assert "〔2026〕NEW号" not in older.text
    court = client.get("/publicity/penalties", params={"provider": "court"})
    assert "〔2026〕NEW号" not in court.text
    mine = client.get("/publicity/penalties", params={"provider": "market_regulation"})
    assert "〔2026〕NEW号" in mine.text
    assert "〔2026〕NEW号" not in client.get("/publicity/licences").text


def test_not_found_and_bad_request_pages(client: TestClient) -> None:
    for url in ("/entities/91350200MA0000000X", "/schemes/nope", "/publicity/nope"):
        r = client.get(url, params=ZH)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("text/html")
        assert "页面不存在" in r.text
    bad = [
        ("/search", {"q": "x", "kind": "alien"}),
        ("/search", {"q": "x", "cursor": "forged"}),
        ("/lists/judgment_defaulters", {"as_of": "yesterday"}),
        ("/lists/judgment_defaulters", {"after": "-1"}),
        ("/publicity/penalties", {"date_from": "2026-13-01"}),
        ("/publicity/penalties", {"provider": "nobody"}),
        ("/publicity/penalties", {"page": "0"}),
    ]
    for url, params in bad:
        r = client.get(url, params={**params, "lang": "en"})
        assert r.status_code == 400, (url, params, r.status_code)
        assert "<h1>Bad request</h1>" in r.text
        assert 'role="alert"' in r.text
