"""A consuming authority's watch lists (the watch service) and its check log export (the
API's ``GET /api/v1/checks/log``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

import pydantic
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from xinyong.api.deps import DeclarationDep, EngineDep, Reading, SchemesDep, SettingsDep
from xinyong.auth.keys import Role
from xinyong.checks import router as checks_api
from xinyong.db.engine import writing
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest, NotFound, ValidationFailed, XinyongError
from xinyong.ingest.importer import today_in
from xinyong.portal import render
from xinyong.portal.console import web
from xinyong.portal.console.web import Console
from xinyong.portal.render import Built
from xinyong.watch import service as watch
from xinyong.watch.schemas import WatchesIn

router = APIRouter(include_in_schema=False)

#: Unknown codes named back after adding or removing (the rest are counted).
NAMED_UNKNOWN = 20


# ---- watch lists ---------------------------------------------------------------------------


@router.get("/console/watches", response_class=HTMLResponse)
def watches(
    request: Request,
    caller: Console,
    conn: Reading,
    decl: DeclarationDep,
    measure: str | None = None,
    after: int = 0,
) -> Response:
    """The authority's watches, a form to add subjects, and its webhook's settings."""
    if caller is None:
        return web.to_sign_in(request)
    done = {k: request.query_params.get(k, "") for k in ("did", "count", "already", "unknown")}

    def build(lang: str) -> Built:
        web.need(caller, Role.consumer)
        listed = watch.list_watches(
            conn, caller, measure=measure or None, after=max(after, 0), limit=100
        )
        try:
            hook = watch.get_webhook(conn, caller)
        except NotFound:
            hook = None
        measures = [(code, decl.measure(code)) for code in caller.scopes]
        return "console/watches.html", {
            "watches": listed,
            "hook": hook,
            "measures": measures,
            "measure": measure or "",
            "done": done,
        }

    return web.show(request, caller, build)


def _watches_in(measure: str, subjects: str) -> WatchesIn:
    codes = [line.strip() for line in subjects.splitlines() if line.strip()]
    if not codes:
        raise ValidationFailed(
            "give at least one subject's code, one a line", code="subjects_required"
        )
    try:
        return WatchesIn(measure=measure, subjects=codes)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"{where}: {first['msg']}", code="invalid_request") from None


def _after(did: str, count: int, already: int, unknown: list[str]) -> str:
    query = {
        "did": did,
        "count": str(count),
        "already": str(already),
        "unknown": " ".join(unknown[:NAMED_UNKNOWN])
        + (f" (+{len(unknown) - NAMED_UNKNOWN})" if len(unknown) > NAMED_UNKNOWN else ""),
    }
    return "/console/watches?" + urlencode({k: v for k, v in query.items() if v})


@router.post("/console/watches")
def add_watches(
    request: Request,
    caller: Console,
    engine: EngineDep,
    decl: DeclarationDep,
    schemes: SchemesDep,
    settings: SettingsDep,
    measure: Annotated[str, Form(max_length=64)] = "",
    subjects: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    """Watch subjects (one code a line) for a measure of the key (idempotent)."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        web.need(caller, Role.consumer)
        body = _watches_in(measure, subjects)
        with writing(engine) as conn:
            answer = watch.register(
                conn,
                decl,
                schemes,
                caller,
                body,
                day=today_in(settings),
                now=utcnow(),
                max_subjects=settings.max_check_subjects,
            )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(
        _after("added", answer["added"], answer["already_watched"], answer["unknown"])
    )


@router.post("/console/watches/remove")
def remove_watches(
    request: Request,
    caller: Console,
    engine: EngineDep,
    settings: SettingsDep,
    measure: Annotated[str, Form(max_length=64)] = "",
    subjects: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    """Stop watching subjects for a measure."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        web.need(caller, Role.consumer)
        body = _watches_in(measure, subjects)
        with writing(engine) as conn:
            out = watch.unregister(conn, caller, body, max_subjects=settings.max_check_subjects)
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(_after("removed", out.removed, out.not_watched, out.unknown))


# ---- check log -----------------------------------------------------------------------------


def _day(value: str | None, name: str) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} is a date, YYYY-MM-DD", code="invalid_date") from None


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "")[:64] for k in ("from", "to", "measure", "consumer")}


@router.get("/console/check-log", response_class=HTMLResponse)
def check_log_page(request: Request, caller: Console) -> Response:
    """Date filters and the download links of the check log, CSV and JSON lines."""
    if caller is None:
        return web.to_sign_in(request)
    filters = _filters(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.consumer, Role.admin)
        _day(filters["from"], "from")
        _day(filters["to"], "to")
        query = urlencode({k: v for k, v in filters.items() if v})
        return "console/check_log.html", {
            "filters": filters,
            "query": "?" + query if query else "",
        }

    return web.show(request, caller, build)


@router.get("/console/check-log.{fmt}")
def check_log_file(request: Request, fmt: str, caller: Console, engine: EngineDep) -> Response:
    """The check log through the API's export: ``.csv`` or ``.jsonl``."""
    if caller is None:
        return web.to_sign_in(request)
    filters = _filters(request)
    try:
        web.need(caller, Role.consumer, Role.admin)
        if fmt not in ("csv", "jsonl"):
            raise NotFound("the check log is exported as .csv or .jsonl", code="unknown_format")
        return checks_api.check_log(
            engine,
            caller,
            consumer=filters["consumer"] or None,
            measure=filters["measure"] or None,
            start=_day(filters["from"], "from"),
            end=_day(filters["to"], "to"),
            format="csv" if fmt == "csv" else "json",
        )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
