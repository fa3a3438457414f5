"""``xinyong template``: write a provider's Excel template for one record type."""

from __future__ import annotations

from pathlib import Path

import typer

from xinyong.catalogue import default_catalogue, load_catalogue
from xinyong.cli.common import console, reported_errors
from xinyong.errors import BadRequest
from xinyong.ingest.template import write_template


def template(
    record_type: str = typer.Argument(..., help="The record type's code, e.g. admin_penalty."),
    output: Path = typer.Option(..., "-o", "--output", help="The .xlsx file to write."),
    catalogue_path: Path | None = typer.Option(
        None, "--catalogue", help="A catalogue file instead of the configured one."
    ),
) -> None:
    """Write the Excel template (.xlsx) of a record type, with its notes and dropdowns."""
    with reported_errors():
        cat = load_catalogue(catalogue_path) if catalogue_path else default_catalogue()
        try:
            written = write_template(cat, record_type, output)
        except OSError as exc:
            raise BadRequest(
                f"cannot write {output}: {exc.strerror or exc}", code="cannot_write_file"
            ) from exc
    console.print(f"wrote {written}", highlight=False, soft_wrap=True)
