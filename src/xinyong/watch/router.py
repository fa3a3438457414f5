"""Watch lists and webhooks: a consuming authority's subjects, its webhook, its deliveries.

Only consumer keys; a consumer sees only its own watches and deliveries, and only for the
measures its key is scoped to.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from xinyong.api.deps import (
    ConsumerCaller,
    DeclarationDep,
    Reading,
    SchemesDep,
    SettingsDep,
    Writing,
)
from xinyong.audit import service as audit
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.watch import service
from xinyong.watch.schemas import (
    DeliveryPage,
    DeliveryStatus,
    UnwatchOut,
    WatchesIn,
    WatchesOut,
    WatchPage,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(tags=["watch lists"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing_api_key, invalid_api_key"},
    403: {"description": "not_a_consumer, measure_not_in_scope"},
    422: {"description": "invalid_request"},
}
After = Annotated[
    int, Query(ge=0, le=2**31 - 1, description="next_after of the previous page (0: the first)")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (1 to 1,000).")]


@router.put("/webhook", response_model=WebhookOut, responses=_AUTH)
def put_webhook(body: WebhookIn, conn: Writing, caller: ConsumerCaller) -> WebhookOut:
    """Register or replace the URL that receives this authority's events, and the secret
    that signs them (HMAC-SHA256; see docs/webhooks.md). The secret is never shown again."""
    out = service.put_webhook(conn, caller, body, utcnow())
    audit.record(conn, caller.actor, "webhook.registered", caller.consumer_code, {"url": out.url})
    return out


@router.get(
    "/webhook",
    response_model=WebhookOut,
    responses={**_AUTH, 404: {"description": "webhook_not_found"}},
)
def get_webhook(conn: Reading, caller: ConsumerCaller) -> WebhookOut:
    """This authority's webhook (without its secret) and its deliveries by status."""
    return service.get_webhook(conn, caller)


@router.delete(
    "/webhook", status_code=204, responses={**_AUTH, 404: {"description": "webhook_not_found"}}
)
def delete_webhook(conn: Writing, caller: ConsumerCaller) -> Response:
    """Remove the webhook. Its pending deliveries end as failed; watches stay."""
    service.delete_webhook(conn, caller)
    audit.record(conn, caller.actor, "webhook.removed", caller.consumer_code)
    return Response(status_code=204)


@router.get("/webhook/deliveries", response_model=DeliveryPage, responses=_AUTH)
def list_deliveries(
    conn: Reading,
    caller: ConsumerCaller,
    status: Annotated[
        DeliveryStatus | None, Query(description="pending, delivered or failed")
    ] = None,
    after: After = 0,
    limit: Limit = 100,
) -> DeliveryPage:
    """This authority's delivery log, oldest first: each event, its status and attempts."""
    return service.delivery_log(conn, caller, status=status, after=after, limit=limit)


@router.post(
    "/watches",
    response_model=WatchesOut,
    responses={
        **_AUTH,
        404: {"description": "unknown_measure"},
        409: {"description": "measure_not_published"},
    },
)
def add_watches(
    body: WatchesIn,
    conn: Writing,
    caller: ConsumerCaller,
    decl: DeclarationDep,
    schemes: SchemesDep,
    settings: SettingsDep,
) -> Response:
    """Watch subjects for a measure (idempotent). The answer holds each subject's current
    decision; from now on each change of it is sent to the webhook. Codes that name no
    subject are listed in ``unknown``."""
    answer = service.register(
        conn,
        decl,
        schemes,
        caller,
        body,
        day=today_in(settings),
        now=utcnow(),
        max_subjects=settings.max_check_subjects,
    )
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get("/watches", response_model=WatchPage, responses=_AUTH)
def list_watches(
    conn: Reading,
    caller: ConsumerCaller,
    measure: Annotated[str | None, Query(max_length=64, description="One measure")] = None,
    after: After = 0,
    limit: Limit = 100,
) -> WatchPage:
    """This authority's watches, with the decision each was last told, by id."""
    return service.list_watches(conn, caller, measure=measure, after=after, limit=limit)


@router.delete("/watches", response_model=UnwatchOut, responses=_AUTH)
def remove_watches(
    body: WatchesIn, conn: Writing, caller: ConsumerCaller, settings: SettingsDep
) -> UnwatchOut:
    """Stop watching subjects for a measure."""
    return service.unregister(conn, caller, body, max_subjects=settings.max_check_subjects)
