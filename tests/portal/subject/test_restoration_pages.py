"""Applying for credit restoration from the subject area: eligibility, uploaded evidence
(sniffed, checked and limited by the restorations service), the signed commitment, the
case page, refusals that write nothing, and an approval that ends the public record."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import days_ago, judgment, penalty, uscc
from tests.me.records import bearer, submit
from tests.portal.subject.conftest import SMALL_FILE
from tests.portal.subject.support import (
    PDF,
    PNG,
    MakeKey,
    SubjectKey,
    case_id,
    count,
    html,
    nothing_applied,
    organisation_with_fine,
    sign_in,
)
from xinyong.auth.keys import Role
from xinyong.db.tables import restoration_evidence, restorations

COMMITMENT = (
    "本单位承诺已纠正失信行为、履行全部法定义务，今后依法诚信经营，如违背承诺自愿接受惩戒。"
)
DOCUMENT = "厦市监罚〔2026〕PG8101号"

Upload = tuple[str, tuple[str, bytes, str]]


def apply(
    client: TestClient,
    record: str,
    files: list[Upload],
    *,
    signed: bool = True,
    commitment: str = COMMITMENT,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {"record": record, "commitment": commitment}
    if signed:
        data["signed"] = "yes"
    sent: httpx.Response = client.post(
        "/me/restorations/new",
        data=data,
        files=files,
        headers=headers or {},
        follow_redirects=False,
    )
    return sent


def pdf(name: str = "receipt.pdf", content: bytes = PDF, media: str = "application/pdf") -> Upload:
    return ("evidence", (name, content, media))


def test_a_subject_applies_with_an_uploaded_pdf_and_the_approval_ends_the_public_record(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    assert DOCUMENT in html(client, f"/entities/{code}")
    sign_in(client, subject_key(code))

    form = html(client, f"/me/restorations/new?record={record}&lang=en")
    assert "Yes: you may apply today." in form
    assert 'enctype="multipart/form-data"' in form
    assert '<label for="evidence">' in form
    assert '<label for="signed">' in form
    assert '<label for="commitment">' in form
    assert "application/pdf, image/png, image/jpeg, text/plain" in form

    r = apply(client, record, [pdf()])
    assert r.status_code == 303, r.text
    rid = case_id(r.headers["location"], "restorations")
    case = html(client, f"/me/restorations/{rid}?lang=en")
    assert "Pending, being decided" in case
    assert "Working days left to decide" in case
    assert "receipt.pdf" in case
    assert COMMITMENT in case
    assert f'href="/api/v1/restorations/{rid}/evidence/1"' in case
    assert client.get(f"/api/v1/restorations/{rid}/evidence/1").content == PDF
    assert "Restoration pending" in html(client, f"/entities/{code}?lang=en")
    assert f'href="/me/restorations/{rid}"' in html(client, "/me/cases")
    # a second application for the same record: refused while the first is pending
    form = html(client, f"/me/restorations/new?record={record}&lang=en")
    assert "already pending" in form
    assert count(engine, restorations) == 1

    admin = make_key(role=Role.admin)
    r2 = client.post(
        f"/api/v1/restorations/{rid}/decision",
        json={"decision": "approved"},
        headers=bearer(admin),
    )
    assert r2.status_code == 200, r2.text
    assert DOCUMENT not in html(client, f"/entities/{code}")
    case = html(client, f"/me/restorations/{rid}?lang=en")
    assert "Approved: restored" in case
    assert "The record is no longer shown to others." in case
    assert f'href="/me/objections/new?target=restoration:{rid}"' in case


def test_a_png_is_recognised_by_its_bytes_whatever_the_browser_says(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    r = apply(client, record, [("evidence", ("scan", PNG, "application/octet-stream"))])
    assert r.status_code == 303, r.text
    with engine.connect() as conn:
        media = conn.execute(select(restoration_evidence.c.media_type)).scalar_one()
    assert media == "image/png"


def test_bad_files_are_refused_with_a_clear_page_and_nothing_written(
    small_client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    client = small_client
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    en = {"accept-language": "en"}

    cases: list[tuple[list[Upload], int, str, str]] = [
        (
            [pdf("page.html", b"<html><script>alert(1)</script></html>", "text/html")],
            415,
            "evidence_type_not_allowed",
            "not accepted",
        ),
        (
            [pdf("receipt.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/x-msdownload")],
            415,
            "evidence_type_not_allowed",
            "not accepted",
        ),
        (
            [pdf("fake.pdf", b"this is no pdf at all", "application/pdf")],
            400,
            "invalid_evidence",
            "not what its type says",
        ),
        (
            [pdf("big.pdf", b"%PDF-1.4\n" + b"0" * SMALL_FILE)],
            413,
            "evidence_too_large",
            "larger than allowed",
        ),
        ([pdf(), pdf(), pdf()], 400, "too_many_files", "Too many files"),
        ([], 400, "evidence_required", "at least one file"),
        ([pdf("empty.pdf", b"")], 400, "invalid_evidence", "or is empty"),
    ]
    for files, status, code_, words in cases:
        r = apply(client, record, files, headers=en)
        assert r.status_code == status, (code_, r.text)
        text = r.text
        assert r.headers["content-type"].startswith("text/html"), code_
        assert 'role="alert"' in text
        assert code_ in text
        assert words in text
        assert 'enctype="multipart/form-data"' in text  # the form again, to try once more
        nothing_applied(engine)

    r = apply(client, record, [pdf()], signed=False, headers=en)
    assert r.status_code == 400
    assert "commitment_not_signed" in r.text
    r = apply(client, record, [pdf()], commitment="我承诺", headers=en)
    assert r.status_code == 400
    assert "commitment_required" in r.text
    assert "我承诺" in r.text  # what was typed is kept
    r = apply(client, record, [pdf()], headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert "cross_site_request" in r.text
    nothing_applied(engine)

    # and the largest file allowed goes through
    r = apply(client, record, [pdf("max.pdf", b"%PDF-1.4\n" + b"0" * (SMALL_FILE - 9))])
    assert r.status_code == 303


def test_eligibility_is_shown_and_ineligible_records_have_no_form(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code = uscc(8303)
    recent = submit(
        client,
        make_key("market_regulation"),
        penalty("PR1", code, "厦门新近处罚有限公司", decided_on=days_ago(10)),
    )
    defaulted = submit(client, make_key("court"), judgment("J1", code, "厦门新近处罚有限公司"))
    sign_in(client, subject_key(code))

    page = html(client, f"/me/restorations/new?record={recent}&lang=en")
    assert "minimum_period_not_reached" in page
    assert "You may apply from" in page
    assert 'enctype="multipart/form-data"' not in page
    page = html(client, f"/me/restorations/new?record={defaulted}&lang=en")
    assert "not_restorable" in page
    assert 'enctype="multipart/form-data"' not in page
    assert "不通过信用修复" in html(client, f"/me/restorations/new?record={defaulted}&lang=zh")

    # applying anyway is refused by the service, nothing written
    r = apply(client, recent, [pdf()])
    assert r.status_code == 409
    assert "minimum_period_not_reached" in r.text
    nothing_applied(engine)


def test_another_subject_cannot_apply_for_or_see_my_restoration(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    other, _theirs = organisation_with_fine(client, make_key, seed=8404)
    sign_in(client, subject_key(code))
    r = apply(client, record, [pdf()])
    rid = case_id(r.headers["location"], "restorations")
    client.cookies.clear()

    sign_in(client, subject_key(other))
    r2 = client.get(f"/me/restorations/{rid}")
    assert r2.status_code == 404
    assert "restoration_not_found" in r2.text
    assert COMMITMENT not in r2.text
    assert client.get(f"/api/v1/restorations/{rid}/evidence/1").status_code == 404
    r2 = client.get(f"/me/restorations/new?record={record}")
    assert r2.status_code == 404
    assert "unknown_record" in r2.text
    r = apply(client, record, [pdf()])
    assert r.status_code == 404
    assert count(engine, restorations) == 1


def test_oversized_fields_get_a_page_not_a_schema_error(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    r = apply(client, record, [pdf()], commitment="承诺" * 10_001)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert "commitment_too_long" in r.text
    # a file field sent empty (no file chosen) is no file
    r = apply(client, record, [("evidence", ("", b"", "application/octet-stream"))])
    assert r.status_code == 400, r.text
    assert "evidence_required" in r.text
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "x" * 5000, "statement": "y" * 100_000},
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    nothing_applied(engine)
