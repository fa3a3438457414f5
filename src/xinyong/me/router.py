"""Sign-in and the subject's own view in the API.

``POST /session`` verifies who signs in (:mod:`xinyong.me.identity`) and sets the
``xinyong_session`` cookie (HttpOnly, SameSite=Lax, Secure over https); ``DELETE
/session`` ends it. ``/me`` and below are for a subject only (a session, or a subject
access token as a bearer key), always about the caller's own file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from xinyong.access import service as access
from xinyong.api.deps import (
    SESSION_COOKIE,
    CatalogueDep,
    DeclarationDep,
    Reading,
    RightsDep,
    SchemesDep,
    SettingsDep,
    SubjectCaller,
    Writing,
    key_from,
)
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest
from xinyong.identifiers import display_code
from xinyong.ingest.importer import today_in
from xinyong.me import service
from xinyong.me.identity import verifier_for
from xinyong.me.schemas import (
    AccessLogEntry,
    AccessLogPage,
    HiddenIn,
    HiddenOut,
    MeOut,
    SessionIn,
    SessionOut,
)
from xinyong.me.session import cookie_args, sign_in, sign_out

router = APIRouter(tags=["me"])

_SUBJECT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing_api_key, invalid_api_key, expired_api_key"},
    403: {"description": "not_a_subject"},
    404: {"description": "unknown_subject"},
}


@router.post(
    "/session",
    response_model=SessionOut,
    status_code=201,
    responses={
        400: {"description": "unsupported_method"},
        401: {"description": "invalid_credentials"},
        404: {"description": "unknown_subject"},
    },
)
def create_session(
    body: SessionIn,
    request: Request,
    response: Response,
    conn: Writing,
    settings: SettingsDep,
    rights: RightsDep,
) -> SessionOut:
    """Sign in: verify the evidence, open a session, and set it in the
    ``xinyong_session`` cookie (HttpOnly, SameSite=Lax; Secure over https)."""
    verifier = verifier_for(settings)
    if body.method != verifier.method:
        raise BadRequest(
            f"sign-in method {body.method[:32]!r} is not offered; use {verifier.method!r}",
            code="unsupported_method",
        )
    session = sign_in(conn, verifier, body.model_dump(exclude={"method"}), rights)
    response.set_cookie(
        SESSION_COOKIE,
        session.key,
        max_age=rights.subjects.session_hours * 3600,
        **cookie_args(request.url.scheme == "https"),
    )
    s = session.subject
    return SessionOut(
        subject=display_code(s["kind"], s["code"]),
        public_id=s["public_id"],
        kind=s["kind"],
        name=s["name"],
        expires_at=session.expires_at,
    )


@router.delete("/session", status_code=204, responses={409: {"description": "not_a_session"}})
def end_session(
    request: Request,
    conn: Writing,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
    xinyong_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    """Sign out: deactivate the session (the cookie's, or a session key given as a bearer
    key) and clear the cookie. Signing out of an expired or ended session clears it too."""
    key = key_from(authorization, x_api_key) or (xinyong_session or "").strip() or None
    sign_out(conn, key)
    done = Response(status_code=204)
    done.delete_cookie(SESSION_COOKIE, **cookie_args(request.url.scheme == "https"))
    return done


@router.get("/me", response_model=MeOut, responses=_SUBJECT_ERRORS)
def get_me(conn: Reading, caller: SubjectCaller) -> MeOut:
    """Who you are on the platform: your code unmasked, kind, name, public id, division."""
    return service.me(conn, service.own_entity(conn, caller))


@router.get(
    "/me/file",
    responses={
        **_SUBJECT_ERRORS,
        200: {"description": "The whole file as a JSON download (attachment)."},
    },
)
def get_my_file(
    conn: Reading,
    caller: SubjectCaller,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Everything the platform holds on you, as one JSON file: every record with all its
    versions, publicity and end dates, whether each is public today and its marks, your
    grades, list entries, objections, restorations, statements, hidden records, and who
    read your non-public data."""
    entity = service.own_entity(conn, caller)
    content = service.subject_file(
        conn,
        entity,
        catalogue=catalogue,
        schemes=schemes,
        declaration=declaration,
        rights=rights,
        today=today_in(settings),
        now=utcnow(),
    )
    name = f"xinyong-file-{entity['public_id']}.json"
    return JSONResponse(
        jsonable_encoder(content),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.put(
    "/me/records/{record_id}/hidden",
    response_model=HiddenOut,
    responses={
        **_SUBJECT_ERRORS,
        404: {"description": "unknown_subject, unknown_record"},
        409: {"description": "cannot_hide"},
    },
)
def put_hidden(
    record_id: str,
    body: HiddenIn,
    conn: Writing,
    caller: SubjectCaller,
    catalogue: CatalogueDep,
) -> HiddenOut:
    """Hide one of your positive records from everyone else (where the catalogue allows
    it), or show it again. Every choice is kept."""
    entity = service.own_entity(conn, caller)
    return service.set_hidden(conn, catalogue, caller, entity, record_id, body.hidden, utcnow())


@router.get(
    "/me/access-log",
    response_model=AccessLogPage,
    responses={**_SUBJECT_ERRORS, 422: {"description": "invalid_cursor"}},
)
def get_my_access_log(
    conn: Reading,
    caller: SubjectCaller,
    declaration: DeclarationDep,
    rights: RightsDep,
    after: str | None = Query(default=None, max_length=200, description="'next' of a page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> AccessLogPage:
    """Who read your non-public data (authority and role), when, what, why and on what
    legal basis, and the checks authorities ran on you: newest first, page by page."""
    entity = service.own_entity(conn, caller)
    page = access.access_log(
        conn,
        entity["id"],
        declaration,
        retention_years=rights.access_log.retention_years,
        after=after,
        limit=limit,
    )
    return AccessLogPage(
        entries=[AccessLogEntry(**access.as_json(e)) for e in page.entries],
        next=page.next,
        retention_years=rights.access_log.retention_years,
    )
