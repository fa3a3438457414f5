"""Shared by the subject area's tests: seeding subjects with records, signing in through
the page, and counting what a refused form must not have written."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.factories import days_ago, penalty, uscc
from tests.me.records import bearer, submit
from xinyong.db.tables import audit_log, objections, restoration_evidence, restorations

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% receipt: fine paid in full\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ORG_NAME = "厦门页面测试贸易有限公司"

MakeKey = Callable[..., str]
SubjectKey = Callable[[str], str]


def restorable_fine(prid: str, code: str, name: str = ORG_NAME) -> dict[str, Any]:
    """A general-tier fine decided four months ago (the minimum is three): restorable."""
    return penalty(
        prid, code, name, severity="general", decided_on=days_ago(120), valid_until=days_ago(-200)
    )


def organisation_with_fine(
    client: TestClient, make_key: MakeKey, seed: int = 8101
) -> tuple[str, str]:
    """An organisation with a restorable public fine: (its code, the record id)."""
    code = uscc(seed)
    record_id = submit(client, make_key("market_regulation"), restorable_fine(f"PG{seed}", code))
    return code, record_id


def sign_in(client: TestClient, token: str, next_path: str | None = None) -> None:
    """Sign in through the page (a form POST), as a browser does."""
    data = {"token": token}
    if next_path is not None:
        data["next"] = next_path
    r = client.post("/me/sign-in", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "xinyong_session" in client.cookies


def html(client: TestClient, path: str, status: int = 200, **kw: Any) -> str:
    r = client.get(path, follow_redirects=False, **kw)
    assert r.status_code == status, (r.status_code, r.text[:2000])
    assert r.headers["content-type"].startswith("text/html")
    text: str = r.text
    return text


def case_id(location: str, kind: str) -> str:
    found = re.fullmatch(rf"/me/{kind}/([A-Za-z0-9_]+)", location)
    assert found, location
    return found.group(1)


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(table)
        if where:
            stmt = stmt.where(*where)
        return int(conn.execute(stmt).scalar_one())


def nothing_applied(engine: Engine) -> None:
    """No restoration application, evidence or audit entry of one was written."""
    assert count(engine, restorations) == 0
    assert count(engine, restoration_evidence) == 0
    assert count(engine, audit_log, audit_log.c.action == "restoration.filed") == 0


def no_objection(engine: Engine) -> None:
    assert count(engine, objections) == 0
    assert count(engine, audit_log, audit_log.c.action == "objection.filed") == 0


__all__ = ["bearer", "submit"]
