"""What every command shares: the console and turning typed errors into exit codes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xinyong.errors import XinyongError

console = Console()
err_console = Console(stderr=True)


def progress_bars(
    console: Console = err_console, *, disable: bool = False, transient: bool = False
) -> Progress:
    """The CLI's progress bars for long work: what, bar, done of all, time so far.
    ``transient``: the bars vanish when the work is done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
        transient=transient,
    )


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a :class:`XinyongError` as ``code: message`` on stderr and exit with 1."""
    try:
        yield
    except XinyongError as exc:
        err_console.print(f"[bold red]{exc.code}[/]: {exc.message}", highlight=False)
        raise typer.Exit(1) from None


def print_json(data: Any) -> None:
    """Print JSON to stdout, unformatted by Rich so that it can be piped."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)
