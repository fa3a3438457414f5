"""What the portal's pages show, assembled from the existing services and repositories.

No SQL here: the entity view comes from :mod:`xinyong.entities.service`, grades from
:mod:`xinyong.rating.service`, list entries from :mod:`xinyong.lists.repository`, and the
double-publicity rows from this package's repository.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.entities import service as entities_service
from xinyong.entities.schemas import EntityView, PublicRecord
from xinyong.errors import BadRequest, NotFound
from xinyong.identifiers import display_code
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration, ListDecl
from xinyong.lists.service import resolve_version
from xinyong.portal import repository as repo
from xinyong.rating import repository as rating_repo
from xinyong.rating import service as rating_service
from xinyong.rating.evaluate import evaluate
from xinyong.rating.model import Scheme
from xinyong.timetravel import known_by

PAGE = 50
PUBLICITY_TYPES = {"penalties": "admin_penalty", "licences": "admin_licence"}


@dataclass
class Grade:
    scheme: Scheme
    grade: str
    score: Any
    valid_until: dt.date | None
    explanation: list[tuple[str, Any, str]]  # rule, points, note


@dataclass
class Membership:
    list: ListDecl
    since: dt.date
    until: dt.date | None
    legal_basis: str
    document_number: str | None


@dataclass
class EntityPage:
    view: EntityView
    groups: list[tuple[str, list[PublicRecord]]]
    grades: list[Grade] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)


WITHHELD = "—"


def parse_date(raw: str | None, name: str) -> dt.date | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(
            f"{name} must be a date YYYY-MM-DD, not {raw[:20]!r}", code="invalid_date"
        ) from None


def parse_page(raw: str | None) -> int:
    text = (raw or "1").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise BadRequest(
            f"page must be a whole number from 1 to 10000, not {text[:20]!r}", code="invalid_page"
        )
    return int(text)


def entity_page(
    conn: Connection,
    catalogue: Catalogue,
    schemes: dict[str, Scheme],
    decl: Declaration,
    code: str,
    *,
    today: dt.date,
    timezone: str,
) -> EntityPage:
    """The public entity page: the public view, its records grouped by type, the public
    grades with their explanation, and the published list memberships."""
    # the page shows no record's fields: they are neither read nor decoded
    view = entities_service.entity_view(
        conn, catalogue, code, today=today, timezone=timezone, with_fields=False
    )
    groups: dict[str, list[PublicRecord]] = {}
    for r in view.records:
        groups.setdefault(r.record_type, []).append(r)
    page = EntityPage(view=view, groups=list(groups.items()))
    subject = rating_repo.subject_by_code(conn, view.code, identity_numbers=False)
    if subject is None:  # pragma: no cover - the view found it
        return page
    shown = {r.id for r in view.records}
    rated = [
        s
        for s in schemes.values()
        if subject.kind in s.subject_kinds and s.disclosure_for(subject.kind) is Disclosure.public
    ]
    # one read of the subject's records for every scheme; no "next changes" (those cost a
    # re-evaluation per record: the API's rating endpoint has them)
    loaded = rating_service.load_records(conn, catalogue, rated, [subject.id], None)
    for s in rated:
        wanted = set(s.record_types())
        recs = [r for r in loaded.get(subject.id, []) if r.record_type in wanted]
        rating = evaluate(s, recs, today)
        page.grades.append(
            Grade(
                scheme=s,
                grade=rating.grade,
                score=rating.score,
                valid_until=rating.valid_until,
                explanation=[
                    (
                        e.rule,
                        e.points,
                        e.note if e.record_id is None or e.record_id in shown else WITHHELD,
                    )
                    for e in rating.explanation
                ],
            )
        )
    public_lists = [
        lst
        for lst in decl.lists
        if lst.publication.public
        and (subject.kind != SubjectKind.person.value or lst.publication.persons)
    ]
    if public_lists:
        _, _, entries = lists_repo.one_subject(
            conn, subject.code, [lst.code for lst in public_lists], today
        )
        by_code = {lst.code: lst for lst in public_lists}
        for e in entries.get(subject.id, []):
            if e.record_id is not None and e.record_id not in shown:
                continue  # rests on a record the public may not see
            page.memberships.append(
                Membership(by_code[e.list_code], e.since, e.until, e.legal_basis, e.document_number)
            )
    return page


def public_list(decl: Declaration, code: str) -> ListDecl:
    """A published list, or ``unknown_list`` (unpublished lists are not shown)."""
    found = decl.list(code)
    if found is None or not found.publication.public:
        raise NotFound(f"no published list {code[:64]!r}", code="unknown_list")
    return found


@dataclass
class Member:
    code: str
    kind: str
    name: str
    since: dt.date
    until: dt.date | None
    legal_basis: str
    document_number: str | None


def list_members(
    conn: Connection,
    catalogue: Catalogue,
    lst: ListDecl,
    *,
    kind: str | None,
    day: dt.date,
    today: dt.date,
    timezone: str,
    after: int,
    limit: int = PAGE,
) -> tuple[list[Member], int | None]:
    """A page of a published list on ``day`` and the cursor of the next page."""
    kinds = [kind] if kind else [k.value for k in lst.subject_kinds]
    if not lst.publication.persons:
        kinds = [k for k in kinds if k != SubjectKind.person.value]
    if not kinds:
        return [], None
    version = resolve_version(conn, None, known_by=known_by(day, today, timezone))
    rows = lists_repo.members(conn, lst.code, day, version, kinds=kinds, after=after, limit=limit)
    following = rows[-1].row_id if len(rows) == limit else None
    if day < today:  # a past day: only entries on records still public today
        still = entities_service.public_today(
            conn, catalogue, [m.entry.record_id for m in rows if m.entry.record_id], today
        )
        rows = [m for m in rows if m.entry.record_id is None or m.entry.record_id in still]
    out = [
        Member(
            code=m.public_id if m.kind == SubjectKind.person.value else m.code,
            kind=m.kind,
            name=m.name,
            since=m.entry.since,
            until=m.entry.until,
            legal_basis=m.entry.legal_basis,
            document_number=m.entry.document_number,
        )
        for m in rows
    ]
    return out, following


@dataclass
class Publicised:
    id: str
    subject_code: str
    subject_name: str
    kind: str
    provider: str
    decided_on: dt.date
    publicity_until: dt.date | None
    legal_basis: str | None
    document_number: str | None
    content: str | None


def _masked(value: Any, code: str, shown: str) -> Any:
    if isinstance(value, str):
        return value.replace(code, shown).replace(code.lower(), shown)
    return value


def publicity(
    conn: Connection,
    catalogue: Catalogue,
    which: str,
    *,
    today: dt.date,
    provider: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    page: int,
) -> tuple[list[Publicised], bool]:
    """A page of public penalties or licences, newest first, and whether more follow."""
    rt = catalogue.record_type(PUBLICITY_TYPES[which])
    if rt is None:  # pragma: no cover - the shipped catalogue has both
        return [], False
    if provider and catalogue.provider(provider) is None:
        raise BadRequest(f"no authority {provider[:64]!r}", code="unknown_provider")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("the start date is after the end date", code="invalid_date_range")
    kinds = [k.value for k in rt.subject_kinds if rt.disclosure_for(k) is Disclosure.public]
    rows = repo.public_of_type(
        conn,
        rt.code,
        kinds,
        today,
        provider=provider or None,
        date_from=date_from,
        date_to=date_to,
        offset=(page - 1) * PAGE,
        limit=PAGE + 1,
    )
    out = []
    for r in rows[:PAGE]:
        person = r["kind"] == SubjectKind.person.value
        shown = display_code(r["kind"], r["code"])
        fields = r["fields"] or {}
        content = (
            fields.get("penalty_content")
            or fields.get("licence_content")
            or fields.get("licence_name")
        )

        def clean(
            value: Any, person: bool = person, code: str = r["code"], shown: str = shown
        ) -> Any:
            return _masked(value, code, shown) if person else value

        out.append(
            Publicised(
                id=r["id"],
                subject_code=r["public_id"] if person else r["code"],
                subject_name=r["name"],
                kind=r["kind"],
                provider=r["provider_code"],
                decided_on=r["decided_on"],
                publicity_until=r["publicity_until"],
                legal_basis=clean(r["legal_basis"]),
                document_number=clean(r["document_number"]),
                content=None if content is None else str(clean(content)),
            )
        )
    return out, len(rows) > PAGE
