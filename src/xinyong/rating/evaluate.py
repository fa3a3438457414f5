"""The reference evaluator: one subject, one scheme, one date, in plain Python.

This is the definition of what a scheme means. The batch engines (:mod:`.compile`) must
agree with it exactly, which the property tests check. For a subject's records and a date
``as_of`` it returns the score, the grade and the explanation: every record that counted,
the rule that fired, its points and why; caps and overrides are entries of their own, and
``base`` plus the entries' points is the score exactly.

Semantics, in order:

1. Only records decided on or before ``as_of`` count, and only while their publicity has
   not ended (``as_of <= publicity_until``; no end means always).
2. Each rule gives each matching record its points (or its field's band points) times the
   weight of the record's age: 100 % before ``full_weight_months``, then
   ``reduced_weight_percent`` before ``reduced_weight_until_months``, then 0.
3. A rule's total is held to its ``cap``, then a category's total to the category's cap.
4. The score is ``base`` plus the totals. The grade is the best band whose ``min`` the
   score reaches (the last grade otherwise), unless overrides fire: a ``force`` override
   sets the grade (the worst of several wins), an ``at_most`` override limits it, and
   ``no_history`` fires when no record the scheme looks at was decided by ``as_of``.
5. ``valid_until`` is the day before the next date on which any record the scheme looks at
   enters, changes weight or ends its publicity (``None``: no such date).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from xinyong.dates import add_months
from xinyong.rating.model import (
    POINT_CENTS,
    Condition,
    Matcher,
    Override,
    OverrideMode,
    Rule,
    Scheme,
    TimeTreatment,
    points_of,
    units,
)

FieldValue = Decimal | int | bool | str | None
DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RatingRecord:
    """What the engines see of a record: its envelope and its typed fields (decimals
    quantised to four places)."""

    record_id: str
    version: int
    record_type: str
    severity: str | None
    provider: str
    decided_on: dt.date
    publicity_until: dt.date | None
    fields: Mapping[str, FieldValue] = field(default_factory=dict)

    def in_effect(self, as_of: dt.date) -> bool:
        return self.decided_on <= as_of and (
            self.publicity_until is None or as_of <= self.publicity_until
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of an explanation."""

    record_id: str | None
    rule: str
    points: Decimal
    note: str


@dataclass(frozen=True)
class Rating:
    scheme: str
    scheme_version: str
    as_of: dt.date
    base: Decimal
    score_units: int
    grade: str
    explanation: tuple[Entry, ...]
    valid_until: dt.date | None
    fingerprint: str

    @property
    def score(self) -> Decimal:
        return points_of(self.score_units)


# ---- matching ----------------------------------------------------------------------------


def _passes(cond: Condition, value: FieldValue) -> bool:
    if value is None:
        return False
    if cond.in_ is not None:
        return value in cond.in_
    if cond.is_ is not None:
        return value is cond.is_
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return False
    if cond.at_least is not None and value < cond.at_least:
        return False
    return not (cond.below is not None and value >= cond.below)


def matches(m: Matcher | Override, rec: RatingRecord) -> bool:
    return (
        rec.record_type == m.record_type
        and (not m.severities or rec.severity in m.severities)
        and (not m.providers or rec.provider in m.providers)
        and all(_passes(c, rec.fields.get(c.field)) for c in m.when)
    )


def rule_points(rule: Rule, rec: RatingRecord) -> Decimal | None:
    """The rule's points for a matching record, or ``None`` when no band holds its value."""
    if rule.points is not None:
        return rule.points
    value = rec.fields.get(rule.field or "")
    if value is None or isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    for band in rule.bands:
        if (band.at_least is None or value >= band.at_least) and (
            band.below is None or value < band.below
        ):
            return band.points
    return None


def weight(time: TimeTreatment, rec: RatingRecord, as_of: dt.date) -> tuple[int, str]:
    """The percentage a record in effect counts for on ``as_of``, and why."""
    full = time.full_weight_months
    if full is None or as_of < add_months(rec.decided_on, full):
        return 100, "full weight" + (f": under {full} months old" if full is not None else "")
    until = time.reduced_weight_until_months
    pct = time.reduced_weight_percent
    if pct and (until is None or as_of < add_months(rec.decided_on, until)):
        how = "halved" if pct == 50 else f"{pct}% weight"
        return pct, f"{how}: older than {full} months"
    return 0, f"no weight: older than {until if until is not None else full} months"


