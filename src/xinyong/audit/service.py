"""Writing to the audit log and verifying it.

Every write path of the platform calls :func:`record` (or :func:`record_many`) inside its
own transaction, so an action and its audit entry commit together or not at all. What is
covered, by ``action``:

* ``record.submitted`` (API submissions and corrections, one entry per request),
  ``record.ended``, ``import.finished``, ``records.expired``;
* ``objection.filed``, ``objection.extended``, ``objection.escalated``,
  ``objection.decided``; ``restoration.filed``, ``restoration.decided``;
* ``lists.refreshed`` (listings and removals, with a digest of the entries);
* ``check.logged``;
* ``key.created``, ``key.revoked``, ``session.created``;
* ``admin.*`` (administrators' and the platform's own jobs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from xinyong.audit import repository as repo
from xinyong.audit.chain import GENESIS, canonical, entry_hash
from xinyong.db.types import utcnow

#: The actor of what the platform does by itself (expiry, escalation, list refresh).
PLATFORM = "platform"


@dataclass(frozen=True)
class Event:
    """One thing to audit: who did what to which target, with details (JSON-able)."""

    actor: str
    action: str
    target: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def anchor(self) -> str:
        """``SEQ:HASH``: what to publish elsewhere (``xinyong audit verify --anchor``)."""
        return f"{self.seq}:{self.hash}"


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> Head:
    """Append one entry in the caller's transaction."""
    return record_many(conn, [Event(actor, action, target, details)], now=now)


def record_many(
    conn: Connection, events: Iterable[Event], *, now: dt.datetime | None = None
) -> Head:
    """Append entries in order, chained, in the caller's transaction."""
    at = now or utcnow()
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    last = repo.lock_head(conn)
    seq, prev = last if last is not None else (0, GENESIS)
    rows: list[dict[str, Any]] = []
    for e in events:
        seq += 1
        details = canonical(e.details)
        digest = entry_hash(
            seq=seq,
            at=at,
            actor=e.actor,
            action=e.action,
            target=e.target,
            details=details,
            prev_hash=prev,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": e.actor[:128],
                "action": e.action,
                "target": None if e.target is None else e.target[:128],
                "details": details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    repo.append(conn, rows)
    return Head(seq, prev)


def head(conn: Connection) -> Head | None:
    """The last entry: export it (``SEQ:HASH``) to anchor the chain elsewhere."""
    last = repo.last(conn)
    return None if last is None else Head(*last)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head: Head | None
    broken_seq: int | None = None
    problem: str | None = None


def verify(conn: Connection, *, anchor: Head | None = None) -> Verification:
    """Recompute the chain from the first entry. The first entry whose hash, link or
    position does not hold is named; with ``anchor`` (an exported head), the chain must
    still hold that entry unchanged (which also catches entries removed from the end)."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    for e in repo.entries(conn):
        seq = int(e["seq"])
        if seq != expected_seq:
            problem = (
                f"entry {expected_seq} is missing (the next one is {seq})"
                if seq > expected_seq
                else f"entry {seq} is out of order"
            )
            return Verification(False, count, None, expected_seq, problem)
        if e["prev_hash"] != prev:
            return Verification(
                False, count, None, seq, f"entry {seq} does not link to entry {seq - 1}"
            )
        digest = entry_hash(
            seq=seq,
            at=e["at"],
            actor=e["actor"],
            action=e["action"],
            target=e["target"],
            details=e["details"],
            prev_hash=e["prev_hash"],
        )
        if digest != e["hash"]:
            return Verification(
                False, count, None, seq, f"entry {seq} was altered (its hash does not match)"
            )
        prev = digest
        count += 1
        expected_seq += 1
    last = Head(expected_seq - 1, prev) if count else None
    if anchor is not None:
        held = repo.entry_at(conn, anchor.seq)
        if held is None:
            return Verification(
                False, count, last, anchor.seq, f"the anchored entry {anchor.seq} is gone"
            )
        if held["hash"] != anchor.hash:
            return Verification(
                False,
                count,
                last,
                anchor.seq,
                f"entry {anchor.seq} differs from the anchored head",
            )
    return Verification(True, count, last)


def parse_anchor(text: str) -> Head:
    """``SEQ:HASH`` as exported by ``xinyong audit head``; ValueError otherwise."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("an anchor is SEQ:HASH, e.g. 42:9f86d081...")
    return Head(int(seq), digest)
