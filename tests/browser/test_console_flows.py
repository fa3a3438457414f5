"""The authority console in a real browser: an authority uploads a file with bad rows and
downloads the error report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.a11y import assert_accessible
from tests.factories import csv_bytes, judgment, uscc


def test_an_authority_uploads_a_file_with_bad_rows_and_downloads_the_error_report(
    client: TestClient,
    make_key: Callable[..., str],
    browser_page: Page,
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    key = make_key("court")
    upload = tmp_path / "court-2026-12.csv"
    upload.write_bytes(
        csv_bytes(
            [
                judgment("BR1", uscc(9401)),
                judgment("BR2", "NOT-A-CODE"),
                judgment("BR3", uscc(9402)),
                judgment("BR4", uscc(9403), decided_on="2999-01-01"),
            ]
        )
    )
    page = browser_page
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)

    page.goto("/console/uploads")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next=/console/uploads"))
    page.get_by_label("API 密钥").fill(key)
    shot(page, "sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/uploads$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("上传文件")
    # a click before the deferred script has run would post the plain form
    expect(page.locator("#upload-form")).to_have_attribute("data-enhanced", "xhr")

    page.get_by_label("文件").set_input_files(str(upload))
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/console/imports/\d+$"))
    # the file went by XMLHttpRequest (the progress path), not by the plain form
    posts = [r for r in sent if r.url.endswith("/console/uploads")]
    assert [r.resource_type for r in posts] == ["xhr"]
    expect(page.locator("#import-accepted")).to_have_text("2")
    expect(page.locator("#import-rejected")).to_have_text("2")
    errors = page.locator("table.row-errors tbody tr")
    expect(errors.first).to_be_visible()
    expect(page.locator("table.row-errors")).to_contain_text("subject_code")
    expect(page.locator("table.row-errors")).to_contain_text("decided_on")
    shot(page, "report")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载逐行错误报告（CSV）").click()
    saved = tmp_path / "errors.csv"
    info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows
    assert set(rows[0]) == {"file", "row", "field", "code", "message"}
    assert {(r["row"], r["field"]) for r in rows} >= {("3", "subject_code"), ("5", "decided_on")}
    assert all(r["file"] == upload.name and r["code"] for r in rows)


def test_a_bad_key_and_a_wrong_file_type_are_said_on_the_page(
    client: TestClient,
    make_key: Callable[..., str],
    browser_page: Page,
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    page = browser_page
    page.goto("/console/sign-in")
    page.get_by_label("API 密钥").fill("xy_wrong_key")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid_api_key")
    page.get_by_label("API 密钥").fill(make_key("court"))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("部门工作台")
    page.get_by_role("link", name="上传文件").first.click()
    # a click before the deferred script has run would post the plain form (CI saw it once)
    expect(page.locator("#upload-form")).to_have_attribute("data-enhanced", "xhr")
    wrong = tmp_path / "records.txt"
    wrong.write_text("not a record file")
    page.get_by_label("文件").set_input_files(str(wrong))
    page.get_by_role("button", name="上传并导入").click()
    # the script shows the server's message in the form's alert, and stays on the page
    expect(page.locator("#upload-error")).to_contain_text("unsupported file type")
    expect(page).to_have_url(re.compile(r"/console/uploads$"))
    shot(page, "wrong-type")
    assert_accessible(page)


def test_without_javascript_the_plain_form_uploads(
    client: TestClient,
    make_key: Callable[..., str],
    browser: Browser,
    base_url: str,
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    upload = tmp_path / "court.csv"
    upload.write_bytes(csv_bytes([judgment("NJ1", uscc(9411)), judgment("NJ2", "BAD")]))
    context = browser.new_context(base_url=base_url, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/console/uploads")
        page.get_by_label("API key").fill(make_key("court"))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("File", exact=True).set_input_files(str(upload))
        page.get_by_role("button", name="Upload and import").click()
        expect(page).to_have_url(re.compile(r"/console/imports/\d+$"))
        expect(page.locator("#import-accepted")).to_have_text("1")
        expect(page.locator("#import-rejected")).to_have_text("1")
        shot(page, "report-without-js")
        assert_accessible(page)
    finally:
        context.close()
