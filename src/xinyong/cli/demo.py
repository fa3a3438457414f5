"""``xinyong demo``: build a demo city on the configured database and serve it."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import typer
from rich.progress import (
    Progress,
)
from sqlalchemy import Connection, Engine, func, select

from xinyong.auth.keys import Role, create_key, create_subject_token
from xinyong.catalogue import default_catalogue
from xinyong.catalogue.model import SubjectKind
from xinyong.changes import lists_refreshed
from xinyong.cli.common import console, progress_bars, reported_errors
from xinyong.cli.importing import bar_for
from xinyong.dates import add_months
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.tables import records
from xinyong.db.types import utcnow
from xinyong.ingest.importer import files_to_import, import_files, today_in
from xinyong.ingest.workers import validator_for
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.rating.service import rate_schemes
from xinyong.restorations.repository import restorable_examples
from xinyong.rights.model import load_rights
from xinyong.settings import get_settings
from xinyong.synth import generate_city
from xinyong.synth.activity import Keys, simulate

DEMO_PROVIDERS = ("market_regulation", "court", "tax")


def demo(
    orgs: int = typer.Option(50_000, help="Organisations in the demo city."),
    persons: int = typer.Option(200_000, help="Natural persons in the demo city."),
    records_total: int | None = typer.Option(
        None, "--records", help="Records in all (default: about 12 per organisation, 2 per person)."
    ),
    years: int = typer.Option(5, help="Years of history."),
    seed: int = typer.Option(2026, help="Seed of the synthetic city."),
    data_dir: Path = typer.Option(Path("var/demo-data"), help="Where the city's files go."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
    serve: bool = typer.Option(True, help="Serve the portal and API when the city is built."),
) -> None:
    """Build the demo city once (generate, import, keys), then serve it.

    A database that already holds records is served as it is: ``make clean`` starts over.
    """
    with reported_errors():
        settings = get_settings()
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            existing = conn.execute(select(func.count()).select_from(records)).scalar_one()
        if existing:
            console.print(f"The demo city is already built ({existing:,} records).")
        else:
            _build(engine, orgs, persons, records_total, years, seed, data_dir)
        if serve:
            from xinyong.cli.serve import serve as serve_command

            # every option named: called directly, the defaults would be typer's objects
            serve_command(host=host, port=port, access_log=True, warm=True, workers=1)


#: Consuming authorities of the demo, with the measures they apply at their counters.
DEMO_CONSUMERS = {
    "civil_aviation": ("restrict_flights_rail", "restrict_high_consumption"),
    "public_procurement": ("restrict_procurement", "restrict_subsidies"),
    "permits_office": ("green_channel", "reduce_inspections", "deposit_free"),
}


def _build(
    engine: object,
    orgs: int,
    persons: int,
    records_total: int | None,
    years: int,
    seed: int,
    data_dir: Path,
) -> None:

    assert isinstance(engine, Engine)
    settings = get_settings()
    catalogue = default_catalogue(settings.catalogue_path)
    started = time.monotonic()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    with _bars() as bar:
        task = bar.add_task("generating the city", total=None)
        generate_city(
            catalogue,
            orgs,
            persons,
            years,
            seed,
            data_dir,
            records=records_total,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    files = files_to_import(data_dir, None)
    with (
        validator_for(catalogue, sum(f.stat().st_size for f, _ in files), engine) as validator,
        _bars() as bar,
    ):
        summaries, failures = import_files(
            engine,
            catalogue,
            settings,
            files,
            progress_for=lambda file, _code: bar_for(bar, f"importing {file.name}"),
            validator=validator,
            refresh_lists=False,  # once for everyone after rating, below
        )
    for summary in summaries:
        if summary.rejected:
            console.print(f"[yellow]{summary.file}: {summary.rejected:,} rows rejected[/]")
    for failure in failures:
        console.print(f"[red]{failure.file}: {failure.code}: {failure.message}[/]")
    with _bars() as bar, writing(engine) as conn:
        schemes = load_schemes(settings.schemes_dir, catalogue)
        task = bar.add_task("rating everyone", total=None)

        def stage(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"rating: {what}", completed=done, total=total)

        today = today_in(settings)
        rate_schemes(
            conn,
            catalogue,
            list(schemes.values()),
            as_of=today,
            today=today,
            now=utcnow(),
            timezone=settings.timezone,
            progress=stage,
        )
        bar.update(task, description=f"rated everyone ({', '.join(schemes)})")
        task = bar.add_task("list entries", total=None)
        lists_refreshed(
            conn,
            catalogue,
            schemes,
            load_declaration(settings.lists_path, catalogue, schemes),
            None,
            today=today,
            now=utcnow(),
            reason="demo city",
        )
        bar.update(task, total=1, completed=1)
    keys_file = Path("var/demo-keys.txt")
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    providers: dict[str, str] = {}
    consumers: dict[str, str] = {}
    with writing(engine) as conn:
        for code in DEMO_PROVIDERS:
            found = catalogue.provider(code)
            assert found is not None
            key = create_key(
                conn,
                Role.provider,
                provider_code=code,
                scopes=tuple(found.record_types),
                label="demo",
            )
            providers[code] = key
            lines.append(f"provider {code}: {key}")
        admin = create_key(conn, Role.admin, label="demo")
        lines.append(f"admin: {admin}")
        lines.append(f"auditor: {create_key(conn, Role.auditor, label='demo')}")
        for consumer, measures in DEMO_CONSUMERS.items():
            key = create_key(
                conn, Role.consumer, consumer_code=consumer, scopes=measures, label="demo"
            )
            consumers[consumer] = key
            lines.append(f"consumer {consumer} ({', '.join(measures)}): {key}")
        tokens, handed_out = _subject_tokens(conn, today_in(settings))
        lines += tokens
    keys_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with _bars() as bar:
        task = bar.add_task("the city's work of the past months", total=None)
        done = simulate(
            engine,
            catalogue,
            schemes,
            load_declaration(settings.lists_path, catalogue, schemes),
            load_rights(settings.rights_path, catalogue),
            settings,
            Keys(providers, admin, consumers),
            today=today_in(settings),
            avoid=frozenset(handed_out),
            progress=lambda what, n, total: bar.update(task, completed=n, total=total),
        )
    console.print(
        f"The past months: {done.checks:,} checks with {done.feedback:,} feedback items, "
        f"{done.objections:,} objections ({done.objections_decided:,} decided), "
        f"{done.restorations:,} restoration applications ({done.restorations_decided:,} decided)."
    )
    for skipped in done.skipped[:5]:
        console.print(f"[dim]refused by the rules, as it should be: {skipped}[/]")
    console.print(
        f"Built the demo city in {time.monotonic() - started:.0f} s. "
        f"API keys for trying it out are in {keys_file}."
    )


def _subject_tokens(conn: Connection, today: dt.date) -> tuple[list[str], list[str]]:
    """Subject tokens (30 days) for a company and a person with a fine of market regulation
    (a demo provider) they may apply to restore: to try objections, restoration and the
    subject's own file. Also the codes of these subjects (the simulated work leaves them
    alone)."""
    lines = []
    codes = []
    for kind in (SubjectKind.organisation, SubjectKind.person):
        found = restorable_examples(
            conn, kind.value, "admin_penalty", "market_regulation", add_months(today, -3), today
        )
        if found is None:
            continue
        shown = found["public_id"] if kind is SubjectKind.person else found["code"]
        token = create_subject_token(conn, found["code"], hours=24 * 30, label="demo")
        codes.append(str(found["code"]))
        lines.append(
            f"subject {kind.value} {shown} {found['name']} (may restore {found['record_id']}): "
            f"{token}"
        )
    return lines, codes


def _bars() -> Progress:
    return progress_bars(console)
