"""The subject area's forms (POST): sign in and out, hide a record, file an objection, add
a statement, apply for restoration.

Each passes :func:`render.same_origin` first, then writes through the other packages'
services in a transaction of its own (:func:`xinyong.db.engine.writing`): any error rolls
everything back, and the form's page is shown again with the error and its status. On
success, 303 to the page that shows the result.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from xinyong.api.deps import (
    SESSION_COOKIE,
    CatalogueDep,
    DeclarationDep,
    EngineDep,
    RightsDep,
    SchemesDep,
    SettingsDep,
)
from xinyong.auth.keys import Principal
from xinyong.db.engine import writing
from xinyong.db.types import utcnow
from xinyong.errors import XinyongError
from xinyong.ingest.importer import today_in
from xinyong.me import service as me_service
from xinyong.me.identity import verifier_for
from xinyong.me.session import cookie_args as session_cookie
from xinyong.me.session import sign_in, sign_out
from xinyong.objections import service as objections
from xinyong.objections.schemas import ObjectionIn, StatementIn
from xinyong.portal import render
from xinyong.portal.render import Built
from xinyong.portal.subject import pages
from xinyong.portal.subject import service as subject
from xinyong.restorations import service as restorations
from xinyong.restorations.schemas import RestorationIn

router = APIRouter(include_in_schema=False)

#: A form's work: given the write connection and the caller, the URL to show next.
Work = Callable[[Connection, Principal], str]


def _raise(exc: XinyongError) -> Built:
    raise exc


def act(
    request: Request,
    engine: EngineDep,
    work: Work,
    *,
    form: Callable[[Connection, Principal], Built] | None = None,
    values: dict[str, Any] | None = None,
    back: str = subject.HOME,
) -> Response:
    """Run a signed-in subject's form: same origin, its own transaction, 303 on success.

    A refused form shows ``form`` again with the error (or the error page), nothing
    written. Signed out: 303 to sign in, then back to ``back``."""
    try:
        render.same_origin(request)
    except XinyongError as exc:
        refused = exc
        return render.page(request, lambda lang: _raise(refused), status=403)
    caller: Principal | None = None
    try:
        with writing(engine) as conn:
            caller = subject.signed_in(conn, request.cookies)
            if caller is None:
                return render.redirect(subject.sign_in_url(back))
            url = work(conn, caller)
    except XinyongError as exc:
        failed = exc
        if form is None or caller is None:
            return render.page(
                request,
                lambda lang: _raise(failed),
                status=render.status_of(failed),
                context={"me": caller},
            )
        signed = caller
        with engine.connect() as conn, conn.begin():
            return pages.form_again(
                request, conn, signed, lambda: form(conn, signed), failed, values or {}
            )
    return render.redirect(url)


# ---- signing in and out ------------------------------------------------------------------


def _cookie_args(request: Request) -> dict[str, Any]:
    return session_cookie(request.url.scheme == "https")


def _end_previous(conn: Connection, request: Request) -> None:
    """Signing in again ends the session the browser had, if it had one."""
    old = (request.cookies.get(SESSION_COOKIE) or "").strip() or None
    with suppress(XinyongError):  # not a session: nothing to end
        sign_out(conn, old)


@router.post("/me/sign-in", response_class=HTMLResponse)
def sign_in_post(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    rights: RightsDep,
    token: str | None = Form(default=None),
    next: str | None = Form(default=None),
) -> Response:
    """Sign in with the subject's token through the configured identity verifier; set the
    session cookie as ``POST /api/v1/session`` does, then 303 to ``next`` (or ``/me``)."""
    going = subject.safe_next((next or "")[:2000])
    try:
        render.same_origin(request)
        with writing(engine) as conn:
            session = sign_in(conn, verifier_for(settings), {"token": (token or "")[:512]}, rights)
            _end_previous(conn, request)
    except XinyongError as exc:
        failed = exc
        ctx: dict[str, Any] = {"next": going, "signed_in": False, "error": failed}
        return render.page(
            request,
            lambda lang: ("subject/sign_in.html", ctx),
            status=render.status_of(failed),
        )
    done = render.redirect(going)
    done.set_cookie(
        SESSION_COOKIE,
        session.key,
        max_age=rights.subjects.session_hours * 3600,
        **_cookie_args(request),
    )
    return done


@router.post("/me/sign-out", response_class=HTMLResponse)
def sign_out_post(request: Request, engine: EngineDep) -> Response:
    """End the session (``session.sign_out``) and clear the cookie."""
    try:
        render.same_origin(request)
    except XinyongError as exc:
        refused = exc
        return render.page(request, lambda lang: _raise(refused), status=403)
    key = (request.cookies.get(SESSION_COOKIE) or "").strip() or None
    try:
        with writing(engine) as conn:
            sign_out(conn, key)
    except XinyongError:
        pass  # not a session (a token set by hand): clearing the cookie is all there is to do
    done = render.redirect(subject.SIGN_IN)
    done.delete_cookie(SESSION_COOKIE, **_cookie_args(request))
    return done


# ---- hiding positive records -------------------------------------------------------------


@router.post("/me/records/{record_id}/hidden", response_class=HTMLResponse)
def hide_record(
    request: Request,
    record_id: str,
    engine: EngineDep,
    catalogue: CatalogueDep,
    hidden: str | None = Form(default=None),
) -> Response:
    """Hide one of the subject's positive records from everyone else (``hidden=yes``), or
    show it again (``hidden=no``), through the service behind ``PUT /me/.../hidden``."""
    wanted = (hidden or "")[:8].strip().lower() in ("yes", "true", "1", "on")

    def work(conn: Connection, caller: Principal) -> str:
        entity = me_service.own_entity(conn, caller)
        done = me_service.set_hidden(
            conn, catalogue, caller, entity, record_id[:64], wanted, utcnow()
        )
        return f"/me#record-{done.record_id}"

    return act(request, engine, work)


# ---- objections --------------------------------------------------------------------------


@router.post("/me/objections/new", response_class=HTMLResponse)
def file_objection(
    request: Request,
    engine: EngineDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
    target: str | None = Form(default=None),
    grounds: str | None = Form(default=None),
    statement: str | None = Form(default=None),
) -> Response:
    """File the objection (``objections.service.file``), then its case page."""
    ctx = objections.Context(catalogue, schemes, declaration, rights, settings)
    chosen = pages.target_of(request.query_params.get("record"), target)
    today = today_in(settings)

    def work(conn: Connection, caller: Principal) -> str:
        body = ObjectionIn(target=chosen, grounds=grounds, statement=statement)
        filed = objections.file(conn, caller, body, ctx, today=today, now=utcnow())
        return f"/me/objections/{filed.id}"

    def form(conn: Connection, caller: Principal) -> Built:
        return pages.objection_form(conn, caller, ctx, chosen, today)

    return act(
        request,
        engine,
        work,
        form=form,
        values={"grounds": grounds or "", "statement": statement or ""},
        back="/me/objections/new?" + urlencode({"target": chosen}),
    )


@router.post("/me/objections/{objection_id}/statement", response_class=HTMLResponse)
def add_statement(
    request: Request,
    objection_id: str,
    engine: EngineDep,
    rights: RightsDep,
    settings: SettingsDep,
    text: str | None = Form(default=None),
) -> Response:
    """Add the subject's statement to an objection (shown beside the record)."""

    def work(conn: Connection, caller: Principal) -> str:
        done = objections.add_statement(
            conn,
            caller,
            objection_id[:64],
            StatementIn(text=text),
            rights,
            today=today_in(settings),
            now=utcnow(),
        )
        return f"/me/objections/{done.id}"

    return act(request, engine, work, back=f"/me/objections/{objection_id[:64]}")


