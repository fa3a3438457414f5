"""``xinyong keys create --consumer``, ``xinyong check`` and ``xinyong lists``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.factories import csv_bytes, days_ago, judgment, uscc
from xinyong.cli.main import app
from xinyong.db.tables import checks
from xinyong.ingest.importer import today_in
from xinyong.settings import get_settings

runner = CliRunner()


def test_import_lists_and_check(cli_db: Engine, tmp_path: Path) -> None:
    listed, clean = uscc(1), uscc(2)
    (tmp_path / "court.csv").write_bytes(csv_bytes([judgment("J1", listed)]))
    assert runner.invoke(app, ["import", str(tmp_path / "court.csv")]).exit_code == 0

    shown = runner.invoke(app, ["lists", "show", "judgment_defaulters", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [r["subject"] for r in json.loads(shown.stdout)["rows"]] == [listed]
    refreshed = runner.invoke(app, ["lists", "refresh", "--json"])
    assert json.loads(refreshed.stdout)["subjects_changed"] == 0  # the import kept it current

    out = runner.invoke(
        app,
        [
            "check",
            "--measure",
            "restrict_flights_rail",
            "--purpose",
            "audit",
            "--json",
            listed,
            clean,
        ],
    )
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert [r["decision"] for r in body["results"]] == ["applies", "does_not_apply"]
    assert body["results"][0]["basis"][0]["list"] == "judgment_defaulters"
    with cli_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(checks)).scalar_one() == 1

    # as of yesterday the platform knew nothing of the judgment (it arrived today)
    base = ["check", "--measure", "restrict_flights_rail", "--purpose", "audit", "--json"]
    past = runner.invoke(app, [*base, "--as-of", days_ago(1), listed])
    assert past.exit_code == 0, past.output
    assert [r["decision"] for r in json.loads(past.stdout)["results"]] == ["does_not_apply"]
    tomorrow = today_in(get_settings()) + dt.timedelta(days=1)  # the platform's tomorrow
    future = runner.invoke(app, [*base, "--as-of", tomorrow.isoformat(), listed])
    assert future.exit_code == 1
    assert "as_of_in_future" in future.output

    unknown = runner.invoke(app, ["check", "--measure", "nope", "--purpose", "x", listed])
    assert unknown.exit_code == 1
    assert "unknown_measure" in unknown.output
    assert runner.invoke(app, ["lists", "check"]).exit_code == 0


def test_consumer_keys_are_scoped_to_declared_measures(cli_db: Engine) -> None:
    made = runner.invoke(
        app,
        ["keys", "create", "--consumer", "civil_aviation", "--measures", "restrict_flights_rail"],
    )
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().startswith("xy_")
    bad = runner.invoke(
        app, ["keys", "create", "--consumer", "civil_aviation", "--measures", "ban_everything"]
    )
    assert bad.exit_code == 1
    assert "unknown_measure" in bad.output
    none = runner.invoke(app, ["keys", "create", "--consumer", "civil_aviation"])
    assert "measures_required" in none.output
