"""SQL of the subject's own file: its entity, records with every version, objections,
restorations, statements, hidden records, and its sign-in keys. Only this module of the
package touches SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from xinyong.db.tables import (
    api_keys,
    entities,
    entity_names,
    hidden_records,
    objection_events,
    objections,
    record_versions,
    records,
    restoration_evidence,
    restorations,
    statements,
)

_ENTITY = (
    entities.c.id,
    entities.c.kind,
    entities.c.code,
    entities.c.public_id,
    entities.c.name,
    entities.c.division,
    entities.c.public_until,
    entities.c.created_at,
)


def entity_by_code(conn: Connection, code: str) -> dict[str, Any] | None:
    """A subject by its USCC or identity number (its own code, exactly)."""
    row = conn.execute(select(*_ENTITY).where(entities.c.code == code)).mappings().first()
    return dict(row) if row else None


def entity_by_any_code(conn: Connection, code: str) -> dict[str, Any] | None:
    """A subject by USCC, identity number or public id (an authority's look-up)."""
    c = code.strip()
    row = (
        conn.execute(
            select(*_ENTITY).where(
                or_(
                    entities.c.code == c.upper(),
                    and_(entities.c.public_id == c, entities.c.kind == "person"),
                )
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def names_of(conn: Connection, entity_id: int) -> list[str]:
    stmt = (
        select(entity_names.c.name)
        .where(entity_names.c.entity_id == entity_id)
        .order_by(entity_names.c.first_seen_at, entity_names.c.id)
    )
    return [str(n) for n in conn.execute(stmt).scalars()]


# ---- records -----------------------------------------------------------------------------

_VERSION = (
    record_versions.c.version,
    record_versions.c.record_type,
    record_versions.c.subject_name,
    record_versions.c.severity,
    record_versions.c.legal_basis,
    record_versions.c.document_number,
    record_versions.c.decided_on,
    record_versions.c.publicity_until,
    record_versions.c.ended_on,
    record_versions.c.end_reason,
    record_versions.c.fields,
    record_versions.c.received_at,
)


def versions_of_entity(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    """Every version of every record about the subject, with its record's head; by record
    (newest decision first), then version."""
    stmt = (
        select(
            records.c.id.label("record_id"),
            records.c.provider_code,
            records.c.provider_record_id,
            records.c.current_version,
            records.c.created_at,
            *_VERSION,
        )
        .select_from(records.join(record_versions, record_versions.c.record_id == records.c.id))
        .where(records.c.entity_id == entity_id, record_versions.c.entity_id == entity_id)
        .order_by(records.c.id, record_versions.c.version)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def current_records(
    conn: Connection, entity_id: int, record_types: Sequence[str], today: dt.date
) -> list[dict[str, Any]]:
    """The current versions of the subject's records of ``record_types`` in force today
    (decided, publicity not ended), newest decision first."""
    if not record_types:
        return []
    rv = record_versions
    stmt = (
        select(records.c.id.label("record_id"), records.c.provider_code, *_VERSION)
        .select_from(
            records.join(
                rv, and_(rv.c.record_id == records.c.id, rv.c.version == records.c.current_version)
            )
        )
        .where(
            records.c.entity_id == entity_id,
            rv.c.entity_id == entity_id,
            rv.c.record_type.in_(list(record_types)),
            rv.c.decided_on <= today,
            or_(rv.c.publicity_until.is_(None), rv.c.publicity_until >= today),
        )
        .order_by(rv.c.decided_on.desc(), records.c.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def record_head(conn: Connection, record_id: str) -> dict[str, Any] | None:
    """A record's subject and type."""
    row = (
        conn.execute(
            select(records.c.id, records.c.entity_id, records.c.record_type).where(
                records.c.id == record_id
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


# ---- hidden records ----------------------------------------------------------------------


def hidden_history(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    h = hidden_records.c
    stmt = (
        select(h.id, h.record_id, h.hidden, h.at)
        .where(h.entity_id == entity_id)
        .order_by(h.at, h.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def hidden_now(conn: Connection, record_id: str) -> bool:
    """The subject's latest choice for the record (not hidden without one)."""
    h = hidden_records.c
    latest = conn.execute(
        select(h.hidden).where(h.record_id == record_id).order_by(h.at.desc(), h.id.desc()).limit(1)
    ).scalar()
    return bool(latest)


def add_hidden(
    conn: Connection, record_id: str, entity_id: int, hidden: bool, at: dt.datetime
) -> None:
    conn.execute(
        insert(hidden_records).values(
            record_id=record_id, entity_id=entity_id, hidden=hidden, at=at
        )
    )


# ---- objections, restorations, statements ------------------------------------------------


def objections_of(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    o = objections.c
    stmt = (
        select(
            o.id,
            o.target_type,
            o.target,
            o.record_id,
            o.list_code,
            o.scheme,
            o.restoration_id,
            o.decider,
            o.grounds,
            o.statement,
            o.filed_at,
            o.filed_on,
            o.due_on,
            o.extended_at,
            o.extension_reasons,
            o.escalated_at,
            o.status,
            o.outcome,
            o.reasons,
            o.verification,
            o.corrected_version,
            o.decided_at,
        )
        .where(o.entity_id == entity_id)
        .order_by(o.filed_at.desc(), o.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def objection_steps(conn: Connection, objection_ids: Sequence[str]) -> list[dict[str, Any]]:
    if not objection_ids:
        return []
    e = objection_events.c
    stmt = (
        select(e.objection_id, e.at, e.step, e.details)
        .where(e.objection_id.in_(list(objection_ids)))
        .order_by(e.at, e.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def restorations_of(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    r = restorations.c
    stmt = (
        select(
            r.id,
            r.record_id,
            r.record_version,
            r.decider,
            r.commitment,
            r.filed_at,
            r.filed_on,
            r.due_on,
            r.status,
            r.reasons,
            r.decided_at,
        )
        .where(r.entity_id == entity_id)
        .order_by(r.filed_at.desc(), r.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def evidence_of(conn: Connection, restoration_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What was uploaded (names, types, sizes, digests; not the content)."""
    if not restoration_ids:
        return []
    ev = restoration_evidence.c
    stmt = (
        select(ev.restoration_id, ev.filename, ev.media_type, ev.size, ev.sha256)
        .where(ev.restoration_id.in_(list(restoration_ids)))
        .order_by(ev.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def statements_of(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    s = statements.c
    stmt = (
        select(s.id, s.record_id, s.objection_id, s.text, s.at, s.withdrawn_at)
        .where(s.entity_id == entity_id)
        .order_by(s.at, s.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def listing_objections_on(
    conn: Connection, list_code: str, entity_ids: Sequence[int], at: dt.datetime
) -> dict[int, list[str]]:
    """Open objections against listings on ``list_code`` at the moment ``at``, by subject:
    the rule of :func:`xinyong.rights.marks.marks_of`, for a page of many subjects at once."""
    if not entity_ids:
        return {}
    o = objections.c
    stmt = (
        select(o.entity_id, o.id)
        .where(
            o.list_code == list_code,
            or_(o.record_id.is_(None), o.target_type.not_in(["record", "publicity"])),
            o.entity_id.in_(list(entity_ids)),
            o.filed_at <= at,
            or_(o.decided_at.is_(None), o.decided_at > at),
        )
        .order_by(o.filed_at, o.id)
    )
    out: dict[int, list[str]] = {}
    for eid, oid in conn.execute(stmt):
        out.setdefault(int(eid), []).append(str(oid))
    return out


# ---- sign-in keys ------------------------------------------------------------------------


def key_label(conn: Connection, key_id: int) -> str | None:
    label = conn.execute(select(api_keys.c.label).where(api_keys.c.id == key_id)).scalar()
    return None if label is None else str(label)


def key_by_prefix(conn: Connection, prefix: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(
                api_keys.c.id, api_keys.c.label, api_keys.c.expires_at, api_keys.c.subject_code
            ).where(api_keys.c.prefix == prefix)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def deactivate_key(conn: Connection, key_id: int) -> bool:
    """Deactivate a live key; whether it was live."""
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.active.is_(True))
        .values(active=False)
    )
    return bool(result.rowcount)
