"""The public portal: server-rendered pages (Jinja2), in Chinese and English (Babel).

Every page works without JavaScript and loads nothing from elsewhere: the one stylesheet
is served by :func:`stylesheet`. A typed error becomes an HTML page with its message:
404 for an unknown entity, list or scheme, 400 for a bad parameter (never a 500).
See ``docs/portal.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from xinyong.api.deps import CatalogueDep, DeclarationDep, Reading, SchemesDep, SettingsDep
from xinyong.entities import service as entities_service
from xinyong.errors import BadRequest, NotFound, XinyongError
from xinyong.ingest.importer import today_in
from xinyong.portal import render
from xinyong.portal import service as pages
from xinyong.portal.render import Built
from xinyong.reports import service as reports
from xinyong.timetravel import parse_as_of

router = APIRouter(include_in_schema=False)

_CSS = render.stylesheet()
_KINDS = ("organisation", "individual_business", "person")


def _query(params: dict[str, str]) -> str:
    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


def _respond(request: Request, build: Callable[[str], Built]) -> Response:
    return render.page(request, build)


@router.get("/static/portal.css")
def stylesheet() -> Response:
    """The portal's one stylesheet, every ``static/*.css`` (served here: nothing loads from a
    CDN)."""
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, decl: DeclarationDep) -> Response:
    lists = [lst for lst in decl.lists if lst.publication.public]
    return _respond(request, lambda lang: ("home.html", {"lists": lists}))


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    conn: Reading,
    settings: SettingsDep,
    q: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    district: str | None = None,
) -> Response:
    def build(lang: str) -> Built:
        if not (q or "").strip():
            return "search.html", {"q": "", "kind": kind or "", "results": None}
        found = entities_service.search(
            conn,
            q=q,
            kind=kind,
            cursor=cursor,
            today=today_in(settings),
            max_limit=settings.search_max_limit,
            division=district,
        )
        declared = [d.code for d in request.app.state.divisions.divisions]
        return "search.html", {
            "q": q,
            "kind": kind or "",
            "kinds": _KINDS,
            "district": district or "",
            "districts": declared,
            "results": found.items,
            "next_cursor": found.next_cursor,
        }

    return _respond(request, build)


@router.get("/entities/{code}", response_class=HTMLResponse)
def entity(
    request: Request,
    code: str,
    conn: Reading,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    settings: SettingsDep,
) -> Response:
    def build(lang: str) -> Built:
        page = pages.entity_page(
            conn,
            catalogue,
            schemes,
            decl,
            code[:64],
            today=today_in(settings),
            timezone=settings.timezone,
        )
        return "entity.html", {"page": page, "catalogue": catalogue}

    return _respond(request, build)


@router.get("/schemes/{code}", response_class=HTMLResponse)
def scheme(request: Request, code: str, schemes: SchemesDep, catalogue: CatalogueDep) -> Response:
    def build(lang: str) -> Built:
        found = schemes.get(code)
        if found is None:
            raise NotFound(f"no scheme {code[:64]!r}", code="unknown_scheme")
        return "scheme.html", {"scheme": found, "catalogue": catalogue}

    return _respond(request, build)


@router.get("/lists", response_class=HTMLResponse)
def lists_index(request: Request, decl: DeclarationDep) -> Response:
    shown = [lst for lst in decl.lists if lst.publication.public]
    return _respond(request, lambda lang: ("lists.html", {"lists": shown}))


def _members_args(
    kind: str | None, as_of: str | None, after: str | None, today: dt.date
) -> tuple[str | None, dt.date, int]:
    wanted = entities_service.parse_kind(kind)
    day = parse_as_of(as_of, today) or today
    text = (after or "0").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise BadRequest("after must be a row number", code="invalid_cursor")
    return wanted, day, int(text)


@router.get("/lists/{code}.csv")
def list_csv(
    request: Request,
    code: str,
    conn: Reading,
    catalogue: CatalogueDep,
    decl: DeclarationDep,
    settings: SettingsDep,
    kind: str | None = None,
    as_of: str | None = None,
) -> Response:
    """Every member of a published list on a day, as CSV (UTF-8 with a BOM for Excel)."""
    try:
        lst = pages.public_list(decl, code)
        today = today_in(settings)
        wanted, day, _ = _members_args(kind, as_of, None, today)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["code", "kind", "name", "since", "until", "legal_basis", "document_number"]
        )
        after: int | None = 0
        while after is not None:
            rows, after = pages.list_members(
                conn,
                catalogue,
                lst,
                kind=wanted,
                day=day,
                today=today,
                timezone=settings.timezone,
                after=after,
                limit=1000,
            )
            for m in rows:
                writer.writerow(
                    [
                        m.code,
                        m.kind,
                        m.name,
                        m.since,
                        m.until or "",
                        m.legal_basis,
                        m.document_number or "",
                    ]
                )
    except XinyongError as exc:
        failed = exc
        return _respond(request, lambda lang: _raise(failed))
    return Response(
        out.getvalue().encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{lst.code}-{day}.csv"'},
    )


def _raise(exc: XinyongError) -> Built:
    raise exc


@router.get("/lists/{code}", response_class=HTMLResponse)
def list_page(
    request: Request,
    code: str,
    conn: Reading,
    catalogue: CatalogueDep,
    decl: DeclarationDep,
    settings: SettingsDep,
    kind: str | None = None,
    as_of: str | None = None,
    after: str | None = None,
) -> Response:
    def build(lang: str) -> Built:
        lst = pages.public_list(decl, code)
        today = today_in(settings)
        wanted, day, start = _members_args(kind, as_of, after, today)
        rows, following = pages.list_members(
            conn,
            catalogue,
            lst,
            kind=wanted,
            day=day,
            today=today,
            timezone=settings.timezone,
            after=start,
        )
        kinds = [k.value for k in lst.subject_kinds]
        if not lst.publication.persons:
            kinds = [k for k in kinds if k != "person"]
        return "list.html", {
            "list": lst,
            "members": rows,
            "next_after": following,
            "kind": wanted or "",
            "kinds": kinds,
            "as_of": day,
            "as_of_raw": as_of or "",
            "csv_href": f"/lists/{lst.code}.csv"
            + _query({"kind": wanted or "", "as_of": as_of or ""}),
        }

    return _respond(request, build)


@router.get("/publicity/{which}", response_class=HTMLResponse)
def publicity(
    request: Request,
    which: str,
    conn: Reading,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    provider: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page: str | None = None,
) -> Response:
    def build(lang: str) -> Built:
        if which not in pages.PUBLICITY_TYPES:
            raise NotFound(f"no page {which[:40]!r}", code="not_found")
        number = pages.parse_page(page)
        rows, more = pages.publicity(
            conn,
            catalogue,
            which,
            today=today_in(settings),
            provider=(provider or "").strip() or None,
            date_from=pages.parse_date(date_from, "date_from"),
            date_to=pages.parse_date(date_to, "date_to"),
            page=number,
        )
        rt_code = pages.PUBLICITY_TYPES[which]
        providers = [p for p in catalogue.providers if rt_code in p.record_types]
        return "publicity.html", {
            "which": which,
            "record_type": catalogue.record_type(rt_code),
            "rows": rows,
            "providers": providers,
            "provider": provider or "",
            "date_from": date_from or "",
            "date_to": date_to or "",
            "page": number,
            "more": more,
            "catalogue": catalogue,
        }

    return _respond(request, build)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, conn: Reading, id: str | None = None) -> Response:
    """Where a report's QR code points: the register's entry for ``id``, and a form to
    upload the PDF and verify it."""

    def build(lang: str) -> Built:
        asked = (id or "").strip()[:64]
        issued = reports.issued_report(conn, asked) if asked else None
        return "verify.html", {"issued": issued, "asked_id": asked, "result": None}

    return _respond(request, build)


@router.post("/verify", response_class=HTMLResponse)
async def verify_upload(
    request: Request,
    conn: Reading,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    file: UploadFile | None = File(default=None),
) -> Response:
    """Verify an uploaded report: authentic and unaltered, and whether the subject's
    information has changed since it was issued."""
    limit = min(reports.MAX_REPORT_BYTES, settings.max_upload_bytes)
    data = b"" if file is None else await file.read(limit + 1)

    def build(lang: str) -> Built:
        if not data:
            raise BadRequest("choose the report's PDF file to upload", code="file_required")
        checked = reports.checked_upload(data, limit)
        ctx = reports.Context(
            catalogue=catalogue,
            schemes=schemes,
            declaration=decl,
            today=today_in(settings),
            timezone=settings.timezone,
        )
        result = reports.verify(conn, ctx, checked)
        issued = reports.issued_report(conn, result.report_id or "") if result.valid else None
        return "verify.html", {"issued": issued, "asked_id": "", "result": result}

    return _respond(request, build)
