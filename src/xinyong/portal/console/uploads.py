"""A provider's files: upload one (the importer of ``POST /api/v1/imports``, same limits
and errors), read its report with the row errors, download them as CSV, download templates
generated from the catalogue, and see its submission statistics."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from xinyong.api.deps import (
    CatalogueDep,
    DeclarationDep,
    EngineDep,
    Reading,
    SchemesDep,
    SettingsDep,
)
from xinyong.auth.keys import Principal, Role
from xinyong.catalogue.model import ENVELOPE_COLUMNS, Catalogue, RecordType
from xinyong.errors import BadRequest, NotFound, UnsupportedMediaType, XinyongError
from xinyong.ingest import router as imports_api
from xinyong.ingest.importer import ListsInForce, import_bytes
from xinyong.ingest.readers import FileRejected, detect_format
from xinyong.ingest.template import TemplateColumn, template_columns, write_template
from xinyong.portal import render
from xinyong.portal.console import repository, web
from xinyong.portal.console.web import Console
from xinyong.portal.render import Built

router = APIRouter(include_in_schema=False)

#: Row errors listed on a report page; the CSV download has every one.
SHOWN_ERRORS = 1000
TEMPLATE_FORMATS = ("csv", "jsonl", "xlsx")
ImportId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


# ---- templates -------------------------------------------------------------------------


def record_types_of(catalogue: Catalogue, caller: Principal) -> list[RecordType]:
    """The record types this provider may submit (the catalogue's providers section)."""
    provider = catalogue.provider(caller.provider_code or "")
    if provider is None:
        return []
    found = (catalogue.record_type(code) for code in provider.record_types)
    return [rt for rt in found if rt is not None]


def csv_template(columns: list[TemplateColumn]) -> bytes:
    """A CSV template: a BOM (for Excel) and the bilingual header the importer reads."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.label for c in columns])
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def jsonl_template(rt: RecordType, columns: list[TemplateColumn]) -> bytes:
    """A JSON Lines template: one record in the records API's shape, values left empty."""
    record: dict[str, Any] = {}
    subject: dict[str, str] = {}
    fields: dict[str, str] = {}
    for col in columns:
        if col.code in ENVELOPE_COLUMNS and col.code.startswith("subject_"):
            subject[col.code.removeprefix("subject_")] = ""
        elif col.code in ENVELOPE_COLUMNS:
            record[col.code] = rt.code if col.code == "record_type" else ""
        else:
            fields[col.code] = ""
    record["subject"] = subject
    record["fields"] = fields
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def xlsx_template(catalogue: Catalogue, rt: RecordType) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return write_template(catalogue, rt.code, Path(tmp) / "template.xlsx").read_bytes()


@router.get("/console/templates", response_class=HTMLResponse)
def templates(request: Request, caller: Console, catalogue: CatalogueDep) -> Response:
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider)
        types = [(rt, template_columns(rt)) for rt in record_types_of(catalogue, caller)]
        return "console/templates.html", {"types": types, "formats": TEMPLATE_FORMATS}

    return web.show(request, caller, build)


@router.get("/console/templates/{name}")
def template_file(
    request: Request, name: str, caller: Console, catalogue: CatalogueDep
) -> Response:
    """``<record type>.csv``, ``.jsonl`` or ``.xlsx``: a record type this provider submits."""
    if caller is None:
        return web.to_sign_in(request)
    code, _, fmt = name[:80].rpartition(".")
    try:
        web.need(caller, Role.provider)
        rt = next((t for t in record_types_of(catalogue, caller) if t.code == code), None)
        if rt is None or fmt not in TEMPLATE_FORMATS:
            raise NotFound(f"no template {name[:80]!r} for this provider", code="unknown_template")
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    columns = template_columns(rt)
    if fmt == "csv":
        body, media = csv_template(columns), "text/csv; charset=utf-8"
    elif fmt == "jsonl":
        body, media = jsonl_template(rt, columns), "application/x-ndjson"
    else:
        body = xlsx_template(catalogue, rt)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f'attachment; filename="{rt.code}-template.{fmt}"'
    return Response(body, media_type=media, headers={"content-disposition": disposition})


# ---- uploads -----------------------------------------------------------------------------


@router.get("/console/uploads", response_class=HTMLResponse)
def upload_form(request: Request, caller: Console, settings: SettingsDep) -> Response:
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider)
        return "console/upload.html", {"max_bytes": settings.max_upload_bytes}

    return web.show(request, caller, build)


def _name_and_bytes(file: StarletteUpload | str | None, limit: int) -> tuple[str, bytes]:
    """The upload's file name and at most ``limit + 1`` bytes of it (enough to refuse a
    file over the limit with the importer's own error)."""
    if not isinstance(file, StarletteUpload) or not (file.filename or "").strip():
        raise BadRequest("choose a file to upload", code="file_required")
    name = Path(file.filename or "").name[:200] or "upload.csv"
    try:
        detect_format(name)
    except FileRejected as exc:
        raise UnsupportedMediaType(exc.message, code=exc.code) from None
    return name, file.file.read(limit + 1)


@router.post("/console/uploads")
def upload(
    request: Request,
    caller: Console,
    engine: EngineDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    declaration: DeclarationDep,
    schemes: SchemesDep,
    file: UploadFile | None = File(default=None),
) -> Response:
    """Import the file as the signed-in provider (valid rows are stored, invalid ones
    reported by row and field), then show its report."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        render.same_origin(request)
        web.need(caller, Role.provider)
        name, data = _name_and_bytes(file, settings.max_upload_bytes)
        summary = import_bytes(
            engine,
            catalogue,
            settings,
            data=data,
            name=name,
            provider_code=caller.provider_code or "",
            lists=ListsInForce(schemes, declaration),
            actor=caller.actor,
        )
    except XinyongError as exc:
        return web.fail(request, caller, exc)
    return render.redirect(f"/console/imports/{summary.import_id}")


@router.get("/console/imports/{import_id}", response_class=HTMLResponse)
def import_report(
    request: Request, import_id: ImportId, caller: Console, conn: Reading, settings: SettingsDep
) -> Response:
    """An import's totals and its row errors (the API's ``GET /imports/{id}``)."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider, Role.admin)
        found = imports_api.get_import(import_id, conn, caller, settings, errors=SHOWN_ERRORS)
        return "console/import.html", {"found": found, "shown_max": SHOWN_ERRORS}

    return web.show(request, caller, build)


@router.get("/console/imports/{import_id}/errors.csv")
def import_errors_csv(
    request: Request, import_id: ImportId, caller: Console, conn: Reading
) -> Response:
    """Every row error of the import as CSV (the API's ``errors.csv``)."""
    if caller is None:
        return web.to_sign_in(request)
    try:
        web.need(caller, Role.provider, Role.admin)
        return imports_api.get_import_errors(import_id, conn, caller)
    except XinyongError as exc:
        return web.fail(request, caller, exc)


# ---- statistics --------------------------------------------------------------------------


@router.get("/console/statistics", response_class=HTMLResponse)
def statistics(request: Request, caller: Console, conn: Reading) -> Response:
    """Records submitted per record type and month, and the latest imports."""
    if caller is None:
        return web.to_sign_in(request)

    def build(lang: str) -> Built:
        web.need(caller, Role.provider)
        provider = caller.provider_code or ""
        return "console/statistics.html", {
            "by_month": repository.records_by_type_and_month(conn, provider),
            "imports": repository.imports_of(conn, provider),
        }

    return web.show(request, caller, build)
