"""``xinyong db``: the database schema."""

from __future__ import annotations

import typer

from xinyong.cli.common import console, reported_errors
from xinyong.db.engine import make_engine
from xinyong.db.migrate import current_revision, upgrade

app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: str = typer.Argument("head", help="Revision to migrate to."),
) -> None:
    """Create or migrate the schema of XINYONG_DATABASE_URL."""
    with reported_errors():
        engine = make_engine()
        upgrade(engine, revision)
        console.print(f"schema at revision [bold]{current_revision(engine)}[/] ({engine.url!r})")
