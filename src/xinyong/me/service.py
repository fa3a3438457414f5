"""The subject's own view: who it is, its whole file, hiding positive records.

The subject sees everything the platform holds on it, unmasked: every record with every
version (non-public and ended ones too), whether each is public today, the marks of its
rights (objections, restorations, statements, hidden records), its grades, its list
entries, its objections and restorations with their deadlines, and who read its
non-public data (the access log).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import groupby
from typing import Any

from sqlalchemy import Connection

from xinyong.access import service as access
from xinyong.audit import service as audit
from xinyong.auth.keys import Principal
from xinyong.catalogue.model import Catalogue, Disclosure
from xinyong.errors import Conflict, NotFound
from xinyong.identifiers import display_code
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration
from xinyong.me import repository as repo
from xinyong.me.schemas import HiddenOut, MeOut
from xinyong.me.session import unknown_subject
from xinyong.rating import repository as rating_repo
from xinyong.rating.model import Scheme, points_of
from xinyong.rights.marks import Marks, marks_of
from xinyong.rights.model import Rights

FILE_FORMAT = "xinyong.subject-file/1"
#: Access-log entries read per page while the file is assembled.
_LOG_PAGE = 1000


def own_entity(conn: Connection, caller: Principal) -> dict[str, Any]:
    """The caller's own subject; ``unknown_subject`` if the platform holds nothing on it."""
    entity = repo.entity_by_code(conn, (caller.subject_code or "").strip().upper())
    if entity is None:
        raise unknown_subject()
    return entity


def me(conn: Connection, entity: Mapping[str, Any]) -> MeOut:
    return MeOut(
        code=entity["code"],
        display_code=display_code(entity["kind"], entity["code"]),
        kind=entity["kind"],
        name=entity["name"],
        names=repo.names_of(conn, entity["id"]),
        public_id=entity["public_id"],
        division=entity["division"],
    )


def _in_force(version: Mapping[str, Any], today: dt.date) -> bool:
    until = version["publicity_until"]
    return bool(version["decided_on"] <= today and (until is None or until >= today))


def _version(v: Mapping[str, Any], current: int) -> dict[str, Any]:
    return {
        "version": v["version"],
        "current": v["version"] == current,
        "record_type": v["record_type"],
        "subject_name": v["subject_name"],
        "severity": v["severity"],
        "legal_basis": v["legal_basis"],
        "document_number": v["document_number"],
        "decided_on": v["decided_on"],
        "publicity_until": v["publicity_until"],
        "ended_on": v["ended_on"],
        "end_reason": v["end_reason"],
        "fields": dict(v["fields"] or {}),
        "received_at": v["received_at"],
    }


