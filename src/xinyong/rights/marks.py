"""What the subjects' rights add beside a subject's items wherever they are shown: open
objections ("under objection"), pending restorations, the subject's statements, and the
positive records the subject hid. Read as of any moment, for time travel.

The entity page, the subject's own file, lists and reports all read marks from here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, or_, select

from xinyong.db.tables import hidden_records, objections, restorations, statements
from xinyong.db.types import utcnow


@dataclass(frozen=True)
class Statement:
    id: int
    text: str
    at: dt.datetime
    objection_id: str | None


@dataclass
class Marks:
    """Marks on one subject's items. Keys: record ids, list codes, scheme codes."""

    #: record id -> open objections against the record or its publicity period
    record_objections: dict[str, list[str]] = field(default_factory=dict)
    #: list code -> open objections against a listing
    listing_objections: dict[str, list[str]] = field(default_factory=dict)
    #: scheme code -> open objections against a grade
    grade_objections: dict[str, list[str]] = field(default_factory=dict)
    #: record id -> the pending restoration application
    restorations: dict[str, str] = field(default_factory=dict)
    #: record id (or "" for the subject as a whole) -> the subject's statements
    statements: dict[str, list[Statement]] = field(default_factory=dict)
    #: records the subject hid from everyone else
    hidden: set[str] = field(default_factory=set)

    def under_objection(self, record_id: str) -> list[str]:
        return self.record_objections.get(record_id, [])


def marks_of(conn: Connection, entity_id: int, *, at: dt.datetime | None = None) -> Marks:
    """The subject's marks at the moment ``at`` (default now)."""
    moment = at or utcnow()
    marks = Marks()
    o = objections.c
    open_then = and_(
        o.entity_id == entity_id,
        o.filed_at <= moment,
        or_(o.decided_at.is_(None), o.decided_at > moment),
    )
    by_record: defaultdict[str, list[str]] = defaultdict(list)
    by_list: defaultdict[str, list[str]] = defaultdict(list)
    by_scheme: defaultdict[str, list[str]] = defaultdict(list)
    for row in conn.execute(
        select(o.id, o.target_type, o.record_id, o.list_code, o.scheme)
        .where(open_then)
        .order_by(o.filed_at, o.id)
    ):
        if row.record_id and row.target_type in ("record", "publicity"):
            by_record[row.record_id].append(row.id)
        elif row.list_code:
            by_list[row.list_code].append(row.id)
        elif row.scheme:
            by_scheme[row.scheme].append(row.id)
    marks.record_objections = dict(by_record)
    marks.listing_objections = dict(by_list)
    marks.grade_objections = dict(by_scheme)

    r = restorations.c
    for pending in conn.execute(
        select(r.id, r.record_id).where(
            r.entity_id == entity_id,
            r.filed_at <= moment,
            or_(r.decided_at.is_(None), r.decided_at > moment),
        )
    ):
        marks.restorations[pending.record_id] = pending.id

    s = statements.c
    by_item: defaultdict[str, list[Statement]] = defaultdict(list)
    for row in conn.execute(
        select(s.id, s.record_id, s.text, s.at, s.objection_id)
        .where(
            s.entity_id == entity_id,
            s.at <= moment,
            or_(s.withdrawn_at.is_(None), s.withdrawn_at > moment),
        )
        .order_by(s.at, s.id)
    ):
        by_item[row.record_id or ""].append(Statement(row.id, row.text, row.at, row.objection_id))
    marks.statements = dict(by_item)

    h = hidden_records.c
    latest: dict[str, bool] = {}
    for choice in conn.execute(
        select(h.record_id, h.hidden)
        .where(h.entity_id == entity_id, h.at <= moment)
        .order_by(h.at, h.id)
    ):
        latest[choice.record_id] = bool(choice.hidden)
    marks.hidden = {rid for rid, hidden in latest.items() if hidden}
    return marks
