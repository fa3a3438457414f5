"""Ratings and schemes in the API.

Anyone may read a scheme (people have a right to know the criteria) and a public rating.
A rating that the scheme does not make public for the subject's kind (a person's city
grade) is shown only to an authority's key with a stated ``purpose``, and such a read is
logged in the subject's access log (the subject's own read is not). A grade under an open
objection says so: ``under_objection`` lists the objections.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from xinyong.access.deps import ReadLog, ReadLogDep
from xinyong.api.deps import (
    Caller,
    CatalogueDep,
    MaybeCaller,
    Reading,
    SchemesDep,
    SettingsDep,
)
from xinyong.auth.keys import Principal, Role, may_use_codes
from xinyong.catalogue.model import Disclosure, SubjectKind
from xinyong.db.types import utcnow
from xinyong.entities.service import public_today
from xinyong.errors import BadRequest, Forbidden, NotFound
from xinyong.identifiers import display_code
from xinyong.ingest.importer import today_in
from xinyong.rating import repository as repo
from xinyong.rating import service
from xinyong.rating.impact import impact_for_api
from xinyong.rating.model import Scheme, points_of
from xinyong.rating.schemas import (
    CurrentRating,
    ExplanationEntry,
    ImpactIn,
    NextChange,
    RatingOut,
    SchemeOut,
    SchemeSummary,
)
from xinyong.rights.marks import marks_of
from xinyong.timetravel import known_by, last_moment, parse_as_of

router = APIRouter(tags=["ratings"])

_NOT_FOUND = NotFound("no subject has this code", code="entity_not_found")
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "scheme_not_applicable, invalid_as_of"},
    403: {"description": "purpose_required"},
    404: {"description": "entity_not_found, unknown_scheme"},
}
PURPOSE = Query(
    default=None,
    max_length=500,
    description="Why an authority reads a rating that is not public (required for those).",
)
LEGAL_BASIS = Query(
    default=None,
    max_length=500,
    description="The provision that allows an authority's reading (kept in the access log).",
)


class MarkedRating(CurrentRating):
    under_objection: list[str] = Field(
        default_factory=list, description="Open objections against this grade."
    )


class MarkedSubjectRatings(BaseModel):
    subject: str
    ratings: list[MarkedRating]


class MarkedRatingOut(RatingOut):
    under_objection: list[str] = Field(
        default_factory=list, description="Open objections against the subject's grade."
    )


def _scheme(schemes: dict[str, Scheme], code: str) -> Scheme:
    found = schemes.get(code)
    if found is None:
        raise NotFound(f"no scheme {code[:64]!r}", code="unknown_scheme")
    return found


def _subject(
    conn: Any, code: str, caller: Principal | None, today: dt.date, purpose: str | None
) -> repo.Subject:
    found = repo.subject_by_code(conn, code[:64], identity_numbers=may_use_codes(caller, code))
    if found is None or not (found.public_on(today) or _full_view(found, caller, purpose)):
        raise _NOT_FOUND  # a person off the public record is not found by the public
    return found


def _may_see(
    scheme: Scheme, subject: repo.Subject, caller: Principal | None, purpose: str | None
) -> bool:
    if scheme.disclosure_for(subject.kind) is Disclosure.public:
        return True
    if caller is not None and caller.subject_code == subject.code:
        return True  # the subject's own view
    return caller is not None and caller.is_authority and bool(purpose and purpose.strip())


def _logged(
    log: ReadLog,
    caller: Principal | None,
    subject: repo.Subject,
    read: list[Scheme],
    purpose: str | None,
    legal_basis: str | None,
) -> None:
    """Log an authority's read of grades that are not public (not the subject's own)."""
    hidden = [s.code for s in read if s.disclosure_for(subject.kind) is not Disclosure.public]
    if hidden and caller is not None and caller.is_authority and purpose:
        log(
            caller,
            [subject.id],
            purpose=purpose,
            what="rating:" + ",".join(hidden),
            legal_basis=legal_basis,
        )


def _marks_at(day: dt.date, today: dt.date, timezone: str) -> dt.datetime | None:
    """The moment whose marks a view of ``day`` shows: now for today, else that day's end."""
    return last_moment(known_by(day, today, timezone))


