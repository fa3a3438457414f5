"""Deciding whether a measure applies to subjects on a day, and why.

A measure applies to a subject when the subject's kind is one the measure covers and one of
its published triggers holds: an entry on a list that a memorandum binds to the measure, or
a grade in a scheme that a memorandum names. Nothing else counts: not the subject's legal
representative, relatives, associates or employees. A sanction on a natural person follows
only a list founded on a legally binding decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, SubjectKind
from xinyong.errors import Conflict
from xinyong.lists import repository as lists_repo
from xinyong.lists.entries import Entry, Grade
from xinyong.lists.model import Declaration, Measure, MeasureKind
from xinyong.rating import service as rating_service
from xinyong.rating.evaluate import evaluate
from xinyong.rating.model import Scheme

APPLIES, DOES_NOT_APPLY = "applies", "does_not_apply"


@dataclass(frozen=True, slots=True)
class Basis:
    """One reason a measure applies: a list entry (with its record) or a grade."""

    list: str | None
    record_id: str | None
    legal_basis: str
    since: dt.date
    until: dt.date | None
    document_number: str | None = None
    scheme: str | None = None
    grade: str | None = None

    def short(self) -> str:
        if self.list is not None:
            return f"{self.list}:{self.record_id or ''}"
        return f"{self.scheme}:{self.grade}"


@dataclass(slots=True)  # not frozen: 100,000 of them are made per bulk check
class Decision:
    subject: str
    entity_id: int | None
    decision: str
    basis: list[Basis] = field(default_factory=list)
    problem: str | None = None

    @property
    def applies(self) -> bool:
        return self.decision == APPLIES


@dataclass(frozen=True)
class Triggers:
    """What a measure listens to, as published by the memoranda."""

    lists: tuple[str, ...]
    grades: tuple[tuple[str, str], ...]


def triggers_of(decl: Declaration, measure: Measure) -> Triggers:
    """The measure's published triggers. Raises ``measure_not_published`` if no memorandum
    publishes the measure: then it cannot be applied at all."""
    if not decl.memoranda_of(measure.code):
        raise Conflict(
            f"no memorandum publishes the measure {measure.code!r}: it cannot be applied",
            code="measure_not_published",
        )
    published = decl.published_triggers(measure)
    lists = tuple(t.list for t in published if t.list is not None)
    grades = tuple(
        (t.grade.scheme, g) for t in published if t.grade is not None for g in t.grade.in_
    )
    return Triggers(lists, grades)


#: A subject as asked: ``(code, (entity id, kind))``, or ``(code, None)`` when no subject
#: has the code. The kind may be ``None`` (not read) when the measure covers every kind:
#: then it is read only for the few subjects that have entries or grades.
Subject = tuple[str, tuple[int, str | None] | None]


@dataclass(frozen=True)
class Facts:
    """What decisions rest on: the subjects' entries on the trigger lists and their grades,
    by entity id, and the kinds of the subjects with either whose kind was not read."""

    entries: Mapping[int, list[Entry]]
    grades: Mapping[int, list[Grade]] = field(default_factory=dict)
    kinds: Mapping[int, str] = field(default_factory=dict)


def covers_every_kind(measure: Measure) -> bool:
    """Whether the measure covers every kind of subject: then no decision needs a
    subject's kind unless the subject has an entry or a grade."""
    return set(measure.subject_kinds) >= set(SubjectKind)


def gather(
    conn: Connection,
    measure: Measure,
    triggers: Triggers,
    subjects: Sequence[Subject],
    *,
    day: dt.date,
    version: int,
) -> Facts:
    kinds = {k.value for k in measure.subject_kinds}
    unread = False
    ids = set()
    for _, found in subjects:
        if found is not None:
            if found[1] is None:
                unread = True
                ids.add(found[0])
            elif found[1] in kinds:
                ids.add(found[0])
    covered = sorted(ids)
    entries = lists_repo.entries_on(conn, covered, triggers.lists, day, version)
    grades: dict[int, list[Grade]] = {}
    for g in lists_repo.grades(conn, triggers.grades, covered if triggers.grades else []):
        grades.setdefault(g.entity_id, []).append(g)
    kinds_read: dict[int, str] = {}
    if unread:
        kinds_read = {eid: gs[0].kind for eid, gs in grades.items()}
        kinds_read.update(lists_repo.kinds_of(conn, sorted(entries.keys() - kinds_read.keys())))
    return Facts(entries, grades, kinds_read)


