"""API keys: created once, shown once, stored as a SHA-256 hash of their secret.

A key reads ``xy_<prefix>_<secret>``. The prefix finds the row; the secret (32 random
bytes) is compared by its hash in constant time. A fast hash is right here: the secret has
256 bits of entropy, so there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from xinyong.db.tables import api_keys
from xinyong.db.types import utcnow
from xinyong.errors import Unauthorized


class Role(StrEnum):
    provider = "provider"
    consumer = "consumer"
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: int
    role: Role
    provider_code: str | None = None
    consumer_code: str | None = None
    scopes: tuple[str, ...] = ()


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
) -> str:
    """Store a new key and return it in full. It cannot be shown again."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    conn.execute(
        insert(api_keys).values(
            prefix=prefix,
            secret_hash=_hash(secret),
            role=role.value,
            provider_code=provider_code,
            consumer_code=consumer_code,
            scopes=list(scopes),
            label=label,
            active=True,
            created_at=utcnow(),
        )
    )
    return f"xy_{prefix}_{secret}"


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
    return Principal(
        key_id=row["id"],
        role=Role(row["role"]),
        provider_code=row["provider_code"],
        consumer_code=row["consumer_code"],
        scopes=tuple(row["scopes"] or ()),
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
