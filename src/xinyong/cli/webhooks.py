"""``xinyong webhooks``: deliver watch-list webhooks, read the delivery log, sweep watches."""

from __future__ import annotations

import json
import time

import typer
from rich.table import Table

from xinyong.catalogue import default_catalogue
from xinyong.cli.common import console, err_console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import NotFound, ValidationFailed
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.settings import get_settings
from xinyong.watch import repository as repo
from xinyong.watch.dispatcher import Dispatcher, deliver_due, sweep_all

app = typer.Typer(help="Watch-list webhooks: deliveries and retries.", no_args_is_help=True)

STATUSES = (repo.PENDING, repo.DELIVERED, repo.FAILED)


@app.command("deliver")
def deliver(
    loop: bool = typer.Option(
        False, "--loop", help="Keep delivering (and sweeping the watches) until interrupted."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Attempt every delivery that is due, once; with --loop, keep running like the API
    server's dispatcher (for when the server runs with XINYONG_WEBHOOK_DISPATCH=false)."""
    with reported_errors():
        settings = get_settings()
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        if loop:
            dispatcher = Dispatcher(engine, settings)
            dispatcher.start()
            err_console.print("Delivering webhooks; Ctrl-C stops.")
            try:
                while dispatcher.running:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
            finally:
                dispatcher.stop()
                engine.dispose()
            return
        counts = deliver_due(engine, settings)
        engine.dispose()
    out = {"delivered": counts.delivered, "retrying": counts.retrying, "failed": counts.failed}
    if as_json:
        print_json(out)
    else:
        console.print(", ".join(f"{k}: {v}" for k, v in out.items()), highlight=False)


@app.command("list")
def list_deliveries(
    status: str | None = typer.Option(None, help="pending, delivered or failed"),
    consumer: str | None = typer.Option(None, help="Only this consuming authority's."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest last."),
    after: int = typer.Option(0, min=0, help="Only deliveries after this id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The delivery log: each event, its consumer, status, attempts and last error."""
    with reported_errors():
        if status is not None and status not in STATUSES:
            raise ValidationFailed(
                f"status is one of {', '.join(STATUSES)}, not {status!r}", code="invalid_status"
            )
        engine = make_engine(get_settings().database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            rows = repo.deliveries(conn, consumer=consumer, status=status, after=after, limit=limit)
        engine.dispose()
    if as_json:
        print_json(
            [
                {
                    "id": d.id,
                    "event_id": d.event_id,
                    "consumer": d.consumer_code,
                    "status": d.status,
                    "attempts": d.attempts,
                    "url": d.url,
                    "next_attempt_at": d.next_attempt_at if d.status == repo.PENDING else None,
                    "last_error": d.last_error,
                    "created_at": d.created_at,
                    "delivered_at": d.delivered_at,
                    "event": json.loads(d.payload),
                }
                for d in rows
            ]
        )
        return
    table = Table("id", "consumer", "measure", "subject", "decision")
    table.add_column("status", no_wrap=True)
    table.add_column("tries", no_wrap=True)
    table.add_column("last error", overflow="fold")
    for d in rows:
        event = json.loads(d.payload)
        table.add_row(
            str(d.id),
            d.consumer_code,
            str(event.get("measure")),
            str(event.get("subject")),
            str(event.get("decision")),
            d.status,
            str(d.attempts),
            d.last_error or "",
        )
    console.print(table)


@app.command("retry")
def retry(event_id: str = typer.Argument(..., help="The event id of a failed delivery.")) -> None:
    """Queue a failed delivery again, due now, with a fresh count of attempts."""
    with reported_errors():
        engine = make_engine(get_settings().database_url)
        ensure_schema(engine)
        with writing(engine) as conn:
            if not repo.requeue(conn, event_id.strip(), utcnow()):
                raise NotFound(f"no failed delivery {event_id!r}", code="delivery_not_found")
        engine.dispose()
    err_console.print(f"{event_id}: queued again")


@app.command("sweep")
def sweep(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Re-decide every watch today now, queueing a delivery for each changed decision
    (decisions change by date too, when an entry's end passes)."""
    with reported_errors():
        settings = get_settings()
        catalogue = default_catalogue(settings.catalogue_path)
        schemes = load_schemes(settings.schemes_dir, catalogue)
        decl = load_declaration(settings.lists_path, catalogue, schemes)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        queued = sweep_all(engine, decl, schemes, day=today_in(settings))
        engine.dispose()
    if as_json:
        print_json({"queued": queued})
    else:
        console.print(f"queued: {queued}", highlight=False)
