"""The subject area in a real browser: a subject signs in, files an objection and sees it
marked on the public page; a restoration applied for with an uploaded file and approved by
the authority removes the record from the public page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.me.records import bearer
from tests.portal.subject.support import PDF, organisation_with_fine
from xinyong.auth.keys import Role

DOCUMENT = "厦市监罚〔2026〕PG{seed}号"
STATEMENT = "罚款已全额缴纳，处罚决定书中的违法事实有误。"


def sign_in(page: Page, token: str) -> None:
    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/me/sign-in\?next=%2Fme$"))
    page.get_by_label("主体访问令牌").fill(token)
    page.get_by_role("button", name="登录我的档案").click()
    expect(page).to_have_url(re.compile(r"/me$"))


def test_a_subject_signs_in_files_an_objection_and_sees_it_marked_on_the_public_page(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    browser_page: Page,
    shot: Callable[[Page, str], Path],
) -> None:
    code, record = organisation_with_fine(client, make_key, seed=9501)
    page = browser_page
    page.goto(f"/entities/{code}")
    expect(page.get_by_text(DOCUMENT.format(seed=9501))).to_be_visible()
    expect(page.get_by_text("异议处理中")).to_have_count(0)

    sign_in(page, subject_key(code))
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的信用档案")
    expect(page.get_by_text(code, exact=True)).to_be_visible()  # the own code, unmasked
    shot(page, "file")
    assert_accessible(page)

    page.get_by_role("link", name="对此记录提出异议").click()
    expect(page).to_have_url(re.compile(rf"/me/objections/new\?record={record}$"))
    page.get_by_label("异议理由").select_option("error_or_omission")
    page.get_by_label("您的说明：哪里有误，应当如何").fill(STATEMENT)
    shot(page, "objection-form")
    assert_accessible(page)
    page.get_by_role("button", name="提交异议").click()

    expect(page).to_have_url(re.compile(r"/me/objections/o[0-9a-f]{20}$"))
    expect(page.get_by_text("办理中")).to_be_visible()
    expect(page.get_by_text(STATEMENT)).to_be_visible()
    shot(page, "objection-case")
    assert_accessible(page)

    page.get_by_role("link", name="我的异议与信用修复").click()
    expect(page.get_by_role("cell", name="办理中")).to_be_visible()

    page.goto(f"/entities/{code}")
    expect(page.get_by_text("异议处理中")).to_be_visible()
    shot(page, "public-page-marked")
    assert_accessible(page)


def test_a_restoration_approved_by_the_authority_removes_the_record_from_the_public_page(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    browser_page: Page,
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    code, record = organisation_with_fine(client, make_key, seed=9502)
    document = DOCUMENT.format(seed=9502)
    receipt = tmp_path / "缴款凭证.pdf"
    receipt.write_bytes(PDF)
    page = browser_page

    sign_in(page, subject_key(code))
    page.get_by_role("link", name="申请信用修复").click()
    expect(page).to_have_url(re.compile(rf"/me/restorations/new\?record={record}$"))
    expect(page.get_by_text("可以：您今天即可申请。")).to_be_visible()
    page.get_by_label("证明材料文件（如缴款凭证、整改报告）").set_input_files(str(receipt))
    page.get_by_label("本人签署此信用承诺，并保证所述属实").check()
    shot(page, "restoration-form")
    assert_accessible(page)
    page.get_by_role("button", name="申请信用修复").click()

    expect(page).to_have_url(re.compile(r"/me/restorations/rst_[0-9a-f]+$"))
    rid = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("审核中")).to_be_visible()
    expect(page.get_by_role("link", name="缴款凭证.pdf")).to_be_visible()
    shot(page, "restoration-case")
    assert_accessible(page)

    page.goto(f"/entities/{code}")
    expect(page.get_by_text(document)).to_be_visible()
    expect(page.get_by_text("修复申请中").first).to_be_visible()

    # the authority approves (through the API, with the administrator's key)
    decided = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "approved"},
        headers=bearer(make_key(role=Role.admin)),
    )
    assert decided.status_code == 200, decided.text

    page.reload()
    expect(page.get_by_text(document)).to_have_count(0)
    shot(page, "public-page-after-approval")
    assert_accessible(page)

    page.goto(f"/me/restorations/{rid}")
    expect(page.get_by_text("已同意：信用已修复")).to_be_visible()
    shot(page, "restoration-approved")
    assert_accessible(page)
