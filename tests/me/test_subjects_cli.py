"""``xinyong subjects token``: a subject access token from the command line."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.factories import ORG, PERSON, judgment, uscc
from tests.me.records import bearer, submit
from xinyong.cli.main import app
from xinyong.db.tables import api_keys, audit_log
from xinyong.db.types import utcnow

runner = CliRunner()


def test_the_printed_token_opens_me(
    cli_db: Engine, client: TestClient, make_key: Callable[..., str]
) -> None:
    submit(client, make_key("court"), judgment("J1", ORG))
    out = runner.invoke(app, ["subjects", "token", ORG.lower()])  # normalised
    assert out.exit_code == 0, out.output
    token = out.stdout.strip()
    assert token.startswith("xy_")
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["code"] == ORG
    with cli_db.connect() as conn:
        expires = conn.execute(
            select(api_keys.c.expires_at).where(api_keys.c.subject_code == ORG)
        ).scalar_one()
        actor, target, details = conn.execute(
            select(audit_log.c.actor, audit_log.c.target, audit_log.c.details)
            .where(audit_log.c.action == "key.created")
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).one()
    assert dt.timedelta(days=29) < expires - utcnow() <= dt.timedelta(days=30)
    assert actor == "admin:cli"
    assert target == token.split("_")[1]  # the key's prefix
    assert json.loads(details)["role"] == "subject"
    assert ORG not in details

    short = runner.invoke(app, ["subjects", "token", ORG, "--days", "2"])
    assert short.exit_code == 0, short.output
    with cli_db.connect() as conn:
        latest = conn.execute(
            select(api_keys.c.expires_at).order_by(api_keys.c.id.desc()).limit(1)
        ).scalar_one()
    assert dt.timedelta(days=1) < latest - utcnow() <= dt.timedelta(days=2)


def test_unknown_and_invalid_codes_are_refused(cli_db: Engine) -> None:
    unknown = runner.invoke(app, ["subjects", "token", uscc(99)])
    assert unknown.exit_code == 1
    assert "unknown_subject" in unknown.output
    person = runner.invoke(app, ["subjects", "token", PERSON])
    assert person.exit_code == 1
    assert "unknown_subject" in person.output
    invalid = runner.invoke(app, ["subjects", "token", "12345"])
    assert invalid.exit_code == 1
    assert "invalid_subject_code" in invalid.output
    with cli_db.connect() as conn:
        assert conn.execute(select(api_keys.c.id)).first() is None
