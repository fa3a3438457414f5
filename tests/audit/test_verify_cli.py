"""``xinyong audit verify`` on a real database: an intact chain passes; an altered,
deleted or reordered entry, or entries cut off the end (with an anchor), fail and are named."""

from __future__ import annotations

import json

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from xinyong.audit import repository as audit_repo
from xinyong.audit import service
from xinyong.audit.chain import entry_hash
from xinyong.cli.main import app
from xinyong.db.engine import writing

runner = CliRunner()


def fill(engine: Engine, n: int = 10) -> None:
    """``n`` entries, appended in separate transactions as the platform's actions are."""
    for i in range(1, n + 1):
        with writing(engine) as conn:
            service.record(
                conn, "provider:court#1", "record.submitted", f"r{i}", {"n": i, "名": "法院"}
            )


def verify(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", *args])
    return result.exit_code, result.output


def head() -> str:
    result = runner.invoke(app, ["audit", "head"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_an_intact_chain_verifies_and_its_head_can_be_anchored(cli_db: Engine) -> None:
    code, out = verify()
    assert code == 0, out  # an empty log is intact too
    fill(cli_db)
    code, out = verify()
    assert code == 0, out
    assert "intact" in out
    assert "10 entries" in out
    anchor = head()
    assert anchor.startswith("10:")
    assert len(anchor.split(":")[1]) == 64
    code, out = verify("--anchor", anchor)
    assert code == 0, out
    # more entries later: the old anchor still holds
    fill(cli_db, 3)
    assert verify("--anchor", anchor)[0] == 0
    as_json = runner.invoke(app, ["audit", "head", "--json"])
    assert json.loads(as_json.stdout)["seq"] == 13
    verdict = runner.invoke(app, ["audit", "verify", "--json"])
    assert verdict.exit_code == 0
    assert json.loads(verdict.stdout) == {
        "ok": True,
        "entries": 13,
        "broken_seq": None,
        "problem": None,
        "head": json.loads(as_json.stdout),
    }


def test_editing_one_row_fails_naming_it(cli_db: Engine) -> None:
    fill(cli_db)
    with cli_db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET details = :d WHERE seq = 4"), {"d": '{"n":99}'})
    code, out = verify()
    assert code == 2, out
    assert "broken at entry 4" in out
    assert "altered" in out
    assert "3 entries intact" in out


def test_editing_the_actor_or_the_time_fails_too(cli_db: Engine) -> None:
    fill(cli_db)
    with cli_db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'admin:cli' WHERE seq = 7"))
    assert "broken at entry 7" in verify()[1]
    with cli_db.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET at = :at WHERE seq = 2"), {"at": "2020-01-01 00:00:00"}
        )
    code, out = verify()
    assert code == 2
    assert "broken at entry 2" in out


def test_rehashing_an_edited_row_breaks_the_next_link(cli_db: Engine) -> None:
    """Whoever edits a row and recomputes its own hash still breaks the next entry's link."""
    fill(cli_db)
    with cli_db.connect() as conn:
        row = audit_repo.entry_at(conn, 5)
    assert row is not None
    forged = entry_hash(
        seq=5,
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details='{"n":500}',
        prev_hash=row["prev_hash"],
    )
    with cli_db.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET details = :d, hash = :h WHERE seq = 5"),
            {"d": '{"n":500}', "h": forged},
        )
    code, out = verify()
    assert code == 2
    assert "broken at entry 6" in out
    assert "does not link to entry 5" in out


def test_deleting_a_middle_row_fails_naming_it(cli_db: Engine) -> None:
    fill(cli_db)
    with cli_db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    code, out = verify()
    assert code == 2, out
    assert "broken at entry 6" in out
    assert "missing" in out


def test_swapping_two_rows_fails_naming_the_first(cli_db: Engine) -> None:
    fill(cli_db)
    columns = ("at", "actor", "action", "target", "details", "prev_hash", "hash")
    with cli_db.begin() as conn:
        rows = {
            r["seq"]: r
            for r in conn.execute(text("SELECT * FROM audit_log WHERE seq IN (3, 8)")).mappings()
        }
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        for seq, other in ((3, 8), (8, 3)):
            conn.execute(
                text(f"UPDATE audit_log SET {sets} WHERE seq = :seq"),
                {**{c: rows[other][c] for c in columns}, "seq": seq},
            )
    code, out = verify()
    assert code == 2, out
    assert "broken at entry 3" in out


def test_cutting_entries_off_the_end_is_caught_with_an_anchor(cli_db: Engine) -> None:
    fill(cli_db)
    anchor = head()
    with cli_db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > 8"))
    code, out = verify()
    assert code == 0, out  # without an anchor, a shorter chain is a valid chain
    code, out = verify("--anchor", anchor)
    assert code == 2, out
    assert "broken at entry 10" in out
    assert "gone" in out
    # the cut chain grows again: entries 9 and 10 now exist but differ from the anchored one
    fill(cli_db, 2)
    code, out = verify("--anchor", anchor)
    assert code == 2
    assert "entry 10 differs from the anchored head" in out


def test_a_malformed_anchor_is_an_error_not_a_verdict(cli_db: Engine) -> None:
    code, out = verify("--anchor", "ten:abc")
    assert code == 1
    assert "invalid_anchor" in out


def test_show_lists_entries_in_order(cli_db: Engine) -> None:
    fill(cli_db, 4)
    with writing(cli_db) as conn:
        service.record(conn, "admin:cli", "key.created", "abc", {"role": "auditor"})
    out = runner.invoke(app, ["audit", "show", "--json", "--after", "1", "--limit", "2"])
    assert out.exit_code == 0, out.output
    assert [e["seq"] for e in json.loads(out.stdout)] == [2, 3]
    keys = runner.invoke(app, ["audit", "show", "--json", "--action", "key.*"])
    [entry] = json.loads(keys.stdout)
    assert entry["details"] == {"role": "auditor"}
    assert entry["seq"] == 5
    table = runner.invoke(app, ["audit", "show"])
    assert table.exit_code == 0
    assert "audit log, 5 entries after 0" in table.stdout
