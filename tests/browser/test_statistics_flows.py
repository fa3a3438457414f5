"""The statistics dashboard in a real browser: charts drawn, tables behind <details>, the
scheme selector, a bad parameter and the language switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tests.browser.a11y import assert_accessible
from tests.portal.statistics.seed import seed
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings


def test_dashboard_charts_tables_and_languages(
    engine: Engine,
    settings: Settings,
    browser_page: Page,
    shot: Callable[[Page, str], Path],
) -> None:
    seed(engine, today_in(settings))
    page = browser_page

    page.goto("/")
    page.get_by_role("link", name="统计").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("信用统计")
    charts = page.locator("svg.chart[role=img]")
    expect(charts).to_have_count(6)
    expect(page.get_by_role("img", name="各部门每月归集的记录")).to_be_visible()
    expect(page.locator("svg rect.bar").first).to_be_visible()
    shot(page, "statistics-zh")
    assert_accessible(page)

    page.locator("#records summary").click()
    expect(page.get_by_role("cell", name="3", exact=True).first).to_be_visible()

    page.get_by_label("评级方案").select_option("environment_credit")
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_label("评级方案")).to_have_value("environment_credit")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Credit statistics")
    expect(
        page.get_by_role("img", name="Records collected per authority per month")
    ).to_be_visible()
    shot(page, "statistics-en")
    assert_accessible(page)

    page.goto("/statistics?months=99&lang=en")
    expect(page.get_by_role("alert")).to_contain_text("months must be a whole number")
