"""A scheme compiled to one SQL query plan, transpiled with SQLGlot for each engine.

The plan is written once, in DuckDB's dialect, and SQLGlot transpiles it to PostgreSQL and
Spark SQL. It reads two relations that each engine provides:

``rating_input``
    one row per record version the scheme may look at: ``subject_id``, ``record_id``,
    ``version``, ``record_type``, ``severity``, ``provider``, ``decided_on``,
    ``publicity_until`` and one typed column per field the scheme tests (:func:`input_fields`);
``rating_subjects``
    one row per subject: ``subject_id`` and ``kind``.

It returns ``subject_id``, ``score_units`` (points x 10,000), ``grade`` and ``valid_until``
for every subject of the scheme's kinds, with the meaning :mod:`.evaluate` defines: one scan
of the records computes each rule's contribution and each override's trigger, one
aggregation per subject applies caps, bands and overrides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import sqlglot
from sqlglot import exp

from xinyong.catalogue.model import Catalogue, FieldType
from xinyong.dates import add_months
from xinyong.rating.model import POINT_CENTS, Condition, Matcher, Override, Rule, Scheme, units

DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}


@dataclass(frozen=True)
class InputField:
    """A typed column of ``rating_input`` holding one field of one record type."""

    column: str
    record_type: str
    field: str
    type: FieldType


def input_fields(schemes: list[Scheme], catalogue: Catalogue) -> list[InputField]:
    """The field columns ``rating_input`` needs for ``schemes``: one per (type, field)
    that some rule or override tests."""
    wanted: dict[tuple[str, str], None] = {}
    for scheme in schemes:
        matchers: list[Matcher | Override] = [*scheme.rules, *scheme.overrides]
        for m in matchers:
            if m.record_type is None:
                continue
            for c in m.when:
                wanted.setdefault((m.record_type, c.field))
            if isinstance(m, Rule) and m.field is not None:
                wanted.setdefault((m.record_type, m.field))
    out = []
    for i, (rt_code, fcode) in enumerate(sorted(wanted), start=1):
        rt = catalogue.record_type(rt_code)
        spec = rt.field(fcode) if rt else None
        if spec is None:  # pragma: no cover - schemes are checked against the catalogue
            raise ValueError(f"{rt_code}.{fcode} is not in the catalogue")
        out.append(InputField(f"f{i}_{fcode}"[:60], rt_code, fcode, spec.type))
    return out


def _lit(value: object) -> str:
    """A SQL literal, quoted by SQLGlot."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"CAST({exp.Literal.string(str(value)).sql()} AS DECIMAL(18, 4))"
    if isinstance(value, dt.date):
        return f"DATE {exp.Literal.string(value.isoformat()).sql()}"
    return exp.Literal.string(str(value)).sql()


def last_day_within(as_of: dt.date, months: int) -> dt.date:
    """The last decision date ``x`` with ``x + months <= as_of`` (calendar months, clamped
    at month ends). ``x + months`` never decreases as ``x`` grows, so ``as_of < x + months``
    holds exactly when ``x`` is after this day."""
    x = add_months(as_of, -months) + dt.timedelta(days=40)  # surely too late: step back
    while add_months(x, months) > as_of:
        x -= dt.timedelta(days=1)
    return x


def _fold(function: str, args: list[str]) -> str:
    """``LEAST``/``GREATEST`` of ``args`` (NULLs skipped); Spark wants two or more."""
    return args[0] if len(args) == 1 else f"{function}({', '.join(args)})"


def _in(column: str, values: tuple[object, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(_lit(v) for v in values)})"


