"""The joint mechanism's declaration: lists, measures and memoranda, validated on load.

It is YAML (``xinyong/data/lists.yaml``) in three parts:

- ``lists``: who is on a list, from which records or grades, on what legal basis, decided by
  whom, after which prior notice, for how long, how one gets off it and what is published;
- ``measures``: the sanctions and incentives that other authorities apply at the point of
  service, each triggered by lists or grades, always on the listed subject only;
- ``memoranda``: the joint memoranda that bind lists to measures. A measure that no
  memorandum publishes cannot be applied.

Whether the declaration agrees with the catalogue and the schemes is checked by
:func:`xinyong.lists.loader.check_declaration`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.catalogue.model import Code, LocalName, SubjectKind
from xinyong.rating.model import Grade, Matcher


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListKind(StrEnum):
    """黑名单 (sanctions follow), 红名单 (incentives follow), 重点关注 (closer supervision)."""

    black = "black"
    red = "red"
    focus = "focus"


class Decider(StrEnum):
    """Listing follows from the records (``automatic``) or from an authority's decision,
    whose document number the record carries (``authority_decision``)."""

    automatic = "automatic"
    authority_decision = "authority_decision"


class Removal(StrEnum):
    """How a subject comes off a list."""

    obligation_fulfilled = "obligation_fulfilled"
    restoration_approved = "restoration_approved"
    period_elapsed = "period_elapsed"
    grade_changed = "grade_changed"


class MeasureKind(StrEnum):
    sanction = "sanction"
    incentive = "incentive"


#: The only subject a measure may target. Anything else (relatives, associates, employees,
#: legal representatives) is refused by the validator: sanctions never spread.
LISTED_SUBJECT = "listed_subject"


class Notice(_Strict):
    """Prior written notice to the subject before the listing takes effect."""

    required: bool = False
    served_field: Code | None = Field(
        default=None, description="The record's date field that holds when notice was served."
    )
    days: int = Field(default=0, ge=0, le=365, description="Notice period before listing.")

    @model_validator(mode="after")
    def _field_when_required(self) -> Self:
        if self.required and self.served_field is None:
            raise ValueError("a required notice names its served_field")
        if not self.required and (self.served_field is not None or self.days):
            raise ValueError("served_field and days apply only to a required notice")
        return self


class Duration(_Strict):
    """How long an entry lasts, in months from its start. ``minimum_months`` is the
    earliest removal by restoration; ``maximum_months`` ends it without anyone acting."""

    minimum_months: int = Field(default=0, ge=0)
    maximum_months: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.maximum_months is not None and self.maximum_months < self.minimum_months:
            raise ValueError("maximum_months is shorter than minimum_months")
        return self


class GradeCriterion(_Strict):
    """Subjects whose current grade in ``scheme`` is one of ``in``."""

    scheme: Code
    in_: tuple[Grade, ...] = Field(alias="in", min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Criteria(_Strict):
    """Who is on the list: any record matching one of ``records``, any subject with one of
    ``grades``, or anyone whose entry on ``escalated_from`` ran its full course."""

    records: tuple[Matcher, ...] = ()
    grades: tuple[GradeCriterion, ...] = ()
    escalated_from: Code | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.records or self.grades or self.escalated_from):
            raise ValueError("criteria need records, grades or escalated_from")
        return self


class Publication(_Strict):
    """What the public sees of an entry. ``persons``: whether natural persons' entries are
    published at all; ``fields``: the record fields shown beside an entry."""

    public: bool = True
    persons: bool = False
    fields: tuple[Code, ...] = ()


class ListDecl(_Strict):
    code: Code
    name: LocalName
    kind: ListKind
    description: str | None = None
    legal_basis: str = Field(min_length=1)
    authority: LocalName = Field(description="The authority that keeps the list.")
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    decided_by: Decider
    binding_decision: bool = Field(
        description="Each entry rests on a legally binding decision (court judgment, "
        "administrative decision). Sanctions on natural persons require it."
    )
    notice: Notice = Notice()
    duration: Duration
    criteria: Criteria
    removal: tuple[Removal, ...] = Field(min_length=1)
    publication: Publication = Publication()
    moves_to: Code | None = Field(
        default=None,
        description="The list an entry moves to when it runs its full course unremoved.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.criteria.grades and self.notice.required:
            raise ValueError(f"list {self.code!r}: a grade cannot carry a served notice")
        if self.moves_to is not None and self.duration.maximum_months is None:
            raise ValueError(f"list {self.code!r} moves entries on but never ends them")
        if self.kind is not ListKind.red and self.duration.maximum_months is None:
            raise ValueError(f"list {self.code!r} is not a red list: it needs maximum_months")
        return self


class Trigger(_Strict):
    """What makes a measure apply: an entry on ``list``, or a ``grade`` in a scheme."""

    list: Code | None = None
    grade: GradeCriterion | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.list is None) == (self.grade is None):
            raise ValueError("a trigger names exactly one of 'list' or 'grade'")
        return self


class Measure(_Strict):
    code: Code
    name: LocalName
    description: LocalName
    kind: MeasureKind
    authority: LocalName = Field(description="The authority that implements the measure.")
    legal_basis: str = Field(min_length=1)
    triggers: tuple[Trigger, ...] = Field(min_length=1)
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    targets: str = Field(
        default=LISTED_SUBJECT,
        description="Always 'listed_subject': measures never reach relatives, associates, "
        "employees or representatives.",
    )
    exceptions: tuple[LocalName, ...] = Field(
        default=(), description="Cases where the implementing authority must not apply it."
    )


class Memorandum(_Strict):
    """A joint memorandum (联合奖惩合作备忘录): it publishes measures for lists and grades."""

    code: Code
    name: LocalName
    document_number: str = Field(min_length=1)
    signed_on: dt.date
    signatories: tuple[str, ...] = Field(min_length=2)
    lists: tuple[Code, ...] = ()
    schemes: tuple[Code, ...] = ()
    measures: tuple[Code, ...] = Field(min_length=1)


class Declaration(_Strict):
    lists: tuple[ListDecl, ...] = Field(min_length=1)
    measures: tuple[Measure, ...] = ()
    memoranda: tuple[Memorandum, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for what, codes in (
            ("list", [x.code for x in self.lists]),
            ("measure", [x.code for x in self.measures]),
            ("memorandum", [x.code for x in self.memoranda]),
        ):
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"{what} codes are repeated: {dup}")
        return self

    def list(self, code: str) -> ListDecl | None:
        return next((x for x in self.lists if x.code == code), None)

    def measure(self, code: str) -> Measure | None:
        return next((x for x in self.measures if x.code == code), None)

    def memoranda_of(self, measure: str) -> tuple[Memorandum, ...]:
        """The memoranda that publish ``measure``."""
        return tuple(m for m in self.memoranda if measure in m.measures)

    def published_triggers(self, measure: Measure) -> tuple[Trigger, ...]:
        """The measure's triggers that a memorandum publishes together with it."""
        memos = self.memoranda_of(measure.code)
        lists = {code for m in memos for code in m.lists}
        schemes = {code for m in memos for code in m.schemes}
        return tuple(
            t
            for t in measure.triggers
            if (t.list is not None and t.list in lists)
            or (t.grade is not None and t.grade.scheme in schemes)
        )
