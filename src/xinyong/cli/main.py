"""The ``xinyong`` command: each command group lives in its own module."""

from __future__ import annotations

import typer

from xinyong.cli import (
    audit,
    catalogue,
    check,
    db,
    demo,
    expire,
    generate,
    importing,
    keys,
    lists,
    objections,
    rating,
    report,
    screening,
    serve,
    subjects,
    template,
    webhooks,
)
from xinyong.cli.impact import impact_command

app = typer.Typer(
    name="xinyong",
    help="xinyong (信用): the public credit information platform.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(lists.app, name="lists")
app.add_typer(screening.app, name="screening")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(audit.app, name="audit")
app.add_typer(objections.app, name="objections")
app.add_typer(subjects.app, name="subjects")
app.add_typer(rating.schemes_app, name="schemes")
app.command("rate")(rating.rate_command)
app.command("check")(check.check_command)
app.command("impact")(impact_command)
app.command("import")(importing.import_command)
app.command("serve")(serve.serve)
app.command("template")(template.template)
app.command("generate")(generate.generate)
app.command("demo")(demo.demo)
app.command("expire")(expire.expire_command)
app.command("report")(report.report_command)
app.command("verify")(report.verify_command)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # python -m xinyong.cli.main
    app()
