"""The synthetic city generator: real files in tmp_path, checked row by row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from xinyong.catalogue import Catalogue, FieldType, load_catalogue
from xinyong.catalogue.model import ENVELOPE_COLUMNS
from xinyong.errors import BadRequest
from xinyong.identifiers import validate_subject_code
from xinyong.settings import DATA_DIR
from xinyong.synth import default_records, generate_city
from xinyong.synth.records import provider_columns

FIXTURE = Path(__file__).parent / "fixtures" / "catalogue.yaml"
DEFAULT = DATA_DIR / "catalogue.yaml"
AS_OF = dt.date(2025, 6, 30)
ORGS, PERSONS, YEARS = 300, 500, 3
ENVELOPE = [  # the import format's envelope, in this order
    "record_type",
    "provider_record_id",
    "subject_kind",
    "subject_code",
    "subject_name",
    "decided_on",
    "severity",
    "legal_basis",
    "document_number",
    "publicity_until",
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURE)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate_city(catalogue, ORGS, PERSONS, YEARS, 7, out, as_of=AS_OF)
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "CSV must not start with a BOM"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    return header, rows


def check_row(catalogue: Catalogue, provider_code: str, row: dict[str, str]) -> None:
    """Everything the import checks, re-stated independently of the ingestion code."""
    provider = catalogue.provider(provider_code)
    assert provider is not None
    rt = catalogue.record_type(row["record_type"])
    assert rt is not None, row["record_type"]
    assert rt.code in provider.record_types, (provider_code, rt.code)
    kind = row["subject_kind"]
    assert kind in {k.value for k in rt.subject_kinds}, (rt.code, kind)
    assert validate_subject_code(kind, row["subject_code"]) == row["subject_code"]
    assert row["subject_name"]
    assert row["provider_record_id"].startswith(f"{provider_code}-")
    decided = dt.date.fromisoformat(row["decided_on"])
    assert decided <= AS_OF
    severities = [s.value for s in rt.severities]
    assert row["severity"] in severities if severities else row["severity"] == ""
    if rt.legal_basis_required:
        assert row["legal_basis"], rt.code
    if rt.document_number_required:
        assert row["document_number"], rt.code
    if row["publicity_until"]:
        period = rt.period(row["severity"] or None)
        assert period.maximum_months is not None
        assert decided <= dt.date.fromisoformat(row["publicity_until"])
    declared = {f.code for f in rt.fields}
    for column, value in row.items():
        if column not in ENVELOPE_COLUMNS and column not in declared:
            assert value == "", f"{rt.code} fills {column} which it does not have"
    for f in rt.fields:
        value = row[f.code]
        if f.required:
            assert value, f"{rt.code}.{f.code} is required"
        if not value:
            continue
        assert len(value) <= f.max_length
        if f.type is FieldType.choice:
            assert value in f.choices, (rt.code, f.code, value)
        elif f.type is FieldType.date:
            dt.date.fromisoformat(value)
        elif f.type is FieldType.boolean:
            assert value in ("true", "false")
        elif f.type in (FieldType.decimal, FieldType.integer):
            number = float(value) if f.type is FieldType.decimal else int(value)
            assert "e" not in value.lower()
            if f.minimum is not None:
                assert number >= f.minimum, (rt.code, f.code, value)


def check_city(
    catalogue: Catalogue, out: Path, ext: str = "csv"
) -> dict[str, list[dict[str, str]]]:
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{p.code}.{ext}" for p in catalogue.providers)
    by_provider = {}
    for p in catalogue.providers:
        header, rows = read_csv(out / f"{p.code}.csv")
        assert header == provider_columns(catalogue, p)
        ids = [r["provider_record_id"] for r in rows]
        assert len(ids) == len(set(ids)), "provider_record_id must be unique per file"
        for row in rows:
            check_row(catalogue, p.code, row)
        by_provider[p.code] = rows
    return by_provider


def test_header_is_envelope_then_union_of_fields_in_catalogue_order(
    catalogue: Catalogue, city: Path
) -> None:
    for p in catalogue.providers:
        header, _ = read_csv(city / f"{p.code}.csv")
        assert header[:10] == ENVELOPE
        expected: list[str] = []
        for rt in catalogue.record_types:
            if rt.code in p.record_types:
                expected += [f.code for f in rt.fields if f.code not in expected]
        assert header[10:] == expected


def test_every_row_is_valid(catalogue: Catalogue, city: Path) -> None:
    rows = check_city(catalogue, city)
    assert sum(map(len, rows.values())) == default_records(ORGS, PERSONS)


def test_csv_bytes_are_what_the_csv_module_writes(catalogue: Catalogue, city: Path) -> None:
    quoted = 0
    for p in catalogue.providers:
        path = city / f"{p.code}.csv"
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        assert path.read_bytes() == buffer.getvalue().encode("utf-8")
        quoted += path.read_text(encoding="utf-8").count('"')
    assert quoted, "the fixture's honour cites a law with a comma, which must be quoted"


def test_the_import_accepts_every_row(catalogue: Catalogue, city: Path) -> None:
    from xinyong.ingest.readers import read_table
    from xinyong.ingest.validate import validate_table

    for p in catalogue.providers:
        path = city / f"{p.code}.csv"
        table, errors = read_table(path.read_bytes(), path.name, catalogue)
        result = validate_table(table, catalogue, p.code, file=path.name, today=AS_OF)
        assert errors + result.errors == []
        assert result.rows.height == table.height


def test_same_seed_same_bytes_other_seed_other_bytes(catalogue: Catalogue, tmp_path: Path) -> None:
    def files(seed: int, name: str, workers: int = 1) -> dict[str, bytes]:
        out = tmp_path / name
        generate_city(catalogue, 120, 200, 2, seed, out, as_of=AS_OF, workers=workers)
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    first = files(3, "a")
    assert first == files(3, "b")
    assert first == files(3, "parallel", workers=2)
    other = files(4, "c")
    assert other.keys() == first.keys()
    assert all(other[name] != first[name] for name in first)


def test_city_is_plausible(catalogue: Catalogue, city: Path) -> None:
    rows = [r for rs in check_city(catalogue, city).values() for r in rs]
    registrations = [r for r in rows if r["record_type"] == "business_registration"]
    codes = Counter(r["subject_code"] for r in registrations)
    assert len(codes) == ORGS, "every organisation is registered"
    assert set(codes.values()) == {1}, "once"
    assert {r["industry"] for r in registrations} <= set("ABCDEFGHIJKLMNOPQRST")
    assert Counter(r["industry"] for r in registrations).most_common(1)[0][0] == "F"
    kinds = Counter(r["subject_kind"] for r in registrations)
    assert 0.12 < kinds["individual_business"] / ORGS < 0.3
    names = Counter(r["subject_name"] for r in registrations)
    assert len(names) > 0.97 * ORGS, "names are mostly unique"
    for r in registrations:
        division = r["subject_code"][2:8]
        assert division.startswith("3502"), "codes carry a Xiamen division"
        if r["subject_kind"] == "individual_business":
            assert r["subject_code"].startswith("92")
    persons = {r["subject_code"] for r in rows if r["subject_kind"] == "person"}
    born = [int(code[6:10]) for code in persons]
    assert persons
    assert min(born) >= 1950
    assert max(born) <= 2005
    negative = [r for r in rows if r["severity"]]
    serious = sum(r["severity"] == "serious" for r in negative) / len(negative)
    assert serious < 0.25, "serious records are a small share"
    names_of: dict[str, set[str]] = {}
    for r in rows:
        if r["subject_kind"] != "person":
            names_of.setdefault(r["subject_code"], set()).add(r["subject_name"])
    renamed = sum(len(n) > 1 for n in names_of.values())
    assert 0 < renamed < 0.1 * ORGS, "a few organisations are renamed"
    earliest = AS_OF - dt.timedelta(days=366 * YEARS)
    for r in rows:
        if r["record_type"] != "business_registration":
            assert earliest <= dt.date.fromisoformat(r["decided_on"]) <= AS_OF


def test_records_targets_the_total(catalogue: Catalogue, tmp_path: Path) -> None:
    counts = generate_city(catalogue, 100, 100, 3, 1, tmp_path, records=777, as_of=AS_OF)
    assert sum(counts.values()) == 777
    assert default_records(50_000, 200_000) == 1_000_000


def test_jsonl_lines_have_the_api_shape(catalogue: Catalogue, tmp_path: Path) -> None:
    csv_dir, json_dir = tmp_path / "csv", tmp_path / "jsonl"
    generate_city(catalogue, 80, 120, 2, 5, csv_dir, as_of=AS_OF)
    generate_city(catalogue, 80, 120, 2, 5, json_dir, fmt="jsonl", as_of=AS_OF)
    envelope = {"record_type", "provider_record_id", "subject", "decided_on", "severity"}
    envelope |= {"legal_basis", "document_number", "fields"}
    for p in catalogue.providers:
        _, rows = read_csv(csv_dir / f"{p.code}.csv")
        lines = (json_dir / f"{p.code}.jsonl").read_bytes().splitlines()
        assert len(lines) == len(rows)
        for line, row in zip(lines, rows, strict=True):
            obj: dict[str, Any] = orjson.loads(line)
            assert set(obj) - {"publicity_until"} == envelope
            assert obj["subject"] == {
                "kind": row["subject_kind"],
                "code": row["subject_code"],
                "name": row["subject_name"],
            }
            rt = catalogue.record_type(obj["record_type"])
            assert rt is not None
            assert obj["severity"] == (row["severity"] or None)
            if not rt.severities:
                assert obj["severity"] is None
            for key in ("provider_record_id", "decided_on"):
                assert obj[key] == row[key]
            specs = {f.code: f for f in rt.fields}
            assert set(obj["fields"]) <= set(specs)
            for code, value in obj["fields"].items():
                kind = specs[code].type
                if kind is FieldType.boolean:
                    assert isinstance(value, bool)
                elif kind in (FieldType.decimal, FieldType.integer):
                    assert isinstance(value, int | float)
                    assert not isinstance(value, bool)
                    assert float(value) == float(row[code])
                else:
                    assert value == row[code]


def test_the_import_accepts_jsonl(catalogue: Catalogue, tmp_path: Path) -> None:
    from xinyong.ingest.readers import read_table
    from xinyong.ingest.validate import validate_table

    generate_city(catalogue, 60, 90, 2, 2, tmp_path, fmt="jsonl", as_of=AS_OF)
    for p in catalogue.providers:
        path = tmp_path / f"{p.code}.jsonl"
        table, errors = read_table(path.read_bytes(), path.name, catalogue)
        result = validate_table(table, catalogue, p.code, file=path.name, today=AS_OF)
        assert errors + result.errors == []


def test_xlsx_has_the_csv_columns_and_rows(catalogue: Catalogue, tmp_path: Path) -> None:
    from xinyong.ingest.readers import read_table
    from xinyong.ingest.validate import validate_table

    csv_dir, xlsx_dir = tmp_path / "csv", tmp_path / "xlsx"
    generate_city(catalogue, 40, 60, 2, 9, csv_dir, as_of=AS_OF)
    generate_city(catalogue, 40, 60, 2, 9, xlsx_dir, fmt="xlsx", as_of=AS_OF)
    for p in catalogue.providers:
        header, rows = read_csv(csv_dir / f"{p.code}.csv")
        book = load_workbook(xlsx_dir / f"{p.code}.xlsx", read_only=True)
        sheet = book.worksheets[0]
        width = len(header)
        values = [
            [c if c is not None else "" for c in r] + [""] * (width - len(r))  # blanks trimmed
            for r in sheet.iter_rows(values_only=True)
        ]
        book.close()
        assert values[0] == header
        assert values[1:] == [[row[c] for c in header] for row in rows]
        data = (xlsx_dir / f"{p.code}.xlsx").read_bytes()
        table, errors = read_table(data, f"{p.code}.xlsx", catalogue)
        result = validate_table(table, catalogue, p.code, file=f"{p.code}.xlsx", today=AS_OF)
        assert errors + result.errors == []
        assert result.rows.height == len(rows)


@pytest.mark.skipif(not DEFAULT.exists(), reason="the default catalogue is not written yet")
def test_default_catalogue_every_row_valid_and_imported(tmp_path: Path) -> None:
    from xinyong.ingest.readers import read_table
    from xinyong.ingest.validate import validate_table

    cat = load_catalogue(DEFAULT)
    counts = generate_city(cat, ORGS, PERSONS, YEARS, 11, tmp_path, as_of=AS_OF)
    assert sum(counts.values()) == default_records(ORGS, PERSONS)
    rows = check_city(cat, tmp_path)
    ratings = Counter(
        (r["subject_code"], r["year"])
        for r in rows["tax"]
        if r["record_type"] == "tax_credit_rating"
    )
    assert ratings
    assert max(ratings.values()) == 1, "one tax rating per organisation and year"
    produced = {r["record_type"] for rs in rows.values() for r in rs}
    submitted = {code for p in cat.providers for code in p.record_types}
    assert produced >= submitted - {"tax_crime"}, "every submittable type appears"
    for p in cat.providers:
        path = tmp_path / f"{p.code}.csv"
        table, errors = read_table(path.read_bytes(), path.name, cat)
        result = validate_table(table, cat, p.code, file=path.name, today=AS_OF)
        assert errors + result.errors == []


def test_unknown_record_types_still_give_valid_rows(tmp_path: Path) -> None:
    from xinyong.ingest.readers import read_table
    from xinyong.ingest.validate import validate_table

    odd = load_catalogue(FIXTURE.parent / "odd_catalogue.yaml")
    counts = generate_city(odd, 50, 50, 4, 3, tmp_path, as_of=AS_OF)
    assert sum(counts.values()) == default_records(50, 50)
    rows = check_city(odd, tmp_path)
    assert {r["record_type"] for rs in rows.values() for r in rs} == {
        "environment_grade",
        "noise_complaint",
    }
    for p in odd.providers:
        path = tmp_path / f"{p.code}.csv"
        table, errors = read_table(path.read_bytes(), path.name, odd)
        result = validate_table(table, odd, p.code, file=path.name, today=AS_OF)
        assert errors + result.errors == []


def test_bad_arguments_are_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(BadRequest):
        generate_city(catalogue, -1, 10, 3, 1, tmp_path)
    with pytest.raises(BadRequest):
        generate_city(catalogue, 10, 10, 0, 1, tmp_path)
    with pytest.raises(BadRequest):
        generate_city(catalogue, 10, 10, 3, 1, tmp_path, fmt="parquet")


def _run(args: list[str]) -> Any:
    from xinyong.cli.main import app

    return CliRunner().invoke(app, ["generate", *args])


def test_cli_writes_files(catalogue: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--orgs", "40", "--persons", "60", "--years", "2", "--seed", "5", "--out", str(out)]
    result = _run([*args, "--catalogue", str(FIXTURE), "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{p.code}.csv" for p in catalogue.providers
    )
    check_city(catalogue, out)


def test_cli_refuses_nonsense(tmp_path: Path) -> None:
    result = _run(["--orgs", "-1", "--out", str(tmp_path), "--catalogue", str(FIXTURE)])
    assert result.exit_code != 0
    assert "--orgs" in result.output
    result = _run(["--out", str(tmp_path), "--catalogue", str(FIXTURE), "--as-of", "2999-01-01"])
    assert result.exit_code != 0
    assert "after today" in result.output
