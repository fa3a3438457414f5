"""The access log ("data tracker"): every read of a subject's non-public data by an
authority, with its purpose and legal basis, and what the subject sees of it.

Who calls :func:`log_read`: the rating API (a grade that is not public), the lists API (a
list that is not published, or entries only authorities see), and the authorities' view of
a subject's file (``GET /entities/{code}/file``). Public reads and the subject's own reads
are not logged. The checks run on a subject are already logged by the check API (its own
tables, written on its hot path); :func:`access_log` reads them from there, so the check
API writes nothing more.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from xinyong.access import repository as repo
from xinyong.auth.keys import Principal
from xinyong.db.types import utcnow
from xinyong.errors import ValidationFailed
from xinyong.lists.model import Declaration

MAX_PURPOSE = 500
MAX_LEGAL_BASIS = 500
MAX_WHAT = 128


def stated(purpose: str | None) -> str | None:
    """The purpose as given, stripped; ``None`` when there is none."""
    text = (purpose or "").strip()
    return text or None


def log_read(
    conn: Connection,
    caller: Principal,
    entity_ids: Iterable[int],
    *,
    purpose: str,
    what: str,
    legal_basis: str | None = None,
    record_ids: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Log that ``caller`` (an authority) read these subjects' non-public data, one row per
    subject, in the caller's transaction. Returns how many rows were written."""
    why = stated(purpose)
    if why is None:
        raise ValidationFailed(
            "state the purpose of reading non-public data", code="purpose_required"
        )
    at = now or utcnow()
    basis = (legal_basis or "").strip()[:MAX_LEGAL_BASIS] or None
    ids = list(record_ids) if record_ids is not None else None
    rows = [
        {
            "at": at,
            "entity_id": int(eid),
            "reader_role": caller.role.value,
            "reader": caller.authority_code[:64],
            "key_id": caller.key_id,
            "purpose": why[:MAX_PURPOSE],
            "legal_basis": basis,
            "what": what[:MAX_WHAT],
            "record_ids": ids,
        }
        for eid in dict.fromkeys(entity_ids)
    ]
    repo.insert_reads(conn, rows)
    return len(rows)


def retention_start(now: dt.datetime, years: int) -> dt.datetime:
    """The oldest moment still inside a retention of ``years`` years."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def purge(conn: Connection, retention_years: int, *, now: dt.datetime | None = None) -> int:
    """Delete reads older than the retention period (``rights.access_log.retention_years``).
    For the daily job; returns how many rows went."""
    return repo.delete_before(conn, retention_start(now or utcnow(), retention_years))


# ---- the subject's view ------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    id: str
    source: str  # "read" or "check"
    at: dt.datetime
    reader: str
    reader_role: str
    what: str
    purpose: str
    legal_basis: str | None
    record_ids: list[str] | None
    decision: str | None
    reference: str | None

    def position(self) -> repo.Position:
        return repo.Position(self.at, self.source, self.id.partition(":")[2])


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next: str | None


def encode_cursor(position: repo.Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.source, position.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> repo.Position | None:
    """The position a cursor stands for; ``invalid_cursor`` unless this API gave it out."""
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        at, source, ident = json.loads(text)
        stamp = dt.datetime.fromisoformat(at)
        if source not in (repo.READ, repo.CHECK) or not isinstance(ident, str):
            raise ValueError(source)
        if stamp.tzinfo is None or len(ident) > 40:
            raise ValueError(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise ValidationFailed(
            "after is not a cursor this API gave out; pass next unchanged", code="invalid_cursor"
        ) from None
    return repo.Position(stamp, source, ident)


def access_log(
    conn: Connection,
    entity_id: int,
    declaration: Declaration,
    *,
    retention_years: int,
    after: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> LogPage:
    """Who read the subject's non-public data, and which checks were run on it, newest
    first, within the retention period."""
    before = decode_cursor(after)
    since = retention_start(now or utcnow(), retention_years)
    entries = [
        LogEntry(
            id=f"{repo.READ}:{r['id']}",
            source=repo.READ,
            at=r["at"],
            reader=r["reader"],
            reader_role=r["reader_role"],
            what=r["what"],
            purpose=r["purpose"],
            legal_basis=r["legal_basis"],
            record_ids=list(r["record_ids"]) if r["record_ids"] is not None else None,
            decision=None,
            reference=None,
        )
        for r in repo.reads_of(conn, entity_id, since=since, before=before, limit=limit)
    ]
    for c in repo.checks_of(conn, entity_id, since=since, before=before, limit=limit):
        measure = declaration.measure(c["measure"])
        entries.append(
            LogEntry(
                id=f"{repo.CHECK}:{c['id']}",
                source=repo.CHECK,
                at=c["at"],
                reader=c["consumer_code"],
                reader_role="consumer",
                what=f"check:{c['measure']}",
                purpose=c["purpose"],
                legal_basis=measure.legal_basis if measure is not None else None,
                record_ids=None,
                decision=c["decision"],
                reference=c["reference"],
            )
        )
    entries.sort(key=_order, reverse=True)
    page = entries[:limit]
    # each source gave ``limit`` rows at most: a full page may have more after it
    full = len(page) == limit
    return LogPage(page, encode_cursor(page[-1].position()) if full else None)


def _order(e: LogEntry) -> tuple[dt.datetime, str, int | str]:
    ident = e.id.partition(":")[2]
    return (e.at, e.source, int(ident) if e.source == repo.READ else ident)


def as_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "source": entry.source,
        "at": entry.at,
        "reader": entry.reader,
        "reader_role": entry.reader_role,
        "what": entry.what,
        "purpose": entry.purpose,
        "legal_basis": entry.legal_basis,
        "record_ids": entry.record_ids,
        "decision": entry.decision,
        "reference": entry.reference,
    }
