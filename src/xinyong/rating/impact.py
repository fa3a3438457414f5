"""The impact of a rule change: everyone rated with a new scheme and with the shipped one.

:func:`impact` rates every subject with both schemes (a batch engine, nothing stored) and
compares them subject by subject: the grade migration matrix (old grade -> new grade), how
many subjects move up, stay or move down in each district and industry, and the subjects
whose score moves most.

Up and down
    When the subject's old grade code is also a grade of the new scheme, the two grades are
    compared by their rank in the *new* scheme's order (so ``A -> A`` is always "same", even
    if the new scheme adds or drops other grades). Otherwise (the schemes grade differently,
    e.g. ``AAA..D`` against colours) each grade's relative position in its own scheme is
    compared: rank / (number of grades - 1), 0 the best and 1 the worst.

Districts and industries
    A district is the entity's 6-digit division code. Persons are counted under ``"-"``: a
    person's division comes from their identity number, which the platform never discloses.
    An industry is the GB/T 4754 section letter of the subject's current business
    registration (the latest decided, if several); ``"-"`` for persons and subjects without one.

Movers
    Subjects whose score or grade changed, by the size of the score change (largest first,
    then by entity id), named by their USCC (organisations, individual businesses) or their
    public id (persons, never their identity number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import yaml
from sqlalchemy import Connection, Select, and_, func, select

from xinyong.catalogue.model import Catalogue, SubjectKind
from xinyong.db.tables import entities, record_versions, records
from xinyong.errors import BadRequest, CatalogueError, NotFound
from xinyong.rating.engines import ENGINES
from xinyong.rating.loader import default_schemes, parse_scheme
from xinyong.rating.model import Scheme, points_of
from xinyong.rating.service import rate_schemes

NONE = "-"
REGISTRATION = "business_registration"
MOVES = ("up", "same", "down")
MAX_TOP = 1000
IN_CHUNK = 500


@dataclass(frozen=True)
class SchemeRef:
    code: str
    version: str
    grades: tuple[str, ...]


@dataclass(frozen=True)
class Mover:
    code: str
    name: str
    kind: str
    old_score: Decimal
    old_grade: str
    new_score: Decimal
    new_grade: str
    delta: Decimal
    move: str  # "up", "same" or "down"


@dataclass(frozen=True)
class Impact:
    old: SchemeRef
    new: SchemeRef
    as_of: dt.date
    engine: str
    subjects: int  # rated by both schemes
    only_old: int  # rated by the old scheme only (a kind the new one dropped)
    only_new: int
    matrix: Mapping[str, Mapping[str, int]]  # old grade -> new grade -> subjects
    changed: int  # subjects whose grade code changed
    moves: Mapping[str, int]  # "up", "same", "down" -> subjects
    by_district: Mapping[str, Mapping[str, int]]  # division -> subjects, up, down, same
    by_industry: Mapping[str, Mapping[str, int]]
    movers: tuple[Mover, ...]


def move_of(old: Sequence[str], new: Sequence[str], old_grade: str, new_grade: str) -> str:
    """``"up"``, ``"same"`` or ``"down"`` between two schemes' grades (each list from best to
    worst): see the module's docs."""
    before: Fraction | int
    after: Fraction | int
    if old_grade in new:
        before, after = new.index(old_grade), new.index(new_grade)
    else:
        before = Fraction(old.index(old_grade), max(len(old) - 1, 1))
        after = Fraction(new.index(new_grade), max(len(new) - 1, 1))
    return "up" if after < before else "down" if after > before else "same"


def _ref(s: Scheme) -> SchemeRef:
    return SchemeRef(s.code, s.version, tuple(g.grade for g in s.grades))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), IN_CHUNK):
        yield list(ids[i : i + IN_CHUNK])


def _kinds_and_divisions(conn: Connection, kinds: Iterable[str]) -> dict[int, tuple[str, str]]:
    stmt = select(entities.c.id, entities.c.kind, entities.c.division).where(
        entities.c.kind.in_(sorted(set(kinds)))
    )
    return {int(i): (str(k), str(d)) for i, k, d in conn.execute(stmt)}


