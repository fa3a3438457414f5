"""SQL of credit restoration: applications, their evidence, and the records they are about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, insert, select, update

from xinyong.db.tables import (
    entities,
    record_versions,
    records,
    restoration_evidence,
    restorations,
)

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def subject_id(conn: Connection, code: str) -> int | None:
    """The entity with this code (USCC or identity number), if the store knows it."""
    found = conn.execute(select(entities.c.id).where(entities.c.code == code)).scalar()
    return None if found is None else int(found)


def record_of(conn: Connection, record_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    """A record's head, its current version and its subject. ``lock``: hold the head's row
    until the transaction ends (PostgreSQL), so two applications cannot race."""
    r, v, e = records, record_versions, entities
    stmt = (
        select(
            r.c.id,
            r.c.provider_code,
            r.c.record_type,
            r.c.entity_id,
            r.c.current_version,
            v.c.severity,
            v.c.decided_on,
            v.c.publicity_until,
            v.c.ended_on,
            v.c.end_reason,
            v.c.fields,
            e.c.code.label("subject_code"),
            e.c.kind.label("subject_kind"),
            e.c.name.label("subject_name"),
        )
        .join(v, and_(v.c.record_id == r.c.id, v.c.version == r.c.current_version))
        .join(e, e.c.id == r.c.entity_id)
        .where(r.c.id == record_id)
    )
    if lock:
        conn.execute(select(r.c.id).where(r.c.id == record_id).with_for_update())
    row = conn.execute(stmt).mappings().first()
    return None if row is None else dict(row)


def restorable_examples(
    conn: Connection,
    kind: str,
    record_type: str,
    provider: str,
    decided_by: dt.date,
    today: dt.date,
) -> dict[str, Any] | None:
    """A subject of ``kind`` with a current general-severity record of ``record_type`` from
    ``provider``, decided by ``decided_by`` and still in publicity: what the demo offers to
    restore."""
    found = restorable_records(conn, kind, record_type, provider, decided_by, today, limit=1)
    return found[0] if found else None


def restorable_records(
    conn: Connection,
    kind: str,
    record_type: str,
    provider: str,
    decided_by: dt.date,
    today: dt.date,
    *,
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Up to ``limit`` such records (``record_id``, ``code``, ``public_id``, ``name``), in
    the order of their ids."""
    r, v, e = records, record_versions, entities
    stmt = (
        select(r.c.id.label("record_id"), e.c.code, e.c.public_id, e.c.name)
        .join(v, and_(v.c.record_id == r.c.id, v.c.version == r.c.current_version))
        .join(e, e.c.id == r.c.entity_id)
        .where(
            r.c.record_type == record_type,
            r.c.provider_code == provider,
            e.c.kind == kind,
            v.c.severity == "general",
            v.c.decided_on <= decided_by,
            v.c.publicity_until >= today,
            v.c.ended_on.is_(None),
        )
        .order_by(r.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def pending_for(conn: Connection, record_id: str) -> str | None:
    """The pending application for this record, if there is one."""
    found = conn.execute(
        select(restorations.c.id).where(
            restorations.c.record_id == record_id, restorations.c.status == PENDING
        )
    ).scalar()
    return None if found is None else str(found)


def add(
    conn: Connection,
    row: dict[str, Any],
    evidence: Sequence[tuple[str, str, int, str, bytes]],
) -> None:
    """Store an application and its evidence ``(filename, media_type, size, sha256, bytes)``,
    in order."""
    conn.execute(insert(restorations).values(**row))
    if evidence:
        conn.execute(
            insert(restoration_evidence),
            [
                {
                    "restoration_id": row["id"],
                    "filename": name,
                    "media_type": media,
                    "size": size,
                    "sha256": digest,
                    "content": content,
                }
                for name, media, size, digest, content in evidence
            ],
        )


def _with_subject() -> Select[Any]:
    t, e = restorations, entities
    return (
        select(
            t,
            records.c.record_type,
            e.c.code.label("subject_code"),
            e.c.kind.label("subject_kind"),
            e.c.name.label("subject_name"),
        )
        .join(e, e.c.id == t.c.entity_id)
        .join(records, records.c.id == t.c.record_id)
    )


def restoration(
    conn: Connection, restoration_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """One application with its subject; ``lock``: hold its row (a decision)."""
    if lock:
        conn.execute(
            select(restorations.c.id).where(restorations.c.id == restoration_id).with_for_update()
        )
    row = (
        conn.execute(_with_subject().where(restorations.c.id == restoration_id)).mappings().first()
    )
    return None if row is None else dict(row)


def page(
    conn: Connection,
    *,
    entity_id: int | None,
    decider: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Applications in id order (ids sort by filing time), filtered."""
    t = restorations
    stmt = _with_subject()
    if entity_id is not None:
        stmt = stmt.where(t.c.entity_id == entity_id)
    if decider is not None:
        stmt = stmt.where(t.c.decider == decider)
    if status is not None:
        stmt = stmt.where(t.c.status == status)
    if after:
        stmt = stmt.where(t.c.id > after)
    rows = conn.execute(stmt.order_by(t.c.id).limit(limit)).mappings()
    return [dict(r) for r in rows]


def evidence_of(conn: Connection, restoration_id: str) -> list[dict[str, Any]]:
    """The files' descriptions (not their bytes), in the order they were sent."""
    x = restoration_evidence
    stmt = (
        select(x.c.filename, x.c.media_type, x.c.size, x.c.sha256)
        .where(x.c.restoration_id == restoration_id)
        .order_by(x.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def evidence_file(conn: Connection, restoration_id: str, n: int) -> dict[str, Any] | None:
    """The ``n``-th file (1-based) with its bytes."""
    x = restoration_evidence
    stmt = (
        select(x.c.filename, x.c.media_type, x.c.size, x.c.sha256, x.c.content)
        .where(x.c.restoration_id == restoration_id)
        .order_by(x.c.id)
        .offset(n - 1)
        .limit(1)
    )
    row = conn.execute(stmt).mappings().first()
    return None if row is None else dict(row)


def decide(
    conn: Connection,
    restoration_id: str,
    *,
    status: str,
    reasons: str | None,
    decided_at: dt.datetime,
    decided_by: str,
) -> bool:
    """Record the decision on a pending application; ``False`` if it was not pending."""
    done = conn.execute(
        update(restorations)
        .where(restorations.c.id == restoration_id, restorations.c.status == PENDING)
        .values(status=status, reasons=reasons, decided_at=decided_at, decided_by=decided_by)
    )
    return bool(done.rowcount)
