"""Rendering shared by every page router (public portal, subject area, authority console,
statistics): one Jinja2 environment, the page's language, typed errors as HTML pages, and
the same-origin check that every form POST passes.

A page handler gives :func:`page` a ``build(lang)`` that returns a template name and its
context; a :class:`~xinyong.errors.XinyongError` raised there becomes ``error.html`` with
the error's status (never a 500). Templates get ``_`` (gettext), ``lang``, ``href``,
``local``, ``division`` (a district's name) and ``path`` besides their own context.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from xinyong.divisions import Divisions
from xinyong.errors import Forbidden, XinyongError
from xinyong.portal import i18n

_HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_YEAR = 365 * 24 * 3600
# an error's own status where a page shows it as such; any other error is a bad request
_KEPT = {401, 403, 404, 409, 413, 415}

Built = tuple[str, dict[str, Any]]
_NO_DIVISIONS = Divisions()


def stylesheet() -> bytes:
    """Every ``static/*.css`` file, ``portal.css`` first, as one stylesheet (each page area
    keeps its rules in its own file)."""
    files = sorted((_HERE / "static").glob("*.css"), key=lambda p: (p.name != "portal.css", p.name))
    return b"\n".join(p.read_bytes() for p in files)


def local(name: Any, lang: str) -> str:
    """The ``lang`` text of a LocalName (or a ``{"zh", "en"}`` dict)."""
    if isinstance(name, dict):
        return str(name.get(lang) or name.get("zh") or "")
    return str(getattr(name, lang, None) or getattr(name, "zh", ""))


def href(request: Request, **params: str | None) -> str:
    """This page's path and query with ``params`` changed (``None`` drops one): relative,
    so no page links to an absolute URL."""
    query = dict(request.query_params)
    for key, value in params.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    url = request.url.replace_query_params(**query)
    return url.path + ("?" + url.query if url.query else "")


def language(request: Request) -> str:
    """The page's language: ``?lang=``, else the cookie, else Accept-Language, else zh."""
    return i18n.pick(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def page(
    request: Request,
    build: Callable[[str], Built],
    *,
    status: int = 200,
    context: dict[str, Any] | None = None,
) -> Response:
    """Render ``build(lang)``'s template; a typed error renders ``error.html`` with its
    status. ``context`` is added to every template's (for example the signed-in caller)."""
    asked = request.query_params.get("lang")
    lang = language(request)
    try:
        template, ctx = build(lang)
    except XinyongError as exc:
        status = status_of(exc)
        template, ctx = "error.html", {"error": exc, "status": status}
    tr = i18n.translations(lang)
    other = "en" if lang == "zh" else "zh"
    divisions: Divisions = getattr(request.app.state, "divisions", _NO_DIVISIONS)
    html = ENV.get_template(template).render(
        _=tr.gettext,
        lang=lang,
        other_lang=other,
        switch_href=href(request, lang=other),
        href=lambda **p: href(request, **p),
        local=lambda n: local(n, lang),
        division=lambda code: divisions.name(code, lang),
        path=request.url.path,
        **(context or {}),
        **ctx,
    )
    response = HTMLResponse(html, status_code=status)
    if asked in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, asked, max_age=_YEAR, samesite="lax", httponly=True)
    return response


def status_of(exc: XinyongError) -> int:
    """The status a page shows an error with: its own where a page says it as such (401,
    403, 404, 409, 413, 415), else 400."""
    return exc.status if exc.status in _KEPT else 400


def redirect(url: str) -> RedirectResponse:
    """After a successful form POST: see the result with a GET (303), relative URLs only."""
    if not url.startswith("/") or url.startswith("//"):
        url = "/"
    return RedirectResponse(url, status_code=303)


def same_origin(request: Request) -> None:
    """Refuse a form POST sent from another site (``cross_site_request``, 403).

    Session cookies are SameSite, and this checks ``Origin`` (or else ``Referer``) against
    the host the request was sent to: browsers send one of them on every POST."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return
    host = request.headers.get("host", "")
    rest = sent.split("://", 1)[-1]
    if rest.split("/", 1)[0] != host:
        raise Forbidden("this form must be sent from this site", code="cross_site_request")
