"""Shared by the audit tests: the CLI on the test database, and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from xinyong.audit import service
from xinyong.settings import get_settings


@pytest.fixture
def cli_db(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The ``xinyong`` command on the test's database."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def entries(engine: Engine, action: str | None = None) -> list[dict[str, Any]]:
    """Every audit entry (of one action), in order, details as JSON."""
    with engine.connect() as conn:
        return service.page(conn, after=0, limit=1_000_000, action=action)


def assert_intact(engine: Engine) -> None:
    with engine.connect() as conn:
        result = service.verify(conn)
    assert result.ok, result.problem
