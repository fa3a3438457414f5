"""``xinyong screening check`` and ``xinyong screening decide``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.factories import uscc
from tests.screening.conftest import CITY, HEAD, HEAD_KEY, QUANZHOU
from xinyong.cli.main import app
from xinyong.db.tables import screening_decisions

runner = CliRunner()


def decide(name: str, subject: str, verdict: str, reason: str, *extra: str) -> Any:
    args = ["--verdict", verdict, "--reviewer", "张三", "--reason", reason, *extra]
    return runner.invoke(app, ["screening", "decide", name, subject, *args])


def check(*args: str) -> Any:
    result = runner.invoke(app, ["screening", "check", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_check_finds_the_subject(cli_db: Engine, city: list[str]) -> None:
    body = check("厦门市鑫达贸易有限责任公司")
    assert body["query"]["normalised"] == HEAD_KEY
    assert body["candidates"][0]["subject"] == city[HEAD]
    assert check("鑫达", "--limit", "2", "--kind", "organisation")["query"]["kinds"] == [
        "organisation"
    ]
    assert len(check("鑫达", "--limit", "2")["candidates"]) == 2
    certain = check("别的名字", "--code", city[QUANZHOU])["candidates"][0]
    assert (certain["subject"], certain["certain"], certain["score"]) == (city[QUANZHOU], True, 1.0)

    table = runner.invoke(app, ["screening", "check", "厦门鑫达贸易有限公司"])
    assert table.exit_code == 0, table.output
    assert "0.9900" in table.stdout
    assert city[HEAD] in table.stdout


def test_decide_then_check_reuses_the_decision(cli_db: Engine, city: list[str]) -> None:
    result = decide(
        "厦门鑫达贸易有限公司", city[QUANZHOU], "not_a_match", "泉州的同名企业", "--json"
    )
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)
    assert (stored["normalised"], stored["verdict"], stored["decided_by"]) == (
        HEAD_KEY,
        "not_a_match",
        None,  # no key: the command line speaks for no authority
    )
    last = check("鑫达（厦门）贸易有限公司", "--limit", "50")["candidates"][-1]
    assert (last["subject"], last["dismissed"]) == (city[QUANZHOU], True)
    assert (last["review"]["reviewer"], last["review"]["reason"]) == ("张三", "泉州的同名企业")

    plain = decide(CITY[HEAD][0], city[HEAD], "match", "核对营业执照")
    assert plain.exit_code == 0, plain.output
    assert "recorded" in plain.stdout
    with cli_db.connect() as conn:
        assert len(conn.execute(select(screening_decisions)).all()) == 2


def test_errors(cli_db: Engine, city: list[str]) -> None:
    unknown = decide("厦门鑫达贸易有限公司", uscc(99), "match", "x")
    assert unknown.exit_code == 1
    assert "unknown_subject" in unknown.output
    empty = runner.invoke(app, ["screening", "check", "!!!"])
    assert (empty.exit_code, "empty_name" in empty.output) == (1, True)
    bad_code = runner.invoke(app, ["screening", "check", "鑫达", "--code", "123"])
    assert (bad_code.exit_code, "invalid_length" in bad_code.output) == (1, True)
    bad_kind = runner.invoke(app, ["screening", "check", "鑫达", "--kind", "person"])
    assert (bad_kind.exit_code, "invalid_kind" in bad_kind.output) == (1, True)
    bad_verdict = decide("鑫达", city[HEAD], "maybe", "x")
    assert bad_verdict.exit_code == 2
    no_reason = decide("鑫达", city[HEAD], "match", " ")
    assert (no_reason.exit_code, "missing_reason" in no_reason.output) == (1, True)
    assert runner.invoke(app, ["screening", "check", "鑫达", "--limit", "0"]).exit_code == 2
