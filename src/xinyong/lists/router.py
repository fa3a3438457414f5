"""Lists, measures and memoranda in the API, and who is on a list on any date.

Lists that their declaration publishes are public, natural persons' entries only where the
list publishes persons (and then by public id, with the identity number masked). A list
that is not published (``focus_attention``) is shown only to an authority's key with a
stated ``purpose``; such reads (an unpublished list, or entries only authorities see) are
logged in each shown subject's access log. ``as_of`` picks the day; ``data_version``
rebuilds what the platform knew at an earlier version (the one a check cites). An entry
under an open objection says so: ``under_objection`` lists the objections.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import CatalogueDep, DeclarationDep, MaybeCaller, Reading, SettingsDep
from xinyong.auth.keys import Principal, may_use_codes
from xinyong.catalogue.model import Catalogue, SubjectKind
from xinyong.db.types import utcnow
from xinyong.entities.service import public_today
from xinyong.errors import Forbidden, NotFound
from xinyong.identifiers import display_code
from xinyong.ingest.importer import today_in
from xinyong.lists import repository as repo
from xinyong.lists.entries import Entry
from xinyong.lists.model import Declaration, ListDecl
from xinyong.lists.service import resolve_version
from xinyong.me import repository as me_repo
from xinyong.rating import repository as rating_repo
from xinyong.rights.marks import marks_of
from xinyong.timetravel import known_by, last_moment, parse_as_of

router = APIRouter(tags=["lists"])

AS_OF = Query(default=None, description="The day (YYYY-MM-DD); default today.")
VERSION = Query(default=None, ge=0, description="A past data version (default: the latest).")
PURPOSE = Query(default=None, max_length=500, description="Why an authority reads it.")
LEGAL_BASIS = Query(
    default=None,
    max_length=500,
    description="The provision that allows an authority's reading (kept in the access log).",
)


def _as_of(value: str | None, today: dt.date) -> dt.date:
    return parse_as_of(value, today) or today


def _still_public(
    conn: Connection,
    catalogue: Catalogue,
    entries: list[Entry],
    day: dt.date,
    today: dt.date,
    authority: bool,
) -> set[str] | None:
    """For the public reading a past day: the basis records still public today (entries
    on others are not shown: an expired, restored or withdrawn record is never served
    publicly again). ``None``: no filtering (today's view, or an authority's)."""
    if authority or day >= today:
        return None
    return public_today(conn, catalogue, [e.record_id for e in entries if e.record_id], today)


def _shown(entry: Entry, still: set[str] | None) -> bool:
    return still is None or entry.record_id is None or entry.record_id in still


def _list(decl: Declaration, code: str) -> ListDecl:
    found = decl.list(code)
    if found is None:
        raise NotFound(f"no list {code[:64]!r}", code="unknown_list")
    return found


def _authority(caller: Principal | None, purpose: str | None) -> bool:
    return caller is not None and caller.is_authority and bool(purpose and purpose.strip())


def _visible(lst: ListDecl, kind: str, authority: bool) -> bool:
    if authority:
        return True
    if not lst.publication.public:
        return False
    return kind != SubjectKind.person.value or lst.publication.persons


def _marks_at(day: dt.date, today: dt.date, timezone: str) -> dt.datetime | None:
    """The moment whose marks a view of ``day`` shows: now for today, else that day's end."""
    return last_moment(known_by(day, today, timezone))


def entry_json(e: Entry) -> dict[str, Any]:
    return {
        "list": e.list_code,
        "record_id": e.record_id,
        "scheme": e.scheme,
        "grade": e.grade,
        "legal_basis": e.legal_basis,
        "document_number": e.document_number,
        "since": e.since,
        "until": e.until,
    }


def list_summary(lst: ListDecl) -> dict[str, Any]:
    return {
        "code": lst.code,
        "name": lst.name.model_dump(),
        "kind": lst.kind.value,
        "legal_basis": lst.legal_basis,
        "authority": lst.authority.model_dump(),
        "decided_by": lst.decided_by.value,
        "published": lst.publication.public,
    }


@router.get("/lists")
def get_lists(decl: DeclarationDep) -> list[dict[str, Any]]:
    """Every list, with its legal basis and who keeps it."""
    return [list_summary(lst) for lst in decl.lists]


