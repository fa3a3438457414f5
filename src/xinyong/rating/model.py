"""A rating scheme's declaration, validated with Pydantic when it is loaded.

A scheme is YAML (see ``xinyong/data/schemes/``). It grades subjects of some kinds from
their records: a ``base`` score, ``rules`` that add or deduct points per record type,
severity and field value, a ``time`` treatment (full weight, then reduced, never after the
end of publicity), ``caps`` per rule and per category, ``overrides`` that force or limit a
grade, and ``grades`` from best to worst with the minimum score of each band.

Arithmetic is exact: points have at most two decimals and weights are whole percentages,
so every contribution is a whole number of ten-thousandths of a point (``UNITS``). The
reference evaluator and every batch engine compute in these units.

Whether a scheme agrees with the catalogue (record types, fields, subject kinds, prohibited
classes) is checked by :func:`xinyong.rating.loader.check_against_catalogue`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.catalogue.model import Code, Disclosure, LocalName, Severity, SubjectKind

# One point is UNITS units: points carry two decimals (x100), weights are percent (x100).
UNITS = 10_000
POINT_CENTS = 100

Points = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Bound = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
Grade = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9+\-]{0,7}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeTreatment(_Strict):
    """How a record's weight falls with its age, as of the rating date.

    Full weight for ``full_weight_months`` after the decision (``null``: until the end),
    then ``reduced_weight_percent`` until ``reduced_weight_until_months`` (``null``: until
    the end), then nothing. A record never counts after the end of its publicity.
    """

    full_weight_months: int | None = Field(default=None, ge=0, le=1200)
    reduced_weight_percent: int = Field(default=0, ge=0, le=100)
    reduced_weight_until_months: int | None = Field(default=None, ge=0, le=1200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        full, until = self.full_weight_months, self.reduced_weight_until_months
        if full is None and until is not None:
            raise ValueError("reduced_weight_until_months needs full_weight_months")
        if full is not None and until is not None and until <= full:
            raise ValueError(
                "reduced_weight_until_months must be later than full_weight_months "
                f"({until} <= {full})"
            )
        return self

    def marks(self) -> list[int]:
        """The ages in months at which the weight actually changes (a percentage of 100 or
        of 0 makes one of the two declared ages change nothing)."""
        full, until, pct = (
            self.full_weight_months,
            self.reduced_weight_until_months,
            self.reduced_weight_percent,
        )
        if full is None:
            return []
        out = [full] if pct != 100 else []
        if until is not None and pct != 0:
            out.append(until)
        return out

    def forever(self) -> bool:
        """Whether a record keeps some weight for as long as it is public."""
        return self.full_weight_months is None or (
            self.reduced_weight_percent > 0 and self.reduced_weight_until_months is None
        )

    def describe(self) -> str:
        if self.full_weight_months is None:
            return "full weight until the end of publicity"
        text = f"full weight for {self.full_weight_months} months"
        if self.reduced_weight_percent == 0:
            return text + ", then none"
        until = (
            f"until month {self.reduced_weight_until_months}"
            if self.reduced_weight_until_months is not None
            else "until the end of publicity"
        )
        return f"{text}, then {self.reduced_weight_percent}% {until}"


class Condition(_Strict):
    """A test on one field of the record: a value among ``in``, a number in
    [``at_least``, ``below``), or a boolean ``is``. A record without the field fails it."""

    field: Code
    in_: tuple[str | int, ...] | None = Field(default=None, alias="in", min_length=1)
    at_least: Bound | None = None
    below: Bound | None = None
    is_: bool | None = Field(default=None, alias="is")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        numeric = self.at_least is not None or self.below is not None
        tests = [self.in_ is not None, numeric, self.is_ is not None]
        if sum(tests) != 1:
            raise ValueError(
                f"condition on {self.field!r} needs exactly one of 'in', 'at_least'/'below' or 'is'"
            )
        if self.at_least is not None and self.below is not None and self.below <= self.at_least:
            raise ValueError(f"condition on {self.field!r}: 'below' must exceed 'at_least'")
        return self

    def describe(self) -> str:
        if self.in_ is not None:
            return f"{self.field} in {list(self.in_)}"
        if self.is_ is not None:
            return f"{self.field} is {str(self.is_).lower()}"
        parts = []
        if self.at_least is not None:
            parts.append(f">= {self.at_least}")
        if self.below is not None:
            parts.append(f"< {self.below}")
        return f"{self.field} " + " and ".join(parts)


class Band(_Strict):
    """Points for a numeric field's value in [``at_least``, ``below``)."""

    at_least: Bound | None = None
    below: Bound | None = None
    points: Points


class Matcher(_Strict):
    """Which records a rule or an override looks at."""

    record_type: Code
    severities: tuple[Severity, ...] = ()
    providers: tuple[Code, ...] = ()
    when: tuple[Condition, ...] = ()


