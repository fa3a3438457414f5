"""``xinyong objections``: list objections and escalate the overdue ones (the daily job)."""

from __future__ import annotations

import typer
from rich.table import Table

from xinyong.cli.common import console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest
from xinyong.ingest.importer import today_in
from xinyong.objections import service
from xinyong.objections.schemas import ObjectionItem
from xinyong.settings import get_settings

app = typer.Typer(
    help="Objections (异议): list them, escalate the overdue ones to the administrators.",
    no_args_is_help=True,
)


def _table(title: str, items: list[ObjectionItem]) -> Table:
    table = Table(title=title)
    for column in (
        "id",
        "subject",
        "target",
        "grounds",
        "decider",
        "status",
        "filed",
        "due",
        "overdue",
        "escalated",
        "outcome",
    ):
        table.add_column(column)
    for o in items:
        table.add_row(
            o.id,
            o.subject.name,
            o.target,
            o.grounds,
            o.decider,
            o.status,
            o.filed_on.isoformat(),
            o.due_on.isoformat(),
            "yes" if o.overdue else "",
            o.escalated_at.date().isoformat() if o.escalated_at else "",
            o.outcome or "",
        )
    return table


@app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help="open or decided"),
    overdue: bool = typer.Option(False, "--overdue", help="Only open ones past their due day."),
    limit: int = typer.Option(100, min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every objection (or the open, decided or overdue ones), in filing order."""
    with reported_errors():
        if status not in (None, "open", "decided"):
            raise BadRequest("--status is open or decided", code="invalid_status")
        settings = get_settings()
        today = today_in(settings)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            found = service.page(
                conn,
                None,
                status=status,
                overdue=True if overdue else None,
                escalated=None,
                after=None,
                limit=limit,
                today=today,
            )
        engine.dispose()
    if as_json:
        print_json({"today": today.isoformat(), **found.model_dump(mode="json")})
        return
    console.print(_table(f"objections on {today}", found.items))


@app.command("escalate")
def escalate_command(as_json: bool = typer.Option(False, "--json")) -> None:
    """Escalate every open objection past its due day to the platform's administrators
    (run daily; what is escalated once is not escalated again)."""
    with reported_errors():
        settings = get_settings()
        today = today_in(settings)
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with writing(engine) as conn:
            ids = service.escalate_overdue(conn, today, utcnow())
            items = service.summaries(conn, ids, today)
        engine.dispose()
    if as_json:
        print_json(
            {
                "today": today.isoformat(),
                "escalated": [o.model_dump(mode="json") for o in items],
            }
        )
        return
    if not items:
        console.print(f"no objection to escalate on {today}", highlight=False)
        return
    console.print(_table(f"{len(items)} objections escalated on {today}", items))
