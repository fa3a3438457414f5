"""``xinyong impact``: what a changed rating scheme would do to everyone's grade.

Rates every subject with the scheme file and with the shipped scheme it would replace, then
prints the grade migration matrix, the moves by district and industry and the subjects that
move most (or all of it as JSON), and writes the chart as SVG if asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.cli.common import console, err_console, print_json, reported_errors
from xinyong.db.engine import make_engine
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.rating.chart import migration_svg
from xinyong.rating.impact import Impact, impact, move_of, shipped_scheme, to_json
from xinyong.rating.loader import load_scheme
from xinyong.rating.service import checked_as_of
from xinyong.settings import get_settings

DISTRICTS_SHOWN = 15
STYLE = {"up": "green", "same": "", "down": "red"}


class RatingEngine(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


def impact_command(
    scheme: Path = typer.Option(
        ..., "--scheme", help="The changed scheme (YAML), e.g. a copy of a shipped one."
    ),
    against: str | None = typer.Option(
        None,
        "--against",
        help="Code of the shipped scheme to compare with (default: the new scheme's code).",
    ),
    as_of: dt.datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="Rating date (default: today)."
    ),
    engine: RatingEngine = typer.Option(
        RatingEngine.duckdb, "--engine", case_sensitive=False, help="Batch rating engine."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the whole analysis as JSON."),
    svg: Path | None = typer.Option(None, "--svg", help="Write the migration chart (SVG) here."),
    top: int = typer.Option(20, "--top", min=0, max=1000, help="How many movers to list."),
) -> None:
    """Analyse the impact of a rule change: grade migration, districts, industries, movers."""
    with reported_errors():
        settings = get_settings()
        catalogue = default_catalogue(settings.catalogue_path)
        new = load_scheme(scheme, catalogue)
        old = shipped_scheme(against or new.code, against=against is not None)
        db = make_engine(settings.database_url)
        ensure_schema(db)
        today = today_in(settings)
        with db.connect() as conn:
            result = impact(
                conn,
                catalogue,
                new,
                old,
                as_of=checked_as_of(as_of.date()) if as_of else today,
                today=today,
                now=utcnow(),
                timezone=settings.timezone,
                engine=engine.value,
                top=top,
            )
        db.dispose()
        if svg is not None:
            svg.write_text(migration_svg(result), encoding="utf-8")
        if json_out:
            print_json(to_json(result))
        else:
            _print(result)
            if svg is not None:
                err_console.print(f"chart written to {svg}", highlight=False)


def _print(result: Impact) -> None:
    old, new, m = result.old, result.new, result.moves
    console.print(
        f"[bold]{old.code} {escape(old.version)} → {new.code} {escape(new.version)}[/], as of "
        f"{result.as_of.isoformat()} ({result.engine}): {result.subjects:,} subjects, "
        f"{result.changed:,} change grade: [green]{m['up']:,} up[/], {m['same']:,} same, "
        f"[red]{m['down']:,} down[/]",
        highlight=False,
    )
    if result.only_old or result.only_new:
        console.print(
            f"not compared: {result.only_old:,} rated by the old scheme only, "
            f"{result.only_new:,} by the new one only",
            highlight=False,
        )
    console.print(_matrix(result))
    districts = sorted(
        result.by_district.items(),
        key=lambda kv: (-(kv[1]["up"] + kv[1]["down"]), -kv[1]["subjects"], kv[0]),
    )
    shown = dict(districts[:DISTRICTS_SHOWN])
    more = len(districts) - len(shown)
    caption = "-: persons (a person's division is never shown)"
    if more > 0:
        caption += f"; {more:,} more districts in --json"
    console.print(_counts("district", shown, "by district (most moves first)", caption))
    console.print(
        _counts(
            "industry",
            result.by_industry,
            "by industry (GB/T 4754 section)",
            "-: persons and subjects without a business registration",
        )
    )
    if result.movers:
        console.print(_movers(result))


def _matrix(result: Impact) -> Table:
    table = Table(
        "old \\ new",
        *result.new.grades,
        "total",
        title="grade migration (old rows → new columns)",
    )
    for o, row in result.matrix.items():
        cells = []
        for n, count in row.items():
            text = f"{count:,}"
            same = move_of(result.old.grades, result.new.grades, o, n) == "same"
            cells.append(f"[bold]{text}[/]" if same else text)
        table.add_row(o, *cells, f"{sum(row.values()):,}")
    return table


def _counts(
    what: str, rows: Mapping[str, Mapping[str, int]], title: str, caption: str | None = None
) -> Table:
    table = Table(what, "subjects", "up", "same", "down", title=title, caption=caption)
    for key, c in rows.items():
        table.add_row(
            key,
            f"{c['subjects']:,}",
            f"[green]{c['up']:,}[/]",
            f"{c['same']:,}",
            f"[red]{c['down']:,}[/]",
        )
    return table


def _movers(result: Impact) -> Table:
    widest = max((len(mv.code) for mv in result.movers), default=4)
    table = Table(title=f"subjects that move most (top {len(result.movers)})")
    table.add_column("code", no_wrap=True, min_width=widest)
    table.add_column("name", overflow="fold")
    for heading in ("kind", "old", "new", "delta"):
        table.add_column(heading, no_wrap=True)
    for mv in result.movers:
        style = STYLE[mv.move]
        delta = f"{mv.delta:+}"
        table.add_row(
            escape(mv.code),
            escape(mv.name),
            mv.kind,
            f"{mv.old_score} {mv.old_grade}",
            f"{mv.new_score} {mv.new_grade}",
            f"[{style}]{delta}[/]" if style else delta,
        )
    return table
