"""Response shapes of entity search, entity views and record histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr


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


class StatementOut(BaseModel):
    """The subject's own statement about a record, shown beside it."""

    text: str
    at: dt.datetime = Field(description="When the subject made the statement.")


class PublicRecord(BaseModel):
    """The current version of a record (or, ``as_of`` a day, the version current then), as
    the public sees it, with the marks of the subject's rights."""

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
    under_objection: list[str] = Field(
        default_factory=list,
        description="Ids of the open objections against the record or its publicity period: "
        "while any is open the record is marked 'under objection'.",
    )
    restoration_pending: str | None = Field(
        default=None, description="Id of a pending credit-restoration application, if any."
    )
    statements: list[StatementOut] = Field(
        default_factory=list, description="The subject's statements beside the record."
    )


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
    as_of: dt.date = Field(
        description="The day the page shows: today, or the ``as_of`` asked for (built from "
        "what the platform had received by the end of that day)."
    )
    records: list[PublicRecord] = Field(description="Public records, newest decision first.")

    _entity_id: int = PrivateAttr(default=0)

    def entity_id(self) -> int:
        """The subject's internal id (not part of the answer)."""
        return self._entity_id


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
    current_version: int = Field(
        description="The current version; ``as_of`` a day: the version current then."
    )
    created_at: dt.datetime
    as_of: dt.date | None = Field(
        default=None,
        description="The day asked for: only the versions received by its end are listed.",
    )
    versions: list[RecordVersionOut] = Field(description="Oldest first.")
