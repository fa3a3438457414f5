"""``POST /api/v1/checks`` without FastAPI's request machinery, for valid JSON requests.

A single-subject check costs well under a millisecond of work of its own, so FastAPI's
per-request work (solving the dependencies, reading the body, parsing it with ``json`` and
validating the Python objects) is a large share of it. :class:`FastCheckRoute` is placed
before every other route: for a request with ``Content-Type: application/json`` whose body
is a valid :class:`~xinyong.checks.schemas.CheckIn`, it validates the body from its bytes
and calls :func:`xinyong.checks.router.answer_check`, as the FastAPI route does; errors go
through the app's exception handlers, as from any route. Anything else (another content
type, a body that is not a valid check) is handed, body and all, to the application's
router again, where the FastAPI route answers it exactly as before. The FastAPI route also
keeps the check in the OpenAPI document; this route is not in it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.checks.router import answer_check
from xinyong.checks.schemas import CheckIn

#: Set in the scope of a request handed back to the router: this route then does not match.
_HANDED_BACK = "xinyong.checks.handed_back"
#: What routing added to the scope, removed before routing the request again.
_ROUTED = ("endpoint", "path_params", "route", "fastapi")


class FastCheckRoute(Route):
    def __init__(self, path: str, router: ASGIApp) -> None:
        self.router = router
        super().__init__(path, endpoint=self.check, methods=["POST"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get(_HANDED_BACK):
            return Match.NONE, {}
        return super().matches(scope)

    async def check(self, request: Request) -> Response:
        headers = request.headers
        body = await request.body()
        if headers.get("content-type") != "application/json":
            return _HandBack(self.router, body)
        try:
            parsed = CheckIn.model_validate_json(body)
        except ValidationError:
            return _HandBack(self.router, body)
        return await answer_check(
            request, parsed, headers.get("authorization"), headers.get("x-api-key")
        )


class _HandBack(Response):
    """Route the request again, with the body already read, past :class:`FastCheckRoute`."""

    def __init__(self, router: ASGIApp, body: bytes) -> None:
        self.router = router
        self.request_body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        again: dict[str, Any] = {k: v for k, v in scope.items() if k not in _ROUTED}
        again[_HANDED_BACK] = True
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self.request_body, "more_body": False}
            return await receive()

        await self.router(again, replay, send)
