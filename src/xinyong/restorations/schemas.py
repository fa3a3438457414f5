"""Request and response shapes of credit restoration (信用修复), for validation and OpenAPI.

The body is checked loosely here (types, shape) and strictly in
:mod:`xinyong.restorations.eligibility`, so that every problem a subject can fix has its own
stable code (``commitment_required``, ``evidence_required``...) instead of a generic one.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceIn(_In):
    """One file of evidence, inline: proof that the obligations were fulfilled."""

    filename: str = Field(max_length=4096, description="1 to 256 characters, no path")
    media_type: str = Field(
        max_length=255,
        description="One of the media types rights.yaml allows, e.g. application/pdf",
    )
    content_base64: str = Field(description="The file's bytes, base64-encoded (RFC 4648)")


class RestorationIn(_In):
    """An application for credit restoration of one of the subject's own records."""

    record_id: str = Field(max_length=64, description="The record to restore (its id)")
    commitment: str = Field(
        default="",
        max_length=20_000,
        description="The credit commitment (信用承诺) the subject signs: that the conduct is "
        "corrected, the obligations are fulfilled, and what it undertakes from now on.",
    )
    evidence: list[EvidenceIn] = Field(default_factory=list)


class DecisionIn(_In):
    """The deciding authority's decision on an application."""

    decision: Literal["approved", "rejected"]
    reasons: str | None = Field(
        default=None, max_length=20_000, description="Required when the application is rejected"
    )


class LocalNameOut(BaseModel):
    zh: str
    en: str


class RecordOut(BaseModel):
    """The record an application is about, as its current version stands."""

    id: str
    record_type: str
    record_type_name: LocalNameOut
    severity: str | None
    provider: str
    decided_on: dt.date
    publicity_until: dt.date | None
    ended_on: dt.date | None = Field(description="Last day in effect, if the record ended")
    end_reason: str | None
    version: int = Field(description="The record's current version")
    applied_to_version: int = Field(description="The version current when the subject applied")


class SubjectOut(BaseModel):
    kind: str
    code: str = Field(description="The subject's code (only parties to the application see it)")
    name: str


class EvidenceOut(BaseModel):
    n: int = Field(description="Position (1-based): GET .../evidence/{n} downloads it")
    filename: str
    media_type: str
    size: int
    sha256: str


class DecisionOut(BaseModel):
    decision: Literal["approved", "rejected"]
    reasons: str | None
    decided_at: dt.datetime
    decided_by: str | None


class RestorationOut(BaseModel):
    """An application and every step of it."""

    id: str
    status: Literal["pending", "approved", "rejected"]
    record: RecordOut
    subject: SubjectOut
    decider: str = Field(description="The provider that decides (the record's provider)")
    commitment: str
    evidence: list[EvidenceOut]
    filed_at: dt.datetime
    filed_on: dt.date
    due_on: dt.date = Field(description="Last working day for the decision")
    working_days_left: int | None = Field(
        description="Working days after today up to the deadline (pending applications only)"
    )
    overdue: bool = Field(description="Pending after its deadline (computed at each read)")
    decision: DecisionOut | None


class RestorationItem(BaseModel):
    """One application in a list."""

    id: str
    status: Literal["pending", "approved", "rejected"]
    record_id: str
    record_type: str
    subject: SubjectOut
    decider: str
    filed_on: dt.date
    due_on: dt.date
    working_days_left: int | None
    overdue: bool
    decided_at: dt.datetime | None


class RestorationPage(BaseModel):
    items: list[RestorationItem]
    next: str | None = Field(description="Pass as ``after`` for the next page; null at the end")
