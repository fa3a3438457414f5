"""Response models of the rating API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field


class ExplanationEntry(BaseModel):
    record_id: str | None
    rule: str
    points: Decimal
    note: str


class NextChange(BaseModel):
    kind: str  # "date" or "restoration"
    grade: str
    score: Decimal
    on: dt.date | None
    record_id: str | None
    note: str


class RatingOut(BaseModel):
    """One subject's rating under one scheme as of a date, with its explanation:
    ``base`` plus the points of ``explanation`` is ``score`` exactly."""

    subject: str
    scheme: str
    scheme_version: str
    as_of: dt.date
    score: Decimal
    grade: str
    valid_until: dt.date | None
    fingerprint: str
    base: Decimal
    explanation: list[ExplanationEntry]
    next_changes: list[NextChange]


class CurrentRating(BaseModel):
    scheme: str
    scheme_version: str
    grade: str
    score: Decimal
    as_of: dt.date
    valid_until: dt.date | None
    source: str  # "stored" (kept current by the platform) or "live" (computed for this read)


class SubjectRatings(BaseModel):
    subject: str
    ratings: list[CurrentRating]


class SchemeSummary(BaseModel):
    code: str
    version: str
    name: dict[str, str]
    authority: str
    subject_kinds: list[str]
    effective_from: dt.date
    grades: list[str]


class SchemeOut(BaseModel):
    """A scheme in full, as declared, with each rule's criteria in words."""

    scheme: dict[str, Any]
    criteria: list[str]


class ImpactIn(BaseModel):
    """A proposed scheme (its YAML text) to compare with a scheme in force."""

    scheme: str = Field(max_length=1_000_000, description="The proposed scheme, as YAML text.")
    against: str | None = Field(
        default=None, max_length=64, description="The scheme in force (default: same code)."
    )
    as_of: dt.date | None = Field(default=None, description="Default: today.")
    engine: Literal["duckdb", "postgres"] = "duckdb"
    top: int = Field(default=20, ge=0, le=1000, description="How many movers to list.")
