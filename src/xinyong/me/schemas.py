"""Request and response models of sign-in and the subject's own view."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class SessionIn(BaseModel):
    """Evidence of who signs in. ``method`` names the verifier; the other fields are its
    evidence (``token`` for the token verifier; an OIDC verifier would read ``id_token``)."""

    model_config = ConfigDict(extra="allow")

    method: str = Field(max_length=32, description="The identity verifier, e.g. 'token'.")
    token: str | None = Field(
        default=None, max_length=512, description="A subject access token (method 'token')."
    )


class SessionOut(BaseModel):
    subject: str = Field(description="The subject's code as others see it (masked for persons).")
    public_id: str
    kind: str
    name: str
    expires_at: dt.datetime


class MeOut(BaseModel):
    """The subject's own view of itself: its identity number unmasked."""

    code: str
    display_code: str
    kind: str
    name: str
    names: list[str]
    public_id: str
    division: str


class HiddenIn(BaseModel):
    hidden: StrictBool


class HiddenOut(BaseModel):
    record_id: str
    hidden: bool
    changed: bool = Field(description="False when the record already was in this state.")


class AccessLogEntry(BaseModel):
    id: str
    source: str = Field(description="'read' (a logged read) or 'check' (a check API call).")
    at: dt.datetime
    reader: str = Field(description="The authority's code.")
    reader_role: str = Field(description="provider, consumer or admin.")
    what: str = Field(description="What was read, e.g. 'file', 'rating:city_grade'.")
    purpose: str
    legal_basis: str | None
    record_ids: list[str] | None
    decision: str | None = Field(description="Checks: whether the measure applied.")
    reference: str | None = Field(description="Checks: the consumer's own reference.")


class AccessLogPage(BaseModel):
    entries: list[AccessLogEntry]
    next: str | None = Field(description="Pass as 'after' for the next page; null at the end.")
    retention_years: int
