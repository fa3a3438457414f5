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
from typing import Any

import polars as pl
from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.store import repository as repo
from xinyong.store.ids import public_id, record_id

CREATED, UNCHANGED, CORRECTED = "created", "unchanged", "corrected"


@dataclass
class Written:
    """What a write did: per input row ``(row, record id, version, status)``, and totals."""

    outcomes: list[tuple[int, str, int, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Written) -> None:
        self.outcomes.extend(other.outcomes)
        self.counts.update(other.counts)


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
) -> Written:
    """Store validated rows (columns of :data:`xinyong.ingest.validate.VALID_COLUMNS`)."""
    written = Written()
    if rows.height == 0:
        return written
    entity_ids = _resolve_entities(conn, rows, now)
    ids = [record_id(provider_code, p) for p in rows["provider_record_id"]]
    heads = repo.record_heads(conn, ids)
    new_records: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    moves: list[dict[str, Any]] = []
    touched_persons: set[int] = set()
    names = rows.columns
    for values, rid in zip(rows.iter_rows(), ids, strict=True):
        r = dict(zip(names, values, strict=True))
        eid = entity_ids[r["subject_code"]]
        digest = r["content_hash"]
        head = heads.get(rid)
        if head is None:
            version, status = 1, CREATED
            new_records.append(
                (rid, provider_code, r["provider_record_id"], r["record_type"], eid, 1, digest, now)
            )
        elif head[1] == digest:
            written.outcomes.append((r["_row"], rid, head[0], UNCHANGED))
            written.counts[UNCHANGED] += 1
            continue
        else:
            version, status = head[0] + 1, CORRECTED
            moves.append(
                {
                    "rid": rid,
                    "version": version,
                    "hash": digest,
                    "rtype": r["record_type"],
                    "eid": eid,
                }
            )
        versions.append(
            (
                rid,
                version,
                eid,
                r["record_type"],
                r["subject_name"],
                r["severity"],
                r["legal_basis"],
                r["document_number"],
                r["decided_on"],
                r["publicity_until"],
                r["fields"],
                digest,
                now,
                import_id,
            )
        )
        if r["subject_kind"] == SubjectKind.person.value:
            touched_persons.add(eid)
        written.outcomes.append((r["_row"], rid, version, status))
        written.counts[status] += 1
    repo.insert_records(conn, new_records)
    repo.move_heads(conn, moves)
    repo.insert_versions(conn, versions)
    if touched_persons:
        repo.refresh_public_until(conn, touched_persons, public_types_for_persons(catalogue))
    return written


def _resolve_entities(conn: Connection, rows: pl.DataFrame, now: dt.datetime) -> dict[str, int]:
    """One entity per code: create the missing ones, keep every name, rename to the newest."""
    # per code, the name of its latest decision, and every distinct name
    latest = (
        rows.sort("decided_on")
        .group_by("subject_code", maintain_order=True)
        .agg(
            pl.col("subject_kind").last(),
            pl.col("division").last(),
            pl.col("subject_name").last().alias("name"),
            pl.col("decided_on").last().alias("name_on"),
        )
    )
    codes = latest["subject_code"].to_list()
    existing = repo.entities_by_code(conn, codes)
    missing = latest.filter(~pl.col("subject_code").is_in(list(existing)))
    repo.insert_entities(
        conn,
        [
            (kind, code, public_id(), name, name_on, division, now)
            for code, kind, division, name, name_on in missing.iter_rows()
        ],
    )
    created = repo.entities_by_code(conn, missing["subject_code"].to_list())
    renames = [
        {"eid": existing[code][0], "name": name, "name_on": name_on}
        for code, _k, _d, name, name_on in latest.iter_rows()
        if code in existing and name_on > existing[code][1]
    ]
    repo.rename_entities(conn, renames)
    ids = {code: v[0] for code, v in (existing | created).items()}
    pairs = rows.select("subject_code", "subject_name").unique()
    repo.insert_names(
        conn,
        [
            {"entity_id": ids[code], "name": name, "first_seen_at": now}
            for code, name in pairs.iter_rows()
        ],
    )
    return ids