def _records(
    conn: Connection,
    catalogue: Catalogue,
    entity: Mapping[str, Any],
    marks: Marks,
    today: dt.date,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rows = repo.versions_of_entity(conn, entity["id"])
    for record_id, group in groupby(rows, key=lambda r: str(r["record_id"])):
        versions = list(group)
        head = versions[-1]
        current = next((v for v in versions if v["version"] == head["current_version"]), head)
        rt = catalogue.record_type(current["record_type"])
        disclosure = rt.disclosure_for(entity["kind"]).value if rt else None
        hidden = record_id in marks.hidden
        in_force = _in_force(current, today)
        out.append(
            {
                "id": record_id,
                "record_type": current["record_type"],
                "record_type_name": rt.name.model_dump() if rt else None,
                "polarity": rt.polarity.value if rt else None,
                "provider": head["provider_code"],
                "provider_record_id": head["provider_record_id"],
                "created_at": head["created_at"],
                "current_version": head["current_version"],
                "disclosure": disclosure,
                "decided_on": current["decided_on"],
                "publicity_until": current["publicity_until"],
                "ended_on": current["ended_on"],
                "end_reason": current["end_reason"],
                "in_force_today": in_force,
                "public_today": in_force and disclosure == Disclosure.public.value and not hidden,
                "may_hide": bool(rt and rt.subject_may_hide),
                "hidden": hidden,
                "under_objection": marks.under_objection(record_id),
                "restoration_pending": marks.restorations.get(record_id),
                "statements": [
                    {"id": s.id, "text": s.text, "at": s.at, "objection_id": s.objection_id}
                    for s in marks.statements.get(record_id, [])
                ],
                "versions": [_version(v, head["current_version"]) for v in versions],
            }
        )
    out.sort(key=lambda r: (r["decided_on"], r["id"]), reverse=True)
    return out


def _ratings(
    conn: Connection, entity: Mapping[str, Any], schemes: Mapping[str, Scheme], marks: Marks
) -> list[dict[str, Any]]:
    out = []
    for r in rating_repo.ratings_of(conn, entity["id"]):
        scheme = schemes.get(r["scheme"])
        out.append(
            {
                "scheme": r["scheme"],
                "scheme_version": r["scheme_version"],
                "grade": r["grade"],
                "score": points_of(r["score_units"]),
                "as_of": r["as_of"],
                "valid_until": r["valid_until"],
                "stale": bool(r["stale"]),
                "computed_at": r["computed_at"],
                "public": bool(
                    scheme and scheme.disclosure_for(entity["kind"]) is Disclosure.public
                ),
                "in_force": scheme is not None and scheme.version == r["scheme_version"],
                "under_objection": marks.grade_objections.get(r["scheme"], []),
            }
        )
    return out


def _lists(
    conn: Connection,
    entity: Mapping[str, Any],
    declaration: Declaration,
    marks: Marks,
    today: dt.date,
) -> list[dict[str, Any]]:
    out = []
    for e in lists_repo.open_entries(conn, [entity["id"]]).values():
        lst = declaration.list(e.list_code)
        state = "current" if e.on(today) else ("future" if e.since > today else "past")
        out.append(
            {
                "list": e.list_code,
                "name": lst.name.model_dump() if lst else None,
                "published": bool(lst and lst.publication.public),
                "state": state,
                "record_id": e.record_id,
                "scheme": e.scheme,
                "grade": e.grade,
                "legal_basis": e.legal_basis,
                "document_number": e.document_number,
                "since": e.since,
                "until": e.until,
                "under_objection": marks.listing_objections.get(e.list_code, []),
            }
        )
    out.sort(key=lambda x: (x["since"], x["list"]), reverse=True)
    return out


def _objections(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    rows = repo.objections_of(conn, entity_id)
    steps: dict[str, list[dict[str, Any]]] = {}
    for s in repo.objection_steps(conn, [r["id"] for r in rows]):
        steps.setdefault(s["objection_id"], []).append(
            {"at": s["at"], "step": s["step"], "details": s["details"]}
        )
    return [{**r, "steps": steps.get(r["id"], [])} for r in rows]


def _restorations(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    rows = repo.restorations_of(conn, entity_id)
    evidence: dict[str, list[dict[str, Any]]] = {}
    for ev in repo.evidence_of(conn, [r["id"] for r in rows]):
        evidence.setdefault(ev.pop("restoration_id"), []).append(ev)
    return [{**r, "evidence": evidence.get(r["id"], [])} for r in rows]


def full_log(
    conn: Connection, entity_id: int, declaration: Declaration, rights: Rights
) -> list[dict[str, Any]]:
    """Every access-log entry kept for the subject, newest first."""
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = access.access_log(
            conn,
            entity_id,
            declaration,
            retention_years=rights.access_log.retention_years,
            after=after,
            limit=_LOG_PAGE,
        )
        out += [access.as_json(e) for e in page.entries]
        if page.next is None:
            return out
        after = page.next


def subject_file(
    conn: Connection,
    entity: Mapping[str, Any],
    *,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    rights: Rights,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Everything the platform holds on the subject, for the subject (unmasked)."""
    marks = marks_of(conn, entity["id"], at=now)
    return {
        "format": FILE_FORMAT,
        "generated_at": now,
        "as_of": today,
        "subject": me(conn, entity).model_dump(),
        "records": _records(conn, catalogue, entity, marks, today),
        "ratings": _ratings(conn, entity, schemes, marks),
        "lists": _lists(conn, entity, declaration, marks, today),
        "objections": _objections(conn, entity["id"]),
        "restorations": _restorations(conn, entity["id"]),
        "statements": repo.statements_of(conn, entity["id"]),
        "hidden_records": repo.hidden_history(conn, entity["id"]),
        "access_log": full_log(conn, entity["id"], declaration, rights),
        "access_log_retention_years": rights.access_log.retention_years,
    }


def set_hidden(
    conn: Connection,
    catalogue: Catalogue,
    caller: Principal,
    entity: Mapping[str, Any],
    record_id: str,
    hidden: bool,
    now: dt.datetime,
) -> HiddenOut:
    """Hide one of the subject's positive records from everyone else, or show it again.
    Each choice is a new row (the history is kept); the same choice again changes nothing."""
    head = repo.record_head(conn, record_id[:24])
    if head is None or int(head["entity_id"]) != int(entity["id"]):
        raise NotFound(f"you have no record {record_id[:40]!r}", code="unknown_record")
    rt = catalogue.record_type(head["record_type"])
    if rt is None or not rt.subject_may_hide:
        raise Conflict(
            f"records of type {head['record_type']!r} cannot be hidden: the catalogue lets "
            "subjects hide some positive records only",
            code="cannot_hide",
        )
    if repo.hidden_now(conn, head["id"]) == hidden:
        return HiddenOut(record_id=head["id"], hidden=hidden, changed=False)
    repo.add_hidden(conn, head["id"], int(entity["id"]), hidden, now)
    audit.record(
        conn,
        caller.actor,
        "record.hidden" if hidden else "record.shown",
        head["id"],
        {"record_type": head["record_type"]},
        now=now,
    )
    return HiddenOut(record_id=head["id"], hidden=hidden, changed=True)
