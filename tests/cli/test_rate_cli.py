"""``xinyong rate`` (all, --due, --as-of, --engine) and ``xinyong schemes``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.factories import csv_bytes, judgment, penalty, uscc
from xinyong.cli.main import app
from xinyong.db.tables import ratings
from xinyong.settings import DATA_DIR

runner = CliRunner()


def rate(*args: str) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["rate", "--json", *args])
    assert result.exit_code == 0, result.output
    return {s["scheme"]: s for s in json.loads(result.stdout)["schemes"]}


def test_rate_everyone_then_only_what_is_due(cli_db: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "court.csv").write_bytes(csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(3)]))
    (folder / "market_regulation.csv").write_bytes(
        csv_bytes([penalty(f"P{i}", uscc(i)) for i in range(3, 6)])
    )
    assert runner.invoke(app, ["import", str(folder)]).exit_code == 0
    out = rate()
    assert out["city_grade"]["grades"] == {"D": 3, "A": 3}
    assert out["city_grade"]["stored"] is True
    with cli_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ratings)).scalar_one() == 3 * 6

    assert {s: v["rated"] for s, v in rate("--due").items()} == {
        "city_grade": 0,
        "environment_credit": 0,
        "tax_credit": 0,
    }
    (folder / "court.csv").write_bytes(csv_bytes([judgment("J9", uscc(4))]))
    (folder / "market_regulation.csv").unlink()
    assert runner.invoke(app, ["import", str(folder)]).exit_code == 0
    due = rate("--due")
    assert due["city_grade"]["rated"] == 1  # only the subject whose records changed
    assert due["city_grade"]["grades"] == {"D": 4, "A": 2}

    past = rate("--as-of", "2020-01-01", "--scheme", "city_grade")
    assert past["city_grade"]["stored"] is False
    assert past["city_grade"]["rated"] == 0  # nobody was known to the platform then


def test_postgres_engine_in_the_database(cli_db: Engine, db_url: str, tmp_path: Path) -> None:
    (tmp_path / "court.csv").write_bytes(csv_bytes([judgment("J1", uscc(1))]))
    assert runner.invoke(app, ["import", str(tmp_path / "court.csv")]).exit_code == 0
    result = runner.invoke(app, ["rate", "--json", "--engine", "postgres"])
    if db_url.startswith("sqlite"):
        assert result.exit_code == 1
        assert "engine_unavailable" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["schemes"][0]["grades"] == {"D": 1}


def test_bad_arguments(cli_db: Engine) -> None:
    result = runner.invoke(app, ["rate", "--scheme", "nope"])
    assert result.exit_code == 1
    assert "unknown_scheme" in result.output
    result = runner.invoke(app, ["rate", "--engine", "excel"])
    assert result.exit_code == 1
    assert "unknown_engine" in result.output
    result = runner.invoke(app, ["rate", "--as-of", "yesterday"])
    assert result.exit_code == 1
    assert "invalid_as_of" in result.output


def test_schemes_commands(tmp_path: Path) -> None:
    good = DATA_DIR / "schemes" / "tax_credit.yaml"
    result = runner.invoke(app, ["schemes", "check", str(good)])
    assert result.exit_code == 0
    assert "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("tax_late_filing", "gossip"), "utf-8")
    result = runner.invoke(app, ["schemes", "check", str(bad)])
    assert result.exit_code == 1
    assert "invalid_scheme" in result.output
    assert "'gossip' is not in the catalogue" in result.output
    listed = runner.invoke(app, ["schemes", "list", "--json"])
    assert {s["code"] for s in json.loads(listed.stdout)} == {
        "tax_credit",
        "city_grade",
        "environment_credit",
    }
    shown = runner.invoke(app, ["schemes", "show", "city_grade"])
    assert shown.exit_code == 0
    assert "AAA from 1030" in shown.output
