"""Entity search and public entity pages (anyone); record histories (authorities)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import Caller, CatalogueDep, MaybeCaller, Reading, SettingsDep
from xinyong.auth.keys import Role
from xinyong.entities import service
from xinyong.entities.schemas import EntityView, RecordHistory, SearchPage
from xinyong.ingest.importer import today_in
from xinyong.timetravel import parse_as_of

router = APIRouter(tags=["entities"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "invalid_kind, invalid_limit, invalid_cursor, invalid_division, "
        "missing_query"
    }
}


@router.get("/entities", response_model=SearchPage, responses=_ERRORS)
def search_entities(
    conn: Reading,
    settings: SettingsDep,
    q: str | None = Query(
        default=None,
        description="Part of a name (any length, e.g. 海), or an exact USCC or identity number.",
    ),
    kind: str | None = Query(
        default=None, description="organisation, individual_business or person"
    ),
    limit: str | None = Query(
        default=None, description="Page size: 1 to search_max_limit (default 20)."
    ),
    cursor: str | None = Query(default=None, description="next_cursor of the previous page"),
    division: str | None = Query(
        default=None,
        description="A district's GB/T 2260 code (e.g. 350203): organisations and individual "
        "businesses registered there (persons are never filtered by district).",
    ),
) -> SearchPage:
    """Search subjects by name (current or former) or by code, page by page."""
    return service.search(
        conn,
        q=q,
        kind=kind,
        limit=limit,
        cursor=cursor,
        today=today_in(settings),
        max_limit=settings.search_max_limit,
        division=division,
    )


AS_OF = Query(
    default=None,
    description="YYYY-MM-DD, not after today: what the platform showed on that day, from "
    "the versions received by its end (see docs/time-travel.md). Default: today.",
)


@router.get(
    "/entities/{code}",
    response_model=EntityView,
    responses={
        400: {"description": "invalid_as_of, as_of_in_future"},
        404: {"description": "entity_not_found"},
    },
)
def get_entity(
    code: str,
    conn: Reading,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: MaybeCaller,
    log: ReadLogDep,
    as_of: str | None = AS_OF,
    purpose: str | None = Query(
        default=None,
        max_length=500,
        description="An authority's reason to see a past day in full (logged for the subject).",
    ),
    legal_basis: str | None = Query(default=None, max_length=500),
) -> EntityView:
    """A subject's public page by USCC, or a natural person's by public id: today, or as
    it was shown on ``as_of``. For the public a past day shows only records still public
    today; the subject itself, and an authority stating a ``purpose``, see that day's page
    in full (the authority's read is in the subject's access log)."""
    today = today_in(settings)
    day = parse_as_of(as_of, today)
    authority = caller is not None and caller.is_authority and bool((purpose or "").strip())
    view = service.entity_view(
        conn,
        catalogue,
        code,
        today=today,
        as_of=day,
        timezone=settings.timezone,
        full=authority,
        own_code=None if caller is None else caller.subject_code,
    )
    if authority and caller is not None and purpose and day is not None and day < today:
        log(
            caller,
            [view.entity_id()],
            purpose=purpose,
            what=f"entity page as of {day}",
            legal_basis=legal_basis,
            record_ids=[r.id for r in view.records],
        )
    return view


@router.get(
    "/records/{record_id}",
    response_model=RecordHistory,
    responses={
        400: {"description": "invalid_as_of, as_of_in_future"},
        401: {"description": "missing_api_key"},
        403: {"description": "not_your_record"},
        404: {"description": "record_not_found"},
    },
)
def get_record_history(
    record_id: str,
    conn: Reading,
    caller: Caller,
    settings: SettingsDep,
    log: ReadLogDep,
    as_of: str | None = AS_OF,
    purpose: str | None = Query(
        default=None,
        max_length=500,
        description="Why an administrator reads the record (kept in the subject's access log).",
    ),
) -> RecordHistory:
    """A record with all its versions, for the provider that submitted it and admins; with
    ``as_of``, the versions received by the end of that day and which one was current. An
    administrator's read is in the subject's access log."""
    today = today_in(settings)
    history = service.record_history(
        conn,
        record_id,
        caller,
        as_of=parse_as_of(as_of, today),
        today=today,
        timezone=settings.timezone,
    )
    subject = service.subject_of_record(conn, record_id)
    if caller.role is Role.admin and subject is not None:  # not a provider's own reading
        log(
            caller,
            [subject],
            purpose=(purpose or "").strip() or "platform administration",
            what="record history",
            record_ids=[record_id],
        )
    return history
