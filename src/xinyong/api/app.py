"""The application factory: ``create_app()`` wires settings, database, catalogue, routers."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import xinyong
from xinyong.auth.keys import KeyCache
from xinyong.catalogue import default_catalogue
from xinyong.catalogue.model import Catalogue
from xinyong.checks.fast import FastCheckRoute
from xinyong.checks.log_writer import CheckLogWriter, LoopReader
from xinyong.db.engine import make_engine
from xinyong.db.migrate import ensure_schema
from xinyong.divisions import load_divisions
from xinyong.errors import XinyongError
from xinyong.lists.loader import load_declaration
from xinyong.lists.model import Declaration
from xinyong.rating.loader import load_schemes
from xinyong.rating.model import Scheme
from xinyong.restorations.eligibility import max_request_bytes
from xinyong.rights.model import Rights, load_rights
from xinyong.settings import Settings, get_settings
from xinyong.watch.dispatcher import Dispatcher

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    catalogue: Catalogue | None = None,
    schemes: dict[str, Scheme] | None = None,
    declaration: Declaration | None = None,
    rights: Rights | None = None,
) -> FastAPI:
    """Build the ASGI application. The schema is created or migrated on start-up."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    catalogue = catalogue or default_catalogue(settings.catalogue_path)
    if schemes is None:
        schemes = load_schemes(settings.schemes_dir, catalogue)

    if declaration is None:
        declaration = load_declaration(settings.lists_path, catalogue, schemes)
    if rights is None:
        rights = load_rights(settings.rights_path, catalogue)
    divisions = load_divisions(settings.divisions_path)
    check_log = CheckLogWriter(engine, settings.check_log_socket)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ensure_schema(engine)
        check_log.start()
        dispatcher = (
            Dispatcher(engine, settings, declaration=declaration, schemes=schemes)
            if settings.webhook_dispatch
            else None
        )
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            check_log.stop()
            app.state.check_reader.close()

    app = FastAPI(
        title="xinyong",
        summary="Public credit information platform: records, subjects, catalogue.",
        version=xinyong.__version__,
        default_response_class=JSONResponse,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.catalogue = catalogue
    app.state.schemes = schemes
    app.state.declaration = declaration
    app.state.rights = rights
    app.state.divisions = divisions
    app.state.check_log = check_log
    app.state.check_reader = LoopReader(engine)
    app.state.keys = KeyCache(settings.key_cache_seconds)
    _install_error_handlers(app)
    app.add_middleware(
        RequestGuard,
        limit=settings.max_request_bytes,
        upload_limit=settings.max_upload_bytes,
        # an application for restoration carries its evidence in the JSON body
        path_limits={
            f"{API_PREFIX}/restorations": max(
                settings.max_request_bytes, max_request_bytes(rights.restorations)
            )
        },
    )

    from xinyong.access.router import router as access_router
    from xinyong.audit.router import router as audit_router
    from xinyong.catalogue.router import router as catalogue_router
    from xinyong.checks.router import router as checks_router
    from xinyong.entities.router import router as entities_router
    from xinyong.ingest.router import router as ingest_router
    from xinyong.lists.router import router as lists_router
    from xinyong.me.router import router as me_router
    from xinyong.objections.router import router as objections_router
    from xinyong.portal.console.router import router as console_router
    from xinyong.portal.router import router as portal_router
    from xinyong.portal.statistics.router import router as statistics_router
    from xinyong.portal.subject.router import router as subject_pages_router
    from xinyong.rating.router import router as rating_router
    from xinyong.reports.router import router as reports_router
    from xinyong.restorations.router import router as restorations_router
    from xinyong.screening.router import router as screening_router
    from xinyong.watch.router import router as watch_router

    # The check API first: routes are tried in order, and it is the hottest path.
    app.include_router(checks_router, prefix=API_PREFIX)
    app.include_router(catalogue_router, prefix=API_PREFIX)
    app.include_router(ingest_router, prefix=API_PREFIX)
    app.include_router(entities_router, prefix=API_PREFIX)
    app.include_router(rating_router, prefix=API_PREFIX)
    app.include_router(lists_router, prefix=API_PREFIX)
    app.include_router(screening_router, prefix=API_PREFIX)
    app.include_router(watch_router, prefix=API_PREFIX)
    app.include_router(objections_router, prefix=API_PREFIX)
    app.include_router(restorations_router, prefix=API_PREFIX)
    app.include_router(me_router, prefix=API_PREFIX)
    app.include_router(access_router, prefix=API_PREFIX)
    app.include_router(audit_router, prefix=API_PREFIX)
    app.include_router(reports_router, prefix=API_PREFIX)
    app.include_router(portal_router)  # pages: /, /search, /entities/..., no API prefix
    app.include_router(subject_pages_router)  # /me/...: the subject area
    app.include_router(console_router)  # /console/...: the authority console
    app.include_router(statistics_router)  # /statistics

    # before every route: valid JSON checks skip FastAPI's request handling (same answers)
    app.router.routes.insert(0, FastCheckRoute(f"{API_PREFIX}/checks", app.router))

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": xinyong.__version__}

    return app


def _error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=status, content=body)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(XinyongError)
    async def _xinyong(_r: Request, exc: XinyongError) -> JSONResponse:
        return _error(exc.status, exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(x) for x in e["loc"] if x != "body") or None,
                "code": str(e["type"]),
                "message": str(e["msg"]),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        where = f"{first['field']}: " if first["field"] else ""
        return _error(
            422,
            {"code": "invalid_request", "message": f"{where}{first['message']}", "errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, {"code": code, "message": str(exc.detail)})

    @app.exception_handler(Exception)
    async def _unexpected(_r: Request, _exc: Exception) -> JSONResponse:  # pragma: no cover
        return _error(500, {"code": "internal_error", "message": "an unexpected error occurred"})


class RequestGuard:
    """Refuse what no endpoint may receive, before any of it is read: bodies over their
    limit (413 ``payload_too_large``), and NUL characters in the path or the query (400
    ``invalid_characters``; PostgreSQL cannot store them).

    File uploads (``multipart/form-data``) may be up to ``upload_limit`` bytes; a JSON body
    up to ``path_limits[path]`` where the path has its own limit, else ``limit``.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        upload_limit: int,
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.json_limit = limit
        self.upload_limit = upload_limit
        self.path_limits = path_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = not scope.get("path", "").startswith(API_PREFIX)
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _refuse(
                send,
                400,
                b'{"code":"invalid_characters","message":"a NUL character is not allowed '
                b'in a path or a query"}',
                page=page,
            )
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        json_limit = self.path_limits.get(scope.get("path", ""), self.json_limit)
        limit = self.upload_limit if upload else json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, page=page)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, limit, page=page)


_ERROR_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{status} · 信用公示平台</title>
<link rel="stylesheet" href="/static/portal.css"></head>
<body><main id="main"><h1>请求未被接受 <span lang="en">(request refused)</span></h1>
<p class="error" role="alert" lang="en">{message}</p>
<p><small>Error code: <code>{code}</code></small></p>
<p><a href="/">首页 <span lang="en">(home)</span></a></p></main></body></html>
"""


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int, *, page: bool) -> None:
    body = (
        b'{"code":"payload_too_large","message":"the request body is larger than '
        + f"{limit:,}".encode()
        + b' bytes"}'
    )
    await _refuse(send, 413, body, page=page)


async def _refuse(send: Send, status: int, body: bytes, *, page: bool = False) -> None:
    """Send the error; to a page (not under the API's prefix) as a small HTML page in both
    languages, since a browser shows it to a person (the portal's error pages need the app,
    which this refusal never reaches)."""
    kind = b"application/json"
    if page:
        error = orjson.loads(body)
        body = _ERROR_PAGE.format(
            status=status, code=html.escape(error["code"]), message=html.escape(error["message"])
        ).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