# ---- restoration -------------------------------------------------------------------------


@router.post("/me/restorations/new", response_class=HTMLResponse)
async def apply_for_restoration(
    request: Request,
    engine: EngineDep,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> Response:
    """Apply: the uploaded files (``evidence``) become the service's evidence (sniffed type,
    checked and limited by ``restorations.service.file_application``), the ticked
    commitment (``signed``) is signed. Then the application's case page.

    The form is read here rather than by FastAPI, so that a file field sent empty (no file
    chosen) is no file instead of a schema error."""
    async with request.form() as sent:

        def text(name: str) -> str | None:
            value = sent.get(name)
            return value if isinstance(value, str) else None

        uploads = [
            (f.filename or "", f.content_type, f.file)
            for f in sent.getlist("evidence")
            if isinstance(f, StarletteUpload)
        ]
        record_id = (text("record") or request.query_params.get("record") or "").strip()[:64]
        commitment, signed = text("commitment"), text("signed")
        today = today_in(settings)

        def work(conn: Connection, caller: Principal) -> str:
            subject.own_record(conn, caller, record_id)
            subject.require_signature(signed)
            subject.check_commitment_length(commitment)
            files = subject.evidence_in(uploads, rights.restorations.evidence)
            body = RestorationIn(record_id=record_id, commitment=commitment or "", evidence=files)
            rid = restorations.file_application(
                conn, catalogue, rights, caller, body, today=today, now=utcnow()
            )
            return f"/me/restorations/{rid}"

        def form(conn: Connection, caller: Principal) -> Built:
            return pages.restoration_form(conn, caller, catalogue, rights, record_id, today)

        return await run_in_threadpool(
            act,
            request,
            engine,
            work,
            form=form,
            values={"commitment": commitment or ""},
            back="/me/restorations/new?" + urlencode({"record": record_id}),
        )
