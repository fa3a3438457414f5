"""SQL of objections: the objections, their events and the subjects' statements, and the
few reads of records, restorations and grades that resolving a target needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, insert, select, tuple_, update

from xinyong.db.tables import (
    entities,
    objection_events,
    objections,
    ratings,
    records,
    restorations,
    statements,
)

_o = objections.c


def entity_by_code(conn: Connection, code: str) -> dict[str, Any] | None:
    """The subject with this USCC or identity number."""
    e = entities.c
    row = conn.execute(select(e.id, e.kind, e.code, e.name).where(e.code == code)).mappings()
    found = row.first()
    return dict(found) if found is not None else None


def record_of(conn: Connection, record_id: str) -> dict[str, Any] | None:
    """A record's head: provider, provider's id, type, subject, current version."""
    r = records.c
    row = (
        conn.execute(
            select(
                r.id,
                r.provider_code,
                r.provider_record_id,
                r.record_type,
                r.entity_id,
                r.current_version,
            ).where(r.id == record_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def restoration_of(conn: Connection, restoration_id: str) -> dict[str, Any] | None:
    r = restorations.c
    row = (
        conn.execute(
            select(r.id, r.entity_id, r.record_id, r.decider, r.status, r.decided_at).where(
                r.id == restoration_id
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def current_grade(conn: Connection, entity_id: int, scheme: str) -> str | None:
    """The stored grade of a subject under a scheme, if any."""
    r = ratings.c
    found = conn.execute(
        select(r.grade).where(r.entity_id == entity_id, r.scheme == scheme)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def open_on_target(
    conn: Connection,
    entity_id: int,
    target_type: str,
    *,
    record_id: str | None,
    list_code: str | None,
    scheme: str | None,
    restoration_id: str | None,
) -> str | None:
    """The subject's open objection on the same target, if any."""
    same = {
        "record": _o.record_id == record_id,
        "publicity": _o.record_id == record_id,
        "listing": _o.list_code == list_code,
        "grade": _o.scheme == scheme,
        "restoration": _o.restoration_id == restoration_id,
    }[target_type]
    found = conn.execute(
        select(_o.id)
        .where(
            _o.entity_id == entity_id,
            _o.target_type == target_type,
            _o.status == "open",
            same,
        )
        .order_by(_o.filed_at, _o.id)
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def insert_objection(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(objections).values(**values))


def add_event(
    conn: Connection,
    objection_id: str,
    *,
    at: dt.datetime,
    actor: str,
    step: str,
    details: dict[str, Any],
) -> None:
    conn.execute(
        insert(objection_events).values(
            objection_id=objection_id, at=at, actor=actor[:128], step=step, details=details
        )
    )


def _with_subject() -> Any:
    e = entities.c
    return select(
        objections,
        e.kind.label("subject_kind"),
        e.code.label("subject_code"),
        e.name.label("subject_name"),
    ).select_from(objections.join(entities, entities.c.id == _o.entity_id))


def get(conn: Connection, objection_id: str) -> dict[str, Any] | None:
    """An objection with its subject's kind, code and name."""
    row = conn.execute(_with_subject().where(_o.id == objection_id)).mappings().first()
    return dict(row) if row is not None else None


def events_of(conn: Connection, objection_id: str) -> list[dict[str, Any]]:
    ev = objection_events.c
    stmt = (
        select(ev.at, ev.actor, ev.step, ev.details)
        .where(ev.objection_id == objection_id)
        .order_by(ev.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def statements_of(conn: Connection, objection_id: str) -> list[dict[str, Any]]:
    s = statements.c
    stmt = (
        select(s.id, s.record_id, s.text, s.at)
        .where(s.objection_id == objection_id, s.withdrawn_at.is_(None))
        .order_by(s.at, s.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def listed(
    conn: Connection,
    *,
    entity_id: int | None = None,
    decider: str | None = None,
    status: str | None = None,
    overdue_on: dt.date | None = None,
    overdue: bool | None = None,
    escalated: bool | None = None,
    after: tuple[dt.datetime, str] | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Objections in filing order, filtered. ``overdue`` (with ``overdue_on``, today): open
    with ``due_on`` before today (True), or anything else (False)."""
    stmt = _with_subject()
    if entity_id is not None:
        stmt = stmt.where(_o.entity_id == entity_id)
    if decider is not None:
        stmt = stmt.where(_o.decider == decider)
    if status is not None:
        stmt = stmt.where(_o.status == status)
    if overdue is not None and overdue_on is not None:
        late = and_(_o.status == "open", _o.due_on < overdue_on)
        stmt = stmt.where(late if overdue else ~late)
    if escalated is not None:
        stmt = stmt.where(_o.escalated_at.is_not(None) if escalated else _o.escalated_at.is_(None))
    if after is not None:
        stmt = stmt.where(tuple_(_o.filed_at, _o.id) > tuple_(*after))
    stmt = stmt.order_by(_o.filed_at, _o.id).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def update_open(conn: Connection, objection_id: str, values: dict[str, Any]) -> bool:
    """Change an objection that is still open; False if it is not (decided meanwhile)."""
    result = conn.execute(
        update(objections).where(_o.id == objection_id, _o.status == "open").values(**values)
    )
    return result.rowcount == 1


def set_corrected_version(conn: Connection, objection_id: str, version: int) -> None:
    conn.execute(update(objections).where(_o.id == objection_id).values(corrected_version=version))


def overdue_not_escalated(conn: Connection, today: dt.date) -> list[dict[str, Any]]:
    """Open objections past their due day that were not escalated yet."""
    stmt = (
        select(_o.id, _o.decider, _o.due_on)
        .where(_o.status == "open", _o.due_on < today, _o.escalated_at.is_(None))
        .order_by(_o.due_on, _o.filed_at, _o.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def mark_escalated(conn: Connection, objection_id: str, now: dt.datetime) -> bool:
    result = conn.execute(
        update(objections)
        .where(
            _o.id == objection_id,
            _o.status == "open",
            _o.escalated_at.is_(None),
        )
        .values(escalated_at=now)
    )
    return result.rowcount == 1


def add_statement(
    conn: Connection,
    *,
    entity_id: int,
    record_id: str | None,
    objection_id: str,
    text: str,
    at: dt.datetime,
) -> int:
    result = conn.execute(
        insert(statements)
        .values(
            entity_id=entity_id,
            record_id=record_id,
            objection_id=objection_id,
            text=text,
            at=at,
        )
        .returning(statements.c.id)
    )
    return int(result.scalar_one())
