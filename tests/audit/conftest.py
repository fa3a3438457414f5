"""Shared by the audit tests: the CLI on the test database, and reading the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from xinyong.audit import service


def entries(engine: Engine, action: str | None = None) -> list[dict[str, Any]]:
    """Every audit entry (of one action), in order, details as JSON."""
    with engine.connect() as conn:
        return service.page(conn, after=0, limit=1_000_000, action=action)


def assert_intact(engine: Engine) -> None:
    with engine.connect() as conn:
        result = service.verify(conn)
    assert result.ok, result.problem