def boundaries(
    scheme: Scheme, rec: RatingRecord, as_of: dt.date, rules: Sequence[Rule] | None = None
) -> list[dt.date]:
    """Dates after ``as_of`` on which this record may change the rating (it is assumed to
    be looked at by the scheme). ``rules``: the rules it matches, when already known."""
    if rec.decided_on > as_of:
        return [rec.decided_on]
    if rec.publicity_until is not None and rec.publicity_until < as_of:
        return []
    out = []
    if rec.publicity_until is not None:
        out.append(rec.publicity_until + DAY)
    for rule in _matching_rules(scheme, rec) if rules is None else rules:
        for months in scheme.time_of(rule).marks():
            day = add_months(rec.decided_on, months)
            if day > as_of:
                out.append(day)
    return out


# ---- evaluation --------------------------------------------------------------------------


def _by_type(scheme: Scheme) -> dict[str, tuple[tuple[Rule, ...], tuple[Override, ...]]]:
    """Each record type's rules and record overrides, in declaration order (kept on the
    frozen scheme: hashing a scheme for a cache would cost more than the lookup)."""
    cached: dict[str, tuple[tuple[Rule, ...], tuple[Override, ...]]] | None
    cached = scheme.__dict__.get("_by_type")
    if cached is None:
        cached = {
            t: (
                tuple(r for r in scheme.rules if r.record_type == t),
                tuple(o for o in scheme.overrides if o.record_type == t),
            )
            for t in scheme.record_types()
        }
        object.__setattr__(scheme, "_by_type", cached)
    return cached


def _matching_rules(scheme: Scheme, rec: RatingRecord) -> list[Rule]:
    rules, _ = _by_type(scheme).get(rec.record_type, ((), ()))
    return [r for r in rules if matches(r, rec)]


@dataclass(frozen=True, slots=True)
class _Looked:
    """A record the scheme looks at, with the rules and overrides that match it."""

    rec: RatingRecord
    rules: list[Rule]
    overrides: list[Override]


def _looked_at(scheme: Scheme, records: Iterable[RatingRecord]) -> list[_Looked]:
    index = _by_type(scheme)
    out = []
    for r in records:
        found = index.get(r.record_type)
        if found is None:
            continue
        rules = [x for x in found[0] if matches(x, r)]
        overrides = [o for o in found[1] if matches(o, r)]
        if rules or overrides:
            out.append(_Looked(r, rules, overrides))
    return out


def _capped(total: int, cap_units: int | None) -> int:
    if cap_units is None or abs(total) <= cap_units:
        return total
    return cap_units if total > 0 else -cap_units


def fingerprint(records: Iterable[RatingRecord]) -> str:
    """A digest of the record versions a rating was computed from."""
    text = ",".join(sorted(f"{r.record_id}:{r.version}" for r in records))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def evaluate(scheme: Scheme, records: Sequence[RatingRecord], as_of: dt.date) -> Rating:
    """Rate one subject from its records as of ``as_of``."""
    looked = _looked_at(scheme, records)
    decided = [x.rec for x in looked if x.rec.decided_on <= as_of]
    live = sorted(
        (x for x in looked if x.rec.in_effect(as_of)),
        key=lambda x: (x.rec.decided_on, x.rec.record_id),
        reverse=True,
    )
    by_rule: dict[str, list[RatingRecord]] = {r.code: [] for r in scheme.rules}
    for x in live:
        for rule in x.rules:
            by_rule[rule.code].append(x.rec)
    entries: list[Entry] = []
    rule_totals: dict[str, int] = {}
    for rule in scheme.rules:
        total = 0
        for rec in by_rule[rule.code]:
            pts = rule_points(rule, rec)
            if pts is None:
                continue
            pct, why = weight(scheme.time_of(rule), rec, as_of)
            if pct == 0 or pts == 0:
                continue
            u = int(pts * POINT_CENTS) * pct
            total += u
            entries.append(Entry(rec.record_id, rule.code, points_of(u), why))
        capped = _capped(total, None if rule.cap is None else units(rule.cap))
        if capped != total:
            entries.append(
                Entry(
                    None,
                    f"cap:{rule.code}",
                    points_of(capped - total),
                    f"rule {rule.code} counts at most {rule.cap} points",
                )
            )
        rule_totals[rule.code] = capped
    total_units = 0
    for cat in scheme.categories:
        cat_total = sum(rule_totals[r.code] for r in scheme.rules if r.category == cat.code)
        capped = _capped(cat_total, units(cat.cap))
        if capped != cat_total:
            entries.append(
                Entry(
                    None,
                    f"cap:{cat.code}",
                    points_of(capped - cat_total),
                    f"category {cat.code} counts at most {cat.cap} points",
                )
            )
        total_units += capped
    total_units += sum(rule_totals[r.code] for r in scheme.rules if r.category is None)
    score_units = units(scheme.base) + total_units

    grade = band_grade(scheme, score_units)
    forced: list[str] = []
    limits: list[str] = []
    for o in scheme.overrides:
        if o.no_history:
            if decided:
                continue
            hit_id, note = None, f"no history: no record this scheme looks at by {as_of}"
        else:
            hit = next((x.rec for x in live if any(y.code == o.code for y in x.overrides)), None)
            if hit is None:
                continue
            hit_id, note = hit.record_id, f"{hit.record_type} in effect ({hit.decided_on})"
        (forced if o.mode is OverrideMode.force else limits).append(o.grade)
        how = "forces grade" if o.mode is OverrideMode.force else "grade at most"
        entries.append(Entry(hit_id, f"override:{o.code}", Decimal(0), f"{how} {o.grade}: {note}"))
    if forced:
        grade = max(forced, key=scheme.grade_rank)
    else:
        grade = max([grade, *limits], key=scheme.grade_rank)

    ends = [d for x in looked for d in boundaries(scheme, x.rec, as_of, x.rules)]
    return Rating(
        scheme=scheme.code,
        scheme_version=scheme.version,
        as_of=as_of,
        base=scheme.base,
        score_units=score_units,
        grade=grade,
        explanation=tuple(entries),
        valid_until=min(ends) - DAY if ends else None,
        fingerprint=fingerprint(decided),
    )


