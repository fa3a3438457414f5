"""How an audit entry is hashed: SHA-256 over its fields and the previous entry's hash.

Changing, removing or reordering any entry changes a hash that a later entry (or an
exported head) holds, so :func:`xinyong.audit.service.verify` finds the first broken one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


def canonical(details: dict[str, Any] | None) -> str:
    """The details as canonical JSON (sorted keys, no spaces): the text that is stored and
    hashed, so the database's JSON handling can never change what was hashed."""
    return orjson.dumps(
        details or {}, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
    ).decode()


def stamp(at: dt.datetime) -> str:
    """The time as hashed: UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    utc = at.astimezone(dt.UTC) if at.tzinfo is not None else at
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_hash(
    *,
    seq: int,
    at: dt.datetime | str,
    actor: str,
    action: str,
    target: str | None,
    details: str,
    prev_hash: str,
) -> str:
    """SHA-256 of the entry's fields joined by U+001F (``at`` as :func:`stamp` gives it;
    an aware datetime, or its stamp already made, as for many entries of one moment)."""
    when = at if isinstance(at, str) else stamp(at)
    text = "\x1f".join((str(seq), when, actor, action, target or "", details, prev_hash))
    return hashlib.sha256(text.encode()).hexdigest()
