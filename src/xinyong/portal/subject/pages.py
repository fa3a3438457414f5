"""Building the subject area's pages: the signed-in check, and the forms that the GET
routes show and the POST routes show again with the error that refused them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from xinyong.auth.keys import Principal
from xinyong.catalogue.model import Catalogue
from xinyong.errors import XinyongError
from xinyong.me import service as me_service
from xinyong.objections import service as objections
from xinyong.objections import targets
from xinyong.portal import render
from xinyong.portal.render import Built
from xinyong.portal.subject import service as subject
from xinyong.restorations import repository as restorations_repo
from xinyong.rights.model import Rights

Build = Callable[[Connection, Principal, str], Built]


def here(request: Request) -> str:
    return request.url.path + ("?" + request.url.query if request.url.query else "")


def private(response: Response) -> Response:
    """A page of the subject's own file: no cache keeps it (``no-store``)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_page(request: Request, conn: Connection, build: Build) -> Response:
    """``build(conn, caller, lang)`` for the signed-in subject, else 303 to sign in."""
    caller = subject.signed_in(conn, request.cookies)
    if caller is None:
        return render.redirect(subject.sign_in_url(here(request)))
    shown = render.page(request, lambda lang: build(conn, caller, lang), context={"me": caller})
    return private(shown)


def form_again(
    request: Request,
    conn: Connection,
    caller: Principal,
    build: Callable[[], Built],
    error: XinyongError,
    values: dict[str, Any],
) -> Response:
    """The form's page again, with the error that refused it (``role="alert"``) and what
    was typed, under the error's status. If the form itself cannot be built any more (the
    target is gone), the error page."""
    failed = error

    def again(lang: str) -> Built:
        try:
            template, ctx = build()
        except XinyongError:
            raise failed from None
        return template, {**ctx, "error": failed, "values": values}

    shown = render.page(request, again, status=render.status_of(error), context={"me": caller})
    return private(shown)


def target_of(record: str | None, target: str | None) -> str:
    """The objection target a form names: ``target`` as written, else a record id."""
    return ((target or "").strip() or (record or "").strip())[:128]


def objection_form(
    conn: Connection, caller: Principal, ctx: objections.Context, target: str, today: dt.date
) -> Built:
    """The objection form for ``target``, resolved as the objections service does (the
    subject's own items only)."""
    entity = me_service.own_entity(conn, caller)
    resolved = targets.resolve(
        conn,
        entity,
        target,
        catalogue=ctx.catalogue,
        schemes=ctx.schemes,
        declaration=ctx.declaration,
        today=today,
    )
    record = None
    if resolved.record_id is not None:
        record = restorations_repo.record_of(conn, resolved.record_id)
    lst = ctx.declaration.list(resolved.list_code) if resolved.list_code else None
    scheme = ctx.schemes.get(resolved.scheme) if resolved.scheme else None
    return "subject/objection_new.html", {
        "target": resolved,
        "record": record,
        "list": lst,
        "scheme": scheme,
        "catalogue": ctx.catalogue,
        "grounds": ctx.rights.objections.grounds,
        "max_chars": ctx.rights.objections.max_statement_chars,
        "decide_days": ctx.rights.objections.decide_working_days,
        "values": {},
    }


def restoration_form(
    conn: Connection,
    caller: Principal,
    catalogue: Catalogue,
    rights: Rights,
    record_id: str,
    today: dt.date,
) -> Built:
    """The restoration form of one of the subject's records, with its eligibility today."""
    row = subject.own_record(conn, caller, record_id)
    pending = restorations_repo.pending_for(conn, row["id"])
    return "subject/restoration_new.html", {
        "record": row,
        "record_type": catalogue.record_type(row["record_type"]),
        "catalogue": catalogue,
        "check": subject.eligibility(catalogue, rights, row, pending, today),
        "rules": rights.restorations,
        "values": {},
    }
