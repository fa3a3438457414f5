"""Submitting records given as JSON objects: the records API, and corrections that an
objection's decision brings. Validation, storage and what follows, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.auth.keys import Principal
from xinyong.catalogue.model import Catalogue
from xinyong.changes import records_changed
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.ingest.problems import RowError
from xinyong.ingest.readers import ROW, table_from_records
from xinyong.ingest.validate import validate_table
from xinyong.lists.model import Declaration
from xinyong.rating.model import Scheme
from xinyong.settings import Settings
from xinyong.store.service import Written, write_rows


def submit_objects(
    conn: Connection,
    objects: list[dict[str, Any]],
    caller: Principal,
    *,
    catalogue: Catalogue,
    settings: Settings,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
) -> tuple[Written, list[RowError]]:
    """Validate and store records given as JSON objects (the API's record format) for the
    provider of ``caller``, within its key's scopes, and bring grades, list entries and
    watchers up to date, in the caller's transaction. Invalid objects come back as errors
    (by index); valid ones are stored. The audit log gets one ``record.submitted`` entry by
    ``caller`` with each stored record's id, version, status and content hash."""
    provider = caller.provider_code or ""
    table, errors = table_from_records(list(enumerate(objects)), catalogue, file="request")
    checked = validate_table(table, catalogue, provider, file="request", today=today_in(settings))
    errors += checked.errors
    out_of_scope = ~pl.col("record_type").is_in(list(caller.scopes))
    for row, rtype in checked.rows.filter(out_of_scope).select(ROW, "record_type").iter_rows():
        errors.append(
            RowError(
                "request", row, "record_type", "out_of_scope", f"this key may not submit {rtype!r}"
            )
        )
    rows = checked.rows.filter(~out_of_scope)
    now = utcnow()
    written = write_rows(conn, rows, provider_code=provider, catalogue=catalogue, now=now)
    # Read-your-writes: grades, list entries and check decisions are current when we answer.
    records_changed(
        conn,
        catalogue,
        schemes,
        declaration,
        written.changed_entities,
        today=today_in(settings),
        now=now,
        reason=f"records from {provider}",
    )
    _audit(conn, caller, provider, rows, written, len(objects), now)
    return written, errors


def _audit(
    conn: Connection,
    caller: Principal,
    provider: str,
    rows: pl.DataFrame,
    written: Written,
    given: int,
    now: dt.datetime,
) -> None:
    """One ``record.submitted`` entry per request, last in its transaction (the chain's
    lock is held from the append to the commit)."""
    if not written.outcomes:
        return  # nothing stored: no state changed
    hashes = dict(zip(rows[ROW].to_list(), rows["content_hash"].to_list(), strict=True))
    records = [
        {"id": rid, "version": version, "status": status, "content_hash": hashes.get(row)}
        for row, rid, version, status in written.outcomes
    ]
    audit.record(
        conn,
        caller.actor,
        "record.submitted",
        written.outcomes[0][1] if given == 1 else None,
        {
            "provider": provider,
            "submitted": given,
            "rejected": given - len(records),
            "counts": {k: int(written.counts[k]) for k in ("created", "unchanged", "corrected")},
            "records": records,
        },
        now=now,
    )
