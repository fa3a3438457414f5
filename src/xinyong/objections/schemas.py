"""Request and response shapes of objections (异议).

Input fields are optional in the schema and checked by the service, so that a missing or
empty field answers with its own stable code (``statement_required``, ``reasons_required``)
rather than a generic schema error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectionIn(_In):
    target: str | None = Field(
        default=None,
        description="What is contested: a record id (r…, or record:<id>), publicity:<record "
        "id>, listing:<list code>, grade:<scheme code> or restoration:<restoration id>.",
    )
    grounds: str | None = Field(
        default=None, description="One of the grounds in rights.yaml (objections.grounds)."
    )
    statement: str | None = Field(
        default=None, description="The subject's account, 1 to max_statement_chars characters."
    )


class ExtensionIn(_In):
    reasons: str | None = Field(default=None, description="Why the decider needs longer.")


class DecisionIn(_In):
    outcome: str | None = Field(
        default=None, description="corrected, deleted, upheld or unconfirmed (rights.yaml)."
    )
    reasons: str | None = Field(
        default=None, description="Required for upheld, and for corrected without a record."
    )
    correction: dict[str, Any] | None = Field(
        default=None,
        description="For corrected on a record: the whole corrected record in the records "
        "API's format, with the contested record's provider_record_id.",
    )
    verification: str | None = Field(
        default=None, description="Required for unconfirmed: what was done to verify."
    )


class StatementIn(_In):
    text: str | None = Field(default=None, description="Shown beside the record.")


class SubjectOut(BaseModel):
    kind: str
    code: str
    name: str


class EventOut(BaseModel):
    at: dt.datetime
    actor: str
    step: str = Field(description="filed, extended, escalated, decided or statement")
    details: dict[str, Any]


class StatementOut(BaseModel):
    id: int
    record_id: str | None
    text: str
    at: dt.datetime


class ExtensionOut(BaseModel):
    at: dt.datetime
    reasons: str


class ObjectionItem(BaseModel):
    """An objection in a list."""

    id: str
    subject: SubjectOut
    target: str
    target_type: str = Field(description="record, publicity, listing, grade or restoration")
    grounds: str
    decider: str = Field(description="The provider that decides, or 'platform'.")
    status: str = Field(description="open or decided")
    filed_on: dt.date
    due_on: dt.date = Field(description="The last working day to decide.")
    overdue: bool = Field(description="Still open after due_on (computed when read).")
    escalated_at: dt.datetime | None
    outcome: str | None


class ObjectionOut(ObjectionItem):
    """An objection with every step."""

    record_id: str | None = Field(description="The record contested, or a listing's basis.")
    list_code: str | None
    scheme: str | None
    restoration_id: str | None
    statement: str
    filed_at: dt.datetime
    working_days_left: int | None = Field(
        description="Working days after today up to due_on (open objections only)."
    )
    extension: ExtensionOut | None
    reasons: str | None
    verification: str | None
    corrected_version: int | None
    decided_at: dt.datetime | None
    late: bool | None = Field(description="Decided after due_on.")
    statements: list[StatementOut]
    events: list[EventOut] = Field(description="Every step, in order.")


class ObjectionPage(BaseModel):
    items: list[ObjectionItem]
    next_after: str | None = Field(description="Pass as ?after= for the next page.")


class Escalated(BaseModel):
    escalated: list[str] = Field(description="The objections escalated now.")
