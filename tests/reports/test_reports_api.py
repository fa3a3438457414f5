"""Reports through the API: issue, read back (text and pixels), verify, tamper, marks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import ORG, days_ago, judgment, penalty, ric
from tests.me.records import bearer, submit
from tests.reports.conftest import NEEDS_POPPLER, page_one_png, pdf_text
from xinyong.auth.keys import Role

NAME = "厦门鑫达贸易有限公司"
V1 = "/api/v1"


def report(client: TestClient, code: str = ORG, **params: str) -> bytes:
    r = client.get(f"{V1}/entities/{code}/report.pdf", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf: bytes = r.content
    assert pdf.startswith(b"%PDF-")
    return pdf


def verify(client: TestClient, pdf: bytes) -> dict[str, object]:
    r = client.post(f"{V1}/reports/verify", files={"file": ("report.pdf", pdf, "application/pdf")})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


@NEEDS_POPPLER
def test_a_public_report_reads_back_verifies_and_fails_when_altered(
    client: TestClient, make_key: Callable[..., str], tmp_path: Path
) -> None:
    market = make_key("market_regulation")
    submit(client, market, penalty("P1"))
    pdf = report(client)

    text = pdf_text(pdf, tmp_path)
    assert NAME in text
    assert "虚假宣传" in text
    assert "厦市监罚〔2026〕P1号" in text
    assert "信用报告" in text
    assert "Credit report" in text
    png, dark = page_one_png(pdf, tmp_path / "test-artifacts")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert dark > 2000  # text, headings and the QR code: far from a blank page

    ok = verify(client, pdf)
    assert ok["valid"] is True
    assert ok["problem"] is None
    assert ok["content_changed"] is False
    assert isinstance(ok["report_id"], str)
    assert ok["report_id"] in text
    assert ok["issued_at"]

    at = len(pdf) // 2  # one byte of the PDF itself
    altered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :]
    bad = verify(client, altered)
    assert bad["valid"] is False
    assert bad["problem"]
    last = pdf[:-3] + bytes([pdf[-3] ^ 1]) + pdf[-2:]  # one byte of the signature
    assert verify(client, last)["valid"] is False

    submit(client, make_key("court"), judgment("J1"))  # the subject's file changes
    later = verify(client, pdf)
    assert later["valid"] is True
    assert later["content_changed"] is True
    assert "失信被执行人" in pdf_text(report(client), tmp_path)


@NEEDS_POPPLER
def test_a_record_under_objection_is_marked(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    tmp_path: Path,
) -> None:
    rid = submit(client, make_key("market_regulation"), penalty("P2"))
    assert "异议" not in pdf_text(report(client), tmp_path)
    r = client.post(
        f"{V1}/objections",
        json={"target": rid, "grounds": "error_or_omission", "statement": "The fine was paid."},
        headers=bearer(subject_key(ORG)),
    )
    assert r.status_code == 201, r.text
    text = pdf_text(report(client), tmp_path)
    assert "异议处理中" in text
    assert "Under objection" in text


@NEEDS_POPPLER
def test_the_subject_gets_its_full_report(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    tmp_path: Path,
) -> None:
    submit(client, make_key("market_regulation"), penalty("P3"))
    assert client.get(f"{V1}/me/report.pdf").status_code == 401
    admin = make_key(role=Role.admin)
    assert client.get(f"{V1}/me/report.pdf", headers=bearer(admin)).status_code == 403
    r = client.get(f"{V1}/me/report.pdf", headers=bearer(subject_key(ORG)))
    assert r.status_code == 200, r.text
    text = pdf_text(r.content, tmp_path)
    assert NAME in text
    assert "本人完整版" in text
    assert verify(client, r.content)["valid"] is True


def test_bad_input_is_refused_with_its_code(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    submit(client, make_key("market_regulation"), penalty("P4"))
    r = client.get(f"{V1}/entities/91350200MA2XXXXX0X/report.pdf")
    assert r.status_code == 404
    assert r.json()["code"] == "entity_not_found"
    r = client.get(f"{V1}/entities/{ORG}/report.pdf", params={"as_of": "2026-13-01"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_as_of"
    r = client.get(f"{V1}/entities/{ORG}/report.pdf", params={"as_of": "2999-01-01"})
    assert r.status_code == 400
    assert r.json()["code"] == "as_of_in_future"

    upload = f"{V1}/reports/verify"
    r = client.post(upload, files={"file": ("x.pdf", b"hello, not a pdf", "application/pdf")})
    assert r.status_code == 422
    assert r.json()["code"] == "not_a_pdf"
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)  # over the test app's upload limit
    r = client.post(upload, files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 413
    r = client.post(upload, files={"file": ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert r.status_code == 200
    assert r.json()["valid"] is False


def test_the_public_key_and_a_missing_font(
    client: TestClient, make_key: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = client.get(f"{V1}/reports/public-key")
    assert r.status_code == 200
    assert r.text.startswith("-----BEGIN PUBLIC KEY-----")
    submit(client, make_key("market_regulation"), penalty("P5"))
    monkeypatch.setenv("XINYONG_REPORT_FONT", "/nonexistent/font.otf")
    r = client.get(f"{V1}/entities/{ORG}/report.pdf")
    assert r.status_code == 503
    assert r.json()["code"] == "report_font_missing"


@NEEDS_POPPLER
def test_a_persons_full_report_has_what_the_public_one_must_not(
    client: TestClient,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
    tmp_path: Path,
) -> None:
    person, name, secret = ric(7001), "王五", "SECRET-FACT-REPORT-42"
    submit(client, make_key("court"), judgment("PJ1", person, name, kind="person"))
    fine = penalty("PP1", person, name, kind="person", decided_on=days_ago(40), facts=secret)
    submit(client, make_key("market_regulation"), fine)
    mine = bearer(subject_key(person))
    public_id = client.get(f"{V1}/me", headers=mine).json()["public_id"]

    public = pdf_text(report(client, public_id), tmp_path)
    assert name in public
    assert person not in public
    assert secret not in public
    assert "(2026)闽02执PJ1号".replace("(", "（").replace(")", "）") in public

    r = client.get(f"{V1}/me/report.pdf", headers=mine)
    assert r.status_code == 200, r.text
    full = pdf_text(r.content, tmp_path)
    assert person in full
    assert secret in full
    assert "Not public" in full
