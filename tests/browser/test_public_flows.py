"""The public portal in a real browser: search → entity → report download → verify, and
the language switch."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.factories import judgment, penalty, uscc
from tests.me.records import submit

ORG_NAME = "厦门浏览器测试贸易有限公司"


def test_search_entity_report_download_and_verify(
    client: TestClient,
    make_key: Callable[..., str],
    browser_page: Page,
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    org = uscc(9301)
    submit(client, make_key("market_regulation"), penalty("BP1", org, ORG_NAME))
    submit(client, make_key("court"), judgment("BJ1", org, ORG_NAME))
    page = browser_page

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("searchbox").fill("浏览器测试")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    shot(page, "results")
    assert_accessible(page)

    page.get_by_role("link", name=ORG_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORG_NAME)
    expect(page.get_by_text("厦市监罚〔2026〕BP1号")).to_be_visible()
    expect(page.get_by_role("link", name="失信被执行人").first).to_be_visible()
    shot(page, "entity")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载信用报告（PDF，已签名）").click()
    report = tmp_path / "report.pdf"
    info.value.save_as(report)
    data = report.read_bytes()
    assert data.startswith(b"%PDF-")

    page.get_by_role("link", name="验证信用报告").click()
    page.get_by_label("报告（PDF）").set_input_files(str(report))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_text("真实有效：由本平台签发且未被篡改。")).to_be_visible()
    expect(page.get_by_text("报告出具后，该主体的信息未发生变化。")).to_be_visible()
    shot(page, "verified")
    assert_accessible(page)

    # one byte changed: the same page says it is not authentic
    altered = tmp_path / "altered.pdf"
    middle = len(data) // 2
    altered.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    page.get_by_label("报告（PDF）").set_input_files(str(altered))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_text("无效：文件已被篡改或并非本平台出具。")).to_be_visible()
    shot(page, "altered")


def test_language_switch(browser_page: Page, shot: Callable[[Page, str], Path]) -> None:
    page = browser_page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("信用公示平台")
    shot(page, "zh")
    assert_accessible(page)

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Xinyong public credit portal")
    shot(page, "en")

    # the choice is remembered on the next page (cookie), with the keyboard this time
    page.get_by_role("link", name="Red and black lists").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="中文")).to_be_visible()

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.goto("/search")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
