"""``xinyong subjects``: subject access tokens, for the demo, tests and counter service."""

from __future__ import annotations

import typer

from xinyong.audit import service as audit
from xinyong.auth.keys import create_subject_token
from xinyong.cli.common import err_console, reported_errors
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.errors import NotFound, ValidationFailed
from xinyong.identifiers import IdentifierError, validate_ric, validate_uscc
from xinyong.me import repository as me_repo
from xinyong.rights.model import default_rights

app = typer.Typer(
    help="Subjects: access tokens with which a subject signs in and reads its own file.",
    no_args_is_help=True,
)


def normalised(code: str) -> str:
    """A USCC or resident identity number, normalised; ``invalid_subject_code`` otherwise."""
    for validate in (validate_uscc, validate_ric):
        try:
            return validate(code.strip())
        except IdentifierError:
            continue
    raise ValidationFailed(
        f"{code[:40]!r} is neither a Unified Social Credit Code nor a resident identity number",
        code="invalid_subject_code",
    )


@app.command("token")
def token(
    code: str = typer.Argument(..., help="The subject's USCC or resident identity number."),
    days: int | None = typer.Option(
        None, min=1, max=366, help="Days the token is valid (default: rights.subjects.token_days)."
    ),
    label: str | None = typer.Option(None, help="A note on who holds the token."),
) -> None:
    """Print a subject access token once on stdout. The subject signs in with it
    (``POST /api/v1/session``) or uses it as a bearer key on ``/api/v1/me``."""
    with reported_errors():
        subject_code = normalised(code)
        valid_days = days if days is not None else default_rights().subjects.token_days
        engine = make_engine()
        ensure_schema(engine)
        with writing(engine) as conn:
            entity = me_repo.entity_by_code(conn, subject_code)
            if entity is None:
                raise NotFound("the platform holds no file on this subject", code="unknown_subject")
            key = create_subject_token(
                conn,
                subject_code,
                hours=valid_days * 24,
                label=f"token: {label}" if label else "token",
                actor=audit.CLI,
            )
            row = me_repo.key_by_prefix(conn, key.split("_", 2)[1])
            assert row is not None
            expires_at = row["expires_at"]
        engine.dispose()
        typer.echo(key)
        err_console.print(
            f"A subject token, valid {valid_days} days (until {expires_at:%Y-%m-%d %H:%M} UTC). "
            "It is shown only once."
        )
