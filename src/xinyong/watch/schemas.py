"""Request and response shapes of watch lists, webhooks and the delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

#: No control characters (NUL cannot even be stored by PostgreSQL).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_PRINTABLE)
]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchesIn(_In):
    measure: Code = Field(description="A measure the key is scoped to.")
    subjects: list[Code] = Field(
        min_length=1,
        max_length=100_000,
        description="Subjects' codes: an organisation's USCC, a person's identity number.",
    )


class WebhookIn(_In):
    url: str = Field(
        min_length=1, max_length=2048, description="Where deliveries are POSTed (http or https)."
    )
    secret: str = Field(
        min_length=16,
        max_length=128,
        pattern=_PRINTABLE,
        description="Shared secret that keys each delivery's HMAC-SHA256 signature.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = value.strip()
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
            raise ValueError("the url may not contain spaces or control characters")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the url must be an http:// or https:// URL with a host")
        _ = parts.port  # raises ValueError for a port out of range
        return url


class BasisOut(BaseModel):
    """Why a measure applies: a list entry (with its record) or a grade."""

    list: str | None
    record_id: str | None
    legal_basis: str
    document_number: str | None
    since: dt.date
    until: dt.date | None
    scheme: str | None
    grade: str | None


class WatchDecision(BaseModel):
    subject: str
    decision: Literal["applies", "does_not_apply"]
    basis: list[BasisOut]
    problem: str | None = Field(
        default=None, description="kind_not_covered: the measure does not cover this kind."
    )


class WatchesOut(BaseModel):
    measure: str
    day: dt.date = Field(description="The day decided for (today, where the platform is).")
    data_version: int = Field(description="The list data the decisions were read from.")
    added: int = Field(description="Subjects newly watched.")
    already_watched: int
    items: list[WatchDecision] = Field(description="Each known subject's current decision.")
    unknown: list[str] = Field(description="Codes that name no subject (not watched).")


class UnwatchOut(BaseModel):
    measure: str
    removed: int
    not_watched: int = Field(description="Known subjects that were not watched.")
    unknown: list[str]


class WatchItem(BaseModel):
    id: int
    subject: str
    kind: str
    measure: str
    last_decision: str | None = Field(description="The decision last told to the consumer.")
    last_data_version: int | None
    created_at: dt.datetime


class WatchPage(BaseModel):
    items: list[WatchItem]
    next_after: int | None = Field(description="Pass as ``after`` for the next page.")


class WebhookOut(BaseModel):
    url: str
    created_at: dt.datetime
    deliveries: dict[str, int] = Field(description="How many deliveries are in each status.")


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    status: DeliveryStatus
    attempts: int
    url: str
    next_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    event: dict[str, Any] = Field(description="The event delivered (the request body).")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_after: int | None
