"""The authority console (``/console``): sign-in with the authority's API key, a home page
with the sections of its role, and the sections' routers (see ``docs/console.md``).

Every page works without JavaScript; ``/static/console.js`` only adds the upload's progress
bar. Every POST checks the origin first and runs in its own transaction: a refused form
writes nothing and answers an HTML error page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from xinyong.api.deps import EngineDep
from xinyong.db.engine import writing
from xinyong.errors import XinyongError
from xinyong.portal import render
from xinyong.portal.console import cases, consumer, session, uploads, web
from xinyong.portal.console.web import Console

router = APIRouter(include_in_schema=False)
router.include_router(uploads.router)
router.include_router(cases.router)
router.include_router(consumer.router)

_JS = (Path(__file__).parent.parent / "static" / "console.js").read_bytes()


@router.get("/static/console.js")
def script() -> Response:
    """The console's progressive enhancement (served here: nothing loads from a CDN)."""
    return Response(_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


def _sign_in_page(
    request: Request, next_url: str, error: XinyongError | None = None, status: int = 200
) -> Response:
    return render.page(
        request,
        lambda lang: ("console/sign_in.html", {"next": next_url, "error": error}),
        status=status,
    )


@router.get("/console/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, caller: Console, next: str | None = None) -> Response:
    if caller is not None:
        return render.redirect(web.safe_next(next))
    return _sign_in_page(request, web.safe_next(next))


@router.post("/console/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    engine: EngineDep,
    api_key: str = Form(default="", max_length=512),
    next: str = Form(default="/console", max_length=2048),
) -> Response:
    """Authenticate the pasted key and put a short-lived session key in the cookie."""
    target = web.safe_next(next)
    try:
        render.same_origin(request)
        with writing(engine) as conn:
            opened = session.sign_in(conn, api_key)
    except XinyongError as exc:
        return _sign_in_page(request, target, exc, status=exc.status)
    response = render.redirect(target)
    response.set_cookie(
        session.COOKIE,
        opened.key,
        max_age=session.HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/console/sign-out")
def sign_out(request: Request, engine: EngineDep, caller: Console) -> Response:
    """Revoke the session key and drop the cookie."""
    try:
        render.same_origin(request)
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    with writing(engine) as conn:
        session.sign_out(conn, request.cookies.get(session.COOKIE))
    response = render.redirect("/console/sign-in")
    response.delete_cookie(session.COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/console", response_class=HTMLResponse)
def home(request: Request, caller: Console) -> Response:
    if caller is None:
        return web.to_sign_in(request)
    return web.show(request, caller, lambda lang: ("console/home.html", {}))
