"""``xinyong catalogue``: check a catalogue file and show its record types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from xinyong.catalogue import Catalogue, RecordType, default_catalogue, load_catalogue
from xinyong.cli.common import console, err_console, print_json, reported_errors
from xinyong.errors import CatalogueError, NotFound

app = typer.Typer(
    help="The catalogue: what may be collected, by whom, and how it is shown.",
    no_args_is_help=True,
)


@app.command()
def check(
    path: Path = typer.Argument(..., help="The catalogue YAML file to validate."),
) -> None:
    """Validate a catalogue file; list every problem and exit 1 if it is wrong."""
    try:
        cat = load_catalogue(path)
    except CatalogueError as exc:
        problems: list[dict[str, Any]] = exc.details.get("problems") or [
            {"location": "", "message": exc.message}
        ]
        err_console.print(
            f"[bold red]{exc.code}[/]: {path} has {len(problems)} problem(s)", highlight=False
        )
        for p in problems:
            where = p.get("location") or "catalogue"
            err_console.print(f"  [bold]{where}[/]: {p.get('message', '')}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[bold green]valid[/]: {path} (version {cat.version})", highlight=False)
    table = Table(show_header=False)
    table.add_row("record types 信息类别", str(len(cat.record_types)))
    table.add_row("providers 报送单位", str(len(cat.providers)))
    table.add_row("prohibited classes 禁止采集类别", str(len(cat.prohibited_classes)))
    console.print(table)


@app.command()
def show(
    code: str | None = typer.Argument(None, help="A record type's code; all when left out."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    catalogue_path: Path | None = typer.Option(
        None, "--catalogue", help="A catalogue file instead of the configured one."
    ),
) -> None:
    """Show the record types, or one record type with its fields."""
    with reported_errors():
        cat = load_catalogue(catalogue_path) if catalogue_path else default_catalogue()
        if code is None:
            if as_json:
                print_json([rt.model_dump(mode="json") for rt in cat.record_types])
            else:
                console.print(_types_table(cat))
            return
        rt = cat.record_type(code)
        if rt is None:
            raise NotFound(f"no record type {code!r} in the catalogue", code="unknown_record_type")
        if as_json:
            print_json(rt.model_dump(mode="json"))
        else:
            _print_type(rt, cat)


def publicity_text(rt: RecordType) -> str:
    """Publicity periods as ``general 3–12 mo``, one per line; ``∞`` for no end."""
    lines = []
    for key, p in rt.publicity.items():
        top = "∞" if p.maximum_months is None else str(p.maximum_months)
        lines.append(f"{key} {p.minimum_months}–{top} mo")
    return "\n".join(lines)


def disclosure_text(rt: RecordType) -> str:
    text = rt.disclosure.value
    if rt.disclosure_for_persons is not None:
        text += f"\n(persons: {rt.disclosure_for_persons.value})"
    return text


def _types_table(cat: Catalogue) -> Table:
    table = Table(title=f"Record types 信息类别 (catalogue {cat.version})", show_lines=True)
    table.add_column("code", no_wrap=True)
    for col in ("中文", "English", "polarity", "kinds", "severities"):
        table.add_column(col, overflow="fold")
    table.add_column("disclosure", overflow="fold")
    table.add_column("publicity", overflow="fold")
    for rt in cat.record_types:
        table.add_row(
            rt.code,
            rt.name.zh,
            rt.name.en,
            rt.polarity.value,
            "\n".join(k.value for k in rt.subject_kinds),
            "\n".join(s.value for s in rt.severities) or "-",
            disclosure_text(rt),
            publicity_text(rt),
        )
    return table


def _print_type(rt: RecordType, cat: Catalogue) -> None:
    about = Table(title=f"{rt.code}: {rt.name.zh} / {rt.name.en}", show_header=False)
    about.add_column(no_wrap=True)
    about.add_column(overflow="fold")
    providers = [p.code for p in cat.providers if rt.code in p.record_types]
    rows = [
        ("category", rt.category),
        ("polarity", rt.polarity.value),
        ("subject kinds", ", ".join(k.value for k in rt.subject_kinds)),
        ("severities", ", ".join(s.value for s in rt.severities) or "-"),
        ("publicity", publicity_text(rt)),
        ("disclosure", disclosure_text(rt)),
        ("retention", f"{rt.retention_years} years"),
        ("legal basis required", _yes(rt.legal_basis_required)),
        ("document number required", _yes(rt.document_number_required)),
        ("subject may hide", _yes(rt.subject_may_hide)),
        ("legal reference", rt.legal_reference),
        ("providers", ", ".join(providers) or "-"),
    ]
    for key, value in rows:
        about.add_row(key, value)
    console.print(about)
    fields = Table(title="Fields 字段", show_lines=True)
    fields.add_column("code", no_wrap=True)
    for col in ("中文", "English", "type", "required", "choices", "description"):
        fields.add_column(col, overflow="fold")
    for f in rt.fields:
        fields.add_row(
            f.code,
            f.name.zh,
            f.name.en,
            f.type.value,
            _yes(f.required),
            "\n".join(f.choices),
            f.description or "",
        )
    console.print(fields)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
