"""What every console page shares: the signed-in authority (from the session cookie), the
redirect to sign in, role checks, and rendering with the console's navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

from fastapi import Cookie, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from xinyong.api.deps import reading
from xinyong.auth.keys import Principal, Role
from xinyong.errors import Forbidden, XinyongError
from xinyong.portal import render
from xinyong.portal.console import session
from xinyong.portal.render import Built

#: The console's sections: (path, English title, roles that see it). Titles are translated
#: in the templates (``console/_nav.html``), which hold the same English text.
SECTIONS: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("/console/uploads", "Upload a file", frozenset({Role.provider})),
    ("/console/templates", "File templates", frozenset({Role.provider})),
    ("/console/objections", "Objections", frozenset({Role.provider, Role.admin})),
    ("/console/restorations", "Restorations", frozenset({Role.provider, Role.admin})),
    ("/console/statistics", "Submission statistics", frozenset({Role.provider})),
    ("/console/watches", "Watch lists", frozenset({Role.consumer})),
    ("/console/check-log", "Check log", frozenset({Role.consumer, Role.admin})),
)


def console_principal(
    conn: Annotated[Connection, Depends(reading)],
    xinyong_console: Annotated[str | None, Cookie()] = None,
) -> Principal | None:
    """The authority signed in to the console, or ``None``."""
    return session.current(conn, xinyong_console)


Console = Annotated[Principal | None, Depends(console_principal)]


def sections(caller: Principal) -> list[tuple[str, str]]:
    """The sections this authority's role may use, as (path, English title)."""
    return [(path, title) for path, title, roles in SECTIONS if caller.role in roles]


def to_sign_in(request: Request) -> Response:
    """303 to the sign-in page, coming back here afterwards."""
    wanted = request.url.path + ("?" + request.url.query if request.url.query else "")
    return render.redirect("/console/sign-in?next=" + quote(wanted, safe="/"))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    text = (value or "").strip()
    if text.startswith("/console") and not text.startswith("//") and "\\" not in text:
        return text
    return "/console"


def need(caller: Principal, *roles: Role) -> None:
    """Refuse a page this authority's role may not use (403 ``not_for_this_role``)."""
    if caller.role not in roles:
        raise Forbidden(
            f"this page is for {' or '.join(r.value for r in roles)} authorities, "
            f"not for a {caller.role.value}",
            code="not_for_this_role",
        )


def show(
    request: Request, caller: Principal, build: Callable[[str], Built], *, status: int = 200
) -> Response:
    """Render a console page (or its typed error) with the signed-in authority and the
    sections of its role."""
    context: dict[str, Any] = {"caller": caller, "sections": sections(caller)}
    return render.page(request, build, status=status, context=context)


def fail(request: Request, caller: Principal | None, error: XinyongError) -> Response:
    """The error page of a refused form POST (its status; nothing was written)."""

    def build(_lang: str) -> NoReturn:
        raise error

    if caller is None:
        return render.page(request, build)
    return show(request, caller, build)