class _Compiler:
    def __init__(self, scheme: Scheme, fields: Sequence[InputField], as_of: dt.date) -> None:
        self.s = scheme
        self.cols = {(f.record_type, f.field): f.column for f in fields}
        self.as_of = as_of
        self.d = _lit(as_of)

    def column(self, record_type: str, field: str) -> str:
        return self.cols[(record_type, field)]

    def condition(self, record_type: str, c: Condition) -> str:
        col = self.column(record_type, c.field)
        if c.in_ is not None:
            return _in(col, c.in_)
        if c.is_ is not None:
            return f"{col} = {_lit(c.is_)}"
        parts = []
        if c.at_least is not None:
            parts.append(f"{col} >= {_lit(c.at_least)}")
        if c.below is not None:
            parts.append(f"{col} < {_lit(c.below)}")
        return " AND ".join(parts)

    def match(self, m: Matcher | Override) -> str:
        assert m.record_type is not None
        parts = [f"record_type = {_lit(m.record_type)}"]
        if m.severities:
            parts.append(_in("severity", [s.value for s in m.severities]))
        if m.providers:
            parts.append(_in("provider", list(m.providers)))
        parts += [f"({self.condition(m.record_type, c)})" for c in m.when]
        return "(" + " AND ".join(parts) + ")"

    def after(self, months: int) -> str:
        """``as_of < decided_on + months``, without date arithmetic per row: calendar months
        never move a later date before an earlier one, so it holds exactly for the records
        decided after :func:`last_day_within` (computed once, here)."""
        return f"decided_on > {_lit(last_day_within(self.as_of, months))}"

    def weight(self, rule: Rule) -> str:
        t = self.s.time_of(rule)
        if t.full_weight_months is None:
            return "100"
        full = self.after(t.full_weight_months)
        if not t.reduced_weight_percent:
            return f"CASE WHEN {full} THEN 100 ELSE 0 END"
        if t.reduced_weight_until_months is None:
            return f"CASE WHEN {full} THEN 100 ELSE {t.reduced_weight_percent} END"
        until = self.after(t.reduced_weight_until_months)
        return f"CASE WHEN {full} THEN 100 WHEN {until} THEN {t.reduced_weight_percent} ELSE 0 END"

    def next_weight_change(self) -> str:
        """The date on which a live record's weight next changes (NULL: never), with date
        arithmetic only for the records that have one: for each record type, its rules'
        month marks in ascending order, the first one still ahead of the rating date."""
        arms: dict[str, list[str]] = {}
        for t in self.s.record_types():
            marks: dict[int, list[Rule]] = {}
            for rule in self.s.rules:
                if rule.record_type != t:
                    continue
                for months in self.s.time_of(rule).marks():
                    marks.setdefault(months, []).append(rule)
            whens = []
            for months in sorted(marks):
                rules = marks[months]
                rests = [self.rest(r) for r in rules]
                test = self.after(months)
                if all(rests):
                    test += f" AND COALESCE(({') OR ('.join(str(x) for x in rests)}), FALSE)"
                whens.append(f"WHEN {test} THEN CAST(decided_on + INTERVAL {months} MONTH AS DATE)")
            if whens:
                arms[t] = [f"CASE {' '.join(whens)} END"]
        return self.by_type(arms, "NULL", live=True)

    def can_matter(self) -> str:
        """A record that could still change a rating: in effect or in the future, and, when
        in effect without an end of publicity, not past every weight window of its type
        (unless an override looks at that type)."""
        kept = ["decided_on > " + self.d, "publicity_until >= " + self.d]
        past: dict[str, list[str]] = {}
        for t in self.s.record_types():
            if any(o.record_type == t for o in self.s.overrides):
                continue
            ends = []
            for rule in (r for r in self.s.rules if r.record_type == t):
                tt = self.s.time_of(rule)
                if tt.forever():
                    break  # some weight for as long as it is public
                ends.append(max(tt.marks()))  # no weight after its last mark
            else:
                past[t] = [self.after(max(ends))] if ends else ["FALSE"]
        kept.append(f"publicity_until IS NULL AND {self.by_type(past, 'TRUE')}")
        return "(" + " OR ".join(kept) + ")"

    def points(self, rule: Rule) -> str:
        if rule.points is not None:
            return str(int(rule.points * POINT_CENTS))
        col = self.column(rule.record_type, rule.field or "")
        arms = []
        for b in rule.bands:
            test = [
                f"{col} >= {_lit(b.at_least)}" if b.at_least is not None else None,
                f"{col} < {_lit(b.below)}" if b.below is not None else None,
            ]
            cond = " AND ".join(t for t in test if t) or f"{col} IS NOT NULL"
            arms.append(f"WHEN {cond} THEN {int(b.points * POINT_CENTS)}")
        return f"CASE {' '.join(arms)} END"

    def looked(self) -> str:
        """Records the scheme looks at: any rule or override matches them."""
        return " OR ".join(
            [self.match(r) for r in self.s.rules]
            + [self.match(o) for o in self.s.overrides if o.record_type]
        )

    def fingerprints(self, collate: str) -> str:
        key = "r.record_id || ':' || CAST(r.version AS VARCHAR)"
        digest = (
            f"md5(COALESCE(string_agg(CASE WHEN r.decided_on <= {self.d} THEN {key} END, ',' "
            f"ORDER BY {key}{collate}), ''))"
        )
        return (
            f"SELECT t.subject_id, {digest} AS fingerprint FROM rating_subjects AS t "
            f"LEFT JOIN (SELECT * FROM rating_input WHERE {self.looked()}) AS r "
            "ON r.subject_id = t.subject_id GROUP BY t.subject_id"
        )

    def rest(self, m: Matcher | Override) -> str | None:
        """The matcher's tests beyond its record type (``None``: none)."""
        assert m.record_type is not None
        parts = []
        if m.severities:
            parts.append(_in("severity", [x.value for x in m.severities]))
        if m.providers:
            parts.append(_in("provider", list(m.providers)))
        parts += [f"({self.condition(m.record_type, c)})" for c in m.when]
        return " AND ".join(parts) if parts else None

    def by_type(self, terms: dict[str, list[str]], otherwise: str, *, live: bool = False) -> str:
        """``CASE record_type WHEN t THEN <t's terms> ... ELSE otherwise END``; with
        ``live``, on the record's type number ``lt`` (0 unless in effect): integers compare
        faster than text, and the test for "in effect" comes free."""
        if not terms:
            return otherwise
        if live:
            code = {t: i for i, t in enumerate(self.s.record_types(), start=1)}
            arms = " ".join(f"WHEN {code[t]} THEN {' '.join(x)}" for t, x in terms.items())
            return f"CASE lt {arms} ELSE {otherwise} END"
        arms = " ".join(f"WHEN {_lit(t)} THEN {' '.join(x)}" for t, x in terms.items())
        return f"CASE record_type {arms} ELSE {otherwise} END"

    def type_number(self) -> str:
        arms = " ".join(
            f"WHEN {_lit(t)} THEN {i}" for i, t in enumerate(self.s.record_types(), start=1)
        )
        return f"CASE record_type {arms} ELSE 0 END"

    def any_match(self, matchers: list[Matcher | Override], *, live: bool = False) -> str:
        """Whether any of ``matchers`` matches the record, dispatched on its type (only
        the types whose matchers test more than the type)."""
        tests: dict[str, list[str]] = {}
        for m in matchers:
            assert m.record_type is not None
            tests.setdefault(m.record_type, []).append(self.rest(m) or "TRUE")
        conditional = {
            t: [f"COALESCE(({') OR ('.join(x)}), FALSE)"]
            for t, x in tests.items()
            if "TRUE" not in x
        }
        if live:
            plain = {t: ["TRUE"] for t in tests if t not in conditional}
            return self.by_type({**plain, **conditional}, "FALSE", live=True)
        if not conditional:
            return _in("record_type", list(tests))
        return (
            f"({_in('record_type', [t for t in tests if t not in conditional] or [''])} "
            f"OR {self.by_type(conditional, 'FALSE')})"
        )

    def groups(self) -> dict[str, list[Rule]]:
        """Rules whose points are summed together: a capped rule alone, the other rules of
        a category together, and the rest together."""
        out: dict[str, list[Rule]] = {}
        for r in self.s.rules:
            key = f"rule:{r.code}" if r.cap is not None else f"category:{r.category or ''}"
            out.setdefault(key, []).append(r)
        return out

    def group_units(self, rules: list[Rule]) -> str:
        """A record's points from ``rules`` in units (0 when none matches)."""
        terms: dict[str, list[str]] = {}
        for r in rules:
            value = f"COALESCE(({self.points(r)}) * ({self.weight(r)}), 0)"
            rest = self.rest(r)
            term = f"CASE WHEN {rest} THEN {value} ELSE 0 END" if rest else value
            terms.setdefault(r.record_type, []).append(term)
        return self.by_type({t: [" + ".join(x)] for t, x in terms.items()}, "0", live=True)

    def sql(self) -> str:
        s, d = self.s, self.d
        record_overrides = [(i, o) for i, o in enumerate(s.overrides) if o.record_type]
        matchers: list[Matcher | Override] = [*s.rules, *(o for _, o in record_overrides)]
        groups = self.groups()
        names = {key: f"g{n}" for n, key in enumerate(groups)}
        per_record = (
            [f"{self.group_units(rules)} AS {names[key]}" for key, rules in groups.items()]
            + [
                f"CASE WHEN {self.any_match([o], live=True)} THEN 1 ELSE 0 END AS o{i}"
                for i, o in record_overrides
            ]
            + [
                "CASE WHEN future THEN decided_on WHEN live THEN "
                + _fold(
                    "LEAST",
                    [
                        "CAST(publicity_until + INTERVAL 1 DAY AS DATE)",
                        self.next_weight_change(),
                    ],
                )
                + " END AS next_change"
            ]
        )
        per_subject = (
            [f"SUM({n}) AS {n}" for n in names.values()]
            + [f"MAX(o{i}) AS o{i}" for i, _ in record_overrides]
            + ["MIN(next_change) AS next_change"]
        )
        # Records whose publicity ended can change nothing, unless "no history" asks
        # whether any record was ever decided.
        history = any(o.no_history for o in s.overrides)
        relevant = "" if history else f" AND {self.can_matter()}"

        def capped(expr: str, cap: Decimal | None) -> str:
            if cap is None:
                return expr
            c = units(cap)
            return f"(CASE WHEN {expr} > {c} THEN {c} WHEN {expr} < -{c} THEN -{c} ELSE {expr} END)"

        def group_term(key: str) -> str:
            total = f"COALESCE(p.{names[key]}, 0)"
            return capped(total, groups[key][0].cap) if key.startswith("rule:") else total

        in_category: dict[str, list[str]] = {}
        for key, rules in groups.items():
            in_category.setdefault(rules[0].category or "", []).append(group_term(key))
        terms = [
            capped("(" + " + ".join(in_category[c.code]) + ")", c.cap)
            for c in s.categories
            if c.code in in_category
        ] + in_category.get("", [])
        score = f"{units(s.base)} + " + " + ".join(terms)

        rank = {g.grade: i for i, g in enumerate(s.grades)}
        band = " ".join(
            f"WHEN score_units >= {units(g.min)} THEN {rank[g.grade]}"
            for g in s.grades
            if g.min is not None
        )
        band_rank = (
            f"CASE {band} ELSE {rank[s.lowest_grade]} END" if band else str(rank[s.lowest_grade])
        )

        def fired(i: int, o: Override) -> str:
            if o.no_history:
                return "COALESCE(has_history, 0) = 0"
            return f"COALESCE(o{i}, 0) = 1"

        forces = [
            f"CASE WHEN {fired(i, o)} THEN {rank[o.grade]} END"
            for i, o in enumerate(s.overrides)
            if o.mode == "force"
        ]
        limits = [
            f"CASE WHEN {fired(i, o)} THEN {rank[o.grade]} ELSE 0 END"
            for i, o in enumerate(s.overrides)
            if o.mode == "at_most"
        ]
        limited = _fold("GREATEST", [band_rank, *limits])
        final_rank = f"COALESCE({_fold('GREATEST', forces)}, {limited})" if forces else limited
        grade = (
            "CASE "
            + " ".join(
                f"WHEN final_rank = {i} THEN {_lit(g.grade)}" for i, g in enumerate(s.grades)
            )
            + " END"
        )
        o_cols = "".join(f", p.o{i}" for i, _ in record_overrides)
        has_history = ", MAX(CASE WHEN decided THEN 1 ELSE 0 END) AS has_history" if history else ""
        history_col = ", p.has_history" if history else ""
        return f"""
WITH records AS (
    SELECT rating_input.*,
           decided_on <= {d} AND (publicity_until IS NULL OR publicity_until >= {d}) AS live,
           decided_on > {d} AS future
    FROM rating_input
    WHERE {self.any_match(matchers)}
),
numbered AS (
    SELECT records.*, CASE WHEN live THEN {self.type_number()} ELSE 0 END AS lt
    FROM records
    WHERE TRUE{relevant}
),
per_record AS (
    SELECT subject_id, {", ".join(per_record)}{", NOT future AS decided" if history else ""}
    FROM numbered
),
per_subject AS (
    SELECT subject_id, {", ".join(per_subject)}{has_history}
    FROM per_record
    GROUP BY subject_id
),
scored AS (
    SELECT t.subject_id, {score} AS score_units, p.next_change{history_col}{o_cols}
    FROM rating_subjects AS t
    LEFT JOIN per_subject AS p ON p.subject_id = t.subject_id
    WHERE {_in("t.kind", [k.value for k in s.subject_kinds])}
),
ranked AS (
    SELECT subject_id, score_units, next_change, {final_rank} AS final_rank FROM scored
)
SELECT subject_id, score_units, {grade} AS grade,
       CAST(next_change - INTERVAL 1 DAY AS DATE) AS valid_until
FROM ranked
"""


def plan(
    scheme: Scheme, fields: Sequence[InputField], as_of: dt.date, engine: str = "duckdb"
) -> str:
    """The scheme's query for ``engine`` (``duckdb``, ``postgres`` or ``spark``) as of a date."""
    return _transpiled(scheme, tuple(fields), as_of, engine)


@lru_cache(maxsize=64)
def _transpiled(scheme: Scheme, fields: tuple[InputField, ...], as_of: dt.date, engine: str) -> str:
    source = _Compiler(scheme, list(fields), as_of).sql()
    if engine == "duckdb":
        return source
    return sqlglot.transpile(source, read="duckdb", write=DIALECTS[engine])[0]


def fingerprint_sql(
    scheme: Scheme, fields: Sequence[InputField], as_of: dt.date, engine: str = "duckdb"
) -> str:
    """Each subject's digest of the record versions the scheme looks at (the same as
    :func:`xinyong.rating.evaluate.fingerprint`), for DuckDB or PostgreSQL. Not part of the
    portable plan: it needs byte-order sorting, which PostgreSQL gets from ``COLLATE "C"``."""
    return _Compiler(scheme, fields, as_of).fingerprints(
        ' COLLATE "C"' if engine == "postgres" else ""
    )
