"""Sessions: a person or organisation signs in with evidence of who it is and gets a
short-lived session key, carried in the ``xinyong_session`` cookie (or as a bearer key).

A session key is a subject key (``api_keys``, role ``subject``, label ``session``) that
expires after ``rights.subjects.session_hours``. Signing out deactivates it. Both are
audited (``session.created``, ``session.ended``); the audit log names the session by its
key id and the subject by its public id, never by an identity number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.auth.keys import Principal, Role, authenticate, create_subject_token
from xinyong.errors import Conflict, NotFound, XinyongError
from xinyong.me import repository as repo
from xinyong.me.identity import SESSION_LABEL, IdentityVerifier
from xinyong.rights.model import Rights


def cookie_args(secure: bool) -> dict[str, Any]:
    """The attributes of the ``xinyong_session`` cookie, set by the API's sign-in and the
    portal's alike (HttpOnly, SameSite=Lax, Secure over https)."""
    return {"path": "/", "secure": secure, "httponly": True, "samesite": "lax"}


@dataclass(frozen=True)
class Session:
    key: str
    key_id: int
    expires_at: dt.datetime
    subject: dict[str, Any]


def unknown_subject() -> NotFound:
    return NotFound("the platform holds no file on this subject", code="unknown_subject")


def sign_in(
    conn: Connection,
    verifier: IdentityVerifier,
    evidence: Mapping[str, Any],
    rights: Rights,
) -> Session:
    """Verify the evidence and open a session for the subject it proves."""
    code = verifier.verify(conn, evidence)
    entity = repo.entity_by_code(conn, code.strip().upper())
    if entity is None:
        raise unknown_subject()
    key = create_subject_token(
        conn, entity["code"], hours=rights.subjects.session_hours, label=SESSION_LABEL
    )
    row = repo.key_by_prefix(conn, key.split("_", 2)[1])
    assert row is not None
    assert row["expires_at"] is not None
    audit.record(
        conn,
        f"subject#{row['id']}",
        "session.created",
        entity["public_id"],
        {
            "method": verifier.method,
            "key_id": row["id"],
            "expires_at": row["expires_at"].isoformat(),
        },
    )
    return Session(key, int(row["id"]), row["expires_at"], entity)


def sign_out(conn: Connection, key: str | None) -> bool:
    """End the session of ``key``; whether a live session was ended. A key that is not a
    live key ends nothing (signing out twice is harmless); a live key that is not a
    session is refused (``not_a_session``): tokens are revoked otherwise."""
    if not key:
        return False
    try:
        found: Principal = authenticate(conn, key)
    except XinyongError:
        return False
    if found.role is not Role.subject or repo.key_label(conn, found.key_id) != SESSION_LABEL:
        raise Conflict(
            "this key is not a session: only a session is ended by signing out",
            code="not_a_session",
        )
    if not repo.deactivate_key(conn, found.key_id):  # pragma: no cover - raced
        return False
    entity = repo.entity_by_code(conn, found.subject_code or "")
    audit.record(
        conn,
        found.actor,
        "session.ended",
        entity["public_id"] if entity else None,
        {"key_id": found.key_id},
    )
    return True
