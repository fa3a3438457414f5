"""``xinyong catalogue`` and ``xinyong template`` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import yaml
from typer.testing import CliRunner

from xinyong.cli.main import app
from xinyong.ingest.template import DATA_SHEET
from xinyong.settings import DATA_DIR

SHIPPED = DATA_DIR / "catalogue.yaml"
runner = CliRunner()


def test_check_the_shipped_catalogue() -> None:
    result = runner.invoke(app, ["catalogue", "check", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "providers" in result.output


def test_check_refuses_a_face_image(tmp_path: Path) -> None:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    penalty = next(rt for rt in raw["record_types"] if rt["code"] == "admin_penalty")
    penalty["fields"].append({"code": "face_image", "name": {"zh": "照片", "en": "Photo"}})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(bad)])
    assert result.exit_code == 1
    assert "biometrics" in result.output
    assert "face_image" in result.output


def test_check_lists_every_problem(tmp_path: Path) -> None:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["record_types"][0]["colour"] = "red"
    raw["record_types"][1]["retention_years"] = 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(bad)])
    assert result.exit_code == 1
    assert "colour" in result.output
    assert "retention_years" in result.output


def test_check_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalogue", "check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert "catalogue_unreadable" in result.output


def test_show_lists_the_record_types() -> None:
    result = runner.invoke(app, ["catalogue", "show", "--catalogue", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert "volunteer_service" in result.output


def test_show_one_type_as_json() -> None:
    result = runner.invoke(
        app, ["catalogue", "show", "admin_penalty", "--json", "--catalogue", str(SHIPPED)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["code"] == "admin_penalty"
    assert data["severities"] == ["minor", "general", "serious"]
    fields = {f["code"] for f in data["fields"]}
    assert {"violation_type", "facts", "penalty_category", "fine_amount"} <= fields


def test_show_all_types_as_json() -> None:
    result = runner.invoke(app, ["catalogue", "show", "--json", "--catalogue", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    codes = [rt["code"] for rt in json.loads(result.stdout)]
    assert "judgment_default" in codes


def test_show_one_type_as_tables() -> None:
    result = runner.invoke(app, ["catalogue", "show", "judgment_default"])
    assert result.exit_code == 0, result.output
    assert "case_number" in result.output


def test_show_an_unknown_type() -> None:
    result = runner.invoke(app, ["catalogue", "show", "gossip"])
    assert result.exit_code == 1
    assert "unknown_record_type" in result.output


def test_template_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", "admin_penalty", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "x.xlsx" in result.output
    headers = [c.value for c in openpyxl.load_workbook(out)[DATA_SHEET][1]]
    assert "违法事实 / Facts of the violation (facts)" in headers


def test_template_of_an_unknown_type(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", "gossip", "--output", str(out)])
    assert result.exit_code == 1
    assert "unknown_record_type" in result.output
    assert not out.exists()
