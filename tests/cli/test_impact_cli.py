"""``xinyong impact``: tables, --json, --svg, and clear errors for bad scheme files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.rating.test_impact import City, build_city, public_id_of
from xinyong.catalogue.model import Catalogue
from xinyong.cli.impact import impact_command
from xinyong.rating.loader import schemes_dir
from xinyong.settings import Settings, get_settings

runner = CliRunner()

# Registered as cli/main.py does: app.command("impact")(impact_command)
app = typer.Typer()
app.command("impact")(impact_command)


@app.callback()
def _root() -> None:
    """A command group, like the ``xinyong`` app."""


@pytest.fixture
def cli_city(
    db_url: str,
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[City]:
    monkeypatch.setenv("XINYONG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield build_city(engine, catalogue, settings)
    get_settings.cache_clear()


def scheme_file(tmp_path: Path, **changes: object) -> Path:
    """The shipped ``city_grade`` with dearer general penalties, plus top-level ``changes``."""
    raw = yaml.safe_load((schemes_dir() / "city_grade.yaml").read_text(encoding="utf-8"))
    for rule in raw["rules"]:
        if rule["code"] == "penalty_general":
            rule["points"] = -70
    raw.update(version="2026.2", **changes)
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_json_and_svg(cli_city: City, engine: Engine, tmp_path: Path) -> None:
    chart = tmp_path / "out" / "impact.svg"
    chart.parent.mkdir()
    args = ["impact", "--scheme", str(scheme_file(tmp_path)), "--json", "--svg", str(chart)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["old"]["code"] == "city_grade"
    assert data["new"]["version"] == "2026.2"
    assert data["subjects"] == 7
    assert data["matrix"]["A"]["B"] == 2
    assert data["moves"] == {"up": 0, "same": 5, "down": 2}
    person = public_id_of(engine, cli_city.person_fined)
    assert {m["code"] for m in data["movers"]} == {cli_city.fined, person}
    assert [m["delta"] for m in data["movers"]] == ["-40", "-40"]
    assert cli_city.person_fined not in result.stdout
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "svg" not in data  # the chart is a file here, not part of the JSON

    again = runner.invoke(
        app, ["impact", "--scheme", str(scheme_file(tmp_path)), "--json", "--top", "1"]
    )
    assert again.exit_code == 0, again.output
    assert len(json.loads(again.stdout)["movers"]) == 1


def test_tables(cli_city: City, engine: Engine, tmp_path: Path) -> None:
    path = scheme_file(tmp_path)
    result = runner.invoke(app, ["impact", "--scheme", str(path), "--against", "city_grade"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in ("grade migration", "by district", "by industry", "move most"):
        assert heading in out
    assert "7 subjects" in out
    assert "350203" in out
    assert public_id_of(engine, cli_city.person_fined) in out
    assert cli_city.person_fined not in out
    assert "-40" in out


def test_unknown_record_type_is_a_clear_error(cli_city: City, tmp_path: Path) -> None:
    path = scheme_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "record_type: judgment_default", "record_type: horoscope_reading", 1
    )
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["impact", "--scheme", str(path), "--json"])
    assert result.exit_code == 1
    assert "invalid_scheme" in result.output
    assert "horoscope_reading" in result.output
    assert result.stdout == ""  # nothing half-done on stdout for --json consumers


def test_bad_yaml_missing_file_and_unknown_scheme(cli_city: City, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: city_grade\nrules: [\n  - {code: x\n", encoding="utf-8")
    result = runner.invoke(app, ["impact", "--scheme", str(bad)])
    assert result.exit_code == 1
    assert "scheme_not_yaml" in result.output

    result = runner.invoke(app, ["impact", "--scheme", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "scheme_unreadable" in result.output

    renamed = scheme_file(tmp_path, code="city_grade_draft")
    result = runner.invoke(app, ["impact", "--scheme", str(renamed)])
    assert result.exit_code == 1
    assert "unknown_scheme" in result.output
    assert "--against" in result.output
    result = runner.invoke(app, ["impact", "--scheme", str(renamed), "--against", "nope"])
    assert result.exit_code == 1
    assert "unknown_scheme" in result.output
    result = runner.invoke(
        app, ["impact", "--scheme", str(renamed), "--against", "city_grade", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"]["code"] == "city_grade_draft"
