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

import polars as pl
from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.ingest.readers import ROW
from xinyong.store import repository as repo
from xinyong.store.ids import public_id, record_id

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
    written = Written()
    if rows.height == 0:
        return written
    col = pl.col
    staged = rows.select(
        ROW,
        pl.Series("record_id", [record_id(provider_code, p) for p in rows["provider_record_id"]]),
        "provider_record_id",
        "record_type",
        "subject_kind",
        "subject_code",
        "subject_name",
        "division",
        col("decided_on").cast(pl.String),
        "severity",
        "legal_basis",
        "document_number",
        col("publicity_until").cast(pl.String),
        "fields",
        "content_hash",
        pl.Series("public_id", [public_id() for _ in range(rows.height)]),
    )
    repo.stage(conn, staged.rows())
    latest = (
        staged.sort("decided_on", ROW).group_by("subject_code").last().select(repo.LATEST_COLUMNS)
    )
    repo.resolve_entities(conn, latest.rows(), now)
    repo.classify(conn)
    repo.add_versions(conn, provider_code, now, import_id)
    if (rows["subject_kind"] == SubjectKind.person.value).any():
        repo.refresh_public_until(conn, public_types_for_persons(catalogue))
    repo.mark_ratings_stale(conn)
    written.counts.update(repo.status_counts(conn))
    if with_outcomes:
        written.outcomes = repo.outcomes(conn)
        written.changed_entities = repo.changed_entities(conn)
    return written
