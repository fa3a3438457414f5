"""Uploading files through the console: the report page, the row errors as CSV, refusals
(role, size, type), templates that import, and the submission statistics."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import csv_bytes, flat, judgment, uscc
from tests.portal.console.helpers import count, sign_in
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import imports, records
from xinyong.ingest.columns import header_index, resolve_header
from xinyong.ingest.template import template_columns


def _bad_rows_file() -> bytes:
    good = [judgment("G1", uscc(11)), judgment("G2", uscc(12))]
    bad = judgment("B1", "NOT-A-CODE")
    late = judgment("B2", uscc(13), decided_on="2999-01-01")
    return csv_bytes([good[0], bad, good[1], late])


def _upload(client: TestClient, name: str, data: bytes, media: str = "text/csv") -> str:
    r = client.post("/console/uploads", files={"file": (name, data, media)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    location: str = r.headers["location"]
    return location


def test_a_file_with_bad_rows_gives_a_report_and_an_error_csv(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    sign_in(client, make_key("court"))
    form = client.get("/console/uploads")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    assert '<script src="/static/console.js"' in form.text
    location = _upload(client, "court.csv", _bad_rows_file())
    assert location.startswith("/console/imports/")
    import_id = location.rsplit("/", 1)[1]
    page = client.get(location, params={"lang": "en"})
    assert page.status_code == 200
    assert '<dd id="import-accepted">2</dd>' in page.text
    assert '<dd id="import-rejected">2</dd>' in page.text
    assert '<th scope="row">3</th>' in page.text  # the bad code, row 3 (the header is 1)
    assert '<th scope="row">5</th>' in page.text
    assert "subject_code" in page.text
    assert "decided_on" in page.text
    assert count(engine, records) == 2
    report = client.get(f"/console/imports/{import_id}/errors.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert "attachment" in report.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [int(r["row"]) for r in rows] == sorted(int(r["row"]) for r in rows)
    assert {(r["row"], r["field"]) for r in rows} >= {("3", "subject_code"), ("5", "decided_on")}
    assert all(r["code"] and r["message"] and r["file"] == "court.csv" for r in rows)
    # the API gives the same report
    api = client.get(
        f"/api/v1/imports/{import_id}/errors.csv",
        headers={"Authorization": f"Bearer {make_key('court')}"},
    )
    assert api.text == report.text


def test_another_provider_and_a_consumer_may_not(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    sign_in(client, make_key("court"))
    location = _upload(client, "court.csv", _bad_rows_file())
    sign_in(client, make_key("tax"))
    assert client.get(location).status_code == 403
    assert client.get(location + "/errors.csv").status_code == 403
    sign_in(client, consumer_key("civil_aviation", "restrict_flights_rail"))
    for path in ("/console/uploads", "/console/templates", "/console/statistics", location):
        r = client.get(path)
        assert r.status_code == 403, path
        assert 'role="alert"' in r.text
    before = count(engine, imports)
    r = client.post("/console/uploads", files={"file": ("c.csv", _bad_rows_file(), "text/csv")})
    assert r.status_code == 403
    assert count(engine, imports) == before


def test_too_large_and_wrong_type_write_nothing(
    client: TestClient, app: FastAPI, engine: Engine, make_key: Callable[..., str]
) -> None:
    sign_in(client, make_key("court"))
    wrong = client.post(
        "/console/uploads", files={"file": ("records.exe", b"MZ\x90\x00", "application/x-foo")}
    )
    assert wrong.status_code == 415
    assert 'role="alert"' in wrong.text
    assert "unsupported_format" in wrong.text
    missing = client.post("/console/uploads", files={"file": ("", b"", "text/csv")})
    assert missing.status_code == 400
    assert "file_required" in missing.text
    # over the upload limit: the request guard answers before the page (JSON 413)
    limit = app.state.settings.max_upload_bytes
    huge = client.post(
        "/console/uploads", files={"file": ("big.csv", b"a" * (limit + 10), "text/csv")}
    )
    assert huge.status_code == 413
    # under the guard's limit but over the importer's: the page says so (HTML 413)
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 1000})
    big = client.post("/console/uploads", files={"file": ("big.csv", _bad_rows_file() * 3)})
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("text/html")
    assert "file_too_large" in big.text
    assert 'role="alert"' in big.text
    assert count(engine, imports) == 0
    assert count(engine, records) == 0


def _template_codes(text: str, catalogue: Catalogue) -> list[str | None]:
    index = header_index(catalogue)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return [resolve_header(cell, index) for cell in header]


def test_templates_are_what_the_importer_reads(
    client: TestClient, engine: Engine, make_key: Callable[..., str], catalogue: Catalogue
) -> None:
    sign_in(client, make_key("market_regulation"))
    page = client.get("/console/templates")
    assert page.status_code == 200
    provider = catalogue.provider("market_regulation")
    assert provider is not None
    for code in provider.record_types:
        rt = catalogue.record_type(code)
        assert rt is not None
        r = client.get(f"/console/templates/{code}.csv")
        assert r.status_code == 200, code
        assert r.content.startswith(b"\xef\xbb\xbf")
        assert _template_codes(r.text, catalogue) == [c.code for c in template_columns(rt)]
        jsonl = orjson.loads(client.get(f"/console/templates/{code}.jsonl").content)
        assert jsonl["record_type"] == code
        assert set(jsonl["subject"]) == {"kind", "code", "name"}
        assert set(jsonl["fields"]) == {f.code for f in rt.fields}
        xlsx = client.get(f"/console/templates/{code}.xlsx")
        assert zipfile.is_zipfile(io.BytesIO(xlsx.content))
    assert client.get("/console/templates/judgment_default.csv").status_code == 404
    assert client.get("/console/templates/honour.exe").status_code == 404


def test_a_filled_template_imports(
    client: TestClient, engine: Engine, make_key: Callable[..., str], catalogue: Catalogue
) -> None:
    sign_in(client, make_key("court"))
    template = client.get("/console/templates/judgment_default.csv").text
    codes = _template_codes(template, catalogue)
    values = flat(judgment("T1", uscc(21)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(next(csv.reader(io.StringIO(template.lstrip("\ufeff")))))
    assert None not in codes
    writer.writerow(["" if values.get(c or "") is None else values.get(c or "", "") for c in codes])
    location = _upload(client, "filled.csv", out.getvalue().encode())
    page = client.get(location)
    assert '<dd id="import-accepted">1</dd>' in page.text
    # the JSON Lines template, filled the same way
    shape = orjson.loads(client.get("/console/templates/judgment_default.jsonl").content)
    record = judgment("T2", uscc(22))
    assert set(record) <= set(shape)
    assert set(record["fields"]) <= set(shape["fields"])
    location = _upload(client, "filled.jsonl", orjson.dumps(record), "application/x-ndjson")
    assert '<dd id="import-accepted">1</dd>' in client.get(location).text
    assert count(engine, records) == 2
    # the statistics count them, and the import with its errors
    _upload(client, "court.csv", _bad_rows_file())
    stats = client.get("/console/statistics")
    assert stats.status_code == 200
    assert "<code>judgment_default</code></td><td>4</td>" in stats.text
    assert "court.csv" in stats.text
    assert "filled.jsonl" in stats.text
