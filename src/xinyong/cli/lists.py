"""``xinyong lists``: check the declaration, show lists and their members, refresh entries."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.changes import lists_refreshed
from xinyong.cli.common import console, err_console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest, NotFound
from xinyong.ingest.importer import today_in
from xinyong.lists import repository as repo
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.settings import get_settings

app = typer.Typer(
    help="Red and black lists, measures and memoranda: check, show, refresh.",
    no_args_is_help=True,
)


def _declaration(path: Path | None = None) -> Any:
    settings = get_settings()
    catalogue = default_catalogue()
    schemes = load_schemes(settings.schemes_dir, catalogue)
    return load_declaration(path or settings.lists_path, catalogue, schemes)


@app.command("check")
def check(
    path: Path | None = typer.Argument(None, help="A lists file (default: in force)."),
) -> None:
    """Validate a lists file against the catalogue, the schemes and the rules."""
    with reported_errors():
        decl = _declaration(path)
    console.print(
        f"[green]ok[/]: {len(decl.lists)} lists, {len(decl.measures)} measures, "
        f"{len(decl.memoranda)} memoranda",
        highlight=False,
    )


@app.command("show")
def show(
    code: str | None = typer.Argument(None, help="A list's code: its members."),
    as_of: str | None = typer.Option(None, "--as-of", help="The day (YYYY-MM-DD)."),
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every list with its size today, or one list's members on a day."""
    with reported_errors():
        settings = get_settings()
        decl = _declaration()
        day = _date(as_of) if as_of else today_in(settings)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            version = repo.data_version(conn)
            if code is None:
                rows = [
                    {
                        "code": lst.code,
                        "name": lst.name.zh,
                        "kind": lst.kind.value,
                        "members": repo.count_members(conn, lst.code, day, version),
                    }
                    for lst in decl.lists
                ]
            else:
                if decl.list(code) is None:
                    raise NotFound(f"no list {code!r}", code="unknown_list")
                page = repo.members(conn, code, day, version, kinds=None, after=0, limit=limit)
                rows = [
                    {
                        "subject": m.code,
                        "kind": m.kind,
                        "name": m.name,
                        "record_id": m.entry.record_id or f"{m.entry.scheme}:{m.entry.grade}",
                        "since": m.entry.since.isoformat(),
                        "until": m.entry.until.isoformat() if m.entry.until else None,
                    }
                    for m in page
                ]
        engine.dispose()
    if as_json:
        print_json({"as_of": day.isoformat(), "data_version": version, "rows": rows})
        return
    table = Table(title=f"{code or 'lists'} on {day} (data version {version})")
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) if v is not None else "" for v in row.values()))
    console.print(table)


@app.command("refresh")
def refresh(as_json: bool = typer.Option(False, "--json")) -> None:
    """Re-evaluate every subject's list entries from the records and grades (a no-op when
    they are current). Writes one new data version if anything changed."""
    with reported_errors():
        settings = get_settings()
        catalogue = default_catalogue()
        schemes = load_schemes(settings.schemes_dir, catalogue)
        decl = load_declaration(settings.lists_path, catalogue, schemes)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        started = time.perf_counter()
        with writing(engine) as conn, err_console.status("re-evaluating list entries"):
            done = lists_refreshed(
                conn, catalogue, schemes, decl, None, today=today_in(settings), now=utcnow()
            )
        seconds = time.perf_counter() - started
        engine.dispose()
    out = {
        "data_version": done.revision,
        "subjects_changed": len(done.entities),
        "entries_closed": done.closed,
        "entries_added": done.added,
        "seconds": round(seconds, 3),
    }
    if as_json:
        print_json(out)
        return
    console.print(
        f"{out['subjects_changed']} subjects changed: {done.added} entries added, "
        f"{done.closed} closed (data version {done.revision or 'unchanged'}) in {seconds:.1f} s",
        highlight=False,
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{text!r} is not a date (YYYY-MM-DD)", code="invalid_date") from None
