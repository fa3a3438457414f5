"""API keys: created once, shown once, stored as a SHA-256 hash of their secret.

A key reads ``xy_<prefix>_<secret>``. The prefix finds the row; the secret (32 random
bytes) is compared by its hash in constant time. A fast hash is right here: the secret has
256 bits of entropy, so there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from xinyong.audit import service as audit
from xinyong.db.tables import api_keys
from xinyong.db.types import utcnow
from xinyong.errors import Conflict, NotFound, Unauthorized


class Role(StrEnum):
    provider = "provider"  # a provider authority: submits records, decides on them
    consumer = "consumer"  # a consuming authority: checks subjects, applies measures
    admin = "admin"  # the platform administrator
    auditor = "auditor"  # reads the audit log and verifies it; nothing else
    subject = "subject"  # a subject (or its representative) acting on its own file


#: Roles that act for an authority and may read non-public data with a stated purpose.
AUTHORITY_ROLES = frozenset({Role.provider, Role.consumer, Role.admin})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: int
    role: Role
    provider_code: str | None = None
    consumer_code: str | None = None
    scopes: tuple[str, ...] = ()
    subject_code: str | None = None

    @property
    def is_authority(self) -> bool:
        """An authority's key (provider, consumer, administrator): it may read non-public
        data with a stated purpose, and such reads are logged for the subject to see."""
        return self.role in AUTHORITY_ROLES

    @property
    def authority_code(self) -> str:
        """Who reads, as the subject's access log names it."""
        if self.role is Role.provider:
            return self.provider_code or "provider"
        if self.role is Role.consumer:
            return self.consumer_code or "consumer"
        return self.role.value

    @property
    def actor(self) -> str:
        """Who acted, as the audit log names it (never a person's identity number)."""
        if self.role is Role.subject:
            return f"subject#{self.key_id}"
        return f"{self.role.value}:{self.authority_code}#{self.key_id}"


def may_use_codes(caller: Principal | None, code: str) -> bool:
    """Whether ``caller`` may address a subject by its identity number (not only by its
    public id): authorities, and a subject for itself."""
    if caller is None:
        return False
    return caller.is_authority or caller.subject_code == code.strip().upper()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    conn: Connection,
    role: Role,
    *,
    provider_code: str | None = None,
    consumer_code: str | None = None,
    scopes: tuple[str, ...] = (),
    label: str | None = None,
    subject_code: str | None = None,
    expires_at: dt.datetime | None = None,
    actor: str | None = audit.CLI,
) -> str:
    """Store a new key and return it in full. It cannot be shown again.

    The audit log gets a ``key.created`` entry by ``actor`` (role, authority, scopes, the
    key's prefix and id: never its secret, never a subject's identity number); ``actor=None``
    leaves the entry to the caller (a sign-in audits ``session.created`` itself)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    key_id = conn.execute(
        insert(api_keys)
        .values(
            prefix=prefix,
            secret_hash=_hash(secret),
            role=role.value,
            provider_code=provider_code,
            consumer_code=consumer_code,
            scopes=list(scopes),
            label=label,
            active=True,
            created_at=now,
            subject_code=subject_code,
            expires_at=expires_at,
        )
        .returning(api_keys.c.id)
    ).scalar_one()
    if actor is not None:
        audit.record(
            conn,
            actor,
            "key.created",
            prefix,
            {
                "key_id": int(key_id),
                "prefix": prefix,
                "role": role.value,
                "provider": provider_code,
                "consumer": consumer_code,
                "scopes": list(scopes),
                "label": label,
                "subject_key": subject_code is not None,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            now=now,
        )
    return f"xy_{prefix}_{secret}"


def create_subject_token(
    conn: Connection,
    subject_code: str,
    *,
    hours: float,
    label: str | None = None,
    actor: str | None = None,
) -> str:
    """A key for one subject acting on its own file, valid for ``hours``: issued by
    ``xinyong subjects token`` (demo, tests) and by sign-in (a session). Audited as
    ``key.created`` only with an ``actor``: a sign-in records ``session.created`` itself."""
    return create_key(
        conn,
        Role.subject,
        subject_code=subject_code,
        label=label,
        expires_at=utcnow() + dt.timedelta(hours=hours),
        actor=actor,
    )


def key_prefix(text: str) -> str:
    """A key's prefix, from the prefix itself or from a whole key (``xy_<prefix>_...``)."""
    text = text.strip()
    if text.startswith("xy_"):
        return text.split("_", 2)[1]
    return text


def revoke_key(conn: Connection, prefix: str, *, actor: str) -> dict[str, Any]:
    """Deactivate a key for good (audited as ``key.revoked``). :class:`NotFound`
    ``unknown_key`` if no key has this prefix; :class:`Conflict` ``already_revoked``."""
    prefix = key_prefix(prefix)
    row: Any = (
        conn.execute(select(api_keys).where(api_keys.c.prefix == prefix[:16])).mappings().first()
    )
    if row is None:
        raise NotFound(f"no key with the prefix {prefix[:16]!r}", code="unknown_key")
    if not row["active"]:
        raise Conflict(f"the key {prefix} is already revoked", code="already_revoked")
    conn.execute(update(api_keys).where(api_keys.c.id == row["id"]).values(active=False))
    found = {
        "key_id": int(row["id"]),
        "prefix": prefix,
        "role": row["role"],
        "provider": row["provider_code"],
        "consumer": row["consumer_code"],
        "label": row["label"],
    }
    audit.record(conn, actor, "key.revoked", prefix, found)
    return found


def authenticate(conn: Connection, key: str) -> Principal:
    """The principal a key stands for; :class:`Unauthorized` if it is not a live key."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "xy":
        raise Unauthorized("the API key is malformed", code="invalid_api_key")
    row: Any = (
        conn.execute(
            select(api_keys).where(api_keys.c.prefix == parts[1], api_keys.c.active.is_(True))
        )
        .mappings()
        .first()
    )
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash(parts[2])):
        raise Unauthorized("the API key is not valid", code="invalid_api_key")
    if row["expires_at"] is not None and row["expires_at"] <= utcnow():
        raise Unauthorized("the key or session has expired", code="expired_api_key")
    return Principal(
        key_id=row["id"],
        role=Role(row["role"]),
        provider_code=row["provider_code"],
        consumer_code=row["consumer_code"],
        scopes=tuple(row["scopes"] or ()),
        subject_code=row["subject_code"],
    )


class KeyCache:
    """Keys already checked, for ``ttl`` seconds: the check API's hot path authenticates
    without a database round trip. A key deactivated in the database stops working here
    within ``ttl`` seconds."""

    def __init__(self, ttl: float, max_keys: int = 10_000) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._known: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def authenticate(self, engine: Engine, key: str) -> Principal:
        now = time.monotonic()
        hit = self._known.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        with engine.connect() as conn:
            found = authenticate(conn, key)
        with self._lock:
            if len(self._known) >= self.max_keys:
                self._known.clear()
            self._known[key] = (now + self.ttl, found)
        return found
