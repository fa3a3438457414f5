"""The audit log in the API, for auditors and administrators: its entries in order, its
head (to anchor elsewhere) and a verification of the whole chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from xinyong.api.deps import AuditorCaller, Reading
from xinyong.audit import service
from xinyong.audit.schemas import AuditEntry, AuditPage, HeadOut, VerifyOut
from xinyong.errors import BadRequest

router = APIRouter(tags=["audit"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing_api_key, invalid_api_key, expired_api_key"},
    403: {"description": "not_an_auditor"},
}


@router.get("/audit", response_model=AuditPage, responses=_AUTH)
def audit_entries(
    conn: Reading,
    _caller: AuditorCaller,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="entries after this seq (0: from the first)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="page size, 1 to 1,000")] = 100,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$",
            description="one action (record.submitted) or every action under a prefix "
            "(objection.*)",
        ),
    ] = None,
) -> AuditPage:
    """The audit log's entries in order, each with its hash and the previous entry's."""
    rows = service.page(conn, after=after, limit=limit, action=action)
    return AuditPage(
        entries=[AuditEntry(**r) for r in rows],
        next_after=rows[-1]["seq"] if len(rows) == limit else None,
    )


@router.get("/audit/head", response_model=HeadOut, responses=_AUTH)
def audit_head(conn: Reading, _caller: AuditorCaller) -> HeadOut:
    """The chain's last entry. Publish its ``anchor`` elsewhere (a newspaper, another
    system, a signed e-mail): ``xinyong audit verify --anchor SEQ:HASH`` later proves that
    nothing up to it was altered, removed or reordered."""
    return HeadOut.of(service.head(conn))


@router.get(
    "/audit/verify",
    response_model=VerifyOut,
    responses={**_AUTH, 400: {"description": "invalid_anchor"}},
)
def audit_verify(
    conn: Reading,
    _caller: AuditorCaller,
    anchor: Annotated[
        str | None,
        Query(max_length=96, description="SEQ:HASH exported earlier by GET /audit/head"),
    ] = None,
) -> VerifyOut:
    """Recompute the whole chain: ``ok``, or the first broken entry and what is wrong."""
    try:
        held = service.parse_anchor(anchor) if anchor is not None else None
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_anchor") from None
    return VerifyOut.of(service.verify(conn, anchor=held))
