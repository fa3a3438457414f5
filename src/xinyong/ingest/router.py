"""Submitting records: one, a batch, or a file; and reading back an import's report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import Connection

from xinyong.api.deps import (
    Caller,
    CatalogueDep,
    DeclarationDep,
    EngineDep,
    ProviderCaller,
    Reading,
    SchemesDep,
    SettingsDep,
    Writing,
)
from xinyong.auth.keys import Principal, Role
from xinyong.changes import record_ended
from xinyong.db.types import utcnow
from xinyong.errors import Forbidden, NotFound, ValidationFailed
from xinyong.ingest import repository as import_repo
from xinyong.ingest.importer import ListsInForce, import_bytes, today_in
from xinyong.ingest.problems import error_report_csv
from xinyong.ingest.schemas import (
    BatchIn,
    BatchItem,
    BatchOut,
    EndIn,
    RecordEnded,
    RecordIn,
    RecordOut,
    RowProblem,
)
from xinyong.ingest.submit import submit_objects
from xinyong.store.service import EndReason

router = APIRouter(tags=["records"])

#: An import's id: a positive integer within what both databases store.
ImportId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the import's id")]


@router.post(
    "/records",
    response_model=RecordOut,
    status_code=201,
    responses={200: {"model": RecordOut}, 422: {"description": "invalid record"}},
)
def submit_record(
    record: RecordIn,
    conn: Writing,
    caller: ProviderCaller,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
) -> Any:
    """Submit one record. ``created`` answers 201; ``unchanged`` and ``corrected`` 200."""
    written, errors = submit_objects(
        conn,
        [record.model_dump(exclude_unset=True)],
        caller,
        catalogue=catalogue,
        settings=settings,
        schemes=schemes,
        declaration=declaration,
    )
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"{first.field}: {first.message}" if first.field else first.message,
            errors=[{"field": e.field, "code": e.code, "message": e.message} for e in errors],
        )
    _row, rid, version, status = written.outcomes[0]
    body = {"id": rid, "version": version, "status": status}
    return JSONResponse(body, status_code=201 if status == "created" else 200)


@router.post("/records/batch", response_model=BatchOut)
def submit_batch(
    batch: BatchIn,
    conn: Writing,
    caller: ProviderCaller,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
) -> BatchOut:
    """Submit up to ``max_batch_records`` records. Valid ones are stored, invalid ones
    are answered with their errors; the result lists every record by its index."""
    if len(batch.records) > settings.max_batch_records:
        raise ValidationFailed(
            f"a batch holds at most {settings.max_batch_records} records, "
            f"this one {len(batch.records)}",
            code="batch_too_large",
        )
    written, errors = submit_objects(
        conn,
        batch.records,
        caller,
        catalogue=catalogue,
        settings=settings,
        schemes=schemes,
        declaration=declaration,
    )
    items = {
        row: BatchItem(index=row, id=rid, version=version, status=status)
        for row, rid, version, status in written.outcomes
    }
    for e in errors:
        item = items.setdefault(e.row, BatchItem(index=e.row, status="rejected"))
        item.errors.append(RowProblem(field=e.field, code=e.code, message=e.message))
    return BatchOut(
        accepted=written.counts["created"],
        unchanged=written.counts["unchanged"],
        corrected=written.counts["corrected"],
        rejected=len({e.row for e in errors}),
        results=[items[i] for i in sorted(items)],
    )


@router.post(
    "/records/{record_id}/end",
    response_model=RecordEnded,
    responses={404: {"description": "unknown_record"}, 409: {"description": "already_ended"}},
)
def end_a_record(
    record_id: Annotated[str, Path(max_length=64)],
    body: EndIn,
    conn: Writing,
    caller: ProviderCaller,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    schemes: SchemesDep,
    declaration: DeclarationDep,
) -> RecordEnded:
    """End a record of this provider: the obligation was fulfilled, the decision revoked, or
    it was submitted in error (``withdrawn``). From ``effective_on`` (default today) it is
    no longer in effect: grades, lists and check decisions change before this returns."""
    today = today_in(settings)
    now = utcnow()
    ended, refreshed = record_ended(
        conn,
        catalogue,
        schemes,
        declaration,
        record_id,
        provider_code=caller.provider_code,
        effective_on=body.effective_on or today,
        reason=EndReason(body.reason),
        today=today,
        now=now,
        actor=caller.actor,
        why=f"record {record_id} ended",
        details={"provider": caller.provider_code},
    )
    return RecordEnded(
        id=ended.record_id,
        version=ended.version,
        in_effect_until=ended.last_day,
        reason=body.reason,
        data_version=refreshed.revision,
    )


@router.post("/imports", status_code=201)
async def upload_import(
    engine: EngineDep,
    caller: ProviderCaller,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    declaration: DeclarationDep,
    schemes: SchemesDep,
    file: UploadFile = File(description="A .csv, .xlsx or .jsonl file in the import format"),
) -> dict[str, Any]:
    """Import a file. Valid rows are committed, invalid ones reported by row and field."""
    data = await file.read()
    name = file.filename or "upload.csv"
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
    return {
        "id": summary.import_id,
        "file": summary.file,
        **summary.totals(settings.max_reported_errors),
        "error_report": f"/api/v1/imports/{summary.import_id}/errors.csv",
    }


def _import_of(conn: Connection, import_id: int, caller: Principal) -> dict[str, Any]:
    found = import_repo.get(conn, import_id)
    if found is None:
        raise NotFound(f"no import {import_id}", code="import_not_found")
    if caller.role is not Role.admin and found["provider_code"] != caller.provider_code:
        raise Forbidden("an import is shown only to its provider", code="not_your_import")
    return found


@router.get("/imports/{import_id}")
def get_import(
    import_id: ImportId,
    conn: Reading,
    caller: Caller,
    settings: SettingsDep,
    errors: int = Query(default=100, ge=0, le=10_000, description="how many errors to list"),
) -> dict[str, Any]:
    """An import's status and totals, and its first row errors: for the provider that
    imported it and administrators."""
    found = _import_of(conn, import_id, caller)
    listed = import_repo.errors_of(conn, import_id)
    return {
        **found,
        "errors": [e.to_dict() for e in listed[:errors]],
        "error_report": f"/api/v1/imports/{import_id}/errors.csv",
    }


@router.get("/imports/{import_id}/errors.csv", response_class=PlainTextResponse)
def get_import_errors(import_id: ImportId, conn: Reading, caller: Caller) -> PlainTextResponse:
    """Every row error of an import as a CSV file (file, row, field, code, message): for
    the provider that imported it and administrators."""
    _import_of(conn, import_id, caller)
    text = error_report_csv(import_repo.errors_of(conn, import_id))
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )
