"""The rights declaration: deadlines of objections and restorations, the working-day
calendar, the access log's retention, subject sign-in. Read from ``rights.yaml``, validated
with Pydantic and against the catalogue; nothing here is a number in code."""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xinyong.catalogue.loader import default_catalogue, parse_checked, read_declaration
from xinyong.catalogue.model import Catalogue, LocalName
from xinyong.workdays import WorkingCalendar

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarDecl(_Strict):
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()
    fixed_holidays: tuple[str, ...] = ()

    @field_validator("fixed_holidays")
    @classmethod
    def _month_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for md in value:
            if not _MONTH_DAY.match(md):
                raise ValueError(f"fixed holidays are MM-DD, not {md!r}")
        return value


class Choice(_Strict):
    code: Code
    name: LocalName


class ObjectionRules(_Strict):
    mark: str = Field(pattern="^on_receipt$", description="when an item is marked")
    decide_working_days: int = Field(ge=1, le=60)
    extended_total_working_days: int = Field(ge=1, le=120)
    max_statement_chars: int = Field(ge=100, le=100_000)
    grounds: tuple[Choice, ...] = Field(min_length=1)
    outcomes: tuple[Choice, ...] = Field(min_length=1)


class EvidenceRules(_Strict):
    min_files: int = Field(ge=0, le=100)
    max_files: int = Field(ge=1, le=100)
    max_file_bytes: int = Field(ge=1024, le=100 * 1024 * 1024)
    media_types: tuple[str, ...] = Field(min_length=1)


class NoEarlyEnd(_Strict):
    record_type: Code
    field: Code
    values: tuple[str, ...] = Field(min_length=1)
    reason: LocalName


class RestorationRules(_Strict):
    decide_working_days: int = Field(ge=1, le=60)
    min_commitment_chars: int = Field(ge=1, le=10_000)
    evidence: EvidenceRules
    no_early_end: tuple[NoEarlyEnd, ...] = ()
    not_restorable: tuple[Code, ...] = ()


class AccessLogRules(_Strict):
    retention_years: int = Field(ge=1, le=100)


class SubjectRules(_Strict):
    token_days: int = Field(ge=1, le=366)
    session_hours: int = Field(ge=1, le=24 * 7)


class Rights(_Strict):
    calendar: CalendarDecl
    objections: ObjectionRules
    restorations: RestorationRules
    access_log: AccessLogRules
    subjects: SubjectRules

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            self.calendar.holidays,
            self.calendar.workdays,
            [(int(md[:2]), int(md[3:])) for md in self.calendar.fixed_holidays],
        )

    def grounds(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.objections.grounds)

    def outcomes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.objections.outcomes)


def check_rights(rights: Rights, catalogue: Catalogue) -> list[dict[str, str]]:
    """Problems with the declaration against the catalogue: unknown types and fields."""
    problems: list[dict[str, str]] = []
    r = rights.restorations
    for i, rule in enumerate(r.no_early_end):
        rt = catalogue.record_type(rule.record_type)
        where = f"restorations.no_early_end.{i}"
        if rt is None:
            problems.append({"location": where, "message": f"no record type {rule.record_type!r}"})
            continue
        spec = next((f for f in rt.fields if f.code == rule.field), None)
        if spec is None:
            problems.append(
                {"location": where, "message": f"{rt.code!r} has no field {rule.field!r}"}
            )
        elif spec.choices:
            unknown = sorted(set(rule.values) - set(spec.choices))
            if unknown:
                problems.append(
                    {"location": where, "message": f"{rule.field!r} has no choice {unknown}"}
                )
    for code in r.not_restorable:
        if catalogue.record_type(code) is None:
            problems.append(
                {"location": "restorations.not_restorable", "message": f"no record type {code!r}"}
            )
    if rights.objections.extended_total_working_days < rights.objections.decide_working_days:
        problems.append(
            {
                "location": "objections.extended_total_working_days",
                "message": "the extended deadline is shorter than the first one",
            }
        )
    if r.evidence.min_files > r.evidence.max_files:
        problems.append(
            {"location": "restorations.evidence", "message": "min_files exceeds max_files"}
        )
    overlap = set(rights.calendar.holidays) & set(rights.calendar.workdays)
    if overlap:
        problems.append(
            {
                "location": "calendar",
                "message": f"days both holiday and working day: {sorted(map(str, overlap))}",
            }
        )
    return problems


def load_rights(path: Path | str, catalogue: Catalogue) -> Rights:
    """Read and check a rights file. Raises :class:`CatalogueError` (``invalid_rights``)."""
    return parse_checked(
        Rights,
        read_declaration(path, "rights"),
        lambda r: check_rights(r, catalogue),
        source=str(path),
        what="rights",
        code="invalid_rights",
    )


@lru_cache(maxsize=1)
def default_rights() -> Rights:
    """The rights declaration named by the settings (``rights_path``)."""
    from xinyong.settings import get_settings

    return load_rights(get_settings().rights_path, default_catalogue())
