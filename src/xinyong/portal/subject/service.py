"""What the subject area's pages need beyond the other packages' services: who is signed
in (the ``xinyong_session`` cookie), where to go after signing in, a record's restoration
eligibility, uploaded files as restoration evidence, and the subject's cases.

Nothing here writes SQL of its own: it reads through the restorations' repository and
the objections' and restorations' services, which check who may see what.
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Connection

from xinyong.api.deps import SESSION_COOKIE
from xinyong.auth.keys import Principal, Role, authenticate
from xinyong.catalogue.model import Catalogue
from xinyong.errors import NotFound, ValidationFailed, XinyongError
from xinyong.objections import service as objections
from xinyong.objections.schemas import ObjectionItem
from xinyong.restorations import repository as restorations_repo
from xinyong.restorations import service as restorations
from xinyong.restorations.eligibility import RecordFacts, check_record, eligible_from
from xinyong.restorations.schemas import EvidenceIn, RestorationIn, RestorationItem
from xinyong.rights.model import EvidenceRules, Rights

SIGN_IN = "/me/sign-in"
#: The longest commitment the restorations API's schema takes.
MAX_COMMITMENT = next(
    int(getattr(m, "max_length"))  # noqa: B009 - annotated-types metadata
    for m in RestorationIn.model_fields["commitment"].metadata
    if hasattr(m, "max_length")
)
HOME = "/me"
#: Most cases of each kind listed on the cases page.
MAX_CASES = 1000
_PAGE = 100
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


# ---- who is signed in --------------------------------------------------------------------


def signed_in(conn: Connection, cookies: Mapping[str, str]) -> Principal | None:
    """The subject of a live session cookie, else ``None`` (no cookie, an expired or ended
    session, or a key that is not a subject's)."""
    key = (cookies.get(SESSION_COOKIE) or "").strip()
    if not key:
        return None
    try:
        found = authenticate(conn, key)
    except XinyongError:
        return None
    if found.role is not Role.subject or not found.subject_code:
        return None
    return found


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a relative path on this site, else ``/me``."""
    text = (raw or "").strip()
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return HOME
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in text):
        return HOME
    return text


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN}?{urlencode({'next': safe_next(next_path)})}"


# ---- records: what the forms show and whether restoration is open ------------------------


@dataclass(frozen=True)
class Eligibility:
    """Whether the subject may apply for restoration of a record today, and if not why
    (the restorations service's own error, with its stable code)."""

    eligible: bool
    eligible_from: dt.date | None
    refusal: XinyongError | None
    pending: str | None


def own_record(conn: Connection, caller: Principal, record_id: str) -> dict[str, Any]:
    """The caller's record (head and current version); ``unknown_record`` for any record
    that is not the caller's, exactly as for one that does not exist."""
    rid = (record_id or "").strip()[:64]
    row = restorations_repo.record_of(conn, rid) if rid.isalnum() else None
    if row is None or row["subject_code"] != (caller.subject_code or "").strip().upper():
        raise NotFound(f"you have no record {rid[:40]!r}", code="unknown_record")
    return row


def eligibility(
    catalogue: Catalogue,
    rights: Rights,
    record: Mapping[str, Any],
    pending: str | None,
    today: dt.date,
) -> Eligibility:
    """The restorations service's checks, as of ``today``, without filing anything."""
    rt = catalogue.record_type(record["record_type"])
    if rt is None:  # pragma: no cover - the store holds catalogued types only
        raise NotFound("the record type is no longer catalogued", code="not_restorable")
    facts = RecordFacts(
        record_id=record["id"],
        record_type=record["record_type"],
        provider=record["provider_code"],
        severity=record["severity"],
        decided_on=record["decided_on"],
        publicity_until=record["publicity_until"],
        ended_on=record["ended_on"],
        end_reason=record["end_reason"],
        fields=dict(record["fields"] or {}),
    )
    start = eligible_from(rt, facts)
    try:
        check_record(rt, facts, rights.restorations, today=today)
    except XinyongError as exc:
        return Eligibility(False, start, exc, pending)
    return Eligibility(pending is None, start, None, pending)


# ---- uploaded evidence -------------------------------------------------------------------


def media_type(content: bytes, declared: str | None, filename: str) -> str:
    """The file's media type: what its bytes are where they say so (PDF, PNG, JPEG), else
    what the browser declared, else what the file name suggests. The restorations service
    then checks that the bytes match and that the type is accepted."""
    if b"%PDF-" in content[:1024]:
        return "application/pdf"
    for magic, media in _MAGIC:
        if content.startswith(magic):
            return media
    bare = (declared or "").split(";", 1)[0].strip().lower()
    if bare and bare != "application/octet-stream":
        return bare
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def evidence_in(
    files: list[tuple[str, str | None, BinaryIO]], rules: EvidenceRules
) -> list[EvidenceIn]:
    """Uploaded files (name, declared type, stream) as the restorations service takes them
    (base64). Each is read up to one byte past the limit: the service refuses a file over
    it (``evidence_too_large``) without reading the rest."""
    out: list[EvidenceIn] = []
    for filename, declared, stream in files:
        content = stream.read(rules.max_file_bytes + 1)
        if not filename and not content:
            continue  # an empty file field
        out.append(
            EvidenceIn(
                filename=(filename or "evidence")[:4096],
                media_type=media_type(content, declared, filename or "")[:255],
                content_base64=base64.b64encode(content).decode(),
            )
        )
    return out


def require_signature(signed: str | None) -> None:
    if (signed or "").strip().lower() not in ("yes", "on", "true", "1"):
        raise ValidationFailed(
            "tick the box to sign the credit commitment", code="commitment_not_signed"
        )


def check_commitment_length(text: str | None) -> None:
    """The API's schema takes a commitment of at most :data:`MAX_COMMITMENT` characters."""
    if len(text or "") > MAX_COMMITMENT:
        raise ValidationFailed(
            f"a credit commitment has at most {MAX_COMMITMENT:,} characters",
            code="commitment_too_long",
            field="commitment",
        )


# ---- cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cases:
    objections: list[ObjectionItem]
    restorations: list[RestorationItem]


def cases(conn: Connection, rights: Rights, caller: Principal, today: dt.date) -> Cases:
    """The subject's objections and restoration applications, each with its status,
    deadline and whether it is overdue (as the services compute them), newest first."""
    found_o: list[ObjectionItem] = []
    after: str | None = None
    while len(found_o) < MAX_CASES:
        page = objections.page(
            conn,
            caller,
            status=None,
            overdue=None,
            escalated=None,
            after=after,
            limit=_PAGE,
            today=today,
        )
        found_o += page.items
        if page.next_after is None:
            break
        after = page.next_after
    found_r: list[RestorationItem] = []
    r_after: str | None = None
    while len(found_r) < MAX_CASES:
        r_page = restorations.page(
            conn, rights, caller, status=None, after=r_after, limit=_PAGE, today=today
        )
        found_r += r_page.items
        if r_page.next is None:
            break
        r_after = r_page.next
    return Cases(objections=found_o[::-1], restorations=found_r[::-1])
