"""``xinyong report`` writes a subject's signed credit report; ``xinyong verify`` checks one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from xinyong.catalogue import default_catalogue
from xinyong.cli.common import console, err_console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.reports import service
from xinyong.settings import Settings, get_settings
from xinyong.timetravel import parse_as_of

#: What the largest file ``xinyong verify`` reads (a report is far smaller).


def _context(settings: Settings) -> service.Context:
    catalogue = default_catalogue(settings.catalogue_path)
    schemes = load_schemes(settings.schemes_dir, catalogue)
    return service.Context(
        catalogue=catalogue,
        schemes=schemes,
        declaration=load_declaration(settings.lists_path, catalogue, schemes),
        today=today_in(settings),
        timezone=settings.timezone,
    )


def report_command(
    code: str = typer.Argument(
        ..., help="The subject: a USCC, or a person's public id (with --full: its identity number)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The day the report shows (YYYY-MM-DD); default: today."
    ),
    full: bool = typer.Option(
        False, "--full", help="The subject's full view (nothing masked), e.g. to hand to it."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the PDF."),
) -> None:
    """Write a subject's credit report as of a day: a PDF signed with Ed25519."""
    with reported_errors():
        settings = get_settings()
        ctx = _context(settings)
        day = parse_as_of(as_of, ctx.today)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with writing(engine) as conn:
            issued = service.issue(
                conn,
                ctx,
                code,
                view=service.FULL if full else service.PUBLIC,
                as_of=day,
                actor="cli",
                base_url=service.public_base_url(),
                now=utcnow(),
            )
        try:
            output.write_bytes(issued.pdf)
        except OSError as e:
            raise BadRequest(f"cannot write {output}: {e}", code="cannot_write") from None
    console.print(f"report {issued.report_id} written to {output}", highlight=False)


def verify_command(
    path: Path = typer.Argument(..., help="A report PDF issued by this platform."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check a report's signature and whether its content has changed since it was issued.
    Exits 0 when the signature is valid, 1 when it is not (the file was altered)."""
    with reported_errors():
        try:
            with path.open("rb") as f:
                data = f.read(service.MAX_REPORT_BYTES + 1)
        except OSError as e:
            raise BadRequest(f"cannot read {path}: {e}", code="cannot_read") from None
        if len(data) > service.MAX_REPORT_BYTES:
            raise BadRequest(f"{path} is too large to be a report", code="report_too_large")
        settings = get_settings()
        ctx = _context(settings)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            result = service.verify(conn, ctx, data)
    if as_json:
        print_json(result.as_json())
    elif result.valid:
        console.print(
            f"[green]valid[/]: report {result.report_id}, issued {_when(result.issued_at)}",
            highlight=False,
        )
        if result.content_changed:
            console.print("the subject's content has changed since the report was issued")
        elif result.content_changed is False:
            console.print("the subject's content is unchanged since the report was issued")
    else:
        err_console.print(f"[bold red]invalid[/]: {result.problem}", highlight=False)
    if not result.valid:
        raise typer.Exit(1)


def _when(at: dt.datetime | None) -> str:
    return at.isoformat() if at is not None else "?"
