"""``xinyong import``: load files of records, with a progress bar and row-level errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    Progress,
    TaskID,
)
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.cli.common import console, print_json, progress_bars, reported_errors
from xinyong.db.engine import make_engine
from xinyong.db.migrate import ensure_schema
from xinyong.ingest.importer import ImportSummary, files_to_import, import_files
from xinyong.ingest.problems import error_report_csv
from xinyong.ingest.workers import validator_for
from xinyong.settings import get_settings


def import_command(
    path: Path = typer.Argument(..., help="A file, or a folder of <provider code>.<ext> files."),
    provider: str | None = typer.Option(
        None, help="Provider code (default: each file's name without its extension)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the totals as JSON."),
    errors_csv: Path | None = typer.Option(
        None, "--errors", help="Write every row error to this CSV file (the error report)."
    ),
) -> None:
    """Import CSV, XLSX or JSONL files. Valid rows are committed, invalid ones reported."""
    with reported_errors():
        settings = get_settings()
        catalogue = default_catalogue(settings.catalogue_path)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        files = files_to_import(path, provider)
        with (
            validator_for(catalogue, sum(f.stat().st_size for f, _ in files), engine) as validator,
            progress_bars(disable=as_json) as bar,
        ):
            summaries, failed = import_files(
                engine,
                catalogue,
                settings,
                files,
                progress_for=lambda file, code: bar_for(bar, f"{file.name} ({code})"),
                validator=validator,
            )
        failures = [e.to_dict() for e in failed]
        if errors_csv is not None:
            every = [e for s in summaries for e in s.errors] + failed
            errors_csv.write_text(error_report_csv(every), encoding="utf-8")
        totals = _totals(summaries, failures, settings.max_reported_errors)
        if as_json:
            print_json(totals)
        else:
            _print(summaries, totals)
        if totals["rejected"] or failures or any(e["row"] == 0 for e in totals["errors"]):
            raise typer.Exit(2)


def _totals(
    summaries: list[ImportSummary], failures: list[dict[str, Any]], limit: int
) -> dict[str, Any]:
    errors = [e.to_dict() for s in summaries for e in s.errors] + failures
    out: dict[str, Any] = {
        key: sum(getattr(s, key) for s in summaries)
        for key in ("accepted", "unchanged", "corrected", "rejected")
    }
    out["errors"] = errors[:limit]
    if len(errors) > limit:
        out["errors_not_shown"] = len(errors) - limit
    out["imports"] = [s.import_id for s in summaries]
    return out


def _print(summaries: list[ImportSummary], totals: dict[str, Any]) -> None:
    table = Table("file", "provider", "accepted", "unchanged", "corrected", "rejected")
    for s in summaries:
        table.add_row(
            s.file,
            s.provider,
            f"{s.accepted:,}",
            f"{s.unchanged:,}",
            f"{s.corrected:,}",
            f"{s.rejected:,}",
        )
    console.print(table)
    errors = totals["errors"]
    assert isinstance(errors, list)
    for e in errors[:20]:
        where = f"{e['file']} row {e['row']}" + (f" {e['field']}" if e["field"] else "")
        console.print(f"[red]{e['code']}[/] {where}: {e['message']}", highlight=False)
    if len(errors) > 20:
        console.print(
            f"... and {len(errors) - 20:,} more errors (use --json, or the error "
            "report of each import)"
        )


def bar_for(bar: Progress, description: str) -> Callable[[int, int], None]:
    """A progress callback ``(done, total)`` that drives a new task of ``bar``."""
    task = bar.add_task(description, total=None)

    def advance(done: int, total: int, task: TaskID = task) -> None:
        bar.update(task, completed=done, total=total)

    return advance
