"""``xinyong expire``: the daily job that records what expired, re-rates and re-lists the
subjects concerned, and prunes the access log past its retention.

Reads never wait for it: a record past its publicity is not served whether or not this ran.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import typer
from rich.progress import (
    TaskID,
)

from xinyong.catalogue import default_catalogue
from xinyong.cli.common import console, print_json, progress_bars, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest
from xinyong.expiry.service import DEFAULT_BATCH, ExpirySummary, count_due, expire
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.rights.model import load_rights
from xinyong.settings import get_settings

#: From this many due records on, a progress bar shows on stderr.
LARGE_RUN = 10_000


def expire_command(
    today: str | None = typer.Option(
        None, "--today", help="Run as of this day (YYYY-MM-DD); default: today."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Record the records whose publicity ended, re-rate and re-list their subjects, and
    prune the access log past its retention. Running it twice changes nothing."""
    with reported_errors():
        settings = get_settings()
        day = _date(today) if today else today_in(settings)
        catalogue = default_catalogue(settings.catalogue_path)
        schemes = load_schemes(settings.schemes_dir, catalogue)
        declaration = load_declaration(settings.lists_path, catalogue, schemes)
        rights = load_rights(settings.rights_path, catalogue)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        started = time.perf_counter()
        with writing(engine) as conn:
            large = count_due(conn, day) >= LARGE_RUN
            with _bars(enabled=large) as bars:
                summary = expire(
                    conn,
                    catalogue,
                    schemes,
                    declaration,
                    rights,
                    today=day,
                    now=utcnow(),
                    batch=DEFAULT_BATCH,
                    progress=bars.update if large else None,
                )
        engine.dispose()
        seconds = time.perf_counter() - started
    out = _json(summary, seconds)
    if as_json:
        print_json(out)
        return
    if not summary.changed:
        console.print(f"nothing expired by {day}; the access log holds nothing to prune")
        return
    console.print(
        f"{summary.records_expired:,} records expired by {day} "
        f"({summary.subjects:,} subjects re-rated and re-listed, "
        f"{summary.persons_refreshed:,} persons' visibility refreshed); "
        f"{summary.grades_lapsed:,} more subjects re-rated as their grades lapsed; "
        f"{summary.access_log_pruned:,} access-log entries pruned; {seconds:.1f} s",
        highlight=False,
    )


def _json(summary: ExpirySummary, seconds: float) -> dict[str, Any]:
    cutoff = summary.access_log_cutoff
    return {
        "today": summary.today.isoformat(),
        "records_expired": summary.records_expired,
        "record_ids_sha256": summary.record_ids_sha256,
        "subjects": summary.subjects,
        "persons_refreshed": summary.persons_refreshed,
        "grades_lapsed": summary.grades_lapsed,
        "data_versions": summary.data_versions,
        "access_log_cutoff": cutoff.isoformat() if cutoff else None,
        "access_log_pruned": summary.access_log_pruned,
        "seconds": round(seconds, 3),
    }


class _Bars:
    """Two Rich progress bars (records, then subjects), or nothing for a small run."""

    def __init__(self, enabled: bool) -> None:
        self.progress = progress_bars() if enabled else None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _Bars:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        if stage not in self.tasks:
            label = "recording expiries" if stage == "records" else "re-rating and re-listing"
            self.tasks[stage] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def _bars(*, enabled: bool) -> _Bars:
    return _Bars(enabled)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{text!r} is not a date (YYYY-MM-DD)", code="invalid_date") from None
