"""``xinyong generate``: write a synthetic city's import files, one per provider."""

from __future__ import annotations

import datetime as dt
import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from xinyong.catalogue import default_catalogue, load_catalogue
from xinyong.cli.common import console, err_console, reported_errors
from xinyong.errors import BadRequest
from xinyong.synth import default_records, generate_city


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


def generate(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the files to."),
    orgs: int = typer.Option(1000, min=0, help="Organisations, 20% of them individual businesses."),
    persons: int = typer.Option(4000, min=0, help="Natural persons."),
    years: int = typer.Option(5, min=1, max=50, help="Years of decisions up to --as-of."),
    seed: int = typer.Option(1, help="The same seed writes the same files."),
    records: int | None = typer.Option(
        None,
        min=0,
        help="Records in all (default: 12 per organisation and 2 per person).",
    ),
    file_format: FileFormat = typer.Option(
        FileFormat.csv, "--format", case_sensitive=False, help="File format."
    ),
    as_of: dt.datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Last decision date (default: today)."
    ),
    catalogue_path: Path | None = typer.Option(
        None, "--catalogue", help="A catalogue file instead of the configured one."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Processes writing files (default: one per CPU for large cities)."
    ),
) -> None:
    """Write synthetic records of a city (Xiamen) in the import formats, per provider."""
    with reported_errors():
        day = as_of.date() if as_of else dt.date.today()
        if day > dt.date.today():
            raise BadRequest(
                f"--as-of {day} is after today; imports reject decisions in the future",
                code="invalid_argument",
            )
        cat = load_catalogue(catalogue_path) if catalogue_path else default_catalogue()
        planned = default_records(orgs, persons) if records is None else records
        started = time.perf_counter()
        with Progress(
            TextColumn("generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            auto_refresh=False,  # no refresh thread: the generator may fork workers
        ) as bar:
            task = bar.add_task("generating", total=planned)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)
                bar.refresh()

            try:
                counts = generate_city(
                    cat,
                    orgs,
                    persons,
                    years,
                    seed,
                    out,
                    records=records,
                    fmt=file_format.value,
                    as_of=day,
                    progress=advance,
                    workers=workers,
                )
            except OSError as exc:
                raise BadRequest(
                    f"cannot write to {out}: {exc.strerror or exc}", code="cannot_write_file"
                ) from exc
        seconds = time.perf_counter() - started
    table = Table("provider", "file", "rows")
    for code, n in counts.items():
        table.add_row(code, str(out / f"{code}.{file_format.value}"), f"{n:,}")
    console.print(table)
    console.print(
        f"{sum(counts.values()):,} records for {orgs:,} organisations and {persons:,} persons "
        f"in {seconds:.1f} s",
        highlight=False,
    )
