"""``xinyong keys``: API keys for authorities and auditors; revoking a key."""

from __future__ import annotations

import re

import typer

from xinyong.audit.service import CLI
from xinyong.auth.keys import Role, create_key, revoke_key
from xinyong.catalogue import default_catalogue
from xinyong.cli.common import err_console, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.errors import NotFound, ValidationFailed
from xinyong.lists.loader import default_declaration

app = typer.Typer(
    help="API keys of provider authorities, consuming authorities, administrators and "
    "auditors: create, revoke.",
    no_args_is_help=True,
)


@app.command("create")
def create(
    provider: str | None = typer.Option(None, help="Provider code from the catalogue."),
    consumer: str | None = typer.Option(
        None, help="A consuming authority's code (it checks subjects before applying measures)."
    ),
    admin: bool = typer.Option(False, "--admin", help="A platform administrator's key."),
    auditor: bool = typer.Option(
        False, "--auditor", help="An auditor's key: reads and verifies the audit log, no more."
    ),
    record_types: str | None = typer.Option(
        None, help="Comma-separated record types (default: all the provider may submit)."
    ),
    measures: str | None = typer.Option(
        None, help="Comma-separated measures the consumer applies (required with --consumer)."
    ),
    label: str | None = typer.Option(None, help="A note on who holds the key."),
) -> None:
    """Create a key and print it once on stdout. It cannot be shown again. The audit log
    records its creation (never the secret)."""
    with reported_errors():
        if sum((bool(provider), bool(consumer), admin, auditor)) != 1:
            raise ValidationFailed(
                "give exactly one of --provider CODE, --consumer CODE, --admin or --auditor",
                code="invalid_arguments",
            )
        if consumer is not None:
            scoped = _measures(consumer, measures)
        engine = make_engine()
        ensure_schema(engine)
        with writing(engine) as conn:
            if admin or auditor:
                key = create_key(
                    conn, Role.admin if admin else Role.auditor, label=label, actor=CLI
                )
            elif consumer is not None:
                key = create_key(
                    conn,
                    Role.consumer,
                    consumer_code=consumer,
                    scopes=scoped,
                    label=label,
                    actor=CLI,
                )
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
                    conn,
                    Role.provider,
                    provider_code=provider,
                    scopes=scopes,
                    label=label,
                    actor=CLI,
                )
        typer.echo(key)
        err_console.print("Keep it safe: this key is shown only once.")


@app.command("revoke")
def revoke(
    prefix: str = typer.Argument(
        ..., help="The key's prefix (the part after 'xy_'), or the whole key."
    ),
) -> None:
    """Deactivate a key for good; the audit log records it. The check API's key cache may
    accept the key for up to its TTL (a few seconds) after this."""
    with reported_errors():
        engine = make_engine()
        ensure_schema(engine)
        with writing(engine) as conn:
            found = revoke_key(conn, prefix, actor=CLI)
        engine.dispose()
    who = found["provider"] or found["consumer"] or ""
    typer.echo(f"revoked {found['prefix']} ({found['role']}{' ' + who if who else ''})")


def _measures(consumer: str, measures: str | None) -> tuple[str, ...]:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,63}", consumer):
        raise ValidationFailed(
            f"a consumer code is 2-64 lower-case letters, digits or '_', not {consumer!r}",
            code="invalid_consumer",
        )
    wanted = tuple(m.strip() for m in (measures or "").split(",") if m.strip())
    if not wanted:
        raise ValidationFailed(
            "a consumer's key is scoped to measures: --measures M1,M2", code="measures_required"
        )
    declared = default_declaration()
    unknown = sorted(m for m in wanted if declared.measure(m) is None)
    if unknown:
        known = ", ".join(m.code for m in declared.measures)
        raise NotFound(f"no measure {', '.join(unknown)} (known: {known})", code="unknown_measure")
    return wanted
