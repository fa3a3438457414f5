"""``xinyong report`` and ``xinyong verify``; the signature line on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.factories import ORG, judgment, penalty
from tests.me.records import submit
from tests.reports.conftest import NEEDS_POPPLER, pdf_text
from xinyong.cli.main import app
from xinyong.db.tables import audit_log, reports
from xinyong.reports import signing

runner = CliRunner()


def verify(path: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["verify", "--json", str(path)])
    return result.exit_code, json.loads(result.stdout)


@NEEDS_POPPLER
def test_report_and_verify_from_the_command_line(
    cli_db: Engine,
    client: TestClient,
    make_key: Callable[..., str],
    tmp_path: Path,
    signing_key_path: Path,
) -> None:
    submit(client, make_key("market_regulation"), penalty("P1"))
    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", ORG, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "厦门鑫达贸易有限公司" in pdf_text(out.read_bytes(), tmp_path)
    assert signing_key_path.stat().st_mode & 0o777 == 0o600

    code, body = verify(out)
    assert code == 0
    assert body["valid"] is True
    assert body["content_changed"] is False
    plain = runner.invoke(app, ["verify", str(out)])
    assert plain.exit_code == 0
    assert "unchanged" in plain.stdout
    with cli_db.connect() as conn:
        row = conn.execute(select(reports)).mappings().one()
        assert row["id"] == body["report_id"]
        assert row["view"] == "public"
        actions = conn.execute(select(audit_log.c.action, audit_log.c.target)).all()
        assert ("report.issued", body["report_id"]) in actions

    data = out.read_bytes()
    altered = tmp_path / "altered.pdf"
    at = len(data) // 3
    altered.write_bytes(data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :])
    code, body = verify(altered)
    assert code == 1
    assert body["valid"] is False

    submit(client, make_key("court"), judgment("J1"))
    code, body = verify(out)
    assert code == 0
    assert body["content_changed"] is True

    full = tmp_path / "full.pdf"
    result = runner.invoke(app, ["report", ORG, "--full", "-o", str(full)])
    assert result.exit_code == 0, result.output
    assert "本人完整版" in pdf_text(full.read_bytes(), tmp_path)
    code, body = verify(full)
    assert code == 0
    assert body["valid"] is True
    assert body["content_changed"] is False


def test_bad_input_on_the_command_line(cli_db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", ORG, "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    assert "entity_not_found" in result.output
    result = runner.invoke(app, ["report", ORG, "--as-of", "yesterday", "-o", "r.pdf"])
    assert result.exit_code == 1
    assert "invalid_as_of" in result.output
    result = runner.invoke(app, ["verify", str(tmp_path / "missing.pdf")])
    assert result.exit_code == 1
    assert "cannot_read" in result.output
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert runner.invoke(app, ["verify", str(junk)]).exit_code == 1


def test_the_signature_line_covers_every_byte() -> None:
    key = Ed25519PrivateKey.generate()
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    signed = signing.sign(pdf, "R1", key)
    assert signing.check(signed, key).valid
    assert signing.check(signed, key).report_id == "R1"
    for i in range(len(signed)):
        for flip in (0x01, 0x20):
            changed = signed[:i] + bytes([signed[i] ^ flip]) + signed[i + 1 :]
            assert not signing.check(changed, key).valid, (i, flip)
    assert not signing.check(signed + b"x", key).valid
    assert not signing.check(signed[:-1], key).valid
    assert not signing.check(signed, Ed25519PrivateKey.generate()).valid
    assert not signing.check(pdf, key).valid
