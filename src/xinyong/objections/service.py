"""Objections (异议): filing, reading, extending, deciding, statements and escalation.

A subject objects to one of its items (a record, its publicity period, a listing, a grade
or a restoration decision). The objection is stored open at once, which is what marks the
item "under objection" wherever it is shown (:mod:`xinyong.rights.marks`). The decider (the
record's provider, the scheme's authority, or the platform) decides within
``rights.objections.decide_working_days`` working days of the filing day, extendable once
to ``extended_total_working_days`` in total. An open objection past its due day is overdue
as soon as it is read, and :func:`escalate_overdue` escalates it to the platform's
administrators. Every change adds an ``objection_events`` row and an audit entry in the
caller's transaction; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.auth.keys import Principal, Role
from xinyong.catalogue.model import Catalogue
from xinyong.changes import record_ended
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.ingest.submit import submit_objects
from xinyong.lists.model import Declaration
from xinyong.objections import repository as repo
from xinyong.objections import targets
from xinyong.objections.schemas import (
    DecisionIn,
    EventOut,
    ExtensionIn,
    ExtensionOut,
    ObjectionIn,
    ObjectionItem,
    ObjectionOut,
    ObjectionPage,
    StatementIn,
    StatementOut,
    SubjectOut,
)
from xinyong.rating.model import Scheme
from xinyong.rights.model import Rights
from xinyong.settings import Settings
from xinyong.store.service import EndReason
from xinyong.workdays import WorkingCalendar

OPEN, DECIDED = "open", "decided"
#: An objection's id: "o" and 20 hex digits (see :func:`new_id`).
OBJECTION_ID = re.compile(r"^o[0-9a-f]{20}$")
CORRECTED, DELETED, UPHELD, UNCONFIRMED = "corrected", "deleted", "upheld", "unconfirmed"


@dataclass(frozen=True)
class Context:
    """What deciding needs from the application: the declarations and the settings."""

    catalogue: Catalogue
    schemes: Mapping[str, Scheme]
    declaration: Declaration
    rights: Rights
    settings: Settings


def new_id() -> str:
    return "o" + secrets.token_hex(10)


# ---- free text ---------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, required: bool) -> str | None:
    """Stripped text within ``limit`` characters; ``<field>_required`` when required and
    empty, ``<field>_too_long``, ``invalid_text`` for control characters."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailed(f"{field} is required", code=f"{field}_required", field=field)
        return None
    if len(text) > limit:
        raise ValidationFailed(
            f"{field} has {len(text):,} characters, at most {limit:,} are allowed",
            code=f"{field}_too_long",
            field=field,
        )
    bad = any(
        (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )
    if bad:
        raise ValidationFailed(
            f"{field} contains control characters", code="invalid_text", field=field
        )
    return text


def _required_text(value: str | None, *, field: str, limit: int) -> str:
    text = _text(value, field=field, limit=limit, required=True)
    assert text is not None
    return text


# ---- who may see and act -----------------------------------------------------------------


def _subject_code(caller: Principal) -> str:
    return (caller.subject_code or "").strip().upper()


def _visible(row: Mapping[str, Any], caller: Principal) -> bool:
    if caller.role is Role.admin:
        return True
    if caller.role is Role.subject:
        return bool(caller.subject_code) and row["subject_code"] == _subject_code(caller)
    if caller.role is Role.provider:
        return caller.provider_code is not None and caller.provider_code == row["decider"]
    return False


def _load(conn: Connection, caller: Principal, objection_id: str) -> dict[str, Any]:
    """The objection, if ``caller`` may see it; the same 404 whether it exists or not."""
    row = repo.get(conn, objection_id) if OBJECTION_ID.fullmatch(objection_id) else None
    if row is None or not _visible(row, caller):
        raise NotFound(f"no objection {objection_id[:40]!r}", code="objection_not_found")
    return row


def _is_decider(row: Mapping[str, Any], caller: Principal) -> bool:
    if caller.role is Role.provider:
        return caller.provider_code is not None and caller.provider_code == str(row["decider"])
    return caller.role is Role.admin and str(row["decider"]) == targets.PLATFORM


def _may_decide(row: Mapping[str, Any], caller: Principal) -> None:
    if _is_decider(row, caller):
        return
    if caller.role is Role.admin:
        if row["escalated_at"] is not None:
            return
        raise Forbidden(
            f"{row['decider']} decides this objection; an administrator may decide it once it "
            "is escalated (overdue)",
            code="not_escalated",
        )
    raise Forbidden("only the objection's decider may decide it", code="not_the_decider")


def _open(row: Mapping[str, Any]) -> None:
    if row["status"] != OPEN:
        raise Conflict(
            f"the objection was decided ({row['outcome']})",
            code="objection_decided",
            outcome=row["outcome"],
        )


# ---- views -------------------------------------------------------------------------------


def _overdue(row: Mapping[str, Any], today: dt.date) -> bool:
    due: dt.date = row["due_on"]
    return bool(row["status"] == OPEN and today > due)


def _item(row: Mapping[str, Any], today: dt.date) -> ObjectionItem:
    return ObjectionItem(
        id=row["id"],
        subject=SubjectOut(
            kind=row["subject_kind"], code=row["subject_code"], name=row["subject_name"]
        ),
        target=row["target"],
        target_type=row["target_type"],
        grounds=row["grounds"],
        decider=row["decider"],
        status=row["status"],
        filed_on=row["filed_on"],
        due_on=row["due_on"],
        overdue=_overdue(row, today),
        escalated_at=row["escalated_at"],
        outcome=row["outcome"],
    )


def view(
    conn: Connection, row: Mapping[str, Any], calendar: WorkingCalendar, today: dt.date
) -> ObjectionOut:
    """The objection with every step; overdue and days left computed for ``today``."""
    events = repo.events_of(conn, row["id"])
    decided = next((e for e in reversed(events) if e["step"] == "decided"), None)
    left = None
    if row["status"] == OPEN:
        left = calendar.working_days_between(today, row["due_on"])
    extension = None
    if row["extended_at"] is not None:
        extension = ExtensionOut(at=row["extended_at"], reasons=row["extension_reasons"] or "")
    return ObjectionOut(
        **_item(row, today).model_dump(),
        record_id=row["record_id"],
        list_code=row["list_code"],
        scheme=row["scheme"],
        restoration_id=row["restoration_id"],
        statement=row["statement"],
        filed_at=row["filed_at"],
        working_days_left=left,
        extension=extension,
        reasons=row["reasons"],
        verification=row["verification"],
        corrected_version=row["corrected_version"],
        decided_at=row["decided_at"],
        late=None if decided is None else bool((decided["details"] or {}).get("late")),
        statements=[StatementOut(**s) for s in repo.statements_of(conn, row["id"])],
        events=[
            EventOut(at=e["at"], actor=e["actor"], step=e["step"], details=e["details"] or {})
            for e in events
        ],
    )


def get_objection(
    conn: Connection, caller: Principal, objection_id: str, rights: Rights, today: dt.date
) -> ObjectionOut:
    return view(conn, _load(conn, caller, objection_id), rights.working_calendar, today)


def page(
    conn: Connection,
    caller: Principal | None,
    *,
    status: str | None,
    overdue: bool | None,
    escalated: bool | None,
    after: str | None,
    limit: int,
    today: dt.date,
) -> ObjectionPage:
    """Objections the caller is party to, in filing order: a subject's own, those a
    provider decides, every one for administrators and the platform's operator (``None``,
    the command line)."""
    scope: dict[str, Any] = {}
    if caller is None:
        pass
    elif caller.role is Role.subject and caller.subject_code:
        subject = repo.entity_by_code(conn, _subject_code(caller))
        if subject is None:
            return ObjectionPage(items=[], next_after=None)
        scope["entity_id"] = int(subject["id"])
    elif caller.role is Role.provider and caller.provider_code:
        scope["decider"] = caller.provider_code
    elif caller.role is not Role.admin:
        raise Forbidden(
            "objections are shown to their subjects, their deciders and administrators",
            code="not_a_party",
        )
    cursor = None
    if after:
        found = repo.get(conn, after) if OBJECTION_ID.fullmatch(after) else None
        if found is None or (caller is not None and not _visible(found, caller)):
            raise ValidationFailed(
                "after names no objection of this list", code="invalid_after", field="after"
            )
        cursor = (found["filed_at"], found["id"])
    rows = repo.listed(
        conn,
        **scope,
        status=status,
        overdue=overdue,
        overdue_on=today,
        escalated=escalated,
        after=cursor,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ObjectionPage(
        items=[_item(r, today) for r in rows],
        next_after=rows[-1]["id"] if more and rows else None,
    )


def summaries(conn: Connection, ids: list[str], today: dt.date) -> list[ObjectionItem]:
    """These objections in a list's shape (for the platform's operator)."""
    rows = (repo.get(conn, oid) for oid in ids)
    return [_item(r, today) for r in rows if r is not None]


# ---- filing ------------------------------------------------------------------------------


def file(
    conn: Connection,
    caller: Principal,
    body: ObjectionIn,
    ctx: Context,
    *,
    today: dt.date,
    now: dt.datetime,
) -> ObjectionOut:
    """File an objection for the caller's subject. The item is under objection at once."""
    rules = ctx.rights.objections
    grounds = (body.grounds or "").strip()
    if grounds not in ctx.rights.grounds():
        raise ValidationFailed(
            f"unknown grounds {grounds[:40]!r}: one of {', '.join(ctx.rights.grounds())}",
            code="unknown_grounds",
            field="grounds",
        )
    statement = _required_text(body.statement, field="statement", limit=rules.max_statement_chars)
    targets.parse(body.target)
    subject = repo.entity_by_code(conn, _subject_code(caller))
    if subject is None:
        raise targets.not_found()
    target = targets.resolve(
        conn,
        subject,
        body.target,
        catalogue=ctx.catalogue,
        schemes=ctx.schemes,
        declaration=ctx.declaration,
        today=today,
    )
    existing = repo.open_on_target(
        conn,
        int(subject["id"]),
        target.type,
        record_id=target.record_id,
        list_code=target.list_code,
        scheme=target.scheme,
        restoration_id=target.restoration_id,
    )
    if existing is not None:
        raise Conflict(
            f"this target already has an open objection, {existing}",
            code="objection_already_open",
            objection_id=existing,
        )
    oid = new_id()
    due = ctx.rights.working_calendar.add_working_days(today, rules.decide_working_days)
    repo.insert_objection(
        conn,
        {
            "id": oid,
            "entity_id": int(subject["id"]),
            "target_type": target.type,
            "target": target.given,
            "record_id": target.record_id,
            "list_code": target.list_code,
            "scheme": target.scheme,
            "restoration_id": target.restoration_id,
            "decider": target.decider,
            "grounds": grounds,
            "statement": statement,
            "filed_by": caller.actor,
            "filed_at": now,
            "filed_on": today,
            "due_on": due,
            "status": OPEN,
        },
    )
    details = {
        "target": target.given,
        "grounds": grounds,
        "decider": target.decider,
        "due_on": due.isoformat(),
        **target.details,
    }
    repo.add_event(conn, oid, at=now, actor=caller.actor, step="filed", details=details)
    audit.record(conn, caller.actor, "objection.filed", oid, details, now=now)
    return get_objection(conn, caller, oid, ctx.rights, today)


# ---- the decider's steps -----------------------------------------------------------------


def extend(
    conn: Connection,
    caller: Principal,
    objection_id: str,
    body: ExtensionIn,
    rights: Rights,
    *,
    today: dt.date,
    now: dt.datetime,
) -> ObjectionOut:
    """Extend the deadline once, to ``extended_total_working_days`` after filing."""
    row = _load(conn, caller, objection_id)
    if not _is_decider(row, caller):
        raise Forbidden("only the objection's decider may extend it", code="not_the_decider")
    _open(row)
    if row["extended_at"] is not None:
        raise Conflict("the deadline was already extended once", code="already_extended")
    if today > row["due_on"]:
        raise Conflict(
            f"the deadline passed on {row['due_on']}: it can be extended only before",
            code="extension_too_late",
        )
    reasons = _required_text(
        body.reasons, field="reasons", limit=rights.objections.max_statement_chars
    )
    due = rights.working_calendar.add_working_days(
        row["filed_on"], rights.objections.extended_total_working_days
    )
    if not repo.update_open(
        conn, objection_id, {"extended_at": now, "extension_reasons": reasons, "due_on": due}
    ):
        _open(repo.get(conn, objection_id) or row)
    details = {"from": row["due_on"].isoformat(), "due_on": due.isoformat(), "reasons": reasons}
    repo.add_event(conn, objection_id, at=now, actor=caller.actor, step="extended", details=details)
    audit.record(conn, caller.actor, "objection.extended", objection_id, details, now=now)
    return get_objection(conn, caller, objection_id, rights, today)


def _correct(
    conn: Connection,
    caller: Principal,
    row: Mapping[str, Any],
    correction: dict[str, Any],
    ctx: Context,
) -> int:
    """Store the corrected record as its provider; the new version's number."""
    rec = repo.record_of(conn, row["record_id"])
    if rec is None:  # pragma: no cover - records are never deleted
        raise targets.not_found()
    subject = correction.get("subject")
    code = subject.get("code") if isinstance(subject, dict) else None
    if (
        correction.get("provider_record_id") != rec["provider_record_id"]
        or correction.get("record_type") != rec["record_type"]
        or not isinstance(code, str)
        or code.strip().upper() != row["subject_code"]
    ):
        raise ValidationFailed(
            "the correction must be the contested record (same record type, provider record "
            f"id {rec['provider_record_id']!r} and subject) with what changes",
            code="correction_mismatch",
            field="correction",
        )
    provider = ctx.catalogue.provider(rec["provider_code"])
    acting = Principal(
        key_id=caller.key_id,
        role=Role.provider,
        provider_code=rec["provider_code"],
        scopes=provider.record_types if provider is not None else (),
    )
    written, errors = submit_objects(
        conn,
        [correction],
        acting,
        catalogue=ctx.catalogue,
        settings=ctx.settings,
        schemes=ctx.schemes,
        declaration=ctx.declaration,
    )
    if errors:
        raise ValidationFailed(
            f"the correction is not a valid record: {errors[0].message}",
            code="correction_invalid",
            field="correction",
            errors=[{"field": e.field, "code": e.code, "message": e.message} for e in errors],
        )
    _row, rid, version, status = written.outcomes[0]
    if rid != rec["id"] or status != CORRECTED:
        raise ValidationFailed(
            "the correction changes nothing in the record"
            if status == "unchanged"
            else "the correction is not a new version of the contested record",
            code="correction_mismatch",
            field="correction",
        )
    return int(version)


def _withdraw(
    conn: Connection,
    caller: Principal,
    row: Mapping[str, Any],
    ctx: Context,
    *,
    today: dt.date,
    now: dt.datetime,
) -> int:
    """The provider withdraws the record: it never was in effect. The ending version."""
    rec = repo.record_of(conn, row["record_id"])
    if rec is None:  # pragma: no cover - records are never deleted
        raise targets.not_found()
    ended, _refreshed = record_ended(
        conn,
        ctx.catalogue,
        ctx.schemes,
        ctx.declaration,
        rec["id"],
        provider_code=rec["provider_code"],
        effective_on=today,
        reason=EndReason.withdrawn,
        today=today,
        now=now,
        actor=caller.actor,
        why=f"objection {row['id']}: withdrawn",
        details={"provider": rec["provider_code"], "objection_id": row["id"]},
    )
    return ended.version


def decide(
    conn: Connection,
    caller: Principal,
    objection_id: str,
    body: DecisionIn,
    ctx: Context,
    *,
    today: dt.date,
    now: dt.datetime,
) -> ObjectionOut:
    """Decide: corrected (a new version of the record), deleted (withdrawn), upheld (with
    reasons) or unconfirmed (with the verification). Late decisions are recorded as late."""
    row = _load(conn, caller, objection_id)
    _may_decide(row, caller)
    _open(row)
    limit = ctx.rights.objections.max_statement_chars
    outcome = (body.outcome or "").strip()
    if outcome not in ctx.rights.outcomes():
        raise ValidationFailed(
            f"unknown outcome {outcome[:40]!r}: one of {', '.join(ctx.rights.outcomes())}",
            code="unknown_outcome",
            field="outcome",
        )
    reasons = _text(body.reasons, field="reasons", limit=limit, required=False)
    verification = _text(body.verification, field="verification", limit=limit, required=False)
    record_based = row["record_id"] is not None and row["target_type"] in (
        *targets.RECORD_TYPES,
        "listing",
    )
    if body.correction is not None and not (outcome == CORRECTED and record_based):
        raise ValidationFailed(
            "a correction record goes only with 'corrected' on a record, its publicity or a "
            "listing based on a record",
            code="correction_not_applicable",
            field="correction",
        )
    if outcome == UNCONFIRMED and verification is None:
        raise ValidationFailed(
            "'unconfirmed' records what was done to verify: verification is required",
            code="verification_required",
            field="verification",
        )
    if outcome == DELETED and not record_based:
        raise ValidationFailed(
            "'deleted' withdraws a record: this objection is not about a record",
            code="outcome_not_applicable",
            field="outcome",
        )
    if outcome == CORRECTED and record_based and body.correction is None:
        raise ValidationFailed(
            "'corrected' on a record needs the corrected record (correction)",
            code="correction_required",
            field="correction",
        )
    needs_reasons = outcome not in (CORRECTED, DELETED, UNCONFIRMED) or (
        outcome == CORRECTED and not record_based
    )
    if needs_reasons and reasons is None:
        raise ValidationFailed(
            f"'{outcome}' is decided with reasons", code="reasons_required", field="reasons"
        )
    # claim the objection first: a concurrent decision loses here and everything rolls back
    claimed = repo.update_open(
        conn,
        objection_id,
        {
            "status": DECIDED,
            "outcome": outcome,
            "reasons": reasons,
            "verification": verification,
            "decided_at": now,
            "decided_by": caller.actor,
        },
    )
    if not claimed:
        _open(repo.get(conn, objection_id) or row)
    record_version = None
    if outcome == CORRECTED and body.correction is not None:
        record_version = _correct(conn, caller, row, body.correction, ctx)
        repo.set_corrected_version(conn, objection_id, record_version)
    elif outcome == DELETED:
        record_version = _withdraw(conn, caller, row, ctx, today=today, now=now)
    late = today > row["due_on"]
    details: dict[str, Any] = {"outcome": outcome, "late": late, "decided_on": today.isoformat()}
    if row["record_id"] is not None and record_version is not None:
        details.update(record_id=row["record_id"], record_version=record_version)
    if row["escalated_at"] is not None:
        details["escalated"] = True
    repo.add_event(conn, objection_id, at=now, actor=caller.actor, step="decided", details=details)
    audit.record(conn, caller.actor, "objection.decided", objection_id, details, now=now)
    return get_objection(conn, caller, objection_id, ctx.rights, today)


# ---- the subject's statement -------------------------------------------------------------


def add_statement(
    conn: Connection,
    caller: Principal,
    objection_id: str,
    body: StatementIn,
    rights: Rights,
    *,
    today: dt.date,
    now: dt.datetime,
) -> ObjectionOut:
    """The subject's statement, shown beside the record; also after the decision."""
    row = _load(conn, caller, objection_id)
    if caller.role is not Role.subject:
        raise Forbidden("only the subject adds a statement", code="not_the_subject")
    text = _required_text(body.text, field="text", limit=rights.objections.max_statement_chars)
    sid = repo.add_statement(
        conn,
        entity_id=int(row["entity_id"]),
        record_id=row["record_id"],
        objection_id=objection_id,
        text=text,
        at=now,
    )
    details = {"statement_id": sid, "record_id": row["record_id"], "chars": len(text)}
    repo.add_event(
        conn, objection_id, at=now, actor=caller.actor, step="statement", details=details
    )
    audit.record(conn, caller.actor, "statement.added", objection_id, details, now=now)
    return get_objection(conn, caller, objection_id, rights, today)


# ---- escalation --------------------------------------------------------------------------


def escalate_overdue(
    conn: Connection, today: dt.date, now: dt.datetime, *, run_by: str | None = None
) -> list[str]:
    """Escalate to the platform's administrators every open objection past its due day
    that was not escalated yet; the ids escalated now. ``run_by``: who asked (an
    administrator), noted in the details; the actor is always the platform."""
    escalated: list[str] = []
    events: list[audit.Event] = []
    for row in repo.overdue_not_escalated(conn, today):
        if not repo.mark_escalated(conn, row["id"], now):  # pragma: no cover - a race
            continue
        details: dict[str, Any] = {
            "due_on": row["due_on"].isoformat(),
            "decider": row["decider"],
            "on": today.isoformat(),
        }
        if run_by is not None:
            details["run_by"] = run_by
        repo.add_event(
            conn, row["id"], at=now, actor=audit.PLATFORM, step="escalated", details=details
        )
        events.append(audit.Event(audit.PLATFORM, "objection.escalated", row["id"], details))
        escalated.append(row["id"])
    if events:
        audit.record_many(conn, events, now=now)
    return escalated


def subject_of(conn: Connection, objection_id: str) -> int | None:
    """The internal id of the subject an objection is about (for the access log)."""
    row = repo.get(conn, objection_id)
    return None if row is None else int(row["entity_id"])
