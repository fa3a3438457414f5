"""The check API: other authorities ask whether a measure applies, at the point of service.

``POST /checks`` needs a consuming authority's key scoped to the measure. Every call is
logged (who, purpose, reference, data version, each decision); consumers export their log
and report back what they did; statistics count both.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Connection

from xinyong.api.deps import (
    Caller,
    ConsumerCaller,
    DeclarationDep,
    EngineDep,
    Reading,
    SettingsDep,
    Writing,
    key_from,
)
from xinyong.auth.keys import Principal, Role
from xinyong.checks import service
from xinyong.checks.schemas import CheckIn, CheckOut, FeedbackIn, FeedbackOut
from xinyong.db.types import utcnow
from xinyong.errors import (
    BadRequest,
    Forbidden,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings
from xinyong.timetravel import known_by, parse_as_of

router = APIRouter(tags=["checks"])

CheckId = Annotated[str, Path(max_length=24, description="the check's id")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid_as_of, as_of_in_future"},
    403: {"description": "not_a_consumer, measure_not_in_scope"},
    404: {"description": "unknown_measure"},
    409: {"description": "measure_not_published"},
}


def asker_of(caller: Principal) -> service.Asker:
    return service.Asker(caller.consumer_code or "", caller.key_id, caller.scopes)


def _viewer(caller: Principal) -> service.Asker | None:
    """A consumer sees its own checks; an administrator or auditor every consumer's."""
    if caller.role is Role.admin:
        return None
    if caller.role is Role.consumer:
        return asker_of(caller)
    raise Forbidden("check logs are for consumers and administrators", code="not_a_consumer")


#: Checks of up to this many subjects are decided on the event loop (a few index lookups);
#: bigger ones in a worker thread, so that they never hold up the small ones.
INLINE_SUBJECTS = 20