def band_grade(scheme: Scheme, score_units: int) -> str:
    for band in scheme.grades:
        if band.min is not None and score_units >= units(band.min):
            return band.grade
    return scheme.lowest_grade


# ---- what would change the grade ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """A future or hypothetical grade: on a date (``kind="date"``), or if a record were
    restored (``kind="restoration"``)."""

    kind: str
    grade: str
    score: Decimal
    on: dt.date | None
    record_id: str | None
    note: str


def next_changes(
    scheme: Scheme,
    records: Sequence[RatingRecord],
    rating: Rating,
    *,
    max_steps: int = 60,
    max_changes: int = 3,
) -> list[Change]:
    """When the grade will change if nothing else happens, and which restorations would
    change it now."""
    out: list[Change] = []
    current, day = rating, rating.valid_until
    for _ in range(max_steps):
        if day is None or len(out) >= max_changes:
            break
        nxt = evaluate(scheme, records, day + DAY)
        if nxt.grade != current.grade:
            why = _what_happens(scheme, records, day + DAY)
            out.append(
                Change(
                    "date",
                    nxt.grade,
                    nxt.score,
                    day + DAY,
                    None,
                    f"{current.grade} until {day}; {nxt.grade} from {day + DAY}"
                    + (f" when {why}" if why else ""),
                )
            )
        current, day = nxt, nxt.valid_until
    for entry in rating.explanation:
        if entry.record_id is None or (
            entry.points >= 0 and not entry.rule.startswith("override:")
        ):
            continue
        if any(c.record_id == entry.record_id for c in out):
            continue
        rest = [r for r in records if r.record_id != entry.record_id]
        alt = evaluate(scheme, rest, rating.as_of)
        if alt.grade != rating.grade:
            out.append(
                Change(
                    "restoration",
                    alt.grade,
                    alt.score,
                    None,
                    entry.record_id,
                    f"restoring record {entry.record_id} would make it {alt.grade}",
                )
            )
    return out


def _what_happens(scheme: Scheme, records: Sequence[RatingRecord], day: dt.date) -> str:
    """Which records change on ``day``, in words."""
    said = []
    for r in sorted(records, key=lambda r: r.record_id):
        if r.publicity_until is not None and r.publicity_until + DAY == day:
            said.append(f"{r.record_type} {r.record_id} ends its publicity")
        elif r.decided_on == day:
            said.append(f"{r.record_type} {r.record_id} takes effect")
        elif any(
            matches(rule, r)
            and day in {add_months(r.decided_on, m) for m in scheme.time_of(rule).marks()}
            for rule in scheme.rules
        ):
            said.append(f"{r.record_type} {r.record_id} loses weight")
    return "; ".join(said[:3])
