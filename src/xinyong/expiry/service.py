"""Expiry that needs nobody.

Every read already evaluates expiry: a record whose ``publicity_until`` is before today is
not shown, not rated and lists no one, whether or not this job ran. :func:`expire` (the
daily ``xinyong expire``) *records* the change and brings derived data up to date:

* each record whose current version's publicity ended before today gets a
  ``record_expiries`` row for that version (``expired_on`` = ``publicity_until`` + 1 day);
* the persons among their subjects get ``entities.public_until`` recomputed (it decides
  whether a person is found in public search);
* their subjects are re-rated and their list entries refreshed (``changes.records_changed``,
  reason ``expiry``), so stored grades and the data version match what reads show;
* subjects whose stored rating lapsed (an input changed after its ``valid_until``, e.g. a
  record aged out of a rule) are re-rated the same way, so a grade-based list entry (which
  ends on its grade's ``valid_until``) is renewed when the grade still holds;
* access-log entries older than ``rights.access_log.retention_years`` (counted back from
  ``now``) are deleted;
* the audit log gets ``records.expired`` (count and a SHA-256 over the sorted record ids)
  and ``access_log.pruned`` (count and cut-off).

It is idempotent: a second run on the same day finds nothing to do and writes nothing.
It never commits: the caller's transaction holds the whole run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from xinyong.access import service as access
from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue, SubjectKind
from xinyong.changes import records_changed
from xinyong.expiry import repository as repo
from xinyong.lists.model import Declaration
from xinyong.rating import repository as rating_repo
from xinyong.rating.model import Scheme
from xinyong.rights.model import Rights
from xinyong.store.repository import refresh_public_until_of
from xinyong.store.service import public_types_for_persons

DEFAULT_BATCH = 5000
#: ``progress(stage, done, total)``: stage ``records`` (expiries recorded), then ``subjects``
#: (re-rated and list entries refreshed).
Progress = Callable[[str, int, int], None]


@dataclass
class ExpirySummary:
    today: dt.date
    records_expired: int = 0
    record_ids_sha256: str | None = None
    subjects: int = 0
    persons_refreshed: int = 0
    data_versions: list[int] = field(default_factory=list)
    grades_lapsed: int = 0
    access_log_cutoff: dt.datetime | None = None
    access_log_pruned: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.records_expired or self.grades_lapsed or self.access_log_pruned)


def count_due(conn: Connection, today: dt.date) -> int:
    """How many records' expiry is not recorded yet (for a progress bar)."""
    return repo.count_due(conn, today)


def expire(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    rights: Rights,
    *,
    today: dt.date,
    now: dt.datetime,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> ExpirySummary:
    """Record every expiry not recorded yet, propagate it, prune the access log."""
    summary = ExpirySummary(today=today)
    total = repo.count_due(conn, today) if progress else 0
    digest = hashlib.sha256()
    subjects: set[int] = set()
    persons: set[int] = set()
    after = ""
    while True:
        rows = repo.due(conn, today, after=after, limit=batch)
        if not rows:
            break
        repo.add_expiries(conn, rows, now)
        for d in rows:  # in record id order, batch after batch: the ids hash sorted
            digest.update(d.record_id.encode() + b"\n")
            subjects.add(d.entity_id)
            if d.kind == SubjectKind.person.value:
                persons.add(d.entity_id)
        summary.records_expired += len(rows)
        after = rows[-1].record_id
        if progress:
            progress("records", summary.records_expired, total)
    if summary.records_expired:
        summary.record_ids_sha256 = digest.hexdigest()
        _propagate(
            conn, catalogue, schemes, declaration, summary, subjects, persons, batch, now, progress
        )
        audit.record(
            conn,
            audit.PLATFORM,
            "records.expired",
            None,
            {
                "today": today.isoformat(),
                "count": summary.records_expired,
                "record_ids_sha256": summary.record_ids_sha256,
                "subjects": summary.subjects,
            },
            now=now,
        )
    lapsed = [i for i in rating_repo.lapsed_subjects(conn, today) if i not in subjects]
    summary.grades_lapsed = len(lapsed)
    for i in range(0, len(lapsed), batch):
        refreshed = records_changed(
            conn,
            catalogue,
            schemes,
            declaration,
            lapsed[i : i + batch],
            today=today,
            now=now,
            reason="grades lapsed",
        )
        if refreshed.revision is not None:
            summary.data_versions.append(refreshed.revision)
    cutoff = access.retention_start(now, rights.access_log.retention_years)
    summary.access_log_cutoff = cutoff
    summary.access_log_pruned = access.purge(conn, rights.access_log.retention_years, now=now)
    if summary.access_log_pruned:
        audit.record(
            conn,
            audit.PLATFORM,
            "access_log.pruned",
            None,
            {
                "count": summary.access_log_pruned,
                "before": cutoff.isoformat(),
                "retention_years": rights.access_log.retention_years,
            },
            now=now,
        )
    return summary


def _propagate(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    summary: ExpirySummary,
    subjects: set[int],
    persons: set[int],
    batch: int,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    """Public visibility of persons, grades, list entries and watchers, batch by batch."""
    public_types = public_types_for_persons(catalogue)
    ordered = sorted(persons)
    for i in range(0, len(ordered), batch):
        refresh_public_until_of(conn, ordered[i : i + batch], public_types)
    summary.persons_refreshed = len(ordered)
    ids = sorted(subjects)
    summary.subjects = len(ids)
    for i in range(0, len(ids), batch):
        chunk = ids[i : i + batch]
        refreshed = records_changed(
            conn,
            catalogue,
            schemes,
            declaration,
            chunk,
            today=summary.today,
            now=now,
            reason="expiry",
        )
        if refreshed.revision is not None:
            summary.data_versions.append(refreshed.revision)
        if progress:
            progress("subjects", min(i + batch, len(ids)), len(ids))
