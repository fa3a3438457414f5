"""``xinyong subjects``: placeholder, filled in by issue 5."""

from __future__ import annotations

import typer

app = typer.Typer(help="subjects", no_args_is_help=True)
