"""``xinyong audit``: verify the hash-chained audit log, export its head, show its entries."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from xinyong.audit import service
from xinyong.audit.chain import GENESIS
from xinyong.cli.common import console, print_json, progress_bars, reported_errors
from xinyong.db.engine import make_engine
from xinyong.db.migrate import ensure_schema
from xinyong.errors import BadRequest
from xinyong.settings import get_settings

app = typer.Typer(
    help="The tamper-evident audit log: verify the chain, export its head, show entries.",
    no_args_is_help=True,
)

#: ``xinyong audit verify`` exits with this when the chain is broken (1: it could not run).
BROKEN = 2


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="SEQ:HASH printed earlier by `xinyong audit head`: the chain must still hold "
        "that entry unchanged (this also catches entries cut off the end).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Recompute every entry's hash and link, from the first. Exits 0 when the chain is
    intact, 2 naming the first broken entry (altered, deleted, reordered), 1 on errors."""
    with reported_errors():
        try:
            held = service.parse_anchor(anchor) if anchor is not None else None
        except ValueError as exc:
            raise BadRequest(str(exc), code="invalid_anchor") from None
        engine = make_engine(get_settings().database_url)
        ensure_schema(engine)
        with (
            progress_bars(transient=True, disable=as_json) as bar,
            engine.connect() as conn,
            conn.begin(),
        ):
            task = bar.add_task("verifying the audit log", total=None)
            result = service.verify(
                conn,
                anchor=held,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        engine.dispose()
    if as_json:
        print_json(_verdict(result))
    elif result.ok:
        head = result.head.anchor() if result.head else f"0:{GENESIS}"
        console.print(
            f"[green]intact[/]: {result.entries:,} entries; head {head}"
            + (f" (holds the anchored entry {held.seq})" if held is not None else ""),
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"[bold red]broken at entry {result.broken_seq}[/]: {result.problem} "
            f"({result.entries:,} entries intact before it)",
            highlight=False,
            soft_wrap=True,
        )
    if not result.ok:
        raise typer.Exit(BROKEN)


def _verdict(result: service.Verification) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "entries": result.entries,
        "broken_seq": result.broken_seq,
        "problem": result.problem,
        "head": _head(result.head) if result.ok else None,
    }


def _head(head: service.Head | None) -> dict[str, Any]:
    h = head or service.Head(0, GENESIS)
    return {"seq": h.seq, "hash": h.hash, "anchor": h.anchor()}


@app.command("head")
def head(
    as_json: bool = typer.Option(False, "--json", help="{seq, hash, anchor} as JSON."),
) -> None:
    """Print the chain's head as SEQ:HASH: publish it elsewhere, and verify against it later
    with `xinyong audit verify --anchor SEQ:HASH`."""
    with reported_errors():
        engine = make_engine(get_settings().database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            found = service.head(conn)
        engine.dispose()
    if as_json:
        print_json(_head(found))
    else:
        typer.echo(_head(found)["anchor"])


@app.command("show")
def show(
    after: int = typer.Option(0, "--after", min=0, help="Entries after this seq."),
    limit: int = typer.Option(50, "--limit", min=1, max=100_000, help="How many entries."),
    action: str | None = typer.Option(
        None, "--action", help="One action (check.logged), or a prefix (objection.*)."
    ),
    as_json: bool = typer.Option(False, "--json", help="The entries as JSON."),
) -> None:
    """Show entries of the audit log in order."""
    with reported_errors():
        engine = make_engine(get_settings().database_url)
        ensure_schema(engine)
        with engine.connect() as conn:
            rows = service.page(conn, after=after, limit=limit, action=action)
        engine.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"audit log, {len(rows)} entries after {after}")
    table.add_column("seq", justify="right", no_wrap=True)
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("actor", overflow="fold")
    table.add_column("action", no_wrap=True)
    table.add_column("target", overflow="fold")
    table.add_column("details", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            str(r["seq"]),
            r["at"].strftime("%Y-%m-%d %H:%M:%S"),
            r["actor"],
            r["action"],
            r["target"] or "",
            _summary(r["details"]),
        )
    console.print(table)
    console.print("--json for every field, with each entry's hash", style="dim")


def _summary(details: dict[str, Any], width: int = 80) -> str:
    parts = []
    for key, value in details.items():
        if isinstance(value, list):
            parts.append(f"{key}: {len(value)} items")
        elif isinstance(value, dict):
            parts.append(f"{key}: {{{', '.join(map(str, value))}}}")
        else:
            parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"
