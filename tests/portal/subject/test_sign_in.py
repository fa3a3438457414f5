"""Signing in and out of the subject area, and what a page without a session does."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.portal.subject.support import (
    MakeKey,
    SubjectKey,
    count,
    html,
    organisation_with_fine,
    sign_in,
)
from xinyong.db.tables import api_keys, audit_log


def test_a_subject_signs_in_with_its_token_sees_its_file_and_signs_out(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, _record = organisation_with_fine(client, make_key)
    page = html(client, "/me/sign-in?lang=en")
    assert '<label for="token">' in page
    assert 'action="/me/sign-in"' in page

    r = client.post(
        "/me/sign-in", data={"token": subject_key(code), "next": "/me"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/me"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("xinyong_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here; Secure over https
    assert count(engine, audit_log, audit_log.c.action == "session.created") == 1

    page = html(client, "/me")
    assert code in page  # the subject's own code, unmasked
    assert "厦门页面测试贸易有限公司" in page

    r = client.post("/me/sign-out", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/me/sign-in"
    assert 'xinyong_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert count(engine, audit_log, audit_log.c.action == "session.ended") == 1
    r = client.get("/me", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/me/sign-in?next=")


def test_every_page_without_a_session_redirects_to_sign_in_with_next(client: TestClient) -> None:
    for path, quoted in [
        ("/me", "%2Fme"),
        ("/me/access-log", "%2Fme%2Faccess-log"),
        ("/me/cases", "%2Fme%2Fcases"),
        ("/me/objections/new?record=r0123", "%2Fme%2Fobjections%2Fnew%3Frecord%3Dr0123"),
        ("/me/restorations/new?record=r0123", "%2Fme%2Frestorations%2Fnew%3Frecord%3Dr0123"),
        ("/me/objections/o0123456789abcdef0123", "%2Fme%2Fobjections%2Fo0123456789abcdef0123"),
        ("/me/restorations/rst_1", "%2Fme%2Frestorations%2Frst_1"),
    ]:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/me/sign-in?next={quoted}", path
    # a form sent without a session goes to sign in too, and writes nothing
    r = client.post("/me/objections/new", data={"target": "r0"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/me/sign-in?next=")


def test_a_bad_token_gets_an_error_page_and_no_session(
    client: TestClient, engine: Engine, make_key: MakeKey
) -> None:
    provider = make_key("market_regulation")
    before = count(engine, api_keys)
    for token in ["", "xy_nope_nope", provider]:
        r = client.post("/me/sign-in", data={"token": token}, headers={"accept-language": "en"})
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert 'role="alert"' in r.text
        assert "invalid_credentials" in r.text
        assert "The token was not accepted" in r.text
        assert "xinyong_session" not in r.headers.get("set-cookie", "")
    assert count(engine, api_keys) == before
    r = client.post("/me/sign-in", data={"token": "xy_nope_nope"})  # Chinese by default
    assert "令牌无效" in r.text


def test_only_relative_next_paths_are_followed(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, _record = organisation_with_fine(client, make_key)
    token = subject_key(code)
    for unsafe in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "me"]:
        r = client.post(
            "/me/sign-in", data={"token": token, "next": unsafe}, follow_redirects=False
        )
        assert r.headers["location"] == "/me", unsafe
    page = html(client, "/me/sign-in?next=https://evil.example/")
    assert 'name="next" value="/me"' in page
    r = client.post(
        "/me/sign-in", data={"token": token, "next": "/me/cases"}, follow_redirects=False
    )
    assert r.headers["location"] == "/me/cases"


def test_a_session_key_cannot_sign_in_again(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, _record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    session = client.cookies["xinyong_session"]
    r = client.post("/me/sign-in", data={"token": session})
    assert r.status_code == 401
    assert "invalid_credentials" in r.text


def test_a_sign_out_from_another_site_is_refused(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, _record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    r = client.post("/me/sign-out", headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert "cross_site_request" in r.text
    html(client, "/me")  # still signed in


def test_signing_in_again_ends_the_previous_session(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, _record = organisation_with_fine(client, make_key)
    token = subject_key(code)
    sign_in(client, token)
    first = client.cookies["xinyong_session"]
    sign_in(client, token)
    assert client.cookies["xinyong_session"] != first
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 401  # the first session was ended
    html(client, "/me")
    assert count(engine, audit_log, audit_log.c.action == "session.ended") == 1


def test_the_session_cookie_is_secure_over_https(
    app: FastAPI, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        code, _record = organisation_with_fine(secure, make_key)
        r = secure.post("/me/sign-in", data={"token": subject_key(code)}, follow_redirects=False)
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]
        assert "HttpOnly" in r.headers["set-cookie"]
