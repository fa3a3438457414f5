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
* ``webhook.registered``, ``webhook.removed``, ``screening.decided``;
* ``admin.*`` (administrators' and the platform's own jobs).

See docs/audit.md for what each entry holds, how the chain is verified and anchored, and
what it does not protect against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from xinyong.audit import repository as repo
from xinyong.audit.chain import GENESIS, canonical, entry_hash, stamp
from xinyong.db.types import utcnow

#: The actor of what the platform does by itself (expiry, escalation, list refresh).
PLATFORM = "platform"
#: The actor of what an operator does with the ``xinyong`` command (keys, imports, checks).
CLI = "admin:cli"

#: Called with (entries verified, entries in all) while a chain is verified.
Progress = Callable[[int, int], None]


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
    events = list(events)
    at = now or utcnow()
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if not events:
        found = repo.last(conn)
        return Head(*found) if found is not None else Head(0, GENESIS)
    last = repo.lock_head(conn)
    seq, prev = last if last is not None else (0, GENESIS)
    when = stamp(at)
    rows: list[tuple[int, str, str, str | None, str, str, str]] = []
    for e in events:
        seq += 1
        actor, action = e.actor[:128], e.action[:64]
        target = None if e.target is None else e.target[:128]
        details = canonical(e.details)
        digest = entry_hash(
            seq=seq,
            at=when,
            actor=actor,
            action=action,
            target=target,
            details=details,
            prev_hash=prev,
        )
        rows.append((seq, actor, action, target, details, prev, digest))
        prev = digest
    repo.append(conn, at, rows)
    return Head(seq, prev)


def head(conn: Connection) -> Head | None:
    """The last entry: export it (``SEQ:HASH``) to anchor the chain elsewhere."""
    last = repo.last(conn)
    return None if last is None else Head(*last)


def page(
    conn: Connection, *, after: int = 0, limit: int = 100, action: str | None = None
) -> list[dict[str, Any]]:
    """Entries after ``after`` in order, ``details`` as JSON; ``action``: one action, or
    every action under a prefix (``objection.*``)."""
    return [
        {**e, "details": orjson.loads(e["details"])}
        for e in repo.page(conn, after=after, limit=limit, action=action)
    ]


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head: Head | None
    broken_seq: int | None = None
    problem: str | None = None


def verify(
    conn: Connection,
    *,
    anchor: Head | None = None,
    progress: Progress | None = None,
    every: int = 5000,
) -> Verification:
    """Recompute the chain from the first entry. The first entry whose hash, link or
    position does not hold is named; with ``anchor`` (an exported head), the chain must
    still hold that entry unchanged (which also catches entries removed from the end).
    ``progress`` is called every ``every`` entries and at the end."""
    total = repo.count(conn) if progress is not None else 0
    expected_seq = 1
    prev = GENESIS
    count = 0

    def broken(seq: int, problem: str) -> Verification:
        if progress is not None:
            progress(count, total)
        return Verification(False, count, None, seq, problem)

    for e in repo.entries(conn):
        seq = int(e["seq"])
        if seq != expected_seq:
            return broken(
                expected_seq,
                f"entry {expected_seq} is missing (the next one is {seq})"
                if seq > expected_seq
                else f"entry {seq} is out of order",
            )
        if e["prev_hash"] != prev:
            return broken(
                seq,
                f"entry {seq} does not link to entry {seq - 1} "
                "(removed, reordered or altered entries)",
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
            return broken(seq, f"entry {seq} was altered (its hash does not match)")
        prev = digest
        count += 1
        expected_seq += 1
        if progress is not None and count % every == 0:
            progress(count, total)
    if progress is not None:
        progress(count, max(total, count))
    last = Head(expected_seq - 1, prev) if count else None
    if anchor is not None and anchor.seq > 0:
        held = repo.entry_at(conn, anchor.seq)
        if held is None:
            return Verification(
                False,
                count,
                last,
                anchor.seq,
                f"the anchored entry {anchor.seq} is gone (the chain ends at "
                f"{last.seq if last else 0}): entries were removed from the end",
            )
        if held["hash"] != anchor.hash:
            return Verification(
                False,
                count,
                last,
                anchor.seq,
                f"entry {anchor.seq} differs from the anchored head: the chain was rewritten",
            )
    elif anchor is not None and anchor.hash != GENESIS:
        return Verification(False, count, last, 0, "an anchor at 0 is 0:" + GENESIS)
    return Verification(True, count, last)


def parse_anchor(text: str) -> Head:
    """``SEQ:HASH`` as exported by ``xinyong audit head``; ValueError otherwise."""
    seq, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if (
        not (seq.isascii() and seq.isdigit())
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError("an anchor is SEQ:HASH, e.g. 42:9f86d081...")
    return Head(int(seq), digest)
