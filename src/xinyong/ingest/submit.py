"""Submitting records given as JSON objects: the records API, and corrections that an
objection's decision brings. Validation, storage and what follows, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection

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
    (by index); valid ones are stored."""
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
    return written, errors
