"""Request and response shapes of the check API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SubjectCode = str


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=64)
    subjects: list[str] = Field(
        min_length=1, description="USCCs or resident identity numbers (up to 100,000)."
    )
    purpose: str = Field(min_length=1, max_length=500, description="Why you check.")
    reference: str | None = Field(
        default=None, max_length=256, description="Your case or application number."
    )
    as_of: str | None = Field(
        default=None,
        description="YYYY-MM-DD, not after today: decide as the platform would have on that "
        "day, from the list entries and grades it knew then (default: today). Logged as the "
        "check's day, with the data version of that day.",
    )


class BasisOut(BaseModel):
    list: str | None
    record_id: str | None
    legal_basis: str
    since: dt.date
    until: dt.date | None
    document_number: str | None = None
    scheme: str | None = None
    grade: str | None = None


class DecisionOut(BaseModel):
    subject: str
    decision: Literal["applies", "does_not_apply"]
    measure: str
    basis: list[BasisOut]
    problem: str | None = Field(
        default=None,
        description="unknown_subject, invalid_identifier or kind_not_covered, when it applies",
    )


class CheckOut(BaseModel):
    check_id: str
    measure: str
    kind: Literal["sanction", "incentive"]
    legal_basis: str
    on: dt.date = Field(description="The day decided: today, or as_of.")
    data_version: int = Field(description="The list revision the decisions rest on.")
    as_of: dt.date | None = Field(
        default=None, description="Present when the check named a day (as_of)."
    )
    results: list[DecisionOut]


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=32)
    action: Literal["applied", "not_applied", "exception_applied"]
    acted_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=2000)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[FeedbackItem] = Field(min_length=1, max_length=100_000)


class FeedbackOut(BaseModel):
    check_id: str
    stored: int