class Rule(Matcher):
    """Points for each matching record: fixed ``points``, or by ``bands`` of ``field``."""

    code: Code
    name: LocalName
    points: Points | None = None
    field: Code | None = None
    bands: tuple[Band, ...] = ()
    category: Code | None = None
    cap: Points | None = Field(
        default=None, gt=0, description="Most points (in magnitude) this rule gives a subject."
    )
    time: TimeTreatment | None = Field(
        default=None, description="Overrides the scheme's time treatment for this rule."
    )

    @model_validator(mode="after")
    def _points_or_bands(self) -> Self:
        if (self.points is None) == (not self.bands):
            raise ValueError(f"rule {self.code!r} needs either 'points' or 'field' with 'bands'")
        if self.bands and self.field is None:
            raise ValueError(f"rule {self.code!r} has bands but names no 'field'")
        if self.field is not None and not self.bands:
            raise ValueError(f"rule {self.code!r} names a field but has no 'bands'")
        edges = [(b.at_least, b.below) for b in self.bands]
        for (lo1, hi1), (lo2, _hi2) in itertools.pairwise(edges):
            if hi1 is None or lo2 is None or lo2 < hi1:
                raise ValueError(
                    f"rule {self.code!r}: bands must be in ascending order without overlap"
                )
            if lo1 is not None and hi1 <= lo1:
                raise ValueError(f"rule {self.code!r}: a band's 'below' must exceed 'at_least'")
        return self


class Category(_Strict):
    code: Code
    name: LocalName
    cap: Points = Field(gt=0, description="Most points (in magnitude) the category gives.")


class OverrideMode(StrEnum):
    force = "force"  # the grade is this one, whatever the score
    at_most = "at_most"  # the grade is no better than this one


class Override(_Strict):
    """A grade forced or limited by a record in effect, or given to a subject with no
    history (no record the scheme looks at, decided on or before the rating date)."""

    code: Code
    name: LocalName
    grade: Grade
    mode: OverrideMode = OverrideMode.force
    no_history: bool = False
    record_type: Code | None = None
    severities: tuple[Severity, ...] = ()
    providers: tuple[Code, ...] = ()
    when: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _trigger(self) -> Self:
        if self.no_history == (self.record_type is not None):
            raise ValueError(
                f"override {self.code!r} needs either 'record_type' or 'no_history: true'"
            )
        if self.no_history and (self.severities or self.providers or self.when):
            raise ValueError(f"override {self.code!r}: 'no_history' takes no conditions")
        return self

    def matcher(self) -> Matcher | None:
        if self.record_type is None:
            return None
        return Matcher(
            record_type=self.record_type,
            severities=self.severities,
            providers=self.providers,
            when=self.when,
        )


class GradeBand(_Strict):
    """A grade and the lowest score that earns it. A grade without ``min`` is given only
    by an override, except the last (worst) grade, which takes every lower score."""

    grade: Grade
    name: LocalName
    min: Points | None = None


class Scheme(_Strict):
    code: Code
    version: str = Field(min_length=1, max_length=32)
    name: LocalName
    description: str | None = None
    authority: Code = Field(description="The provider (authority) that owns the scheme.")
    legal_basis: str = Field(min_length=1)
    effective_from: dt.date
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    disclosure: Disclosure = Disclosure.public
    disclosure_for_persons: Disclosure | None = None
    base: Points
    time: TimeTreatment = TimeTreatment()
    categories: tuple[Category, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)
    overrides: tuple[Override, ...] = ()
    grades: tuple[GradeBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for what, codes in (
            ("rule", [r.code for r in self.rules]),
            ("override", [o.code for o in self.overrides]),
            ("category", [c.code for c in self.categories]),
            ("grade", [g.grade for g in self.grades]),
        ):
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"scheme {self.code!r} repeats {what} codes {dup}")
        cats = {c.code for c in self.categories}
        for r in self.rules:
            if r.category is not None and r.category not in cats:
                raise ValueError(f"rule {r.code!r} names unknown category {r.category!r}")
        grades = [g.grade for g in self.grades]
        for o in self.overrides:
            if o.grade not in grades:
                raise ValueError(f"override {o.code!r} gives unknown grade {o.grade!r}")
        if self.grades[-1].min is not None:
            raise ValueError(
                f"the last grade ({self.grades[-1].grade}) takes every lower score: no 'min'"
            )
        mins = [g.min for g in self.grades if g.min is not None]
        if any(b >= a for a, b in itertools.pairwise(mins)):
            raise ValueError("grades run from best to worst: each 'min' below the one before")
        if self.disclosure_for_persons and SubjectKind.person not in self.subject_kinds:
            raise ValueError("disclosure_for_persons is set but the scheme rates no persons")
        return self

    # ---- derived views ------------------------------------------------------------------

    @property
    def lowest_grade(self) -> str:
        return self.grades[-1].grade

    def grade_rank(self, grade: str) -> int:
        """0 for the best grade; larger is worse."""
        return [g.grade for g in self.grades].index(grade)

    def time_of(self, rule: Rule) -> TimeTreatment:
        return rule.time or self.time

    def category(self, code: str) -> Category:
        return next(c for c in self.categories if c.code == code)

    def record_types(self) -> list[str]:
        """Every record type the scheme looks at, in declaration order."""
        seen: dict[str, None] = {}
        for r in self.rules:
            seen.setdefault(r.record_type)
        for o in self.overrides:
            if o.record_type is not None:
                seen.setdefault(o.record_type)
        return list(seen)

    def disclosure_for(self, kind: SubjectKind | str) -> Disclosure:
        if kind == SubjectKind.person and self.disclosure_for_persons is not None:
            return self.disclosure_for_persons
        return self.disclosure


def units(points: Decimal) -> int:
    """Points as whole units (exact: points have at most two decimals)."""
    return int(points * UNITS)


def points_of(units_: int) -> Decimal:
    """Units back to points, without trailing zeros (``Decimal('92.5')``)."""
    value = Decimal(units_) / UNITS
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
