"""Objections (异议) in the API: a subject files, the decider decides, everyone party to it
sees every step. See docs/objections.md."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import (
    AdminCaller,
    Caller,
    CatalogueDep,
    DeclarationDep,
    Reading,
    RightsDep,
    SchemesDep,
    SettingsDep,
    SubjectCaller,
    Writing,
)
from xinyong.audit import service as audit
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.objections import service
from xinyong.objections.schemas import (
    DecisionIn,
    Escalated,
    ExtensionIn,
    ObjectionIn,
    ObjectionOut,
    ObjectionPage,
    StatementIn,
)

router = APIRouter(tags=["objections"])

ObjectionId = Annotated[str, Path(max_length=64, description="The objection's id (o…).")]

_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "missing_api_key, invalid_api_key"}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "objection_not_found"}}


def _context(
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> service.Context:
    return service.Context(catalogue, schemes, declaration, rights, settings)


@router.post(
    "/objections",
    response_model=ObjectionOut,
    status_code=201,
    responses={
        **_AUTH,
        403: {"description": "not_a_subject"},
        404: {"description": "target_not_found"},
        409: {"description": "objection_already_open (with objection_id), restoration_not_decided"},
        422: {
            "description": "invalid_target, unknown_grounds, statement_required, "
            "statement_too_long, invalid_text"
        },
    },
)
def file_objection(
    body: ObjectionIn,
    conn: Writing,
    caller: SubjectCaller,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> ObjectionOut:
    """Object to one of the subject's items: a record (its id), ``publicity:<record id>``,
    ``listing:<list code>``, ``grade:<scheme code>`` or ``restoration:<id>``. The item is
    under objection at once; the decider decides within the working days of rights.yaml."""
    ctx = _context(catalogue, schemes, declaration, rights, settings)
    return service.file(conn, caller, body, ctx, today=today_in(settings), now=utcnow())


@router.get(
    "/objections",
    response_model=ObjectionPage,
    responses={**_AUTH, 403: {"description": "not_a_party"}, 422: {"description": "invalid_after"}},
)
def list_objections(
    conn: Reading,
    caller: Caller,
    settings: SettingsDep,
    status: Literal["open", "decided"] | None = Query(default=None),
    overdue: bool | None = Query(
        default=None, description="true: open past their due day; false: the others"
    ),
    escalated: bool | None = Query(default=None, description="escalated to the platform"),
    after: str | None = Query(
        default=None, max_length=64, description="next_after of the previous page"
    ),
    limit: int = Query(default=50, ge=1, le=500),
) -> ObjectionPage:
    """The objections the caller is party to, in filing order: a subject's own, those a
    provider decides, all of them for administrators."""
    return service.page(
        conn,
        caller,
        status=status,
        overdue=overdue,
        escalated=escalated,
        after=after,
        limit=limit,
        today=today_in(settings),
    )


@router.post(
    "/objections/escalations",
    response_model=Escalated,
    responses={**_AUTH, 403: {"description": "not_an_admin"}},
)
def escalate(conn: Writing, caller: AdminCaller, settings: SettingsDep) -> Escalated:
    """Escalate every open objection past its due day to the platform's administrators
    (what ``xinyong objections escalate`` does daily); the ids escalated now."""
    ids = service.escalate_overdue(conn, today_in(settings), utcnow(), run_by=caller.actor)
    audit.record(conn, caller.actor, "admin.objections_escalated", None, {"escalated": len(ids)})
    return Escalated(escalated=ids)


@router.get(
    "/objections/{objection_id}", response_model=ObjectionOut, responses={**_AUTH, **_NOT_FOUND}
)
def get_objection(
    objection_id: ObjectionId,
    conn: Reading,
    caller: Caller,
    rights: RightsDep,
    settings: SettingsDep,
    log: ReadLogDep,
) -> ObjectionOut:
    """Every step of an objection, for its subject, its decider and administrators (an
    authority's read is in the subject's access log)."""
    found = service.get_objection(conn, caller, objection_id, rights, today_in(settings))
    log.case(caller, service.subject_of(conn, objection_id), f"objection:{objection_id}")
    return found


@router.post(
    "/objections/{objection_id}/extension",
    response_model=ObjectionOut,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        403: {"description": "not_the_decider"},
        409: {"description": "already_extended, objection_decided, extension_too_late"},
        422: {"description": "reasons_required, reasons_too_long, invalid_text"},
    },
)
def extend_objection(
    objection_id: ObjectionId,
    body: ExtensionIn,
    conn: Writing,
    caller: Caller,
    rights: RightsDep,
    settings: SettingsDep,
) -> ObjectionOut:
    """Extend the deadline once, with reasons, to the extended total of working days."""
    return service.extend(
        conn, caller, objection_id, body, rights, today=today_in(settings), now=utcnow()
    )


@router.post(
    "/objections/{objection_id}/decision",
    response_model=ObjectionOut,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        403: {"description": "not_the_decider, not_escalated"},
        409: {"description": "objection_decided, already_ended"},
        422: {
            "description": "unknown_outcome, reasons_required, verification_required, "
            "correction_required, correction_not_applicable, correction_mismatch, "
            "correction_invalid (with errors), outcome_not_applicable, *_too_long, "
            "invalid_text"
        },
    },
)
def decide_objection(
    objection_id: ObjectionId,
    body: DecisionIn,
    conn: Writing,
    caller: Caller,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> ObjectionOut:
    """Decide, in one transaction: ``corrected`` (a new version of the record), ``deleted``
    (the provider withdraws it), ``upheld`` (reasons) or ``unconfirmed`` (verification)."""
    ctx = _context(catalogue, schemes, declaration, rights, settings)
    return service.decide(
        conn, caller, objection_id, body, ctx, today=today_in(settings), now=utcnow()
    )


@router.post(
    "/objections/{objection_id}/statement",
    response_model=ObjectionOut,
    status_code=201,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        403: {"description": "not_the_subject"},
        422: {"description": "text_required, text_too_long, invalid_text"},
    },
)
def add_statement(
    objection_id: ObjectionId,
    body: StatementIn,
    conn: Writing,
    caller: Caller,
    rights: RightsDep,
    settings: SettingsDep,
) -> ObjectionOut:
    """The subject's statement, shown beside the record (also after the decision)."""
    return service.add_statement(
        conn, caller, objection_id, body, rights, today=today_in(settings), now=utcnow()
    )
