"""Signing in with a subject token, the session cookie, signing out, expired keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import ORG, PERSON, judgment, penalty
from tests.me.records import PERSON_NAME, bearer, sign_in, submit
from xinyong.auth.keys import Role, create_key
from xinyong.db.engine import writing
from xinyong.db.tables import api_keys, audit_log
from xinyong.db.types import utcnow


def audited(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.target).order_by(
                audit_log.c.seq
            )
        )
        return [(a, b, c) for a, b, c in rows]


def test_sign_in_sets_a_session_cookie_that_alone_opens_me_and_the_file(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    submit(client, make_key("market_regulation"), penalty("P1", PERSON, PERSON_NAME, kind="person"))
    token = subject_key(PERSON)

    r = client.post("/api/v1/session", json={"method": "token", "token": token})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["subject"] == "3405**********001X"  # masked, even to the subject here
    assert (body["kind"], body["name"]) == ("person", PERSON_NAME)
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(hours=7, minutes=59) < expires - utcnow() <= dt.timedelta(hours=8)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("xinyong_session=xy_")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    assert token not in cookie  # a new key, not the token
    assert client.cookies.get("xinyong_session")

    me = client.get("/api/v1/me")  # the cookie only: no Authorization header
    assert me.status_code == 200, me.text
    assert me.json()["code"] == PERSON
    assert me.json()["display_code"] == "3405**********001X"
    assert me.json()["kind"] == "person"
    assert me.json()["public_id"].startswith("s")
    file = client.get("/api/v1/me/file")
    assert file.status_code == 200, file.text
    assert file.headers["content-disposition"].startswith("attachment;")
    assert file.json()["subject"]["code"] == PERSON

    with engine.connect() as conn:
        session = conn.execute(
            select(api_keys.c.label, api_keys.c.role, api_keys.c.subject_code).where(
                api_keys.c.label == "session"
            )
        ).one()
    assert tuple(session) == ("session", "subject", PERSON)
    actions = [a for _, a, _ in audited(engine)]
    assert "session.created" in actions
    assert all(PERSON not in str(row) for row in audited(engine))


def test_sign_out_invalidates_the_session(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    submit(client, make_key("court"), judgment("J1"))
    sign_in(client, subject_key(ORG))
    session = client.cookies.get("xinyong_session")
    assert session
    assert client.get("/api/v1/me").status_code == 200

    out = client.delete("/api/v1/session")
    assert out.status_code == 204, out.text
    assert (
        'xinyong_session=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    assert client.cookies.get("xinyong_session") is None
    # the old session key no longer works, as a cookie or as a bearer key
    client.cookies.set("xinyong_session", session)
    gone = client.get("/api/v1/me")
    assert (gone.status_code, gone.json()["code"]) == (401, "invalid_api_key")
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer(session)).status_code == 401
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(api_keys.c.active).where(api_keys.c.label == "session")
            ).scalar_one()
            is False
        )
    assert "session.ended" in [a for _, a, _ in audited(engine)]
    # signing out again is harmless
    assert client.delete("/api/v1/session").status_code == 204


def test_sign_out_refuses_a_key_that_is_not_a_session(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    submit(client, make_key("court"), judgment("J1"))
    token = subject_key(ORG)
    r = client.delete("/api/v1/session", headers=bearer(token))
    assert (r.status_code, r.json()["code"]) == (409, "not_a_session")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_https_sessions_have_secure_cookies(
    app: FastAPI, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        submit(secure, make_key("court"), judgment("J1"))
        r = secure.post("/api/v1/session", json={"method": "token", "token": subject_key(ORG)})
        assert r.status_code == 201, r.text
        assert "secure" in r.headers["set-cookie"].lower()
        assert secure.get("/api/v1/me").json()["code"] == ORG


def test_bad_credentials_are_refused(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    submit(client, make_key("court"), judgment("J1"))
    provider = make_key("court")
    for evidence in (
        {"method": "token", "token": "xy_nope_nope"},
        {"method": "token", "token": "not a key"},
        {"method": "token"},
        {"method": "token", "token": provider},  # an authority's key is not a subject's
    ):
        r = client.post("/api/v1/session", json=evidence)
        assert (r.status_code, r.json()["code"]) == (401, "invalid_credentials"), evidence
        assert "set-cookie" not in r.headers
    other = client.post("/api/v1/session", json={"method": "oidc", "id_token": "x"})
    assert (other.status_code, other.json()["code"]) == (400, "unsupported_method")

    # a session cannot open another session (it would never end)
    sign_in(client, subject_key(ORG))
    session = client.cookies.get("xinyong_session")
    again = client.post("/api/v1/session", json={"method": "token", "token": session})
    assert (again.status_code, again.json()["code"]) == (401, "invalid_credentials")

    # a token for a code the platform holds nothing on
    nobody = client.post("/api/v1/session", json={"method": "token", "token": subject_key(PERSON)})
    assert (nobody.status_code, nobody.json()["code"]) == (404, "unknown_subject")
    with engine.connect() as conn:
        sessions = conn.execute(select(api_keys.c.id).where(api_keys.c.label == "session"))
        assert len(sessions.all()) == 1


def test_an_expired_key_is_refused(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    submit(client, make_key("court"), judgment("J1"))
    with writing(engine) as conn:
        expired = create_key(
            conn,
            Role.subject,
            subject_code=ORG,
            label="session",
            expires_at=utcnow() - dt.timedelta(minutes=1),
        )
    r = client.get("/api/v1/me", headers=bearer(expired))
    assert (r.status_code, r.json()["code"]) == (401, "expired_api_key")
    signin = client.post("/api/v1/session", json={"method": "token", "token": expired})
    assert (signin.status_code, signin.json()["code"]) == (401, "invalid_credentials")
    client.cookies.set("xinyong_session", expired)
    r = client.get("/api/v1/me")
    assert (r.status_code, r.json()["code"]) == (401, "expired_api_key")
    # signing out of an expired session clears the cookie and ends nothing
    out = client.delete("/api/v1/session")
    assert out.status_code == 204
    assert out.headers["set-cookie"].startswith('xinyong_session="";')


def test_me_is_for_subjects_only(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    assert client.get("/api/v1/me").json()["code"] == "missing_api_key"
    admin = make_key(role=Role.admin)
    for path in ("/api/v1/me", "/api/v1/me/file", "/api/v1/me/access-log"):
        r = client.get(path, headers=bearer(admin))
        assert (r.status_code, r.json()["code"]) == (403, "not_a_subject"), path
    # a token for a subject the platform holds nothing on
    r = client.get("/api/v1/me", headers=bearer(subject_key(PERSON)))
    assert (r.status_code, r.json()["code"]) == (404, "unknown_subject")
