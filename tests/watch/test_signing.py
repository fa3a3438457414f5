"""The signature receivers check: HMAC-SHA256 of "{timestamp}.{body}", with a tolerance."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

import pytest

from xinyong.watch.signing import headers, sign, verify

SECRET = "a-shared-secret-of-32-characters"
BODY = '{"event_id":"e1","decision":"applies","subject":"厦门"}'.encode()
NOW = 1_800_000_000


def test_the_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"
    assert sign(SECRET, str(NOW), BODY.decode()) == sign(SECRET, NOW, BODY)


def test_headers_carry_event_timestamp_signature_and_attempt() -> None:
    h = headers(SECRET, "e1", BODY, attempt=2, timestamp=NOW)
    assert h["X-Xinyong-Event"] == "e1"
    assert h["X-Xinyong-Timestamp"] == str(NOW)
    assert h["X-Xinyong-Attempt"] == "2"
    assert verify(SECRET, h["X-Xinyong-Timestamp"], BODY, h["X-Xinyong-Signature"], now=NOW)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature", "now"),
    [
        ("another-secret-of-32-characters!", str(NOW), BODY, None, NOW),  # wrong secret
        (SECRET, str(NOW), BODY + b" ", None, NOW),  # body changed
        (SECRET, str(NOW + 1), BODY, None, NOW),  # timestamp changed
        (SECRET, str(NOW), BODY, None, NOW + 301),  # too old: a replay
        (SECRET, str(NOW), BODY, None, NOW - 301),  # from the future
        (SECRET, "yesterday", BODY, None, NOW),
        (SECRET, None, BODY, None, NOW),
        (SECRET, str(NOW), BODY, "sha256=00", NOW),
        (SECRET, str(NOW), BODY, "", NOW),
        (SECRET, str(NOW), BODY, "sha256=é", NOW),
        ("", str(NOW), BODY, None, NOW),
    ],
)
def test_anything_else_does_not_verify(
    secret: str, timestamp: str | None, body: bytes, signature: str | None, now: int
) -> None:
    good = sign(SECRET, NOW, BODY)
    assert not verify(secret, timestamp, body, good if signature is None else signature, now=now)


def test_within_the_tolerance_it_verifies() -> None:
    good = sign(SECRET, NOW, BODY)
    assert verify(SECRET, str(NOW), BODY, good, now=NOW + 300)
    assert verify(SECRET, f" {NOW} ", BODY.decode(), f"{good} ", now=NOW - 300)
    assert not verify(SECRET, str(NOW), BODY, good, tolerance_seconds=10, now=NOW + 11)
    assert verify(SECRET, str(NOW), BODY, good) is False  # NOW is years away from today


def test_the_receiver_in_the_docs_accepts_a_real_signature_and_nothing_else() -> None:
    text = (Path(__file__).parents[2] / "docs/webhooks.md").read_text(encoding="utf-8")
    (example,) = [
        b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if "class Hook" in b
    ]
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(example, "docs/webhooks.md", "exec"), namespace)
    namespace["SECRET"] = SECRET.encode()
    is_genuine = namespace["is_genuine"]
    h = headers(SECRET, "e1", BODY)
    assert is_genuine(h, BODY)
    assert not is_genuine(h, BODY + b" ")
    assert not is_genuine({**h, "X-Xinyong-Signature": "sha256=é"}, BODY)
    assert not is_genuine(headers(SECRET, "e1", BODY, timestamp=NOW), BODY)
