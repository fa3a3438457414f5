"""The command line: keys, import (file, folder, --json, exit codes), db upgrade."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.factories import csv_bytes, judgment, penalty, uscc
from xinyong.cli.main import app
from xinyong.db.tables import api_keys, records

runner = CliRunner()


def test_import_folder_with_json_totals(cli_db: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "court.csv").write_bytes(csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(5)]))
    (folder / "market_regulation.csv").write_bytes(
        csv_bytes([penalty("P1", uscc(1)), penalty("P2", "bad-code")])
    )
    report = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", str(folder), "--json", "--errors", str(report)])
    assert result.exit_code == 2, result.output  # some rows were rejected
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,row,field,code,message"
    assert lines[1].startswith("market_regulation.csv,3,subject_code,")
    assert len(lines) == 2
    totals = json.loads(result.stdout)
    assert (totals["accepted"], totals["rejected"]) == (6, 1)
    assert totals["errors"][0]["file"] == "market_regulation.csv"
    assert totals["errors"][0]["row"] == 3
    with cli_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar_one() == 6


def test_import_one_clean_file_exits_zero(cli_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([judgment("J1")]))
    result = runner.invoke(app, ["import", str(path), "--provider", "court", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 1


def test_import_unknown_provider_and_missing_path(cli_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nobody.csv"
    path.write_bytes(csv_bytes([judgment("J1")]))
    result = runner.invoke(app, ["import", str(path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"][0]["code"] == "unknown_provider"
    result = runner.invoke(app, ["import", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert "file_not_found" in result.output


def test_keys_create(cli_db: Engine) -> None:
    result = runner.invoke(app, ["keys", "create", "--provider", "court"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("xy_")
    assert runner.invoke(app, ["keys", "create", "--provider", "nobody"]).exit_code == 1
    assert runner.invoke(app, ["keys", "create"]).exit_code == 1
    narrow = runner.invoke(
        app, ["keys", "create", "--provider", "court", "--record-types", "admin_penalty"]
    )
    assert narrow.exit_code == 1
    assert runner.invoke(app, ["keys", "create", "--admin"]).exit_code == 0
    with cli_db.connect() as conn:
        roles = sorted(conn.execute(select(api_keys.c.role)).scalars())
        hashes = list(conn.execute(select(api_keys.c.secret_hash)).scalars())
    assert roles == ["admin", "provider"]
    assert all(len(h) == 64 for h in hashes)  # only hashes are stored


def test_db_upgrade(cli_db: Engine) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "schema at revision" in result.output
