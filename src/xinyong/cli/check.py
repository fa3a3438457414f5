"""``xinyong check``: does a measure apply to these subjects? Logged like an API check."""

from __future__ import annotations

import getpass

import typer
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.checks import service
from xinyong.cli.common import console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import ValidationFailed
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.settings import get_settings
from xinyong.timetravel import known_by, parse_as_of


def check_command(
    subjects: list[str] = typer.Argument(..., help="USCCs or resident identity numbers."),
    measure: str = typer.Option(..., "--measure", help="The measure's code."),
    purpose: str = typer.Option(
        ..., "--purpose", help="Why you check; logged and shown to the subjects."
    ),
    reference: str | None = typer.Option(None, "--reference", help="Your case number."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Decide as the platform would have on this day (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON."),
) -> None:
    """Decide a measure for subjects, as the platform (logged as consumer 'platform')."""
    with reported_errors():
        settings = get_settings()
        if len(subjects) > settings.max_check_subjects:
            raise ValidationFailed(
                f"at most {settings.max_check_subjects:,} subjects", code="too_many_subjects"
            )
        catalogue = default_catalogue()
        schemes = load_schemes(settings.schemes_dir, catalogue)
        decl = load_declaration(settings.lists_path, catalogue, schemes)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        asker = service.Asker(service.PLATFORM, None, None)
        today = today_in(settings)
        day = parse_as_of(as_of, today)
        past = (
            None
            if day is None
            else service.AsOf(day, known_by(day, today, settings.timezone), catalogue)
        )
        with writing(engine) as conn:
            result = service.prepare_check(
                conn,
                decl,
                schemes,
                asker,
                measure_code=measure,
                codes=subjects,
                purpose=f"{purpose} (cli: {getpass.getuser()})",
                reference=reference,
                day=today,
                now=utcnow(),
                as_of=past,
            )
            service.log_now(conn, result)
        engine.dispose()
    m = result.measure
    out = service.check_json(result)
    if as_json:
        print_json(out)
        return
    table = Table(title=f"{m.name.zh} {m.name.en} ({m.code}) on {result.day}")
    for column in ("subject", "decision", "basis"):
        table.add_column(column)
    for d in result.decisions:
        basis = "; ".join(
            f"{b.list or b.scheme} {b.record_id or b.grade} {b.since}..{b.until or ''}"
            for b in d.basis
        )
        table.add_row(d.subject, d.decision, basis or (d.problem or ""))
    console.print(table)
    console.print(f"check {result.check_id}, data version {result.data_version}", highlight=False)
