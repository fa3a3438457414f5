"""Verifiable credit reports: what a report says, issuing one, verifying one.

A report is the subject's page as of a day (see ``docs/reports.md``): the public view
(what ``GET /api/v1/entities/{code}?as_of=`` shows, identity numbers masked) or the full
view for the subject itself; with its grades and list entries. Its *content* is a JSON
document; its digest is stored when the report is issued, so that verification can
re-build the content now and say whether it has changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue, Disclosure, SubjectKind
from xinyong.entities import repository as entities_repo
from xinyong.entities.service import entity_view
from xinyong.errors import NotFound, PayloadTooLarge, ValidationFailed
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration
from xinyong.me import repository as me_repo
from xinyong.rating import repository as rating_repo
from xinyong.rating.model import Scheme, points_of
from xinyong.reports import pdf, signing
from xinyong.reports import repository as repo
from xinyong.rights.marks import marks_of
from xinyong.timetravel import known_by, last_moment

PUBLIC, FULL = "public", "full"
VIEWS = (PUBLIC, FULL)


@dataclass(frozen=True)
class Context:
    """What building a report needs besides the connection."""

    catalogue: Catalogue
    schemes: Mapping[str, Scheme]
    declaration: Declaration
    today: dt.date
    timezone: str


def _unknown() -> NotFound:
    return NotFound("no subject has this code", code="entity_not_found")


def build_content(
    conn: Connection, ctx: Context, code: str, *, view: str, as_of: dt.date | None
) -> tuple[int, dict[str, Any]]:
    """The subject's id and the report's content (JSON-able, deterministic).

    ``view`` ``public``: ``code`` is a USCC or a person's public id, and the content is
    the public page. ``full``: ``code`` is the subject's own USCC or identity number (the
    caller is the subject, or the platform's operator), and nothing is masked.
    """
    day = as_of or ctx.today
    if view == FULL:
        entity_id, subject, records = _full_view(conn, ctx, code, as_of)
        kind = str(subject["kind"])
    else:
        page = entity_view(
            conn, ctx.catalogue, code, today=ctx.today, as_of=as_of, timezone=ctx.timezone
        )
        entity_id, kind = page.entity_id(), page.kind
        records = [r.model_dump(mode="json") for r in page.records]
        subject = {
            "name": page.name,
            "code": page.display_code,
            "public_code": page.code,
            "kind": page.kind,
            "division": page.division,
            "former_names": [n for n in page.names if n != page.name],
        }
    marks = marks_of(conn, entity_id)
    shown = {str(r["id"]) for r in records}
    grades = []
    for r in rating_repo.ratings_of(conn, entity_id):
        scheme = ctx.schemes.get(r["scheme"])
        if scheme is None or r["as_of"] > day:
            continue
        if view == PUBLIC and scheme.disclosure_for(kind) is not Disclosure.public:
            continue
        grades.append(
            {
                "scheme": r["scheme"],
                "scheme_version": r["scheme_version"],
                "grade": r["grade"],
                "score": str(points_of(r["score_units"])),
                "as_of": r["as_of"].isoformat(),
                "under_objection": bool(marks.grade_objections.get(r["scheme"])),
            }
        )
    grades.sort(key=lambda g: str(g["scheme"]))
    entries = []
    for e in lists_repo.open_entries(conn, [entity_id]).values():
        lst = ctx.declaration.list(e.list_code)
        if lst is None or not e.on(day):
            continue
        if view == PUBLIC and (
            not lst.publication.public or (e.record_id is not None and e.record_id not in shown)
        ):
            continue
        entries.append(
            {
                "list": e.list_code,
                "name_zh": lst.name.zh,
                "name_en": lst.name.en,
                "since": e.since.isoformat(),
                "until": e.until.isoformat() if e.until else None,
                "legal_basis": e.legal_basis,
                "record_id": e.record_id,
            }
        )
    entries.sort(key=lambda x: (str(x["since"]), str(x["list"])))
    content = {
        "view": view,
        "as_of": day.isoformat(),
        "subject": subject,
        "records": records,
        "grades": grades,
        "lists": entries,
    }
    return entity_id, content


def _full_view(
    conn: Connection, ctx: Context, code: str, as_of: dt.date | None
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """The subject's own view as of a day, nothing masked: every record of every type
    (public or not) in force that day, from the versions received by its end, with the
    marks of the subject's rights as they stood then."""
    entity = me_repo.entity_by_code(conn, code.strip().upper())
    cutoff = known_by(as_of, ctx.today, ctx.timezone)
    if entity is None or (cutoff is not None and entity["created_at"] >= cutoff):
        raise _unknown()
    entity_id, kind = int(entity["id"]), str(entity["kind"])
    types = [rt.code for rt in ctx.catalogue.record_types if kind in rt.subject_kinds]
    rows = entities_repo.public_records(conn, entity_id, types, as_of or ctx.today, known_by=cutoff)
    marks = marks_of(conn, entity_id, at=last_moment(cutoff))
    records = []
    for r in rows:
        rt = ctx.catalogue.record_type(r["record_type"])
        if rt is None:  # pragma: no cover - the catalogue lists every stored type
            continue
        records.append(
            {
                "id": r["id"],
                "record_type": rt.code,
                "record_type_name": {"zh": rt.name.zh, "en": rt.name.en},
                "disclosure": rt.disclosure_for(kind).value,
                "hidden": r["id"] in marks.hidden,
                "severity": r["severity"],
                "decided_on": r["decided_on"].isoformat(),
                "publicity_until": r["publicity_until"].isoformat()
                if r["publicity_until"]
                else None,
                "legal_basis": r["legal_basis"],
                "document_number": r["document_number"],
                "provider": r["provider_code"],
                "fields": dict(r["fields"] or {}),
                "version": r["version"],
                "under_objection": list(marks.under_objection(r["id"])),
                "restoration_pending": marks.restorations.get(r["id"]),
                "statements": [
                    {"text": st.text, "at": st.at.isoformat()}
                    for st in marks.statements.get(r["id"], [])
                ],
            }
        )
    name = str(entity["name"])
    if cutoff is not None:
        name = entities_repo.name_known_by(conn, entity_id, cutoff) or name
    names = entities_repo.names_of(conn, entity_id, known_by=cutoff)
    subject = {
        "name": name,
        "code": entity["code"],
        "public_code": entity["public_id"] if kind == SubjectKind.person else entity["code"],
        "kind": kind,
        "division": entity["division"],
        "former_names": [n for n in names if n != name],
    }
    return entity_id, subject, records


def digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def new_report_id(now: dt.datetime) -> str:
    return f"R{now:%Y%m%d}{secrets.token_hex(6).upper()}"


def verify_url(base: str, report_id: str) -> str:
    return f"{base.rstrip('/')}/verify?id={report_id}"


@dataclass(frozen=True)
class Issued:
    report_id: str
    issued_at: dt.datetime
    pdf: bytes


def issue(
    conn: Connection,
    ctx: Context,
    code: str,
    *,
    view: str,
    as_of: dt.date | None,
    actor: str,
    base_url: str,
    now: dt.datetime,
) -> Issued:
    """Render, sign, register and audit a report; the caller commits."""
    key = signing.signing_key()
    entity_id, content = build_content(conn, ctx, code, view=view, as_of=as_of)
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    report_id = new_report_id(now)
    body = pdf.render(
        content,
        report_id=report_id,
        issued_at=now.isoformat().replace("+00:00", "Z"),
        verify_url=verify_url(base_url, report_id),
    )
    signed = signing.sign(body, report_id, key)
    content_sha256 = digest(content)
    repo.add(
        conn,
        report_id=report_id,
        entity_id=entity_id,
        as_of=dt.date.fromisoformat(str(content["as_of"])),
        view=view,
        content_sha256=content_sha256,
        pdf_sha256=hashlib.sha256(signed).hexdigest(),
        issued_at=now,
    )
    subject = content["subject"]
    audit.record(
        conn,
        actor,
        "report.issued",
        report_id,
        {
            "subject": subject["public_code"],
            "as_of": content["as_of"],
            "view": view,
            "content_sha256": content_sha256,
        },
        now=now,
    )
    return Issued(report_id, now, signed)


@dataclass(frozen=True)
class Verification:
    valid: bool
    report_id: str | None
    issued_at: dt.datetime | None
    content_changed: bool | None
    problem: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "report_id": self.report_id,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "content_changed": self.content_changed,
            "problem": self.problem,
        }


#: The largest report accepted for verification (a report is a few hundred KB).
MAX_REPORT_BYTES = 10 * 1024 * 1024


def checked_upload(data: bytes, limit: int) -> bytes:
    """An uploaded report, refused if over ``limit`` bytes (``report_too_large``; read at
    most ``limit + 1``) or not a PDF (``not_a_pdf``)."""
    if len(data) > limit:
        raise PayloadTooLarge(
            f"a report is at most {limit:,} bytes", code="report_too_large", limit=limit
        )
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed("the upload is not a PDF", code="not_a_pdf", errors=[])
    return data


def issued_report(conn: Connection, report_id: str) -> dict[str, Any] | None:
    """The register's entry of a report (id, day, view, when issued), if it was issued."""
    return repo.get(conn, report_id[:64])


def verify(conn: Connection, ctx: Context, data: bytes) -> Verification:
    """Whether ``data`` is a report this platform signed, unaltered, and whether its
    subject's content has changed since it was issued (``None`` if it cannot be told)."""
    checked = signing.check(data, signing.signing_key())
    if not checked.valid:
        return Verification(False, checked.report_id, None, None, checked.problem)
    issued = repo.get(conn, checked.report_id or "")
    if issued is None:
        return Verification(
            False, checked.report_id, None, None, "the platform has no record of this report"
        )
    row = repo.subject_of(conn, int(issued["entity_id"]))
    changed: bool | None = None
    problem: str | None = None
    try:
        if row is None:
            raise _unknown()
        code = str(row["code"])
        if issued["view"] == PUBLIC and row["kind"] == SubjectKind.person:
            code = str(row["public_id"])
        _, now = build_content(conn, ctx, code, view=issued["view"], as_of=issued["as_of"])
        changed = digest(now) != issued["content_sha256"]
    except NotFound:
        changed = True  # the subject is no longer shown as it was
        problem = None
    return Verification(True, checked.report_id, issued["issued_at"], changed, problem)


PUBLIC_URL_ENV = "XINYONG_PUBLIC_URL"


def public_base_url() -> str:
    """Where the platform is reached (the QR code of a report issued from the CLI points
    there): ``$XINYONG_PUBLIC_URL``, by default http://127.0.0.1:8000."""
    return os.environ.get(PUBLIC_URL_ENV) or "http://127.0.0.1:8000"
