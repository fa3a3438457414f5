"""The /verify page: where a report's QR code points; uploading a report verifies it."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import ORG, judgment


def test_a_report_is_verified_on_the_page_and_a_changed_byte_is_caught(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = {"Authorization": f"Bearer {make_key('court')}"}
    assert client.post("/api/v1/records", json=judgment("V1"), headers=court).status_code == 201
    page = client.get(f"/entities/{ORG}", params={"lang": "en"})
    assert f"/api/v1/entities/{ORG}/report.pdf" in page.text
    report = client.get(f"/api/v1/entities/{ORG}/report.pdf")
    assert report.status_code == 200, report.text
    pdf = report.content
    report_id = re.search(rb"%xinyong-report (\S+) ", pdf)
    assert report_id is not None
    rid = report_id.group(1).decode()

    # the QR code's link: the register's entry, and the form
    shown = client.get("/verify", params={"id": rid, "lang": "en"})
    assert shown.status_code == 200
    assert rid in shown.text
    assert "Issued by this platform on" in shown.text
    assert 'type="file"' in shown.text
    unknown = client.get("/verify", params={"id": "nope", "lang": "en"})
    assert "issued no report with this id" in unknown.text

    ok = client.post(
        "/verify", files={"file": ("r.pdf", pdf, "application/pdf")}, params={"lang": "zh"}
    )
    assert ok.status_code == 200
    assert "真实有效" in ok.text
    assert "未发生变化" in ok.text

    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    bad = client.post(
        "/verify",
        files={"file": ("r.pdf", bytes(altered), "application/pdf")},
        params={"lang": "en"},
    )
    assert bad.status_code == 200
    assert "Not authentic" in bad.text

    not_pdf = client.post("/verify", files={"file": ("x.txt", b"hello", "text/plain")})
    assert not_pdf.status_code == 400
    assert "not_a_pdf" in not_pdf.text
    empty = client.post("/verify")
    assert empty.status_code == 400
    assert "file_required" in empty.text
