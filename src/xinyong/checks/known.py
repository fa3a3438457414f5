"""SQL of checks as of a past day: what the platform knew at a moment (transaction time).

A repository module: the list revision (data version) in force at a moment, and the
subjects the platform had on file by then. The check's hot path (today) never comes here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, select

from xinyong.db.tables import entities

#: Codes per ``IN (...)`` (SQLite's limit on parameters is 32,766).
CHUNK = 900


def entity_ids_known_by(
    conn: Connection, codes: Sequence[str], moment: dt.datetime
) -> dict[str, tuple[int, str]]:
    """``code -> (entity id, kind)`` for the codes that named a subject before ``moment``."""
    out: dict[str, tuple[int, str]] = {}
    e = entities.c
    for i in range(0, len(codes), CHUNK):
        stmt = select(e.code, e.id, e.kind).where(
            e.code.in_(list(codes[i : i + CHUNK])), e.created_at < moment
        )
        for code, eid, kind in conn.execute(stmt):
            out[str(code)] = (int(eid), str(kind))
    return out