def grades_known_by(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    wanted: Sequence[tuple[str, str]],
    subjects: Sequence[tuple[int, str]],
    *,
    day: dt.date,
    known_by: dt.datetime | None,
) -> dict[int, list[Grade]]:
    """The grades among ``wanted`` that ``(entity id, kind)`` subjects held on ``day``,
    reproduced as the rating engine does for any past date: from the versions of their
    records received before ``known_by`` (``None``: every version so far)."""
    out: dict[int, list[Grade]] = {}
    for code in sorted({s for s, _ in wanted}):
        scheme = schemes.get(code)
        if scheme is None:
            continue
        rated = {k.value for k in scheme.subject_kinds}
        kinds = {eid: kind for eid, kind in subjects if kind in rated}
        if not kinds:
            continue
        recs = rating_service.load_records(conn, catalogue, [scheme], sorted(kinds), known_by)
        for eid, kind in kinds.items():
            grade = evaluate(scheme, recs.get(eid, []), day).grade
            if (code, grade) in wanted:
                out.setdefault(eid, []).append(Grade(eid, kind, code, grade, day))
    return out


def gather_as_of(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    measure: Measure,
    triggers: Triggers,
    subjects: Sequence[tuple[str, tuple[int, str] | None]],
    *,
    day: dt.date,
    version: int,
    known_by: dt.datetime | None,
) -> Facts:
    """:func:`gather` as of a past ``day``: the entries on the trigger lists on that day at
    data ``version`` (the revision in force then), and the grades held on that day from what
    was received before ``known_by``."""
    kinds = {k.value for k in measure.subject_kinds}
    covered = sorted({found for _, found in subjects if found and found[1] in kinds})
    entries = lists_repo.entries_on(conn, [eid for eid, _ in covered], triggers.lists, day, version)
    grades: dict[int, list[Grade]] = {}
    if triggers.grades:
        grades = grades_known_by(
            conn, catalogue, schemes, triggers.grades, covered, day=day, known_by=known_by
        )
    return Facts(entries, grades)


def decide_from(
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    measure: Measure,
    subjects: Sequence[Subject],
    facts: Facts,
) -> list[Decision]:
    """The decision for each ``(code as asked, (entity id, kind) or None)``, in order."""
    kinds = {k.value for k in measure.subject_kinds}
    binding = {lst.code for lst in decl.lists if lst.binding_decision}
    sanction = measure.kind is MeasureKind.sanction
    person_kind = SubjectKind.person.value
    entries, grades, kinds_read = facts.entries, facts.grades, facts.kinds
    out: list[Decision] = []
    add = out.append
    for code, found in subjects:
        if found is None:
            add(Decision(code, None, DOES_NOT_APPLY, [], "unknown_subject"))
            continue
        eid, kind = found
        if kind is not None and kind not in kinds:
            add(Decision(code, eid, DOES_NOT_APPLY, [], "kind_not_covered"))
            continue
        on_lists = entries.get(eid)
        graded = grades.get(eid) if grades else None
        if not on_lists and not graded:  # most subjects: nothing to cite
            add(Decision(code, eid, DOES_NOT_APPLY, []))
            continue
        person = (kind if kind is not None else kinds_read[eid]) == person_kind
        basis = [
            Basis(e.list_code, e.record_id, e.legal_basis, e.since, e.until, e.document_number)
            for e in on_lists or ()
            if not (sanction and person and e.list_code not in binding)
        ]
        if not (sanction and person):  # a person's grade never sanctions
            for g in graded or ():
                scheme = schemes.get(g.scheme)
                basis.append(
                    Basis(
                        None,
                        None,
                        scheme.legal_basis if scheme else g.scheme,
                        g.as_of,
                        None,
                        scheme=g.scheme,
                        grade=g.grade,
                    )
                )
        add(Decision(code, eid, APPLIES if basis else DOES_NOT_APPLY, basis))
    return out


def decide(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    measure: Measure,
    subjects: Sequence[Subject],
    *,
    day: dt.date,
    version: int,
) -> list[Decision]:
    """The decision for each ``(code as asked, (entity id, kind) or None)``, in order."""
    triggers = triggers_of(decl, measure)
    facts = gather(conn, measure, triggers, subjects, day=day, version=version)
    return decide_from(decl, schemes, measure, subjects, facts)


def decide_for_entities(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    measure: Measure,
    entity_ids: Sequence[int],
    *,
    day: dt.date,
    version: int | None = None,
) -> dict[int, Decision]:
    """The current decision for each of these subjects (by entity id): what watch lists
    compare with what they last told a consumer."""
    found: list[tuple[str, tuple[int, str] | None]] = [
        (code, (eid, kind)) for eid, (code, kind) in lists_repo.subjects_by_id(conn, entity_ids)
    ]
    v = lists_repo.data_version(conn) if version is None else version
    return {
        d.entity_id: d
        for d in decide(conn, decl, schemes, measure, found, day=day, version=v)
        if d.entity_id is not None
    }
