"""An authority's view of a subject's file, logged for the subject to see.

``GET /entities/{code}/file?purpose=...&legal_basis=...``: the subject's records in force
today that the catalogue discloses to authorities, with their marks (under objection,
pending restoration, the subject's statements). A purpose is required; the read is logged
in the access log with the record ids shown. A person's identity number is masked in the
answer: the authority addressed the subject, it does not need the number repeated.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from xinyong.access import service
from xinyong.access.deps import ReadLogDep
from xinyong.api.deps import AuthorityCaller, CatalogueDep, Reading, SettingsDep
from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.db.types import utcnow
from xinyong.errors import NotFound, ValidationFailed
from xinyong.identifiers import display_code
from xinyong.ingest.importer import today_in
from xinyong.me import repository as me_repo
from xinyong.rights.marks import marks_of

router = APIRouter(tags=["access"])

#: Disclosures under which authorities see a record. Every level the catalogue has today;
#: a level added later stays closed to this view until it is listed here.
_TO_AUTHORITIES = frozenset(
    {Disclosure.public, Disclosure.subject_and_agencies, Disclosure.agencies}
)


def disclosed_to_authorities(catalogue: Catalogue, kind: str) -> list[str]:
    return [
        rt.code
        for rt in catalogue.record_types
        if kind in rt.subject_kinds and rt.disclosure_for(kind) in _TO_AUTHORITIES
    ]


def _masked(value: Any, code: str, shown: str) -> Any:
    if isinstance(value, str):
        return value.replace(code, shown).replace(code.lower(), shown)
    if isinstance(value, dict):
        return {k: _masked(v, code, shown) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, code, shown) for v in value]
    return value


@router.get(
    "/entities/{code}/file",
    responses={
        401: {"description": "missing_api_key, invalid_api_key, expired_api_key"},
        403: {"description": "not_an_authority"},
        404: {"description": "entity_not_found"},
        422: {"description": "purpose_required"},
    },
)
def authority_file(
    code: str,
    conn: Reading,
    caller: AuthorityCaller,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    log: ReadLogDep,
    purpose: str | None = Query(
        default=None, max_length=500, description="Why the authority reads the file (required)."
    ),
    legal_basis: str | None = Query(
        default=None, max_length=500, description="The provision that allows the reading."
    ),
) -> dict[str, Any]:
    """A subject's records in force that the catalogue discloses to authorities, with
    their marks. Logged, with its purpose, in the subject's access log."""
    why = service.stated(purpose)
    if why is None:
        raise ValidationFailed(
            "state the purpose of reading the file (?purpose=...)", code="purpose_required"
        )
    entity = me_repo.entity_by_any_code(conn, code[:64])
    if entity is None:
        raise NotFound("no subject has this code", code="entity_not_found")
    kind, own = entity["kind"], entity["code"]
    person = kind == SubjectKind.person.value
    shown = display_code(kind, own)
    today = today_in(settings)
    marks = marks_of(conn, entity["id"], at=utcnow())
    rows = me_repo.current_records(
        conn, entity["id"], disclosed_to_authorities(catalogue, kind), today
    )
    records = []
    for r in rows:
        if r["record_id"] in marks.hidden:
            continue  # hidden by the subject from everyone else
        rt = catalogue.record_type(r["record_type"])
        item = {
            "id": r["record_id"],
            "record_type": r["record_type"],
            "disclosure": rt.disclosure_for(kind).value if rt else None,
            "provider": r["provider_code"],
            "version": r["version"],
            "subject_name": r["subject_name"],
            "severity": r["severity"],
            "legal_basis": r["legal_basis"],
            "document_number": r["document_number"],
            "decided_on": r["decided_on"],
            "publicity_until": r["publicity_until"],
            "fields": dict(r["fields"] or {}),
            "under_objection": marks.under_objection(r["record_id"]),
            "restoration_pending": marks.restorations.get(r["record_id"]),
            "statements": [
                {"text": s.text, "at": s.at, "objection_id": s.objection_id}
                for s in marks.statements.get(r["record_id"], [])
            ],
        }
        records.append(_masked(item, own, shown) if person else item)
    body = {
        "subject": {
            "code": entity["public_id"] if person else own,
            "display_code": shown,
            "kind": kind,
            "name": entity["name"],
            "division": None if person else entity["division"],
        },
        "as_of": today,
        "purpose": why,
        "legal_basis": (legal_basis or "").strip() or None,
        "records": records,
        "statements": [
            _masked(s.text, own, shown) if person else s.text for s in marks.statements.get("", [])
        ],
        "listing_objections": marks.listing_objections,
        "grade_objections": marks.grade_objections,
    }
    log(
        caller,
        [entity["id"]],
        purpose=why,
        what="file",
        legal_basis=legal_basis,
        record_ids=[r["id"] for r in records],
    )
    return body
