"""``xinyong webhooks deliver | list | sweep | retry`` on a real database and receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from tests.factories import ORG
from tests.watch.support import Receiver, hook, known_subject, list_it, watch
from xinyong.cli.main import app
from xinyong.db.engine import writing
from xinyong.db.tables import list_entries, webhook_deliveries
from xinyong.settings import get_settings

runner = CliRunner()
Headers = dict[str, str]


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XINYONG_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYONG_WEBHOOK_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("XINYONG_WEBHOOK_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> Any:
    result = runner.invoke(app, ["webhooks", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_deliver_list_retry_and_sweep(
    cli_env: None,
    wclient: TestClient,
    engine: Engine,
    court: Headers,
    market: Headers,
    aviation: Headers,
    receiver: Receiver,
) -> None:
    known_subject(wclient, market, ORG, "P1")
    hook(wclient, aviation, receiver.url)
    watch(wclient, aviation, ORG)
    list_it(wclient, court, ORG, "J1")

    receiver.answer(500)  # one attempt only (XINYONG_WEBHOOK_MAX_ATTEMPTS=1): failed
    assert run("deliver", "--json") == {"delivered": 0, "retrying": 0, "failed": 1}
    (failed,) = run("list", "--status", "failed", "--json")
    assert failed["consumer"] == "civil_aviation"
    assert failed["last_error"].startswith("HTTP 500")
    assert run("list", "--status", "pending", "--json") == []

    result = runner.invoke(app, ["webhooks", "retry", failed["event_id"]])
    assert result.exit_code == 0, result.output
    assert run("deliver", "--json") == {"delivered": 1, "retrying": 0, "failed": 0}
    assert len(receiver.wait_for(2)) == 2
    table = runner.invoke(app, ["webhooks", "list"])
    assert table.exit_code == 0
    assert "delivered" in table.stdout

    # The listing ends by date (here: its entry is made to have ended yesterday).
    with writing(engine) as conn:
        conn.execute(update(list_entries).values(until=list_entries.c.since))
    assert run("sweep", "--json") == {"queued": 1}
    assert run("sweep", "--json") == {"queued": 0}
    assert run("deliver", "--json") == {"delivered": 1, "retrying": 0, "failed": 0}
    with engine.connect() as conn:
        assert list(conn.execute(select(webhook_deliveries.c.status))) == [
            ("delivered",),
            ("delivered",),
        ]


def test_errors_are_reported_with_their_code(cli_env: None, engine: Engine) -> None:
    result = runner.invoke(app, ["webhooks", "list", "--status", "lost"])
    assert result.exit_code == 1
    assert "invalid_status" in result.output
    result = runner.invoke(app, ["webhooks", "retry", "nope"])
    assert result.exit_code == 1
    assert "delivery_not_found" in result.output
