"""Credit restoration (信用修复) in the API: apply, follow, download evidence, decide.

A subject applies for one of its own negative records with a credit commitment and evidence
(inline, base64). The record's provider decides within ``decide_working_days`` working days;
an approval ends the record before the answer is sent. See ``docs/restorations.md``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import (
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
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.restorations import service
from xinyong.restorations.schemas import (
    DecisionIn,
    RestorationIn,
    RestorationOut,
    RestorationPage,
)

router = APIRouter(tags=["restorations"])

RestorationId = Annotated[str, Path(max_length=64, description="The application's id")]

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing_api_key, invalid_api_key, expired_api_key"},
}
_FILE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    403: {"description": "not_a_subject"},
    404: {"description": "unknown_record (not a record of the calling subject)"},
    409: {
        "description": "not_negative, not_restorable, cannot_end_early (with reason), "
        "not_in_publicity, minimum_period_not_reached (with eligible_from), "
        "restoration_pending"
    },
    413: {"description": "evidence_too_large; payload_too_large (the whole request body)"},
    415: {"description": "evidence_type_not_allowed"},
    422: {
        "description": "commitment_required, evidence_required, too_many_files, "
        "invalid_evidence, invalid_request"
    },
}


@router.post(
    "/restorations", response_model=RestorationOut, status_code=201, responses=_FILE_ERRORS
)
def apply(
    body: RestorationIn,
    conn: Writing,
    caller: SubjectCaller,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> RestorationOut:
    """Apply for credit restoration of one of your records: a signed credit commitment
    and evidence that the obligations were fulfilled. The record's provider decides within
    the working-day deadline in ``due_on``."""
    today = today_in(settings)
    rid = service.file_application(conn, catalogue, rights, caller, body, today=today, now=utcnow())
    return service.view(conn, catalogue, rights, caller, rid, today=today)


@router.get(
    "/restorations",
    response_model=RestorationPage,
    responses={
        **_AUTH,
        403: {"description": "not_a_party"},
        422: {"description": "invalid_status, invalid_request"},
    },
)
def list_restorations(
    conn: Reading,
    caller: Caller,
    rights: RightsDep,
    settings: SettingsDep,
    status: str | None = Query(
        default=None, max_length=16, description="pending, approved, rejected"
    ),
    after: str | None = Query(
        default=None, max_length=64, description="The last id of the previous page"
    ),
    limit: int = Query(default=50, ge=1, le=service.MAX_LIMIT),
) -> RestorationPage:
    """A subject's own applications; a provider's, those it decides; an administrator's,
    all. Oldest first, with each one's deadline and whether it is overdue."""
    return service.page(
        conn, rights, caller, status=status, after=after, limit=limit, today=today_in(settings)
    )


@router.get(
    "/restorations/{restoration_id}",
    response_model=RestorationOut,
    responses={**_AUTH, 404: {"description": "restoration_not_found"}},
)
def get_restoration(
    restoration_id: RestorationId,
    conn: Reading,
    caller: Caller,
    catalogue: CatalogueDep,
    rights: RightsDep,
    settings: SettingsDep,
    log: ReadLogDep,
) -> RestorationOut:
    """An application and every step: status, record, commitment, evidence, deadline,
    working days left, whether it is overdue, the decision and its reasons (an authority's
    read is in the subject's access log)."""
    found = service.view(conn, catalogue, rights, caller, restoration_id, today=today_in(settings))
    log.case(caller, service.subject_of(conn, restoration_id), f"restoration:{restoration_id}")
    return found


@router.get(
    "/restorations/{restoration_id}/evidence/{n}",
    response_class=Response,
    responses={
        **_AUTH,
        200: {"description": "The file, with its media type"},
        404: {"description": "restoration_not_found, evidence_not_found"},
    },
)
def get_evidence(
    restoration_id: RestorationId,
    n: Annotated[int, Path(ge=1, le=1000, description="The file's position (1-based)")],
    conn: Reading,
    caller: Caller,
    log: ReadLogDep,
) -> Response:
    """Download one file of an application's evidence (an authority's download is in the
    subject's access log)."""
    found = service.evidence_file(conn, caller, restoration_id, n)
    log.case(caller, service.subject_of(conn, restoration_id), f"restoration:{restoration_id}:{n}")
    return Response(
        content=found["content"],
        media_type=found["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found['filename'])}",
            "X-Content-Type-Options": "nosniff",
            "X-Evidence-SHA256": found["sha256"],
        },
    )


@router.post(
    "/restorations/{restoration_id}/decision",
    response_model=RestorationOut,
    responses={
        **_AUTH,
        403: {"description": "not_the_decider"},
        404: {"description": "restoration_not_found"},
        409: {"description": "restoration_decided"},
        422: {"description": "reasons_required, invalid_request"},
    },
)
def decide(
    restoration_id: RestorationId,
    body: DecisionIn,
    conn: Writing,
    caller: Caller,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> RestorationOut:
    """Approve or reject (with reasons). An approval ends the record from today: it leaves
    public view, grades, lists and check decisions before this answers."""
    return service.decide(
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
