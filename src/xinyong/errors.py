"""Typed errors. Each carries a stable ``code``, a human ``message`` and its HTTP status.

The API turns every :class:`XinyongError` into ``{"code", "message", ...details}`` with the
error's status; the CLI prints the message and exits non-zero. Codes never change once
released: clients branch on them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class XinyongError(Exception):
    """Base of every error that xinyong reports to a user."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class BadRequest(XinyongError):
    status = 400
    default_code = "bad_request"


class Unauthorized(XinyongError):
    status = 401
    default_code = "unauthorized"


class Forbidden(XinyongError):
    status = 403
    default_code = "forbidden"


class NotFound(XinyongError):
    status = 404
    default_code = "not_found"


class Conflict(XinyongError):
    status = 409
    default_code = "conflict"


class PayloadTooLarge(XinyongError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(XinyongError):
    status = 415
    default_code = "unsupported_media_type"


class Unavailable(XinyongError):
    """The platform cannot do it right now (a store it needs is down); try again."""

    status = 503
    default_code = "unavailable"


class ValidationFailed(XinyongError):
    """Input that breaks the catalogue or the API's schema; ``errors`` lists each problem."""

    status = 422
    default_code = "validation_failed"


class CatalogueError(XinyongError):
    """A catalogue, scheme or list declaration that does not validate."""

    status = 422
    default_code = "invalid_catalogue"
