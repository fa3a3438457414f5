"""Console sessions: a clerk pastes the authority's API key once; the console keeps only a
short-lived key of the same role and scope (label ``console``) in an HttpOnly cookie.

The long-lived key is authenticated and forgotten: it is never stored in a cookie. Signing
in creates the session key (audited ``key.created`` by the authority that signed in);
signing out revokes it (audited ``key.revoked``). Only keys labelled ``console`` are
accepted from the cookie, so the cookie can never carry a long-lived key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from xinyong.auth.keys import AUTHORITY_ROLES, Principal, authenticate, create_key, revoke_key
from xinyong.db.types import utcnow
from xinyong.errors import Forbidden, Unauthorized, XinyongError
from xinyong.me.repository import key_label

COOKIE = "xinyong_console"
LABEL = "console"
HOURS = 8


@dataclass(frozen=True)
class Session:
    key: str
    principal: Principal
    expires_at: dt.datetime


def sign_in(conn: Connection, api_key: str, *, hours: float = HOURS) -> Session:
    """A console session for the authority whose API key this is (provider, consumer or
    administrator); :class:`Unauthorized` for a key that is not live, :class:`Forbidden`
    ``not_an_authority`` for a subject's or an auditor's key."""
    text = (api_key or "").strip()
    if not text or len(text) > 256:
        raise Unauthorized("paste the authority's API key", code="invalid_api_key")
    found = authenticate(conn, text)
    if key_label(conn, found.key_id) == LABEL:  # a session may not extend itself
        raise Unauthorized(
            "paste the authority's API key, not a console session's", code="invalid_api_key"
        )
    if found.role not in AUTHORITY_ROLES:
        raise Forbidden(
            "the console is for authorities: a provider's, consumer's or administrator's key",
            code="not_an_authority",
        )
    expires = utcnow() + dt.timedelta(hours=hours)
    key = create_key(
        conn,
        found.role,
        provider_code=found.provider_code,
        consumer_code=found.consumer_code,
        scopes=found.scopes,
        label=LABEL,
        expires_at=expires,
        actor=found.actor,
    )
    return Session(key, authenticate(conn, key), expires)


def current(conn: Connection, key: str | None) -> Principal | None:
    """The authority signed in with this cookie value, or ``None`` (no cookie, expired,
    revoked, or not a console session)."""
    if not key or len(key) > 256:
        return None
    try:
        found = authenticate(conn, key.strip())
    except XinyongError:
        return None
    if found.role not in AUTHORITY_ROLES or key_label(conn, found.key_id) != LABEL:
        return None
    return found


def sign_out(conn: Connection, key: str | None) -> bool:
    """Revoke the console session of this cookie value; whether one was live."""
    found = current(conn, key)
    if found is None or key is None:
        return False
    revoke_key(conn, key, actor=found.actor)
    return True
