"""How a person or an organisation proves who it is at sign-in: swappable verifiers.

A verifier turns the evidence a client sends (``POST /api/v1/session``) into the subject's
code (a USCC or a resident identity number), or refuses with ``invalid_credentials``. The
setting ``identity_verifier`` names the one in force; :data:`VERIFIERS` maps names to
classes. The default, ``token``, accepts a subject access token from
``xinyong subjects token`` (demo, tests, counter service). An OIDC verifier is one more
class: validate the ``id_token`` against the provider's keys, read the identity number
from its claims, and register it here under ``oidc`` (see ``docs/subjects.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import Connection

from xinyong.auth.keys import Role, authenticate
from xinyong.errors import Unauthorized, ValidationFailed, XinyongError
from xinyong.me import repository as repo
from xinyong.settings import Settings

#: The label of session keys (``create_subject_token(..., label=SESSION_LABEL)``).
SESSION_LABEL = "session"


def invalid_credentials(message: str) -> Unauthorized:
    return Unauthorized(message, code="invalid_credentials")


class IdentityVerifier(Protocol):
    """Evidence in, the subject's code out."""

    #: what clients send as ``method`` to use this verifier
    method: str

    def verify(self, conn: Connection, evidence: Mapping[str, Any]) -> str:
        """The code of the subject the evidence proves; :class:`Unauthorized` with code
        ``invalid_credentials`` when it proves nothing."""
        ...


class TokenVerifier:
    """Evidence ``{"token": "xy_..."}``: a live subject access token (not a session key:
    a session cannot be stretched by signing in with it)."""

    method = "token"

    def verify(self, conn: Connection, evidence: Mapping[str, Any]) -> str:
        token = evidence.get("token")
        if not isinstance(token, str) or not token.strip():
            raise invalid_credentials('a subject access token is required ("token")')
        try:
            found = authenticate(conn, token.strip())
        except XinyongError:
            raise invalid_credentials("the token is not a valid subject access token") from None
        if found.role is not Role.subject or not found.subject_code:
            raise invalid_credentials("the token is not a subject access token")
        if repo.key_label(conn, found.key_id) == SESSION_LABEL:
            raise invalid_credentials("a session key cannot open another session")
        return found.subject_code


#: Verifiers by the name the ``identity_verifier`` setting uses.
VERIFIERS: dict[str, Callable[[Settings], IdentityVerifier]] = {
    "token": lambda _settings: TokenVerifier(),
}


def verifier_for(settings: Settings) -> IdentityVerifier:
    """The verifier the settings put in force."""
    make = VERIFIERS.get(settings.identity_verifier)
    if make is None:  # pragma: no cover - the setting's pattern allows known names only
        raise ValidationFailed(
            f"no identity verifier {settings.identity_verifier!r}", code="unknown_verifier"
        )
    return make(settings)
