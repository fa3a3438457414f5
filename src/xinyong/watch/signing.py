"""Signing webhook deliveries, and verifying them on the receiving side.

Every delivery carries three headers:

- ``X-Xinyong-Event``: the event id (the same on every retry of one event);
- ``X-Xinyong-Timestamp``: when this attempt was signed, in Unix seconds;
- ``X-Xinyong-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the consumer's
  secret, of ``f"{timestamp}.{body}"`` (the raw request body, UTF-8).

A receiver recomputes the signature over the raw body it received and compares in constant
time (:func:`verify`); the timestamp bounds how long a captured request can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

EVENT_HEADER = "X-Xinyong-Event"
TIMESTAMP_HEADER = "X-Xinyong-Timestamp"
SIGNATURE_HEADER = "X-Xinyong-Signature"
ATTEMPT_HEADER = "X-Xinyong-Attempt"
PREFIX = "sha256="


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The signature header's value: ``sha256=<hex HMAC-SHA256(secret, "{ts}.{body}")>``."""
    message = f"{timestamp}.".encode() + _bytes(body)
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(
    secret: str, event_id: str, body: str | bytes, *, attempt: int = 1, timestamp: int | None = None
) -> dict[str, str]:
    """The headers of one delivery attempt, signed now (or at ``timestamp``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_HEADER: event_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
        ATTEMPT_HEADER: str(attempt),
    }


def verify(
    secret: str,
    timestamp: str | int | None,
    body: str | bytes,
    signature: str | None,
    tolerance_seconds: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` is the delivery's valid signature, made with ``secret`` within
    ``tolerance_seconds`` of ``now`` (default: the current time). Constant-time compare.

    ``timestamp`` and ``signature`` are the raw ``X-Xinyong-Timestamp`` and
    ``X-Xinyong-Signature`` header values; ``body`` is the raw request body, as received.
    Missing or malformed values answer ``False``, never raise.
    """
    if not secret or timestamp is None or signature is None:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if tolerance_seconds >= 0 and abs(current - ts) > tolerance_seconds:
        return False
    expected = sign(secret, ts, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