def current_industries() -> Select[Any]:
    """``(entity id, industry letter)``: the GB/T 4754 section of each subject's current
    business registration, the latest decided if several (then the latest record id); one
    row per subject that has one. A statement, so callers can group by it in SQL."""
    rv = record_versions
    industry = rv.c.fields["industry"].as_string()
    ranked = (
        select(
            records.c.entity_id.label("entity_id"),
            industry.label("industry"),
            func.row_number()
            .over(
                partition_by=records.c.entity_id,
                order_by=(rv.c.decided_on.desc(), records.c.id.desc()),
            )
            .label("n"),
        )
        .select_from(
            records.join(
                rv, and_(rv.c.record_id == records.c.id, rv.c.version == records.c.current_version)
            )
        )
        .where(records.c.record_type == REGISTRATION, industry.is_not(None), industry != "")
        .subquery("registrations")
    )
    return select(ranked.c.entity_id, ranked.c.industry).where(ranked.c.n == 1)


def _industries(conn: Connection) -> dict[int, str]:
    """Each subject's industry letter from its current business registration(s)."""
    return {int(e): str(ind) for e, ind in conn.execute(current_industries())}


def _names(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """``id -> (public code, name, kind)``: a person's public id, never the identity number."""
    out: dict[int, tuple[str, str, str]] = {}
    for chunk in _chunks(ids):
        stmt = select(
            entities.c.id, entities.c.kind, entities.c.code, entities.c.public_id, entities.c.name
        ).where(entities.c.id.in_(chunk))
        for i, kind, code, public_id, name in conn.execute(stmt):
            shown = public_id if kind == SubjectKind.person.value else code
            out[int(i)] = (str(shown), str(name), str(kind))
    return out


def _tally() -> dict[str, int]:
    return {"subjects": 0, "up": 0, "down": 0, "same": 0}


def impact(
    conn: Connection,
    catalogue: Catalogue,
    new: Scheme,
    old: Scheme,
    *,
    as_of: dt.date,
    today: dt.date,
    now: dt.datetime,
    timezone: str,
    engine: str = "duckdb",
    top: int = 20,
) -> Impact:
    """Rate everyone with ``old`` and ``new`` as of ``as_of`` and compare; nothing is stored."""
    if engine not in ENGINES:
        raise BadRequest(
            f"unknown engine {engine!r}; one of {', '.join(ENGINES)}", code="unknown_engine"
        )
    if not 0 <= top <= MAX_TOP:
        raise BadRequest(f"top must be between 0 and {MAX_TOP}, not {top}", code="invalid_top")

    # one read of the store for both versions
    old_rows, new_rows = rate_schemes(
        conn,
        catalogue,
        [old, new],
        as_of=as_of,
        today=today,
        now=now,
        timezone=timezone,
        engine=engine,
        store=False,
    )
    before = {r[0]: r for r in old_rows}
    after = {r[0]: r for r in new_rows}
    both = sorted(before.keys() & after.keys())

    kinds = [k.value for k in (*old.subject_kinds, *new.subject_kinds)]
    attrs = _kinds_and_divisions(conn, kinds)
    industry = _industries(conn)
    old_grades, new_grades = _ref(old).grades, _ref(new).grades
    moves = {(o, n): move_of(old_grades, new_grades, o, n) for o in old_grades for n in new_grades}
    matrix = {o: dict.fromkeys(new_grades, 0) for o in old_grades}
    totals = dict.fromkeys(MOVES, 0)
    by_district: dict[str, dict[str, int]] = {}
    by_industry: dict[str, dict[str, int]] = {}
    changed = 0
    for sid in both:
        o, n = before[sid][2], after[sid][2]
        matrix[o][n] += 1
        changed += o != n
        move = moves[(o, n)]
        totals[move] += 1
        kind, division = attrs.get(sid, ("", NONE))
        district = NONE if kind == SubjectKind.person.value else division
        for table, key in ((by_district, district), (by_industry, industry.get(sid, NONE))):
            row = table.setdefault(key, _tally())
            row["subjects"] += 1
            row[move] += 1

    def size(sid: int) -> int:
        return abs(after[sid][1] - before[sid][1])

    moved = [s for s in both if before[s][1:3] != after[s][1:3]]
    top_ids = sorted(moved, key=lambda s: (-size(s), s))[:top]
    names = _names(conn, top_ids)
    movers = tuple(
        Mover(
            code=names[s][0],
            name=names[s][1],
            kind=names[s][2],
            old_score=points_of(before[s][1]),
            old_grade=before[s][2],
            new_score=points_of(after[s][1]),
            new_grade=after[s][2],
            delta=points_of(after[s][1] - before[s][1]),
            move=moves[(before[s][2], after[s][2])],
        )
        for s in top_ids
    )
    return Impact(
        old=_ref(old),
        new=_ref(new),
        as_of=as_of,
        engine=engine,
        subjects=len(both),
        only_old=len(before.keys() - after.keys()),
        only_new=len(after.keys() - before.keys()),
        matrix=matrix,
        changed=changed,
        moves=totals,
        by_district=dict(sorted(by_district.items(), key=lambda kv: (kv[0] == NONE, kv[0]))),
        by_industry=dict(sorted(by_industry.items(), key=lambda kv: (kv[0] == NONE, kv[0]))),
        movers=movers,
    )


def shipped_scheme(
    code: str, schemes: Mapping[str, Scheme] | None = None, *, against: bool = False
) -> Scheme:
    """The shipped scheme ``code`` (from ``schemes``, default: the settings' schemes)."""
    found = (default_schemes() if schemes is None else schemes).get(code)
    if found is None:
        hint = "" if against else "; name the scheme to compare with (--against / against)"
        raise NotFound(f"no shipped scheme {code!r}{hint}", code="unknown_scheme")
    return found


def to_json(result: Impact) -> dict[str, Any]:
    """``result`` as JSON-ready values: dates ISO, scores as decimal strings."""

    def ref(r: SchemeRef) -> dict[str, Any]:
        return {"code": r.code, "version": r.version, "grades": list(r.grades)}

    return {
        "old": ref(result.old),
        "new": ref(result.new),
        "as_of": result.as_of.isoformat(),
        "engine": result.engine,
        "subjects": result.subjects,
        "only_old": result.only_old,
        "only_new": result.only_new,
        "changed": result.changed,
        "moves": dict(result.moves),
        "matrix": {o: dict(row) for o, row in result.matrix.items()},
        "by_district": {k: dict(v) for k, v in result.by_district.items()},
        "by_industry": {k: dict(v) for k, v in result.by_industry.items()},
        "movers": [
            {
                "code": m.code,
                "name": m.name,
                "kind": m.kind,
                "old_score": str(m.old_score),
                "old_grade": m.old_grade,
                "new_score": str(m.new_score),
                "new_grade": m.new_grade,
                "delta": str(m.delta),
                "move": m.move,
            }
            for m in result.movers
        ],
    }


class _NoAliases(yaml.SafeLoader):
    """Safe YAML without anchors and aliases (no "billion laughs" from a request body)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise CatalogueError(
                f"line {event.start_mark.line + 1}: a scheme may not use YAML aliases",
                code="invalid_scheme",
            )
        return super().compose_node(parent, index)


def scheme_from_text(text: str, catalogue: Catalogue, *, source: str = "<request>") -> Scheme:
    """A scheme from YAML text. Raises :class:`CatalogueError` (``scheme_not_yaml``,
    ``invalid_scheme``)."""
    try:
        raw = yaml.load(text, Loader=_NoAliases)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source} is not valid YAML: {exc}", code="scheme_not_yaml") from exc
    return parse_scheme(raw, catalogue, source=source)


def impact_for_api(
    conn: Connection,
    catalogue: Catalogue,
    scheme_yaml_text: str,
    against: str | None,
    as_of: dt.date,
    today: dt.date,
    now: dt.datetime,
    timezone: str,
    *,
    schemes: Mapping[str, Scheme] | None = None,
    engine: str = "duckdb",
    top: int = 20,
) -> dict[str, Any]:
    """The impact of the scheme in ``scheme_yaml_text`` against the shipped scheme
    ``against`` (default: the one with its code), as JSON with the chart in ``"svg"``.
    ``schemes``: the shipped schemes (the app's; default: the settings')."""
    from xinyong.rating.chart import migration_svg

    new = scheme_from_text(scheme_yaml_text, catalogue)
    old = shipped_scheme(against or new.code, schemes, against=against is not None)
    result = impact(
        conn,
        catalogue,
        new,
        old,
        as_of=as_of,
        today=today,
        now=now,
        timezone=timezone,
        engine=engine,
        top=top,
    )
    return {**to_json(result), "svg": migration_svg(result)}
