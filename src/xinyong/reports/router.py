"""Credit reports in the API: a subject's signed PDF (public view for anyone, full view
for the subject itself), verification of an uploaded report, the public key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from xinyong.api.deps import (
    CatalogueDep,
    DeclarationDep,
    MaybeCaller,
    Reading,
    SchemesDep,
    SettingsDep,
    SubjectCaller,
    Writing,
)
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.reports import service, signing
from xinyong.settings import Settings
from xinyong.timetravel import parse_as_of

router = APIRouter(tags=["reports"])

#: The largest upload ``POST /reports/verify`` reads (a report is far smaller).
PDF = "application/pdf"

AS_OF = Query(
    default=None,
    description="YYYY-MM-DD, not after today: the report shows the subject as of that day "
    "(see docs/time-travel.md). Default: today.",
)
_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {}}, "description": "The signed report (see docs/reports.md)."},
    400: {"description": "invalid_as_of, as_of_in_future"},
    404: {"description": "entity_not_found"},
    503: {"description": "report_font_missing, report_key_unavailable"},
}


def _context(
    settings: Settings, catalogue: CatalogueDep, schemes: SchemesDep, decl: DeclarationDep
) -> service.Context:
    return service.Context(
        catalogue=catalogue,
        schemes=schemes,
        declaration=decl,
        today=today_in(settings),
        timezone=settings.timezone,
    )


def _pdf(issued: service.Issued) -> Response:
    return Response(
        issued.pdf,
        media_type=PDF,
        headers={
            "Content-Disposition": f'attachment; filename="{issued.report_id}.pdf"',
            "X-Report-Id": issued.report_id,
        },
    )


def _base(request: Request) -> str:
    return str(request.base_url)


@router.get("/entities/{code}/report.pdf", response_class=Response, responses=_PDF_RESPONSE)
def public_report(
    code: str,
    request: Request,
    conn: Writing,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    caller: MaybeCaller,
    as_of: str | None = AS_OF,
) -> Response:
    """The subject's public credit report as of a day: a PDF signed with Ed25519."""
    ctx = _context(settings, catalogue, schemes, decl)
    issued = service.issue(
        conn,
        ctx,
        code[:64],
        view=service.PUBLIC,
        as_of=parse_as_of(as_of, ctx.today),
        actor=caller.actor if caller is not None else "public",
        base_url=_base(request),
        now=utcnow(),
    )
    return _pdf(issued)


@router.get("/me/report.pdf", response_class=Response, responses=_PDF_RESPONSE)
def own_report(
    request: Request,
    conn: Writing,
    caller: SubjectCaller,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    as_of: str | None = AS_OF,
) -> Response:
    """The signed-in subject's own report, in full (nothing masked)."""
    ctx = _context(settings, catalogue, schemes, decl)
    issued = service.issue(
        conn,
        ctx,
        caller.subject_code or "",
        view=service.FULL,
        as_of=parse_as_of(as_of, ctx.today),
        actor=caller.actor,
        base_url=_base(request),
        now=utcnow(),
    )
    return _pdf(issued)


@router.post(
    "/reports/verify",
    responses={
        413: {"description": "report_too_large"},
        422: {"description": "not_a_pdf"},
    },
)
async def verify_report(
    conn: Reading,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    file: UploadFile = File(description="A report PDF issued by this platform"),
) -> dict[str, Any]:
    """Whether the uploaded report was signed by this platform and is unaltered
    (``valid``), and whether its subject's content has changed since it was issued."""
    limit = min(service.MAX_REPORT_BYTES, settings.max_upload_bytes)
    data = service.checked_upload(await file.read(limit + 1), limit)
    ctx = _context(settings, catalogue, schemes, decl)
    return service.verify(conn, ctx, data).as_json()


@router.get(
    "/reports/public-key",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
def public_key() -> Response:
    """The platform's Ed25519 public key (PEM) that report signatures verify against."""
    return Response(
        signing.public_key_pem(signing.signing_key()), media_type="application/x-pem-file"
    )