def _shown_code(subject: repo.Subject) -> str:
    if subject.kind == SubjectKind.person:
        return subject.public_id
    return display_code(subject.kind, subject.code)


def _as_of(value: str | None, today: dt.date) -> dt.date:
    day = parse_as_of(value, today) or today
    try:
        return service.checked_as_of(day)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_as_of") from None


def _full_view(subject: repo.Subject, caller: Principal | None, purpose: str | None) -> bool:
    """The subject itself, or an authority with a stated purpose: explanations name every
    record. Anyone else sees the rules and points, and the ids only of records public today."""
    if caller is not None and caller.subject_code == subject.code:
        return True
    return caller is not None and caller.is_authority and bool(purpose and purpose.strip())


_WITHHELD = "a record that is not public (the subject and authorities see it)"


def _nameable(record_id: str | None, nameable: set[str] | None) -> str | None:
    if record_id is None or nameable is None or record_id in nameable:
        return record_id
    return None


@router.get("/schemes", response_model=list[SchemeSummary])
def list_schemes(schemes: SchemesDep) -> list[SchemeSummary]:
    """The rating schemes in force."""
    return [
        SchemeSummary(
            code=s.code,
            version=s.version,
            name={"zh": s.name.zh, "en": s.name.en},
            authority=s.authority,
            subject_kinds=[k.value for k in s.subject_kinds],
            effective_from=s.effective_from,
            grades=[g.grade for g in s.grades],
        )
        for s in schemes.values()
    ]


@router.get(
    "/schemes/{code}", response_model=SchemeOut, responses={404: {"description": "unknown_scheme"}}
)
def get_scheme(code: str, schemes: SchemesDep) -> SchemeOut:
    """A scheme as declared, and its criteria in words."""
    scheme = _scheme(schemes, code)
    return SchemeOut(
        scheme=scheme.model_dump(mode="json", by_alias=True), criteria=service.criteria(scheme)
    )


@router.get("/entities/{code}/ratings", response_model=MarkedSubjectRatings, responses=_ERRORS)
def subject_ratings(
    code: str,
    conn: Reading,
    schemes: SchemesDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: MaybeCaller,
    log: ReadLogDep,
    purpose: str | None = PURPOSE,
    legal_basis: str | None = LEGAL_BASIS,
) -> MarkedSubjectRatings:
    """The subject's current grade under every scheme that rates it and that the caller
    may see. A stored rating is shown while current; a stale or lapsed one is recomputed
    for the read."""
    today = today_in(settings)
    subject = _subject(conn, code, caller, today, purpose)
    visible = [
        s
        for s in schemes.values()
        if subject.kind in s.subject_kinds and _may_see(s, subject, caller, purpose)
    ]
    if not visible and not any(subject.kind in s.subject_kinds for s in schemes.values()):
        raise _NOT_FOUND
    stored = {r["scheme"]: r for r in repo.ratings_of(conn, subject.id)}
    objected = marks_of(conn, subject.id).grade_objections
    out = []
    for s in visible:
        r = stored.get(s.code)
        fresh = (
            r is not None
            and not r["stale"]
            and r["scheme_version"] == s.version
            and r["as_of"] <= today
            and (r["valid_until"] is None or r["valid_until"] >= today)
        )
        if r is not None and fresh:
            out.append(
                MarkedRating(
                    scheme=s.code,
                    scheme_version=r["scheme_version"],
                    grade=r["grade"],
                    score=points_of(r["score_units"]),
                    as_of=r["as_of"],
                    valid_until=r["valid_until"],
                    source="stored",
                    under_objection=objected.get(s.code, []),
                )
            )
            continue
        live = service.rating_of(
            conn, catalogue, s, subject, today, today=today, timezone=settings.timezone
        ).rating
        out.append(
            MarkedRating(
                scheme=s.code,
                scheme_version=live.scheme_version,
                grade=live.grade,
                score=live.score,
                as_of=today,
                valid_until=live.valid_until,
                source="live",
                under_objection=objected.get(s.code, []),
            )
        )
    _logged(log, caller, subject, visible, purpose, legal_basis)
    return MarkedSubjectRatings(subject=_shown_code(subject), ratings=out)


