"""Objections and restorations the signed-in authority decides, through their services
(who may see, extend and decide is theirs to say: a provider its own cases, an
administrator the platform's, escalated objections and any restoration)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import (
    CatalogueDep,
    DeclarationDep,
    EngineDep,
    Reading,
    RightsDep,
    SchemesDep,
    SettingsDep,
)
from xinyong.auth.keys import Principal, Role
from xinyong.db.engine import writing
from xinyong.db.types import utcnow
from xinyong.entities import service as entities
from xinyong.errors import ValidationFailed, XinyongError
from xinyong.ingest.importer import today_in
from xinyong.objections import service as objections
from xinyong.objections import targets
from xinyong.objections.schemas import DecisionIn, ExtensionIn
from xinyong.portal import render
from xinyong.portal.console import web
from xinyong.portal.console.web import Console
from xinyong.portal.render import Built
from xinyong.restorations import router as restorations_api
from xinyong.restorations import service as restorations
from xinyong.restorations.schemas import DecisionIn as RestorationDecisionIn

router = APIRouter(include_in_schema=False)

CaseId = Annotated[str, PathParam(max_length=64)]
Text = Annotated[str, Form(max_length=20_000)]
PAGE = 50


# ---- objections ----------------------------------------------------------------------------


@router.get("/console/objections", response_class=HTMLResponse)
def objection_list(
    request: Request,
    caller: Console,
    conn: Reading,
    rights: RightsDep,
    settings: SettingsDep,
    after: str | None = None,
) -> Response:
    """Open objections the authority is party to, with working days left and overdue."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider, Role.admin)
        today = today_in(settings)
        found = objections.page(
            conn,
            caller,
            status=objections.OPEN,
            overdue=None,
            escalated=None,
            after=(after or "")[:64] or None,
            limit=PAGE,
            today=today,
        )
        calendar = rights.working_calendar
        rows = [
            {
                "item": item,
                "left": calendar.working_days_between(today, item.due_on),
                "mine": item.decider == caller.provider_code
                or (
                    caller.role is Role.admin
                    and (item.decider == targets.PLATFORM or item.escalated_at is not None)
                ),
            }
            for item in found.items
        ]
        return "console/objections.html", {"rows": rows, "next_after": found.next_after}

    return web.show(request, caller, build)


