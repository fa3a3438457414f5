"""Request and response shapes of the ingestion API (for validation and OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="organisation, individual_business or person")
    code: str = Field(description="USCC for organisations, resident ID number for persons")
    name: str


class RecordIn(BaseModel):
    """A record as a provider submits it. ``fields`` are checked against the catalogue."""

    model_config = ConfigDict(extra="forbid")
    record_type: str
    provider_record_id: str
    subject: SubjectIn
    decided_on: str = Field(description="YYYY-MM-DD")
    severity: str | None = None
    legal_basis: str | None = None
    document_number: str | None = None
    publicity_until: str | None = Field(
        default=None, description="Only to end publicity earlier than the maximum period."
    )
    fields: dict[str, Scalar] = Field(default_factory=dict)


class RecordOut(BaseModel):
    id: str
    version: int
    status: str = Field(description="created, unchanged or corrected")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(description="Records in the shape of RecordIn.")


class RowProblem(BaseModel):
    field: str | None
    code: str
    message: str


class BatchItem(BaseModel):
    index: int
    id: str | None = None
    version: int | None = None
    status: str = Field(description="created, unchanged, corrected or rejected")
    errors: list[RowProblem] = Field(default_factory=list)


class BatchOut(BaseModel):
    accepted: int
    unchanged: int
    corrected: int
    rejected: int
    results: list[BatchItem]


ProviderEndReason = Literal[
    "obligation_fulfilled",
    "settlement_performed",
    "enforcement_ended",
    "decision_revoked",
    "withdrawn",
]


class EndIn(BaseModel):
    """Ending a record. ``restoration_approved`` is not here: restoration has its own
    workflow."""

    model_config = ConfigDict(extra="forbid")

    reason: ProviderEndReason
    effective_on: dt.date | None = Field(
        default=None, description="The first day it is no longer in effect (default today)."
    )


class RecordEnded(BaseModel):
    id: str
    version: int
    in_effect_until: dt.date = Field(description="The last day the record was in effect.")
    reason: str
    data_version: int | None = Field(
        description="The list revision this caused (null: no list changed)."
    )
