"""The register of issued reports (the only SQL of reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select

from xinyong.db.tables import entities, reports


def add(
    conn: Connection,
    *,
    report_id: str,
    entity_id: int,
    as_of: dt.date,
    view: str,
    content_sha256: str,
    pdf_sha256: str,
    issued_at: dt.datetime,
) -> None:
    conn.execute(
        insert(reports).values(
            id=report_id,
            entity_id=entity_id,
            as_of=as_of,
            view=view,
            content_sha256=content_sha256,
            pdf_sha256=pdf_sha256,
            issued_at=issued_at,
        )
    )


def get(conn: Connection, report_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
    return dict(row) if row else None


def subject_of(conn: Connection, entity_id: int) -> dict[str, Any] | None:
    """The codes of a report's subject."""
    e = entities
    row = (
        conn.execute(select(e.c.code, e.c.kind, e.c.public_id).where(e.c.id == entity_id))
        .mappings()
        .first()
    )
    return dict(row) if row else None