@router.get("/console/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(
    request: Request,
    objection_id: CaseId,
    caller: Console,
    conn: Reading,
    rights: RightsDep,
    settings: SettingsDep,
    log: ReadLogDep,
) -> Response:
    """One objection, every step, and the forms to extend and decide it."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider, Role.admin)
        found = objections.get_objection(conn, caller, objection_id, rights, today_in(settings))
        log.case(caller, objections.subject_of(conn, objection_id), f"objection:{objection_id}")
        today = today_in(settings)
        record = None
        if found.record_id and found.status == objections.OPEN and caller.role is Role.provider:
            record = current_record(conn, caller, found.record_id, today, settings.timezone)
        return "console/objection.html", {
            "o": found,
            "record_json": record,
            "outcomes": rights.objections.outcomes,
            "grounds": {g.code: g.name for g in rights.objections.grounds},
            "extended_total": rights.objections.extended_total_working_days,
        }

    return web.show(request, caller, build)


def current_record(
    conn: Connection, caller: Principal, record_id: str, today: dt.date, timezone: str
) -> str | None:
    """The contested record's current version in the records API's shape (JSON), to be
    edited into the correction; ``None`` if the caller may not read it. ``publicity_until``
    is left out (the stored day cannot tell whether it was given or the catalogue's)."""
    try:
        history = entities.record_history(conn, record_id, caller, today=today, timezone=timezone)
    except XinyongError:
        return None
    version = next((v for v in history.versions if v.current), None)
    if version is None:
        return None
    shape: dict[str, Any] = {
        "record_type": history.record_type,
        "provider_record_id": history.provider_record_id,
        "subject": version.subject.model_dump(),
        "decided_on": version.decided_on.isoformat(),
        "severity": version.severity,
        "legal_basis": version.legal_basis,
        "document_number": version.document_number,
        "fields": version.fields,
    }
    kept = {k: v for k, v in shape.items() if v is not None}
    return orjson.dumps(kept, option=orjson.OPT_INDENT_2).decode()


def _correction(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the corrected record is not JSON: {exc}",
            code="correction_invalid",
            field="correction",
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed(
            "the corrected record is one JSON object in the records API's format",
            code="correction_invalid",
            field="correction",
        )
    return value


@router.post("/console/objections/{objection_id}/decision")
def decide_objection(
    request: Request,
    objection_id: CaseId,
    caller: Console,
    engine: EngineDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
    outcome: Annotated[str, Form(max_length=64)] = "",
    reasons: Text = "",
    verification: Text = "",
    correction: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Decide through the objections service (one transaction: all or nothing)."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        body = DecisionIn(
            outcome=outcome,
            reasons=reasons or None,
            verification=verification or None,
            # the form holds the record as it stands: it is the correction only when correcting
            correction=_correction(correction) if outcome == objections.CORRECTED else None,
        )
        ctx = objections.Context(catalogue, schemes, declaration, rights, settings)
        with writing(engine) as conn:
            objections.decide(
                conn, caller, objection_id, body, ctx, today=today_in(settings), now=utcnow()
            )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(f"/console/objections/{objection_id}")


@router.post("/console/objections/{objection_id}/extension")
def extend_objection(
    request: Request,
    objection_id: CaseId,
    caller: Console,
    engine: EngineDep,
    rights: RightsDep,
    settings: SettingsDep,
    reasons: Text = "",
) -> Response:
    """Extend the deadline once, with reasons (the objections service's rules)."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        with writing(engine) as conn:
            objections.extend(
                conn,
                caller,
                objection_id,
                ExtensionIn(reasons=reasons),
                rights,
                today=today_in(settings),
                now=utcnow(),
            )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(f"/console/objections/{objection_id}")


# ---- restorations --------------------------------------------------------------------------


@router.get("/console/restorations", response_class=HTMLResponse)
def restoration_list(
    request: Request,
    caller: Console,
    conn: Reading,
    rights: RightsDep,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    after: str | None = None,
) -> Response:
    """Pending applications this authority decides (all of them for administrators)."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider, Role.admin)
        found = restorations.page(
            conn,
            rights,
            caller,
            status="pending",
            after=(after or "")[:64] or None,
            limit=PAGE,
            today=today_in(settings),
        )
        return "console/restorations.html", {
            "items": found.items,
            "next_after": found.next,
            "catalogue": catalogue,
        }

    return web.show(request, caller, build)


@router.get("/console/restorations/{restoration_id}", response_class=HTMLResponse)
def restoration_page(
    request: Request,
    restoration_id: CaseId,
    caller: Console,
    conn: Reading,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
    log: ReadLogDep,
) -> Response:
    """An application with its commitment and evidence, and the form to decide it."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider, Role.admin)
        found = restorations.view(
            conn, catalogue, rights, caller, restoration_id, today=today_in(settings)
        )
        log.case(
            caller, restorations.subject_of(conn, restoration_id), f"restoration:{restoration_id}"
        )
        return "console/restoration.html", {"r": found}

    return web.show(request, caller, build)


@router.get("/console/restorations/{restoration_id}/evidence/{n}")
def evidence(
    request: Request,
    restoration_id: CaseId,
    n: Annotated[int, PathParam(ge=1, le=1000)],
    caller: Console,
    conn: Reading,
    log: ReadLogDep,
) -> Response:
    """One file of evidence, through the API's download (the read is in the access log)."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        web.need(caller, Role.provider, Role.admin)
        return restorations_api.get_evidence(restoration_id, n, conn, caller, log)
    except XinyongError as exc:
        return web.fail(request, caller, exc)


@router.post("/console/restorations/{restoration_id}/decision")
def decide_restoration(
    request: Request,
    restoration_id: CaseId,
    caller: Console,
    engine: EngineDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
    decision: Annotated[str, Form(max_length=16)] = "",
    reasons: Text = "",
) -> Response:
    """Approve (the record ends at once) or reject with reasons, through the service."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        if decision not in ("approved", "rejected"):
            raise ValidationFailed(
                "choose approve or reject", code="decision_required", field="decision"
            )
        chosen: Literal["approved", "rejected"] = (
            "approved" if decision == "approved" else "rejected"
        )
        body = RestorationDecisionIn(decision=chosen, reasons=reasons or None)
        with writing(engine) as conn:
            restorations.decide(
                conn,
                catalogue,
                schemes,
                declaration,
                rights,
                caller,
                restoration_id,
                body,
                today=today_in(settings),
                now=utcnow(),
            )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(f"/console/restorations/{restoration_id}")
