"""``xinyong keys``: API keys for authorities."""

from __future__ import annotations

import typer

from xinyong.auth.keys import Role, create_key
from xinyong.catalogue import default_catalogue
from xinyong.cli.common import err_console, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.errors import NotFound, ValidationFailed

app = typer.Typer(help="API keys of provider authorities and administrators.", no_args_is_help=True)


@app.command("create")
def create(
    provider: str | None = typer.Option(None, help="Provider code from the catalogue."),
    admin: bool = typer.Option(False, "--admin", help="A platform administrator's key."),
    record_types: str | None = typer.Option(
        None, help="Comma-separated record types (default: all the provider may submit)."
    ),
    label: str | None = typer.Option(None, help="A note on who holds the key."),
) -> None:
    """Create a key and print it once on stdout. It cannot be shown again."""
    with reported_errors():
        if bool(provider) == admin:
            raise ValidationFailed(
                "give exactly one of --provider CODE or --admin", code="invalid_arguments"
            )
        engine = make_engine()
        ensure_schema(engine)
        with writing(engine) as conn:
            if admin:
                key = create_key(conn, Role.admin, label=label)
            else:
                assert provider is not None
                found = default_catalogue().provider(provider)
                if found is None:
                    raise NotFound(
                        f"no provider {provider!r} in the catalogue", code="unknown_provider"
                    )
                scopes = tuple(found.record_types)
                if record_types:
                    wanted = tuple(t.strip() for t in record_types.split(",") if t.strip())
                    extra = sorted(set(wanted) - set(scopes))
                    if extra:
                        raise ValidationFailed(
                            f"{provider!r} may not submit {', '.join(extra)}",
                            code="record_type_not_allowed",
                        )
                    scopes = wanted
                key = create_key(
                    conn, Role.provider, provider_code=provider, scopes=scopes, label=label
                )
        typer.echo(key)
        err_console.print("Keep it safe: this key is shown only once.")
