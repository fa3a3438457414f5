"""``xinyong rate`` and ``xinyong schemes``: grade subjects, and read or check schemes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    TaskID,
)
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.changes import lists_refreshed
from xinyong.cli.common import console, err_console, print_json, progress_bars, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest, CatalogueError, NotFound
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating import repository as repo
from xinyong.rating import service
from xinyong.rating.engines import ENGINES
from xinyong.rating.loader import load_scheme, load_schemes
from xinyong.rating.model import Scheme, points_of
from xinyong.settings import get_settings

schemes_app = typer.Typer(
    help="Rating schemes: the criteria by which subjects are graded.", no_args_is_help=True
)


def rate_command(
    scheme: list[str] | None = typer.Option(
        None, "--scheme", help="A scheme's code (repeatable); every scheme when left out."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Rate as of this date (YYYY-MM-DD) from the records known then."
    ),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb, postgres or spark."),
    due: bool = typer.Option(
        False, "--due", help="Only subjects whose rating is missing, stale or lapsed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Rate subjects and store their current ratings; a past --as-of only reports."""
    with reported_errors():
        settings = get_settings()
        catalogue = default_catalogue()
        known = load_schemes(settings.schemes_dir, catalogue)
        chosen = _chosen(known, scheme)
        if engine not in ENGINES:
            raise NotFound(
                f"unknown engine {engine!r}; one of {', '.join(ENGINES)}", code="unknown_engine"
            )
        today = today_in(settings)
        day = _date(as_of) if as_of else today
        db = make_engine(settings.database_url)
        ensure_schema(db)
        summary: list[dict[str, Any]] = []
        with writing(db) as conn, progress_bars() as bar:
            if due:
                for s in chosen:
                    task = bar.add_task(f"{s.code}: due", total=None)

                    def advance(done: int, total: int, t: TaskID = task) -> None:
                        bar.update(t, completed=done, total=total)

                    n = service.rate_due(
                        conn, catalogue, [s], today=today, now=utcnow(), progress=advance
                    )
                    bar.update(task, total=max(n, 1), completed=max(n, 1))
                    grades = repo.grade_counts(conn, s.code)
                    summary.append(
                        {"scheme": s.code, "rated": n, "engine": "reference", "grades": grades}
                    )
            else:
                task = bar.add_task("reading records", total=None)

                def stage(what: str, done: int, total: int) -> None:
                    bar.update(task, description=what, completed=done, total=total)

                results = service.rate_schemes(
                    conn,
                    catalogue,
                    chosen,
                    as_of=day,
                    today=today,
                    now=utcnow(),
                    timezone=settings.timezone,
                    engine=engine,
                    progress=stage,
                )
                bar.update(task, description="rated", total=1, completed=1)
                for s, rows in zip(chosen, results, strict=True):
                    counts: dict[str, int] = {}
                    for _sid, _score, grade, _until in rows:
                        counts[grade] = counts.get(grade, 0) + 1
                    summary.append(
                        {
                            "scheme": s.code,
                            "rated": len(rows),
                            "engine": engine,
                            "stored": day == today,
                            "grades": counts,
                        }
                    )
            if day == today:  # grades changed: lists that follow grades follow them
                task = bar.add_task("list entries", total=None)
                lists_refreshed(
                    conn,
                    catalogue,
                    known,
                    load_declaration(settings.lists_path, catalogue, known),
                    None,
                    today=today,
                    now=utcnow(),
                    reason="ratings",
                )
                bar.update(task, total=1, completed=1)
        db.dispose()
    if as_json:
        print_json({"as_of": day.isoformat(), "schemes": summary})
        return
    for item in summary:
        s = known[item["scheme"]]
        table = Table(title=f"{s.name.zh} {s.name.en} ({s.code} {s.version}) as of {day}")
        table.add_column("grade")
        table.add_column("subjects", justify="right")
        for g in s.grades:
            table.add_row(g.grade, str(item["grades"].get(g.grade, 0)))
        console.print(table)
        console.print(f"rated {item['rated']} subjects with {item['engine']}", highlight=False)


def _chosen(known: dict[str, Scheme], codes: list[str] | None) -> list[Scheme]:
    if not codes:
        return list(known.values())
    missing = [c for c in codes if c not in known]
    if missing:
        raise NotFound(
            f"no scheme {missing[0]!r}; known: {', '.join(known)}", code="unknown_scheme"
        )
    return [known[c] for c in codes]


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"--as-of {text!r} is not a date (YYYY-MM-DD)", code="invalid_as_of"
        ) from None
    return service.checked_as_of(day)


@schemes_app.command("list")
def list_schemes(as_json: bool = typer.Option(False, "--json")) -> None:
    """The schemes in force."""
    with reported_errors():
        settings = get_settings()
        known = load_schemes(settings.schemes_dir, default_catalogue())
    if as_json:
        print_json([s.model_dump(mode="json", by_alias=True) for s in known.values()])
        return
    table = Table("code", "version", "name", "authority", "kinds", "grades")
    for s in known.values():
        table.add_row(
            s.code,
            s.version,
            f"{s.name.zh} {s.name.en}",
            s.authority,
            ", ".join(s.subject_kinds),
            " ".join(g.grade for g in s.grades),
        )
    console.print(table)


@schemes_app.command("show")
def show_scheme(
    code: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")
) -> None:
    """A scheme's criteria in words."""
    with reported_errors():
        settings = get_settings()
        scheme = _chosen(load_schemes(settings.schemes_dir, default_catalogue()), [code])[0]
    if as_json:
        print_json(
            {
                "scheme": scheme.model_dump(mode="json", by_alias=True),
                "criteria": service.criteria(scheme),
            }
        )
        return
    console.print(
        f"[bold]{scheme.name.zh} {scheme.name.en}[/] ({scheme.code} {scheme.version}, "
        f"effective {scheme.effective_from})",
        highlight=False,
    )
    console.print(f"legal basis: {scheme.legal_basis}", highlight=False)
    for line in service.criteria(scheme):
        console.print(f"- {line}", highlight=False)


@schemes_app.command("check")
def check_scheme(path: Path = typer.Argument(..., help="A scheme YAML file.")) -> None:
    """Validate a scheme file against the catalogue; list every problem, exit 1 if wrong."""
    try:
        scheme = load_scheme(path, default_catalogue())
    except CatalogueError as exc:
        problems: list[dict[str, Any]] = exc.details.get("problems") or [
            {"location": "", "message": exc.message}
        ]
        err_console.print(
            f"[bold red]{exc.code}[/]: {path} has {len(problems)} problem(s)", highlight=False
        )
        for p in problems:
            err_console.print(
                f"  [bold]{p.get('location') or 'scheme'}[/]: {p.get('message')}", highlight=False
            )
        raise typer.Exit(1) from None
    console.print(
        f"[bold green]valid[/]: {path} ({scheme.code} {scheme.version}, "
        f"{len(scheme.rules)} rules, base {points_of(int(scheme.base * 10000))})",
        highlight=False,
    )
