"""SQL for the portal's double-publicity pages (双公示). Only this module touches SQL.

One statement lists the public records of one type across subjects, with the same rules as
:func:`xinyong.entities.service.public_today`: each record's current version, of a kind for
which the type is public, decided, publicity not over, not ended, and not hidden by its
subject; newest decision first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select

from xinyong.db.tables import entities, hidden_records, record_versions, records


def _hidden_now() -> Any:
    """The record's latest hiding choice is ``hidden``."""
    h, later = hidden_records.alias("h"), hidden_records.alias("h_later")
    newer = exists().where(later.c.record_id == h.c.record_id, later.c.at > h.c.at)
    return exists().where(h.c.record_id == records.c.id, h.c.hidden.is_(True), ~newer)


def public_of_type(
    conn: Connection,
    record_type: str,
    kinds: Sequence[str],
    today: dt.date,
    *,
    provider: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """A page of the records of ``record_type`` that the public may see today."""
    if not kinds:
        return []
    rv = record_versions
    stmt = (
        select(
            records.c.id,
            records.c.provider_code,
            rv.c.severity,
            rv.c.decided_on,
            rv.c.publicity_until,
            rv.c.legal_basis,
            rv.c.document_number,
            rv.c.fields,
            entities.c.kind,
            entities.c.code,
            entities.c.public_id,
            entities.c.name,
        )
        .select_from(
            records.join(
                rv, and_(rv.c.record_id == records.c.id, rv.c.version == records.c.current_version)
            ).join(entities, entities.c.id == rv.c.entity_id)
        )
        .where(
            rv.c.record_type == record_type,
            entities.c.kind.in_(list(kinds)),
            rv.c.decided_on <= today,
            or_(rv.c.publicity_until.is_(None), rv.c.publicity_until >= today),
            or_(rv.c.ended_on.is_(None), rv.c.ended_on >= today),
            ~_hidden_now(),
        )
        .order_by(rv.c.decided_on.desc(), records.c.id)
        .offset(offset)
        .limit(limit)
    )
    if provider:
        stmt = stmt.where(records.c.provider_code == provider)
    if date_from is not None:
        stmt = stmt.where(rv.c.decided_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(rv.c.decided_on <= date_to)
    return [dict(row) for row in conn.execute(stmt).mappings()]
