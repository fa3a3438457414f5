"""Response shapes of entity search, entity views and record histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class EntityItem(BaseModel):
    """One search result."""

    code: str = Field(
        description="An organisation's USCC; a natural person's opaque public id, never "
        "their identity number."
    )
    kind: str = Field(description="organisation, individual_business or person")
    name: str = Field(description="The current name (that of the latest decision).")
    division: str | None = Field(
        description="Administrative division (GB/T 2260) the code carries; withheld (null) "
        "for natural persons, for whom it is part of the identity number."
    )


class SearchPage(BaseModel):
    items: list[EntityItem]
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page only. A "
        "page may be short, even empty, before the last: each request examines a bounded "
        "number of matching names."
    )


class LocalNameOut(BaseModel):
    zh: str
    en: str


class PublicRecord(BaseModel):
    """The current version of a record, as the public sees it."""

    id: str
    record_type: str
    record_type_name: LocalNameOut
    severity: str | None
    decided_on: dt.date
    publicity_until: dt.date | None = Field(description="null: no end of publicity")
    legal_basis: str | None
    document_number: str | None
    provider: str = Field(description="Code of the authority that submitted the record.")
    fields: dict[str, Any]
    version: int


class EntityView(BaseModel):
    """A subject's public page."""

    code: str = Field(description="USCC, or a natural person's public id.")
    display_code: str = Field(
        description="The identifier as it may be shown: a person's number masked."
    )
    kind: str
    name: str
    names: list[str] = Field(description="Every name it was recorded under, oldest first.")
    division: str | None = Field(description="Withheld (null) for natural persons.")
    records: list[PublicRecord] = Field(description="Public records, newest decision first.")


class SubjectOut(BaseModel):
    kind: str
    code: str = Field(description="The full identifier: this view is for authorities.")
    name: str


class RecordVersionOut(BaseModel):
    """One stored version of a record, exactly as it was received."""

    version: int
    current: bool
    record_type: str
    subject: SubjectOut = Field(description="The subject as this version names it.")
    severity: str | None
    legal_basis: str | None
    document_number: str | None
    decided_on: dt.date
    publicity_until: dt.date | None
    fields: dict[str, Any]
    content_hash: str
    received_at: dt.datetime
    import_id: int | None


class RecordHistory(BaseModel):
    """A record with every version, for its provider and administrators."""

    id: str
    provider: str
    provider_record_id: str
    record_type: str
    subject: SubjectOut = Field(description="The subject as the current version names it.")
    current_version: int
    created_at: dt.datetime
    versions: list[RecordVersionOut] = Field(description="Oldest first.")
