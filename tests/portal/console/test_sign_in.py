"""Signing in to the console: each authority role, bad keys, the session cookie (never the
API key), signing out, and forms sent from another site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import ORG
from tests.portal.console.helpers import EVIL, count, sign_in
from xinyong.auth.keys import Role
from xinyong.db.tables import api_keys, audit_log
from xinyong.portal.console.session import COOKIE

SECTIONS = {
    Role.provider: {
        "/console/uploads",
        "/console/templates",
        "/console/objections",
        "/console/restorations",
        "/console/statistics",
    },
    Role.consumer: {"/console/watches", "/console/check-log"},
    Role.admin: {"/console/restorations", "/console/objections", "/console/check-log"},
}
ALL = set().union(*SECTIONS.values())


def test_each_role_signs_in_and_sees_only_its_sections(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    keys = {
        Role.provider: make_key("court"),
        Role.consumer: consumer_key("civil_aviation", "restrict_flights_rail"),
        Role.admin: make_key(role=Role.admin),
    }
    for role, key in keys.items():
        client.cookies.clear()
        r = client.get("/console", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/console/sign-in?next=/console"
        session = sign_in(client, key)
        assert session != key
        assert key not in session
        home = client.get("/console")
        assert home.status_code == 200
        for path in SECTIONS[role]:
            assert f'href="{path}"' in home.text, (role, path)
        for path in ALL - SECTIONS[role]:
            assert f'href="{path}"' not in home.text, (role, path)
    # every sign-in created a console key of the same role, expiring in eight hours
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys).where(api_keys.c.label == "console")).mappings().all()
    assert sorted(r["role"] for r in rows) == ["admin", "consumer", "provider"]
    for row in rows:
        left = row["expires_at"].replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=7, minutes=55) < left <= dt.timedelta(hours=8)
    consumer_row = next(r for r in rows if r["role"] == "consumer")
    assert consumer_row["consumer_code"] == "civil_aviation"
    assert list(consumer_row["scopes"]) == ["restrict_flights_rail"]
    assert count(engine, audit_log, audit_log.c.action == "key.created") == 6


def test_the_cookie_is_httponly_strict_and_not_the_api_key(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    r = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    header = r.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    assert "HttpOnly" in header
    assert "SameSite=strict" in header or "samesite=strict" in header.lower()
    assert "Max-Age=28800" in header
    assert key not in header
    # the long-lived key itself is no console session
    client.cookies.clear()
    client.cookies.set(COOKIE, key)
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_bad_keys_are_refused_with_the_form_again(
    client: TestClient, subject_key: Callable[[str], str], make_key: Callable[..., str]
) -> None:
    r = client.post("/console/sign-in", data={"api_key": "xy_nope_nothing"})
    assert r.status_code == 401
    assert 'role="alert"' in r.text
    assert "invalid_api_key" in r.text
    assert 'name="api_key"' in r.text
    assert COOKIE not in r.cookies
    empty = client.post("/console/sign-in", data={"api_key": ""})
    assert empty.status_code == 401
    # a subject's token or an auditor's key is no authority's
    subject = client.post("/console/sign-in", data={"api_key": subject_key(ORG)})
    assert subject.status_code == 403
    assert "not_an_authority" in subject.text
    auditor = client.post("/console/sign-in", data={"api_key": make_key(role=Role.auditor)})
    assert auditor.status_code == 403
    assert COOKIE not in client.cookies


def test_sign_out_revokes_the_session(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    session = sign_in(client, key)
    assert client.get("/console/uploads").status_code == 200
    out = client.post("/console/sign-out", follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/console/sign-in"
    assert client.get("/console/uploads", follow_redirects=False).status_code == 303
    # the old cookie value no longer works, as a cookie or as a bearer key
    client.cookies.set(COOKIE, session)
    assert client.get("/console", follow_redirects=False).status_code == 303
    api = client.get("/api/v1/imports/1", headers={"Authorization": f"Bearer {session}"})
    assert api.status_code == 401
    assert count(engine, audit_log, audit_log.c.action == "key.revoked") == 1
    # the long-lived key still works
    assert client.get("/api/v1/catalogue", headers={"Authorization": f"Bearer {key}"}).is_success
    again = client.post("/console/sign-out", follow_redirects=False)
    assert again.status_code == 303


def test_a_session_key_cannot_sign_in_again(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    """A console session ends when it ends: its key cannot open a fresh 8-hour session."""
    session = sign_in(client, make_key("court"))
    client.cookies.clear()
    again = client.post("/console/sign-in", data={"api_key": session}, follow_redirects=False)
    assert again.status_code == 401
    assert "invalid_api_key" in again.text
    assert COOKIE not in again.cookies


def test_an_expired_session_sends_to_sign_in(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    sign_in(client, make_key("court"))
    with engine.begin() as conn:
        conn.execute(
            api_keys.update()
            .where(api_keys.c.label == "console")
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    r = client.get("/console/templates?x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/sign-in?next=/console/templates%3Fx%3D1"


def test_next_goes_back_but_never_elsewhere(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    form = client.get("/console/sign-in?next=/console/templates")
    assert 'value="/console/templates"' in form.text
    r = client.post(
        "/console/sign-in",
        data={"api_key": key, "next": "/console/templates"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/console/templates"
    for elsewhere in ("https://evil.example/", "//evil.example", "/search"):
        client.cookies.clear()
        r = client.post(
            "/console/sign-in", data={"api_key": key, "next": elsewhere}, follow_redirects=False
        )
        assert r.headers["location"] == "/console"
    # signed in, the sign-in page goes straight on
    assert client.get("/console/sign-in", follow_redirects=False).status_code == 303


def test_forms_from_another_site_are_refused(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    key = make_key("court")
    r = client.post("/console/sign-in", data={"api_key": key}, headers=EVIL)
    assert r.status_code == 403
    assert "cross_site_request" in r.text
    assert count(engine, api_keys, api_keys.c.label == "console") == 0
    sign_in(client, key)
    refused = {
        "/console/sign-out": {},
        "/console/objections/o00000000000000000000/decision": {"outcome": "upheld"},
        "/console/restorations/rst_1/decision": {"decision": "approved"},
        "/console/watches": {"measure": "x", "subjects": ORG},
    }
    for path, data in refused.items():
        r = client.post(path, data=data, headers=EVIL)
        assert r.status_code == 403, path
        assert "cross_site_request" in r.text
    upload = client.post(
        "/console/uploads", files={"file": ("a.csv", b"x", "text/csv")}, headers=EVIL
    )
    assert upload.status_code == 403
    assert client.get("/console").status_code == 200  # still signed in