@router.get("/entities/{code}/ratings/{scheme}", response_model=MarkedRatingOut, responses=_ERRORS)
def subject_rating(
    code: str,
    scheme: str,
    conn: Reading,
    schemes: SchemesDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: MaybeCaller,
    log: ReadLogDep,
    as_of: str | None = Query(default=None, description="YYYY-MM-DD; default today"),
    purpose: str | None = PURPOSE,
    legal_basis: str | None = LEGAL_BASIS,
) -> MarkedRatingOut:
    """The rating as of a date, reproduced from the records known then, with every
    contributing record and rule, caps and overrides, and what would change the grade."""
    found = _scheme(schemes, scheme)
    today = today_in(settings)
    subject = _subject(conn, code, caller, today, purpose)
    if not _may_see(found, subject, caller, purpose):
        if caller is None:
            raise _NOT_FOUND
        raise Forbidden(
            "this rating is not public: state the purpose of the reading", code="purpose_required"
        )
    day = _as_of(as_of, today)
    ex = service.rating_of(
        conn, catalogue, found, subject, day, today=today, timezone=settings.timezone
    )
    r = ex.rating
    named = [e.record_id for e in r.explanation] + [c.record_id for c in ex.changes]
    if _full_view(subject, caller, purpose):
        nameable: set[str] | None = None
    else:
        nameable = public_today(conn, catalogue, [n for n in named if n], today)
    objected = marks_of(conn, subject.id, at=_marks_at(day, today, settings.timezone))
    shown = MarkedRatingOut(
        subject=_shown_code(subject),
        scheme=r.scheme,
        scheme_version=r.scheme_version,
        as_of=r.as_of,
        score=r.score,
        grade=r.grade,
        valid_until=r.valid_until,
        fingerprint=r.fingerprint,
        base=r.base,
        explanation=[
            ExplanationEntry(
                record_id=_nameable(e.record_id, nameable),
                rule=e.rule,
                points=e.points,
                note=e.note if _nameable(e.record_id, nameable) == e.record_id else _WITHHELD,
            )
            for e in r.explanation
        ],
        next_changes=[
            NextChange(
                kind=c.kind,
                grade=c.grade,
                score=c.score,
                on=c.on,
                record_id=_nameable(c.record_id, nameable),
                note=c.note if _nameable(c.record_id, nameable) == c.record_id else _WITHHELD,
            )
            for c in ex.changes
        ],
        under_objection=objected.grade_objections.get(found.code, []),
    )
    _logged(log, caller, subject, [found], purpose, legal_basis)
    return shown


@router.post(
    "/schemes/impact",
    responses={
        401: {"description": "missing_api_key"},
        403: {"description": "admin_only"},
        404: {"description": "unknown_scheme"},
        422: {"description": "scheme_not_yaml, invalid_scheme"},
    },
)
def scheme_impact(
    body: ImpactIn,
    conn: Reading,
    schemes: SchemesDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: Caller,
) -> dict[str, Any]:
    """What a proposed scheme would do, before it is adopted: the grade migration matrix,
    counts by district and industry, the subjects that move most, and an SVG chart.
    Administrators only: it shows grades that are not public."""
    if caller.role is not Role.admin:
        raise Forbidden("only an administrator may analyse a scheme change", code="admin_only")
    today = today_in(settings)
    return impact_for_api(
        conn,
        catalogue,
        body.scheme,
        body.against,
        service.checked_as_of(body.as_of or today),
        today,
        utcnow(),
        settings.timezone,
        schemes=schemes,
        engine=body.engine,
        top=body.top,
    )
