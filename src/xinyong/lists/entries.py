"""Who is on which list, from when to when: computed from records and grades, in Python.

An entry rests on one record (``basis_key`` = the record id) or on a grade (``basis_key`` =
``scheme:grade``). For a record the entry starts on its decision date, or when the notice
period after the served notice ends, whichever is later, and lasts until the first of:

- the list's maximum duration (counted from the start),
- the end of the record's publicity,
- the last day the record was in effect (``ended_on``: obligation fulfilled, restoration
  approved, withdrawn).

An entry that runs its full course without being ended moves to the list's ``moves_to``
list (abnormal operations become serious illegal after 3 years), starting the next day.

A grade entry is open-ended: it lasts while the subject holds the grade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from xinyong.dates import add_months
from xinyong.lists.model import Declaration, ListDecl
from xinyong.rating.evaluate import RatingRecord, matches

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ListRecord:
    """A record as the lists see it: what a rating sees, plus subject kind, end and basis."""

    entity_id: int
    kind: str
    record: RatingRecord
    ended_on: dt.date | None
    end_reason: str | None
    document_number: str | None


@dataclass(frozen=True, slots=True)
class Grade:
    entity_id: int
    kind: str
    scheme: str
    grade: str
    as_of: dt.date
    #: the last day the grade is known to hold (an input changes after it); None: open
    valid_until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    list_code: str
    entity_id: int
    basis_key: str
    record_id: str | None
    scheme: str | None
    grade: str | None
    since: dt.date
    until: dt.date | None
    legal_basis: str
    document_number: str | None

    def on(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def key(self) -> tuple[object, ...]:
        """Entries with equal keys say the same thing (a grade entry keeps its start)."""
        if self.scheme is not None:
            return (self.list_code, self.entity_id, self.basis_key, self.until)
        return (
            self.list_code,
            self.entity_id,
            self.basis_key,
            self.since,
            self.until,
            self.legal_basis,
            self.document_number,
        )


def _first(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def as_date(value: object) -> dt.date | None:
    """A date from a date, or from ISO text (how date fields, and dates read from SQLite
    without SQLAlchemy, arrive); ``None`` for anything else."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _start(lst: ListDecl, rec: ListRecord) -> dt.date | None:
    start = rec.record.decided_on
    if lst.notice.required and lst.notice.served_field is not None:
        served = as_date(rec.record.fields.get(lst.notice.served_field))
        if served is None:
            return None  # no notice, no listing
        start = max(start, served + dt.timedelta(days=lst.notice.days))
    return start


def record_entries(decl: Declaration, lst: ListDecl, rec: ListRecord) -> list[Entry]:
    """The entries that one record makes on ``lst`` (and on the lists it moves to)."""
    if rec.kind not in lst.subject_kinds:
        return []
    if not any(matches(m, rec.record) for m in lst.criteria.records):
        return []
    start = _start(lst, rec)
    if start is None:
        return []
    out: list[Entry] = []
    current: ListDecl | None = lst
    publicity_until: dt.date | None = rec.record.publicity_until
    while current is not None and start is not None:
        full = (
            add_months(start, current.duration.maximum_months) - ONE_DAY
            if current.duration.maximum_months is not None
            else None
        )
        until = _first(full, publicity_until, rec.ended_on)
        if until is not None and until < start:
            break
        out.append(
            Entry(
                current.code,
                rec.entity_id,
                rec.record.record_id,
                rec.record.record_id,
                None,
                None,
                start,
                until,
                current.legal_basis,
                rec.document_number,
            )
        )
        if current.moves_to is None or full is None or until != full:
            break
        if rec.ended_on is not None and rec.ended_on <= full:
            break  # ended on its last day: removed, not moved on
        nxt = decl.list(current.moves_to)
        if nxt is None or rec.kind not in nxt.subject_kinds:
            break
        current, start, publicity_until = nxt, full + ONE_DAY, None
    return out


def grade_entries(lst: ListDecl, grades: Iterable[Grade]) -> list[Entry]:
    wanted = {(g.scheme, grade) for g in lst.criteria.grades for grade in g.in_}
    return [
        Entry(
            lst.code,
            g.entity_id,
            f"{g.scheme}:{g.grade}",
            None,
            g.scheme,
            g.grade,
            g.as_of,
            g.valid_until,  # a grade entry lasts while its grade is known to hold
            lst.legal_basis,
            None,
        )
        for g in grades
        if (g.scheme, g.grade) in wanted and g.kind in lst.subject_kinds
    ]


def entries_of(
    decl: Declaration, records: Iterable[ListRecord], grades: Sequence[Grade]
) -> list[Entry]:
    """Every entry that these records and grades make, on every list."""
    out: list[Entry] = []
    by_type: dict[str, list[ListDecl]] = {}
    for lst in decl.lists:
        for rt in dict.fromkeys(m.record_type for m in lst.criteria.records):
            by_type.setdefault(rt, []).append(lst)
    for rec in records:
        for lst in by_type.get(rec.record.record_type, ()):
            out += record_entries(decl, lst, rec)
    for lst in decl.lists:
        if lst.criteria.grades:
            out += grade_entries(lst, grades)
    return out


@dataclass(frozen=True)
class Diff:
    closed: list[int]
    added: list[Entry]
    entities: list[int]


def diff(current: Mapping[int, Entry], wanted: Iterable[Entry]) -> Diff:
    """Which current entries (by row id) to close and which to add. A grade entry that is
    still wanted stays as it is, with the day it started; one whose grade now holds for
    longer (or shorter) is replaced by an entry that keeps the day it started."""
    by_key: dict[tuple[object, ...], list[int]] = {}
    for row_id, entry in current.items():
        by_key.setdefault(entry.key(), []).append(row_id)
    added: list[Entry] = []
    for entry in wanted:
        ids = by_key.get(entry.key())
        if ids:
            ids.pop()
        else:
            added.append(entry)
    closed = sorted(i for ids in by_key.values() for i in ids)
    started = {
        current[i].key()[:3]: current[i].since for i in closed if current[i].scheme is not None
    }
    added = [
        replace(e, since=min(e.since, started[e.key()[:3]]))
        if e.scheme is not None and e.key()[:3] in started
        else e
        for e in added
    ]
    entities = sorted({current[i].entity_id for i in closed} | {e.entity_id for e in added})
    return Diff(closed, added, entities)
