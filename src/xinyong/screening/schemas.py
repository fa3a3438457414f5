"""Request and response shapes of name screening."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ScreenedKind = Literal["organisation", "individual_business"]


class Verdict(StrEnum):
    """A reviewer's decision on a candidate for a name."""

    match = "match"
    not_a_match = "not_a_match"


class ScreeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        min_length=1, max_length=200, description="The name as submitted, Chinese or English."
    )
    code: str | None = Field(
        default=None,
        max_length=64,
        description="The subject's USCC when known: an exact match is certain (score 1.0).",
    )
    kinds: list[ScreenedKind] | None = Field(
        default=None,
        min_length=1,
        description="Subject kinds to screen (default: organisations and individual "
        "businesses; natural persons are never screened by name).",
    )
    limit: int = Field(default=10, ge=1, le=50, description="Most candidates returned.")


class QueryOut(BaseModel):
    """The query, taken apart as it was matched."""

    name: str
    normalised: str = Field(
        description="The key reviewer decisions are stored under: place, core, legal form, "
        "branch. Every way of writing one name has the same key."
    )
    core: str = Field(description="The distinctive part: no place, legal form or branch.")
    place: str | None
    legal_form: str | None
    branch: str | None = Field(
        description="Null unless the name is a branch; then its designation (may be empty)."
    )
    code: str | None = Field(description="The code given, normalised.")
    code_found: bool | None = Field(
        description="Whether a subject of the screened kinds has that code (null: no code)."
    )
    kinds: list[str]


class ReviewOut(BaseModel):
    """The latest reviewer decision on this candidate for this normalised name."""

    verdict: Verdict
    reviewer: str
    reason: str
    decided_by: str | None = Field(description="The authority whose key recorded it.")
    decided_at: dt.datetime


class CandidateOut(BaseModel):
    subject: str = Field(description="The subject's USCC.")
    name: str = Field(description="Its current name.")
    matched_name: str = Field(description="The name that matched (current or former).")
    kind: str
    score: float = Field(
        ge=0,
        le=1,
        description="1.0 only for a code match; a name alone scores at most 0.99. Four decimals.",
    )
    certain: bool = Field(description="True only when the query's code is this subject's.")
    reasons: list[str] = Field(description="What the score rests on, in words.")
    review: ReviewOut | None = Field(
        description="A reviewer's decision for this name: a match is listed first (after a "
        "certain one), a candidate dismissed as not_a_match last."
    )
    dismissed: bool = Field(description="A reviewer decided it is not a match for this name.")


class ScreeningOut(BaseModel):
    query: QueryOut
    candidates: list[CandidateOut] = Field(
        description="Certain first, then confirmed matches, then by score (ties by name, then "
        "code), dismissed ones last."
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="The name that was screened.")
    subject: str = Field(min_length=1, max_length=64, description="The candidate's USCC.")
    verdict: Verdict
    reviewer: str = Field(min_length=1, max_length=128, description="Who decided.")
    reason: str = Field(min_length=1, max_length=2000, description="Why.")


class DecisionOut(BaseModel):
    id: int
    name: str
    normalised: str = Field(description="The key it is stored and reused under.")
    subject: str
    verdict: Verdict
    reviewer: str
    reason: str
    decided_by: str | None
    decided_at: dt.datetime
