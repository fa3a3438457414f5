"""The ``xinyong`` command: each command group lives in its own module."""

from __future__ import annotations

import typer

from xinyong.cli import catalogue

app = typer.Typer(
    name="xinyong",
    help="xinyong (信用): the public credit information platform.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(catalogue.app, name="catalogue")


def main() -> None:  # pragma: no cover - console entry point
    app()
