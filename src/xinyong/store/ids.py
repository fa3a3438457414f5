"""Identifiers the platform gives out: record ids and subjects' opaque public ids."""

from __future__ import annotations

import base64
import hashlib
import secrets


def record_id(provider_code: str, provider_record_id: str) -> str:
    """The record's id: stable for a provider's own id, so a re-submission finds it."""
    digest = hashlib.blake2b(
        f"{provider_code}\x1f{provider_record_id}".encode(), digest_size=10
    ).digest()
    return "r" + base64.b32encode(digest).decode().lower()


def public_id() -> str:
    """A random opaque id under which a subject's public page is addressed (16 characters).

    Random, not derived from the identifier, so it can never be turned back into an ID
    number.
    """
    return "s" + base64.b32encode(secrets.token_bytes(10)).decode().lower()[:15]
