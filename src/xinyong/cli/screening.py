"""``xinyong screening``: which subjects a name may stand for, and reviewers' decisions."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from xinyong.cli.common import console, print_json, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.types import utcnow
from xinyong.screening import service
from xinyong.screening.config import default_config
from xinyong.screening.schemas import ScreeningOut, Verdict

app = typer.Typer(help="Name screening for submissions without a code.", no_args_is_help=True)


@app.command("check")
def check(
    name: str = typer.Argument(..., help="The name to screen, Chinese or English."),
    code: str | None = typer.Option(
        None, "--code", help="The subject's USCC when known: an exact match is certain."
    ),
    kind: list[str] | None = typer.Option(
        None, "--kind", help="organisation or individual_business (repeatable; default both)."
    ),
    limit: int = typer.Option(10, "--limit", min=1, max=50, help="Most candidates shown."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The subjects NAME may stand for, best first, with scores and reasons."""
    with reported_errors():
        db = make_engine()
        ensure_schema(db)
        with db.connect() as conn, conn.begin():
            result = service.screen(
                conn, default_config(), name=name, code=code, kinds=kind, limit=limit
            )
        db.dispose()
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    _print(result)


def _print(result: ScreeningOut) -> None:
    q = result.query
    features = [
        f"place {q.place}" if q.place else "",
        f"legal form {q.legal_form}" if q.legal_form else "",
        f"branch {q.branch or '(no designation)'}" if q.branch is not None else "",
    ]
    console.print(
        f"[bold]{q.name}[/] -> {q.normalised} (core {q.core}"
        + "".join(f", {f}" for f in features if f)
        + ")",
        highlight=False,
    )
    if q.code is not None and not q.code_found:
        console.print(f"no screened subject has the code {q.code}", highlight=False)
    if not result.candidates:
        console.print("no candidates", highlight=False)
        return
    table = Table("#")
    table.add_column("score", no_wrap=True)
    table.add_column("subject", no_wrap=True)
    for column in ("name", "kind", "reasons", "review"):
        table.add_column(column)
    for rank, c in enumerate(result.candidates, 1):
        review = ""
        if c.review is not None:
            review = (
                f"{c.review.verdict.value} by {c.review.reviewer} "
                f"({c.review.decided_at:%Y-%m-%d}): {c.review.reason}"
            )
        name = c.name if c.matched_name == c.name else f"{c.name}\n(as {c.matched_name})"
        table.add_row(
            str(rank),
            f"{c.score:.4f}" + (" certain" if c.certain else ""),
            c.subject,
            name,
            c.kind,
            "; ".join(c.reasons),
            review,
            style="dim" if c.dismissed else None,
        )
    console.print(table)


@app.command("decide")
def decide(
    name: str = typer.Argument(..., help="The name that was screened."),
    subject: str = typer.Argument(..., help="The candidate's USCC."),
    verdict: Verdict = typer.Option(..., "--verdict", help="match or not_a_match."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who decides."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored decision as JSON."),
) -> None:
    """Record that SUBJECT is (not) the subject NAME stands for; later screenings of the
    same normalised name show and reuse it."""
    with reported_errors():
        db = make_engine()
        ensure_schema(db)
        with writing(db) as conn:
            stored = service.decide(
                conn,
                default_config(),
                name=name,
                subject=subject,
                verdict=verdict,
                reviewer=reviewer,
                reason=reason,
                decided_by=None,
                now=utcnow(),
            )
        db.dispose()
    if as_json:
        out: dict[str, Any] = stored.model_dump(mode="json")
        print_json(out)
        return
    console.print(
        f"recorded: {stored.subject} is {stored.verdict.value} for {stored.normalised} "
        f"(by {stored.reviewer}, {stored.decided_at:%Y-%m-%d %H:%M} UTC)",
        highlight=False,
    )
