"""Identifiers the platform gives out: record ids and subjects' opaque public ids."""

from __future__ import annotations

import hashlib
import secrets


def record_id(provider_code: str, provider_record_id: str) -> str:
    """The record's id: stable for a provider's own id, so a re-submission finds it."""
    key = f"{provider_code}\x1f{provider_record_id}".encode()
    return "r" + hashlib.blake2b(key, digest_size=10).hexdigest()


def public_id() -> str:
    """A random opaque id under which a subject's public page is addressed (17 characters).

    Random, not derived from the identifier, so it can never be turned back into an ID
    number.
    """
    return "s" + secrets.token_hex(8)


def public_ids(n: int) -> list[str]:
    """``n`` ids as :func:`public_id` makes them, from one read of the random source."""
    raw = secrets.token_bytes(8 * n).hex()
    return ["s" + raw[i : i + 16] for i in range(0, 16 * n, 16)]
