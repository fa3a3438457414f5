"""Loading the lists, measures and memoranda, and checking them against the catalogue, the
schemes and the rules of a lawful joint mechanism.

The rules, each refused with a clear problem:

- criteria look only at what the catalogue collects (record types, fields, severities,
  providers) and at grades the schemes give;
- a required notice names a date field that every criterion record type has;
- a measure targets only the listed subject (never relatives, associates, employees or
  representatives);
- sanctions follow black or focus lists, incentives red lists or grades;
- a sanction on natural persons follows only lists founded on a legally binding decision,
  never a grade: local scores may not deprive people of rights;
- nothing touches a prohibited class of data.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from xinyong.catalogue.loader import default_catalogue, parse_checked, read_declaration
from xinyong.catalogue.model import Catalogue, FieldType, SubjectKind
from xinyong.lists.model import (
    LISTED_SUBJECT,
    Decider,
    Declaration,
    GradeCriterion,
    ListDecl,
    ListKind,
    Measure,
    MeasureKind,
)
from xinyong.rating.loader import default_schemes, matcher_problems, prohibited_problems
from xinyong.rating.model import Matcher, Scheme

Problems = list[dict[str, str]]


def load_declaration(
    path: Path | str, catalogue: Catalogue, schemes: dict[str, Scheme]
) -> Declaration:
    """Read, validate and check a lists file. Raises :class:`CatalogueError`."""
    return parse_declaration(read_declaration(path, "lists"), catalogue, schemes, source=str(path))


def parse_declaration(
    raw: object,
    catalogue: Catalogue,
    schemes: dict[str, Scheme],
    *,
    source: str = "<lists>",
) -> Declaration:
    return parse_checked(
        Declaration,
        raw,
        lambda decl: check_declaration(decl, catalogue, schemes),
        source=source,
        what="lists",
        code="invalid_lists",
    )


def check_declaration(
    decl: Declaration, catalogue: Catalogue, schemes: dict[str, Scheme]
) -> Problems:
    """Every problem of the declaration, as ``{location, message}``."""
    problems: Problems = []
    for lst in decl.lists:
        problems += _list_problems(lst, decl, catalogue, schemes)
    for m in decl.measures:
        problems += _measure_problems(m, decl, schemes)
    for memo in decl.memoranda:
        where = f"memoranda.{memo.code}"
        for code in memo.lists:
            if decl.list(code) is None:
                problems.append({"location": where, "message": f"no list {code!r}"})
        for code in memo.schemes:
            if code not in schemes:
                problems.append({"location": where, "message": f"no scheme {code!r}"})
        for code in memo.measures:
            if decl.measure(code) is None:
                problems.append({"location": where, "message": f"no measure {code!r}"})
    problems += prohibited_problems(_texts(decl), catalogue)
    return problems


def _grade_problems(where: str, g: GradeCriterion, schemes: dict[str, Scheme]) -> Problems:
    scheme = schemes.get(g.scheme)
    if scheme is None:
        return [{"location": where, "message": f"no scheme {g.scheme!r}"}]
    known = [b.grade for b in scheme.grades]
    unknown = sorted(set(g.in_) - set(known))
    if unknown:
        return [{"location": where, "message": f"{g.scheme!r} has no grades {unknown} ({known})"}]
    return []


def _list_problems(
    lst: ListDecl, decl: Declaration, catalogue: Catalogue, schemes: dict[str, Scheme]
) -> Problems:
    where = f"lists.{lst.code}"
    problems: Problems = []

    def bad(location: str, message: str) -> None:
        problems.append({"location": location, "message": message})

    crit = lst.criteria
    for i, m in enumerate(crit.records):
        problems += matcher_problems(
            f"{where}.criteria.records.{i}", m, catalogue, lst.subject_kinds
        )
        rt = catalogue.record_type(m.record_type)
        if rt is None:
            continue
        if lst.notice.served_field is not None:
            spec = rt.field(lst.notice.served_field)
            if spec is None or spec.type is not FieldType.date:
                bad(
                    f"{where}.notice.served_field",
                    f"{rt.code!r} has no date field {lst.notice.served_field!r}",
                )
        if lst.binding_decision and not rt.document_number_required:
            bad(
                f"{where}.criteria.records.{i}",
                f"a binding decision needs a document number; {rt.code!r} does not require one",
            )
    for i, g in enumerate(crit.grades):
        problems += _grade_problems(f"{where}.criteria.grades.{i}", g, schemes)
    if crit.grades and lst.binding_decision:
        bad(f"{where}.criteria.grades", "a grade is not a legally binding decision")
    if lst.binding_decision and lst.decided_by is not Decider.authority_decision:
        bad(f"{where}.decided_by", "a binding decision is an authority's decision")
    if crit.escalated_from is not None:
        source = decl.list(crit.escalated_from)
        if source is None:
            bad(f"{where}.criteria.escalated_from", f"no list {crit.escalated_from!r}")
        elif source.moves_to != lst.code:
            bad(
                f"{where}.criteria.escalated_from",
                f"{source.code!r} does not move its entries to {lst.code!r} (moves_to)",
            )
    if lst.moves_to is not None:
        target = decl.list(lst.moves_to)
        if target is None:
            bad(f"{where}.moves_to", f"no list {lst.moves_to!r}")
        elif target.criteria.escalated_from != lst.code:
            bad(f"{where}.moves_to", f"{target.code!r} is not escalated_from {lst.code!r}")
    types = [catalogue.record_type(m.record_type) for m in _record_criteria(lst, decl)]
    for f in lst.publication.fields:
        if not any(rt is not None and rt.field(f) is not None for rt in types):
            bad(f"{where}.publication.fields", f"no criterion record type has a field {f!r}")
    return problems


def _record_criteria(lst: ListDecl, decl: Declaration) -> list[Matcher]:
    """The record matchers behind a list, through escalation."""
    seen = [lst]
    current = lst
    while current.criteria.escalated_from is not None:
        nxt = decl.list(current.criteria.escalated_from)
        if nxt is None or nxt in seen:
            break
        seen.append(nxt)
        current = nxt
    return [m for x in seen for m in x.criteria.records]


def _measure_problems(m: Measure, decl: Declaration, schemes: dict[str, Scheme]) -> Problems:
    where = f"measures.{m.code}"
    problems: Problems = []

    def bad(location: str, message: str) -> None:
        problems.append({"location": location, "message": message})

    if m.targets != LISTED_SUBJECT:
        bad(
            f"{where}.targets",
            f"a measure targets only the listed subject ('{LISTED_SUBJECT}'), not "
            f"{m.targets!r}: sanctions and incentives never reach relatives, associates, "
            "employees or representatives",
        )
    persons = SubjectKind.person in m.subject_kinds
    for i, t in enumerate(m.triggers):
        at = f"{where}.triggers.{i}"
        if t.grade is not None:
            problems += _grade_problems(at, t.grade, schemes)
            if m.kind is MeasureKind.sanction and persons:
                bad(
                    at,
                    "a natural person's grade may trigger incentives only; a sanction on a "
                    "person needs a list entry founded on a legally binding decision",
                )
            continue
        lst = decl.list(t.list or "")
        if lst is None:
            bad(at, f"no list {t.list!r}")
            continue
        if m.kind is MeasureKind.sanction and lst.kind is ListKind.red:
            bad(at, f"a sanction cannot follow the red list {lst.code!r}")
        if m.kind is MeasureKind.incentive and lst.kind is not ListKind.red:
            bad(at, f"an incentive cannot follow the {lst.kind} list {lst.code!r}")
        if m.kind is MeasureKind.sanction and persons and not lst.binding_decision:
            bad(
                at,
                f"a sanction on natural persons needs a legally binding decision; "
                f"list {lst.code!r} is not founded on one",
            )
    return problems


def _texts(decl: Declaration) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for kind, items in (("lists", decl.lists), ("measures", decl.measures)):
        for it in items:
            where = f"{kind}.{it.code}"
            texts += [(where, it.code.replace("_", " ")), (where, it.name.zh), (where, it.name.en)]
    for m in decl.measures:
        texts += [
            (f"measures.{m.code}", m.description.zh),
            (f"measures.{m.code}", m.description.en),
        ]
        texts.append((f"measures.{m.code}.targets", m.targets.replace("_", " ")))
    for lst in decl.lists:
        for c in lst.criteria.records:
            for cond in c.when:
                texts += [(f"lists.{lst.code}", str(v)) for v in cond.in_ or ()]
    return texts


# ---- the shipped declaration ------------------------------------------------------------


@lru_cache(maxsize=4)
def _cached(path: str, catalogue_path: str) -> Declaration:
    return load_declaration(path, default_catalogue(catalogue_path), default_schemes())


def default_declaration() -> Declaration:
    """The lists, measures and memoranda named by the settings (``lists_path``)."""
    from xinyong.settings import get_settings

    s = get_settings()
    return _cached(str(Path(s.lists_path).resolve()), str(Path(s.catalogue_path).resolve()))
