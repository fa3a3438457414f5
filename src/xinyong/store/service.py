"""Writing validated records: resolve subjects, then add versions. Nothing is overwritten.

A resubmission with the same content changes nothing (``unchanged``); the same provider
record id with other content becomes a new version that supersedes the old one
(``corrected``); anything else is ``created``. The caller owns the transaction: this module
never commits.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl
from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.errors import Conflict, NotFound, ValidationFailed
from xinyong.ingest.readers import ROW
from xinyong.store import repository as repo
from xinyong.store.ids import public_ids

CREATED, UNCHANGED, CORRECTED = "created", "unchanged", "corrected"


@dataclass
class Written:
    """What a write did: per input row ``(row, record id, version, status)``, totals, and
    (with outcomes) the subjects whose records were created or corrected."""

    outcomes: list[tuple[int, str, int, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    changed_entities: list[int] = field(default_factory=list)


def public_types_for_persons(catalogue: Catalogue) -> list[str]:
    return [
        rt.code
        for rt in catalogue.record_types
        if SubjectKind.person in rt.subject_kinds
        and rt.disclosure_for(SubjectKind.person) is Disclosure.public
    ]


@dataclass(frozen=True)
class Staging:
    """Validated rows as the store's staging tables take them: ``staged`` in the order of
    :data:`repo.STAGING_COLUMNS`, ``latest`` (per subject, the row with the latest decision,
    which names it) in that of :data:`repo.LATEST_COLUMNS`; and whether a person is among
    the subjects. Built where the rows were validated: by an import's validating process,
    which then stages them itself (:mod:`xinyong.store.scratch`)."""

    staged: pl.DataFrame
    latest: pl.DataFrame
    has_persons: bool

    @property
    def height(self) -> int:
        return self.staged.height


def staging_of(rows: pl.DataFrame) -> Staging:
    """The staging tables' rows for validated rows (:data:`VALID_COLUMNS`)."""
    col = pl.col
    staged = rows.select(
        ROW,
        "record_id",
        "provider_record_id",
        "record_type",
        "subject_kind",
        "subject_code",
        "subject_name",
        col("decided_on").cast(pl.String),
        "severity",
        "legal_basis",
        "document_number",
        col("publicity_until").cast(pl.String),
        "fields",
        "content_hash",
    )
    latest = (
        rows.select(ROW, "subject_code", "subject_kind", "subject_name", "decided_on", "division")
        .with_columns(col("decided_on").cast(pl.String))
        .sort("decided_on", ROW)
        .group_by("subject_code")
        .last()
        .drop(ROW)
    )
    latest = latest.with_columns(pl.Series("public_id", public_ids(latest.height)))
    has_persons = bool((rows["subject_kind"] == SubjectKind.person.value).any())
    return Staging(staged, latest.select(repo.LATEST_COLUMNS), has_persons)


def write_rows(
    conn: Connection,
    rows: pl.DataFrame,
    *,
    provider_code: str,
    catalogue: Catalogue,
    now: dt.datetime,
    import_id: int | None = None,
    with_outcomes: bool = True,
) -> Written:
    """Store validated rows (columns of :data:`xinyong.ingest.validate.VALID_COLUMNS`).

    ``with_outcomes=False`` skips reading back each row's outcome (imports need totals only).
    """
    if rows.height == 0:
        return Written()
    staging = staging_of(rows)
    repo.stage(conn, staging.staged.rows())
    repo.fill_latest(conn, staging.latest.rows())
    return write_staged(
        conn,
        staging.height,
        staging.has_persons,
        provider_code=provider_code,
        catalogue=catalogue,
        now=now,
        import_id=import_id,
        with_outcomes=with_outcomes,
    )


def write_staged(
    conn: Connection,
    height: int,
    has_persons: bool,
    *,
    provider_code: str,
    catalogue: Catalogue,
    now: dt.datetime,
    import_id: int | None = None,
    with_outcomes: bool = True,
    at: repo.Staged | None = None,
) -> Written:
    """Store ``height`` staged rows: resolve subjects, add versions, and so on. They are in
    this connection's staging tables (filled by :func:`write_rows`), or ``at`` those of an
    attached scratch file (:mod:`xinyong.store.scratch`). ``has_persons``: a person is
    among them."""
    written = Written()
    if height == 0:
        return written
    repo.resolve_entities(conn, now, at)
    repo.classify(conn, height, at)
    repo.add_versions(conn, provider_code, now, import_id, at)
    if has_persons:
        repo.refresh_public_until(conn, public_types_for_persons(catalogue))
    repo.mark_ratings_stale(conn)
    written.counts.update(repo.status_counts(conn))
    if with_outcomes:
        written.outcomes = repo.outcomes(conn)
        written.changed_entities = repo.changed_entities(conn)
    return written


class EndReason(StrEnum):
    """Why a record stops being in effect before the end of its publicity."""

    obligation_fulfilled = "obligation_fulfilled"  # paid, performed, report filed
    settlement_performed = "settlement_performed"
    enforcement_ended = "enforcement_ended"
    restoration_approved = "restoration_approved"  # credit restoration (信用修复)
    decision_revoked = "decision_revoked"  # the underlying decision was revoked
    withdrawn = "withdrawn"  # submitted in error: never in effect


@dataclass(frozen=True)
class Ended:
    record_id: str
    version: int
    entity_id: int
    last_day: dt.date


def end_record(
    conn: Connection,
    catalogue: Catalogue,
    record_id: str,
    *,
    provider_code: str | None,
    effective_on: dt.date,
    reason: EndReason,
    today: dt.date,
    now: dt.datetime,
) -> Ended:
    """End a record: from ``effective_on`` on it is no longer in effect (a withdrawn record
    never was). Adds a version; the earlier ones stay. ``provider_code``: only the provider
    that submitted the record may end it (``None``: the platform itself, for restoration).
    """
    head = repo.current_version(conn, record_id)
    if head is None or (provider_code is not None and head["provider_code"] != provider_code):
        raise NotFound(f"no record {record_id!r} of this provider", code="unknown_record")
    if effective_on > today:
        raise ValidationFailed(
            "a record ends today or on an earlier day, not in the future",
            code="end_in_future",
            field="effective_on",
        )
    decided: dt.date = head["decided_on"]
    if reason is EndReason.withdrawn:
        last_day = decided - dt.timedelta(days=1)
    else:
        if effective_on <= decided:
            raise ValidationFailed(
                f"the record was decided on {decided}: it can end only after that day "
                "(a record submitted in error is 'withdrawn')",
                code="end_before_decision",
                field="effective_on",
            )
        last_day = effective_on - dt.timedelta(days=1)
    previous: dt.date | None = head["ended_on"]
    if previous is not None and previous <= last_day:
        raise Conflict(
            f"the record already ended on {previous} ({head['end_reason']})",
            code="already_ended",
        )
    version = int(head["current_version"])
    repo.add_end_version(conn, record_id, version, last_day, reason.value, now)
    entity_id = int(head["entity_id"])
    if head["kind"] == SubjectKind.person.value:
        repo.refresh_public_until_of(conn, [entity_id], public_types_for_persons(catalogue))
    return Ended(record_id, version + 1, entity_id, last_day)
