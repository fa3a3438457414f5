"""Entity search and public entity pages (anyone); record histories (authorities)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from xinyong.api.deps import Caller, CatalogueDep, Reading, SettingsDep
from xinyong.entities import service
from xinyong.entities.schemas import EntityView, RecordHistory, SearchPage
from xinyong.ingest.importer import today_in

router = APIRouter(tags=["entities"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "invalid_kind, invalid_limit, invalid_cursor, missing_query"}
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
    )


@router.get(
    "/entities/{code}",
    response_model=EntityView,
    responses={404: {"description": "entity_not_found"}},
)
def get_entity(
    code: str, conn: Reading, catalogue: CatalogueDep, settings: SettingsDep
) -> EntityView:
    """A subject's public page by USCC, or a natural person's by public id."""
    return service.entity_view(conn, catalogue, code, today=today_in(settings))


@router.get(
    "/records/{record_id}",
    response_model=RecordHistory,
    responses={
        401: {"description": "missing_api_key"},
        403: {"description": "not_your_record"},
        404: {"description": "record_not_found"},
    },
)
def get_record_history(record_id: str, conn: Reading, caller: Caller) -> RecordHistory:
    """A record with all its versions, for the provider that submitted it and admins."""
    return service.record_history(conn, record_id, caller)