@router.post("/checks", response_model=CheckOut, responses=_ERRORS)
async def post_check(
    body: CheckIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Response:
    """Does ``measure`` apply to each subject today (or, with ``as_of``, as the platform
    would have answered on that day)? Each answer cites the list entries (record, legal
    basis, since, until) or grades behind it. Logged (committed) before it returns.

    This is the platform's hottest path, so it avoids the thread pool: the key is checked
    against a short-lived cache, a small check reads on the event loop, and the log is
    group-committed with the other checks in flight (:mod:`xinyong.checks.log_writer`).
    Valid JSON requests are served by :class:`xinyong.checks.fast.FastCheckRoute`, which
    calls :func:`answer_check` as this route does; this route documents the API and answers
    everything else (invalid bodies, other content types) the same way as ever.
    """
    return await answer_check(request, body, authorization, x_api_key)


async def answer_check(
    request: Request, body: CheckIn, authorization: str | None, x_api_key: str | None
) -> Response:
    """Authenticate, decide, log (committed) and answer a check."""
    state = request.app.state
    settings: Settings = state.settings
    key = key_from(authorization, x_api_key)
    if key is None:
        raise Unauthorized(
            "an API key is required (Authorization: Bearer <key>)", code="missing_api_key"
        )
    caller = state.keys.authenticate(state.engine, key)
    if caller.role is not Role.consumer:
        raise Forbidden(
            "only a consuming authority's key may do this (xinyong keys create --consumer)",
            code="not_a_consumer",
        )
    if len(body.subjects) > settings.max_check_subjects:
        raise ValidationFailed(
            f"a check takes at most {settings.max_check_subjects:,} subjects, "
            f"this one {len(body.subjects):,}",
            code="too_many_subjects",
        )
    long = next((i for i, s in enumerate(body.subjects) if not 0 < len(s.strip()) <= 32), None)
    if long is not None:
        raise ValidationFailed(
            f"subjects.{long}: a code has 1 to 32 characters", code="invalid_subject_code"
        )

    today = today_in(settings)
    as_of: service.AsOf | None = None
    if body.as_of is not None:
        day = parse_as_of(body.as_of, today)
        if day is not None:
            cutoff = known_by(day, today, settings.timezone)
            as_of = service.AsOf(day, cutoff, state.catalogue)

    def prepare(conn: Connection) -> service.CheckResult:
        return service.prepare_check(
            conn,
            state.declaration,
            state.schemes,
            asker_of(caller),
            measure_code=body.measure,
            codes=body.subjects,
            purpose=body.purpose,
            reference=body.reference,
            day=today,
            now=utcnow(),
            as_of=as_of,
        )

    log = state.check_log
    # a past day reads history and may rate subjects: never on the event loop
    if len(body.subjects) <= INLINE_SUBJECTS and (as_of is None or as_of.known_by is None):
        result = state.check_reader.run(prepare)
        logged = log.submit(result.head, result.results)
        answer = service.answer_bytes(result)
    else:
        today_only = as_of is None or as_of.known_by is None

        def in_thread() -> tuple[service.CheckResult, asyncio.Future[None], bytes]:
            # A big check makes hundreds of thousands of objects that die with it: the
            # cyclic garbage collector would scan them again and again (a third of the time)
            with service.gc_paused():
                if today_only:  # logged in parts, each written while the next is decided
                    return in_parts()
                with state.engine.connect() as conn, conn.begin():
                    prepared = prepare(conn)
                # the log is written (by the writer process) while the answer is made
                done = log.submit(prepared.head, prepared.results, loop)
                return prepared, done, service.answer_bytes(prepared)

        def in_parts() -> tuple[service.CheckResult, asyncio.Future[None], bytes]:
            parts = log.in_parts(service.new_check_id())
            try:
                with state.engine.connect() as conn, conn.begin():
                    prepared = service.prepare_in_parts(
                        conn,
                        state.declaration,
                        state.schemes,
                        asker_of(caller),
                        parts.send,
                        check_id=parts.check_id,
                        measure_code=body.measure,
                        codes=body.subjects,
                        purpose=body.purpose,
                        reference=body.reference,
                        day=as_of.day if as_of is not None else today,
                        now=utcnow(),
                        as_of=as_of.day if as_of is not None else None,
                    )
            except BaseException:
                parts.abort()
                raise
            done = parts.end(prepared.head, loop)
            return prepared, done, service.answer_bytes(prepared)

        loop = asyncio.get_running_loop()
        result, logged, answer = await run_in_threadpool(in_thread)
    try:
        await logged
    except Exception as exc:  # never answer a check that was not logged
        raise Unavailable(
            "the check could not be logged; it was not answered: try again",
            code="check_log_unavailable",
        ) from exc
    return Response(answer, media_type="application/json")


@router.get("/checks/log", responses={403: {"description": "not_a_consumer"}})
def check_log(
    engine: EngineDep,
    caller: Caller,
    consumer: str | None = Query(default=None, max_length=64, description="admin: one consumer"),
    measure: str | None = Query(default=None, max_length=64),
    start: dt.date | None = Query(default=None, alias="from", description="from this day"),
    end: dt.date | None = Query(default=None, alias="to", description="before this day"),
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> StreamingResponse:
    """The log of checks, one line per subject decided: the caller's own, or (admin) any
    consumer's. JSON lines or CSV."""
    viewer = _viewer(caller)
    if viewer is not None:
        if consumer is not None and consumer != viewer.consumer_code:
            raise Forbidden("a consumer exports only its own log", code="not_your_log")
        consumer = viewer.consumer_code
    if start and end and end <= start:
        raise BadRequest("'to' must be after 'from'", code="invalid_window")

    def rows() -> Iterator[dict[str, Any]]:
        with engine.connect() as conn, conn.begin():
            yield from service.log_of(
                conn, consumer=consumer, measure=measure, start=start, end=end
            )

    name = f"checks-{consumer or 'all'}"
    if format == "csv":
        return StreamingResponse(
            _csv(rows()),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return StreamingResponse(
        (orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in rows()),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{name}.jsonl"'},
    )


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=service.LOG_FIELDS)
    writer.writeheader()
    for n, row in enumerate(rows, 1):
        writer.writerow(row)
        if n % 1000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.get("/checks/statistics")
def check_statistics(
    conn: Reading,
    caller: Caller,
    decl: DeclarationDep,
    consumer: str | None = Query(default=None, max_length=64),
    start: dt.date | None = Query(default=None, alias="from"),
    end: dt.date | None = Query(default=None, alias="to"),
) -> dict[str, Any]:
    """Checks per measure and month, and the feedback: sanctions and incentives applied."""
    viewer = _viewer(caller)
    if viewer is not None:
        consumer = viewer.consumer_code
    return service.statistics(conn, decl, consumer=consumer, start=start, end=end)


@router.get("/checks/{check_id}", responses={404: {"description": "unknown_check"}})
def get_check(check_id: CheckId, conn: Reading, caller: Caller) -> dict[str, Any]:
    """A logged check and its decisions."""
    return service.check_with_results(conn, check_id, _viewer(caller))


@router.post(
    "/checks/{check_id}/feedback",
    response_model=FeedbackOut,
    status_code=201,
    responses={404: {"description": "unknown_check"}, 422: {"description": "subject_not_in_check"}},
)
def post_feedback(
    check_id: CheckId,
    body: FeedbackIn,
    conn: Writing,
    caller: ConsumerCaller,
    settings: SettingsDep,
) -> FeedbackOut:
    """Report what you did about the subjects of one of your checks."""
    stored = service.add_feedback(
        conn,
        check_id,
        asker_of(caller),
        [i.model_dump() for i in body.items],
        today=today_in(settings),
        now=utcnow(),
    )
    return FeedbackOut(check_id=check_id, stored=stored)
