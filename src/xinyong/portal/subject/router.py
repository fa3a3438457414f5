"""The subject area's pages (``/me...``): a signed-in person or organisation sees its whole
file, who read it, its cases, and acts on its rights (hide, object, apply for restoration).

Every page needs a live session (the ``xinyong_session`` cookie that ``/me/sign-in`` sets,
as ``POST /api/v1/session`` does); without one it answers 303 to the sign-in page with
``next``. Every form POST passes :func:`render.same_origin` and writes in a transaction
of its own that is rolled back on any error, so a refused form leaves nothing behind; the
error is shown on the form's page with its status. See ``docs/subject-area.md``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from xinyong.access import service as access
from xinyong.api.deps import (
    CatalogueDep,
    DeclarationDep,
    Reading,
    RightsDep,
    SchemesDep,
    SettingsDep,
)
from xinyong.auth.keys import Principal
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.me import service as me_service
from xinyong.objections import service as objections
from xinyong.portal import render
from xinyong.portal.render import Built
from xinyong.portal.subject import actions, pages
from xinyong.portal.subject import service as subject
from xinyong.restorations import repository as restorations_repo
from xinyong.restorations import service as restorations

router = APIRouter(include_in_schema=False)
router.include_router(actions.router)

#: Access-log entries per page.
LOG_PAGE = 50


@router.get("/me/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, conn: Reading, next: str | None = None) -> Response:
    """The sign-in form; ``next`` (a path on this site) is where signing in leads."""
    caller = subject.signed_in(conn, request.cookies)
    ctx: dict[str, Any] = {"next": subject.safe_next(next), "signed_in": caller is not None}
    return render.page(request, lambda lang: ("subject/sign_in.html", ctx))


@router.get("/me", response_class=HTMLResponse)
def my_file(
    request: Request,
    conn: Reading,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> Response:
    """The whole file, non-public records too, with marks, grades and list entries."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        entity = me_service.own_entity(conn, caller)
        key = "public_id" if entity["kind"] == "person" else "code"
        content = me_service.subject_file(
            conn,
            entity,
            catalogue=catalogue,
            schemes=schemes,
            declaration=declaration,
            rights=rights,
            today=today_in(settings),
            now=utcnow(),
        )
        return "subject/file.html", {
            "file": content,
            "entity": entity,
            "catalogue": catalogue,
            "schemes": schemes,
            # names in the page's language, looked up once for every record
            "field_names": {
                rt.code: {f.code: render.local(f.name, lang) for f in rt.fields}
                for rt in catalogue.record_types
            },
            "provider_names": {p.code: render.local(p.name, lang) for p in catalogue.providers},
            "public_href": f"/entities/{entity[key]}",
        }

    return pages.signed_page(request, conn, build)


@router.get("/me/access-log", response_class=HTMLResponse)
def my_access_log(
    request: Request,
    conn: Reading,
    declaration: DeclarationDep,
    rights: RightsDep,
    after: str | None = None,
) -> Response:
    """Who read the non-public file, when, why; the checks run on the subject. Paged."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        entity = me_service.own_entity(conn, caller)
        page = access.access_log(
            conn,
            int(entity["id"]),
            declaration,
            retention_years=rights.access_log.retention_years,
            after=(after or "")[:200] or None,
            limit=LOG_PAGE,
        )
        return "subject/access_log.html", {
            "entries": page.entries,
            "next": page.next,
            "first": not after,
            "retention_years": rights.access_log.retention_years,
        }

    return pages.signed_page(request, conn, build)


@router.get("/me/cases", response_class=HTMLResponse)
def my_cases(request: Request, conn: Reading, rights: RightsDep, settings: SettingsDep) -> Response:
    """Every objection and restoration application, with status and deadline."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        found = subject.cases(conn, rights, caller, today_in(settings))
        return "subject/cases.html", {"cases": found}

    return pages.signed_page(request, conn, build)


@router.get("/me/objections/new", response_class=HTMLResponse)
def new_objection(
    request: Request,
    conn: Reading,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
    record: str | None = None,
    target: str | None = None,
) -> Response:
    """The form to object to a record (``?record=<id>``) or another item (``?target=``:
    ``publicity:<id>``, ``listing:<code>``, ``grade:<scheme>``, ``restoration:<id>``)."""
    ctx = objections.Context(catalogue, schemes, declaration, rights, settings)

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        chosen = pages.target_of(record, target)
        return pages.objection_form(conn, caller, ctx, chosen, today_in(settings))

    return pages.signed_page(request, conn, build)


@router.get("/me/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(
    request: Request,
    objection_id: str,
    conn: Reading,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> Response:
    """One objection: status, deadline, every step, the decision; add a statement."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        found = objections.get_objection(
            conn, caller, objection_id[:64], rights, today_in(settings)
        )
        record = None
        if found.record_id is not None:
            record = restorations_repo.record_of(conn, found.record_id)
        return "subject/objection.html", {
            "case": found,
            "record": record,
            "catalogue": catalogue,
            "grounds": {g.code: g.name for g in rights.objections.grounds},
            "outcomes": {o.code: o.name for o in rights.objections.outcomes},
            "max_chars": rights.objections.max_statement_chars,
        }

    return pages.signed_page(request, conn, build)


@router.get("/me/restorations/new", response_class=HTMLResponse)
def new_restoration(
    request: Request,
    conn: Reading,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
    record: str | None = None,
) -> Response:
    """Eligibility of a record for restoration, and the application form."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        return pages.restoration_form(
            conn, caller, catalogue, rights, record or "", today_in(settings)
        )

    return pages.signed_page(request, conn, build)


@router.get("/me/restorations/{restoration_id}", response_class=HTMLResponse)
def restoration_page(
    request: Request,
    restoration_id: str,
    conn: Reading,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> Response:
    """One application: status, deadline, evidence, commitment, the decision."""

    def build(conn: Connection, caller: Principal, lang: str) -> Built:
        found = restorations.view(
            conn, catalogue, rights, caller, restoration_id[:64], today=today_in(settings)
        )
        return "subject/restoration.html", {"case": found, "catalogue": catalogue}

    return pages.signed_page(request, conn, build)
