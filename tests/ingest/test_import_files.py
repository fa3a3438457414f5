"""Importing real files: CSV, XLSX and JSONL; row-level errors; nothing valid is lost."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import orjson
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, select

from tests.factories import count_rows, csv_bytes, days_ago, flat, judgment, penalty, ric, uscc
from xinyong.catalogue.model import ENVELOPE_COLUMNS, Catalogue
from xinyong.db.tables import entities, imports, list_entries, records
from xinyong.ingest.columns import header_label
from xinyong.ingest.importer import import_bytes
from xinyong.settings import Settings
from xinyong.store.repository import refresh_public_until_of
from xinyong.store.service import public_types_for_persons


def _import(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    data: bytes,
    name: str = "court.csv",
    provider: str = "court",
) -> dict[str, Any]:
    summary = import_bytes(
        engine, catalogue, settings, data=data, name=name, provider_code=provider
    )
    return summary.totals()


def test_csv_import_counts_and_resubmission(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    data = csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(20)])
    first = _import(engine, catalogue, settings, data)
    assert (first["accepted"], first["unchanged"], first["rejected"]) == (20, 0, 0)
    again = _import(engine, catalogue, settings, data)
    assert (again["accepted"], again["unchanged"], again["corrected"]) == (0, 20, 0)
    assert count_rows(engine, records) == 20
    assert count_rows(engine, entities) == 20


def test_bad_rows_are_reported_and_good_rows_kept(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    good = [judgment(f"J{i}", uscc(i)) for i in range(3)]
    wrong_check = judgment("B1", "91350200776049653B")
    no_court = judgment("B2", uscc(50))
    no_court["fields"]["court"] = ""
    bad_date = judgment("B3", uscc(51), decided_on="2026-13-01")
    duplicate = judgment("J0", uscc(0))
    person_bad_birth = judgment("B4", "340524198013010010", kind="person", name="王五")
    data = csv_bytes([*good, wrong_check, no_court, bad_date, duplicate, person_bad_birth])
    totals = _import(engine, catalogue, settings, data)
    assert totals["accepted"] == 3
    assert totals["rejected"] == 5
    errors = {(e["row"], e["field"], e["code"]) for e in totals["errors"]}
    assert (5, "subject_code", "invalid_check_character") in errors
    assert (6, "court", "missing_required") in errors
    assert (7, "decided_on", "invalid_date") in errors
    assert (8, "provider_record_id", "duplicate_row") in errors
    assert any(row == 9 and field == "subject_code" for row, field, _ in errors)
    assert count_rows(engine, records) == 3


def test_impossible_birth_date_is_named(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    from stdnum.cn import ric as stdnum_ric

    body = "34052419801332001"  # 1980-13-32
    code = body + stdnum_ric.calc_check_digit(body + "0")
    data = csv_bytes([judgment("B1", code, kind="person", name="王五")])
    totals = _import(engine, catalogue, settings, data)
    assert [e["code"] for e in totals["errors"]] == ["invalid_birth_date"]


def test_correction_in_a_later_file(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    _import(engine, catalogue, settings, csv_bytes([judgment("J1"), judgment("J2", uscc(2))]))
    changed = judgment("J1", obligation="支付货款及利息")
    totals = _import(engine, catalogue, settings, csv_bytes([changed, judgment("J2", uscc(2))]))
    assert (totals["corrected"], totals["unchanged"]) == (1, 1)


def test_xlsx_import_with_bilingual_headers(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    rows = [flat(judgment(f"J{i}", uscc(i))) for i in range(4)]
    rows.append(flat(judgment("BAD", "nonsense")))
    columns = list(rows[0])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    labels = []
    known = {**ENVELOPE_COLUMNS}
    rt = catalogue.record_type("judgment_default")
    assert rt is not None
    known.update({f.code: (f.name.zh, f.name.en) for f in rt.fields})
    for c in columns:
        zh, en = known[c]
        labels.append(header_label(c, zh, en))
    ws.append(labels)
    for r in rows:
        ws.append([r.get(c) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    totals = _import(engine, catalogue, settings, buf.getvalue(), name="court.xlsx")
    assert (totals["accepted"], totals["rejected"]) == (4, 1)
    assert totals["errors"][0]["row"] == 6


def test_jsonl_import_with_a_broken_line(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    lines = [orjson.dumps(judgment(f"J{i}", uscc(i))) for i in range(3)]
    lines.insert(1, b"{not json")
    lines.append(orjson.dumps({**judgment("J9", uscc(9)), "colour": "red"}))
    totals = _import(engine, catalogue, settings, b"\n".join(lines) + b"\n", name="court.jsonl")
    assert totals["accepted"] == 3
    assert [(e["row"], e["code"]) for e in totals["errors"]] == [
        (2, "invalid_json"),
        (5, "unknown_field"),
    ]


def test_files_that_are_not_what_they_claim(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    cases = {
        ("court.xlsx", b"this is no workbook"): "not_xlsx",
        ("court.csv", b"\xff\xfe\x00bad"): "not_utf8",
        ("court.csv", b""): "empty_file",
        (
            "court.csv",
            "record_type,provider_record_id,subject_code,宗教\n".encode(),
        ): "unknown_column",
        ("court.csv", b"record_type,subject_code\nx,y\n"): "missing_column",
        ("court.pdf", b"%PDF"): "unsupported_format",
    }
    for (name, data), code in cases.items():
        totals = _import(engine, catalogue, settings, data, name=name)
        assert [e["code"] for e in totals["errors"]] == [code], name
        assert totals["errors"][0]["row"] == 0
    assert count_rows(engine, records) == 0


def test_upload_through_the_api_and_error_report(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    h = {"Authorization": f"Bearer {make_key('market_regulation')}"}
    data = csv_bytes([penalty("P1", uscc(1)), penalty("P2", uscc(2), severity="nope")])
    r = client.post("/api/v1/imports", headers=h, files={"file": ("x.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    report = client.get(body["error_report"], headers=h)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    lines = report.text.strip().splitlines()
    assert lines[0] == "file,row,field,code,message"
    assert lines[1].startswith("x.csv,3,severity,invalid_severity,")
    status = client.get(f"/api/v1/imports/{body['id']}", headers=h).json()
    assert (status["status"], status["accepted"], status["rows_total"]) == ("completed", 1, 2)
    # another provider may not read it
    other = {"Authorization": f"Bearer {make_key('court')}"}
    assert client.get(body["error_report"], headers=other).status_code == 403
    with engine.connect() as conn:
        assert conn.execute(select(imports.c.provider_code)).scalar_one() == "market_regulation"


def test_public_until_after_imports_is_what_a_full_recompute_gives(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    """An import recomputes a person's last public day only when a record of a public type
    came or a record was corrected; across chunks and imports that must agree with the
    recompute from scratch."""
    chunked = settings.model_copy(update={"import_chunk_rows": 2})
    a, b, c, d = ric(1), ric(2), ric(3), ric(4)
    first = [
        judgment("J1", a, kind="person", name="陈明"),
        penalty("P1", b, kind="person", name="李华"),
        judgment("J2", c, kind="person", name="张伟", decided_on=days_ago(400)),
        judgment("J3", a, kind="person", name="陈明", decided_on=days_ago(5)),
        penalty("P2", c, kind="person", name="张伟"),
    ]
    later = [
        judgment("J4", b, kind="person", name="李华"),
        judgment("J5", d, kind="person"),
        judgment("J2", c, kind="person", name="张伟", decided_on=days_ago(100)),  # corrected
        judgment("J6", a, kind="person", name="陈明", decided_on=days_ago(1500)),  # ends earlier
    ]
    last = [
        judgment("J7", c, kind="person", name="张伟", decided_on=days_ago(1)),  # ends later
        penalty("P3", d, kind="person"),
    ]
    person = entities.c.kind == "person"

    def persons() -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(select(entities.c.code, entities.c.public_until).where(person))
            return {str(code): until for code, until in rows}

    seen = []
    for data in (first, later, last):
        _import(engine, catalogue, chunked, csv_bytes(data))
        imported = persons()
        seen.append(imported)
        with engine.begin() as conn:
            ids = list(conn.execute(select(entities.c.id).where(person)).scalars())
            refresh_public_until_of(conn, ids, public_types_for_persons(catalogue))
        assert persons() == imported
    assert set(imported) == {a, b, c, d}
    assert all(imported[code] is not None for code in (a, c, d))  # judgments are public
    assert seen[2][c] > seen[1][c]  # a new record that ends later moves the day
    assert seen[1][a] == seen[0][a]  # one that ends earlier does not


def test_a_correction_naming_another_person_moves_the_listing_and_the_public_page(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    wrong, right = ric(5), ric(6)
    _import(engine, catalogue, settings, csv_bytes([judgment("J1", wrong, kind="person")]))
    fixed = _import(engine, catalogue, settings, csv_bytes([judgment("J1", right, kind="person")]))
    assert fixed["corrected"] == 1
    with engine.connect() as conn:
        until = dict(conn.execute(select(entities.c.code, entities.c.public_until)).all())
        listed = conn.execute(
            select(entities.c.code)
            .join(list_entries, list_entries.c.entity_id == entities.c.id)
            .where(list_entries.c.revision_to.is_(None))
        ).scalars()
        current = sorted(listed)
    assert until[wrong] is None  # no public record left: no public page
    assert until[right] is not None
    assert current == [right]


def test_persons_and_organisations_in_one_file(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    data = csv_bytes([judgment("J1", uscc(1)), judgment("J2", ric(2), kind="person", name="陈明")])
    totals = _import(engine, catalogue, settings, data)
    assert totals["accepted"] == 2
    with engine.connect() as conn:
        kinds = sorted(conn.execute(select(entities.c.kind)).scalars())
        public_until = conn.execute(
            select(entities.c.public_until).where(entities.c.kind == "person")
        ).scalar_one()
    assert kinds == ["organisation", "person"]
    assert public_until is not None  # judgment defaults are public for persons


def test_json_totals_shape(engine: Engine, catalogue: Catalogue, settings: Settings) -> None:
    totals = _import(engine, catalogue, settings, csv_bytes([judgment("J1")]))
    assert set(totals) == {"accepted", "unchanged", "corrected", "rejected", "errors"}
    json.dumps(totals)


def test_import_ids_out_of_range_are_422(client: TestClient, make_key: Callable[..., str]) -> None:
    h = {"Authorization": f"Bearer {make_key('court')}"}
    for bad in ("9223372036854775808", "0", "-1", "x"):
        for path in (f"/api/v1/imports/{bad}", f"/api/v1/imports/{bad}/errors.csv"):
            r = client.get(path, headers=h)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["code"] == "invalid_request"
    assert client.get("/api/v1/imports/2147483647", headers=h).json()["code"] == (
        "import_not_found"
    )