@router.get(
    "/lists/{code}",
    responses={
        403: {"description": "purpose_required"},
        404: {"description": "unknown_list"},
    },
)
def get_list(
    code: str,
    conn: Reading,
    decl: DeclarationDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: MaybeCaller,
    log: ReadLogDep,
    as_of: str | None = AS_OF,
    data_version: int | None = VERSION,
    purpose: str | None = PURPOSE,
    legal_basis: str | None = LEGAL_BASIS,
    kind: SubjectKind | None = Query(default=None),
    after: int = Query(default=0, ge=0, le=2**31 - 1, description="cursor: the last row id"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """Who is on the list on ``as_of``, with the basis and dates of each entry."""
    lst = _list(decl, code)
    authority = _authority(caller, purpose)
    if not lst.publication.public and not authority:
        raise Forbidden(
            f"the list {lst.code!r} is not published: an authority's key and a purpose are needed",
            code="purpose_required",
        )
    today = today_in(settings)
    day = _as_of(as_of, today)
    version = resolve_version(conn, data_version, known_by=known_by(day, today, settings.timezone))
    kinds = [kind.value] if kind else None
    if not authority and not lst.publication.persons:
        kinds = [k for k in (kinds or [k.value for k in lst.subject_kinds]) if k != "person"]
    page = repo.members(conn, lst.code, day, version, kinds=kinds, after=after, limit=limit)
    next_row = page[-1].row_id if len(page) == limit else None
    still = _still_public(conn, catalogue, [m.entry for m in page], day, today, authority)
    page = [m for m in page if _shown(m.entry, still)]
    objected = me_repo.listing_objections_on(
        conn,
        lst.code,
        sorted({m.entry.entity_id for m in page}),
        _marks_at(day, today, settings.timezone) or utcnow(),
    )
    shown = [
        {
            "subject": {
                "code": display_code(m.kind, m.code)
                if m.kind != SubjectKind.person.value
                else m.public_id,
                "masked_code": display_code(m.kind, m.code)
                if m.kind == SubjectKind.person.value
                else None,
                "kind": m.kind,
                "name": m.name,
            },
            **entry_json(m.entry),
            "under_objection": objected.get(m.entry.entity_id, []),
        }
        for m in page
    ]
    # Only authorities see these (an unpublished list, or persons on a list that publishes
    # none): each subject on the page learns who read it, and why.
    private = [m.entry.entity_id for m in page if not _visible(lst, m.kind, authority=False)]
    if authority and caller is not None and purpose and private:
        log(
            caller,
            private,
            purpose=purpose,
            what=f"list:{lst.code}",
            legal_basis=legal_basis,
        )
    return {
        **list_summary(lst),
        "as_of": day,
        "data_version": version,
        "members": repo.count_members(conn, lst.code, day, version),
        "entries": shown,
        "next": next_row,
    }


@router.get("/entities/{code}/lists", responses={404: {"description": "entity_not_found"}})
def entity_lists(
    code: str,
    conn: Reading,
    decl: DeclarationDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    caller: MaybeCaller,
    log: ReadLogDep,
    as_of: str | None = AS_OF,
    data_version: int | None = VERSION,
    purpose: str | None = PURPOSE,
    legal_basis: str | None = LEGAL_BASIS,
) -> dict[str, Any]:
    """The subject's entries on every list on ``as_of`` (the lists the caller may see)."""
    subject = rating_repo.subject_by_code(
        conn, code[:64], identity_numbers=may_use_codes(caller, code)
    )
    authority = _authority(caller, purpose)
    today = today_in(settings)
    own = (
        caller is not None
        and caller.subject_code is not None
        and subject is not None
        and (caller.subject_code == subject.code)
    )
    if subject is None or not (authority or own or subject.public_on(today)):
        raise NotFound("no subject has this code", code="entity_not_found")
    day = _as_of(as_of, today)
    version = resolve_version(conn, data_version, known_by=known_by(day, today, settings.timezone))
    visible = [lst.code for lst in decl.lists if _visible(lst, subject.kind, authority)]
    found = repo.entries_on(conn, [subject.id], visible, day, version).get(subject.id, [])
    still = _still_public(conn, catalogue, found, day, today, authority or own)
    found = [e for e in found if _shown(e, still)]
    shown = subject.public_id if subject.kind == SubjectKind.person.value else subject.code
    objected = marks_of(
        conn, subject.id, at=_marks_at(day, today, settings.timezone)
    ).listing_objections
    private = [
        lst.code
        for lst in decl.lists
        if lst.code in visible and not _visible(lst, subject.kind, False)
    ]
    if authority and caller is not None and purpose and private:
        log(
            caller,
            [subject.id],
            purpose=purpose,
            what="lists:" + ",".join(private),
            legal_basis=legal_basis,
            record_ids=[e.record_id for e in found if e.list_code in private and e.record_id],
        )
    return {
        "subject": shown,
        "as_of": day,
        "data_version": version,
        "entries": [
            {**entry_json(e), "under_objection": objected.get(e.list_code, [])} for e in found
        ],
    }


@router.get("/measures")
def get_measures(decl: DeclarationDep) -> list[dict[str, Any]]:
    """Every measure: kind, implementing authority, legal basis, triggers, memoranda."""
    return [
        {
            **m.model_dump(mode="json", by_alias=True),
            "memoranda": [memo.code for memo in decl.memoranda_of(m.code)],
            "published": bool(decl.memoranda_of(m.code)),
        }
        for m in decl.measures
    ]


@router.get("/memoranda")
def get_memoranda(decl: DeclarationDep) -> list[dict[str, Any]]:
    """The joint memoranda that bind lists and grades to measures."""
    return [memo.model_dump(mode="json") for memo in decl.memoranda]
