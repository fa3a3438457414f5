"""Shared by the console's tests: signing in through the form, and counting rows."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from xinyong.portal.console.session import COOKIE

EVIL = {"Origin": "http://evil.example"}


def sign_in(client: TestClient, key: str, next_url: str = "/console") -> str:
    """Sign in through the form; the session key the cookie now holds."""
    client.cookies.clear()
    r = client.post(
        "/console/sign-in", data={"api_key": key, "next": next_url}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    cookie = r.cookies.get(COOKIE)
    assert cookie
    return str(cookie)


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(table)
        if where:
            stmt = stmt.where(*where)
        return int(conn.execute(stmt).scalar_one())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
