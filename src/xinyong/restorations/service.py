"""Credit restoration (信用修复): a subject applies, the record's provider decides, and an
approval ends the record at once: it leaves public view, grades, lists and check decisions
in the transaction that records the decision.

Who sees an application: its subject, the deciding provider (the record's provider) and
administrators; to anyone else it does not exist (404). Who decides: the deciding provider
or an administrator. Deadlines count working days on the calendar of ``rights.yaml``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.auth.keys import Principal, Role
from xinyong.catalogue.model import Catalogue, RecordType
from xinyong.changes import record_ended
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.lists.model import Declaration
from xinyong.rating.model import Scheme
from xinyong.restorations import repository as repo
from xinyong.restorations.eligibility import (
    RecordFacts,
    check_commitment,
    check_evidence,
    check_record,
    check_text,
)
from xinyong.restorations.schemas import (
    DecisionIn,
    DecisionOut,
    EvidenceOut,
    LocalNameOut,
    RecordOut,
    RestorationIn,
    RestorationItem,
    RestorationOut,
    RestorationPage,
    SubjectOut,
)
from xinyong.rights.model import Rights
from xinyong.store.service import EndReason

STATUSES = (repo.PENDING, repo.APPROVED, repo.REJECTED)
#: What record and application ids look like: anything else is unknown without a lookup.
_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAX_LIMIT = 100


def new_id(now: dt.datetime) -> str:
    """``rst_`` + filing time (UTC, to the microsecond) + 8 random bits (24 characters):
    ids sort by filing, so ``after`` pages oldest first."""
    return f"rst_{now.astimezone(dt.UTC):%y%m%d%H%M%S%f}{secrets.token_hex(1)}"


def _unknown_record(record_id: str) -> NotFound:
    return NotFound(f"you have no record {record_id[:64]!r}", code="unknown_record")


def _not_found(restoration_id: str) -> NotFound:
    return NotFound(
        f"no restoration application {restoration_id[:64]!r} that you may see",
        code="restoration_not_found",
    )


def _record_type(catalogue: Catalogue, code: str) -> RecordType:
    rt = catalogue.record_type(code)
    if rt is None:  # pragma: no cover - the store holds catalogued types only
        raise Conflict(f"the record type {code!r} is no longer catalogued", code="not_restorable")
    return rt


def _facts(row: Mapping[str, Any]) -> RecordFacts:
    return RecordFacts(
        record_id=row["id"],
        record_type=row["record_type"],
        provider=row["provider_code"],
        severity=row["severity"],
        decided_on=row["decided_on"],
        publicity_until=row["publicity_until"],
        ended_on=row["ended_on"],
        end_reason=row["end_reason"],
        fields=dict(row["fields"] or {}),
    )


# ---- filing ------------------------------------------------------------------------------


def file_application(
    conn: Connection,
    catalogue: Catalogue,
    rights: Rights,
    caller: Principal,
    body: RestorationIn,
    *,
    today: dt.date,
    now: dt.datetime,
) -> str:
    """Check and store an application of the calling subject; its id."""
    rules = rights.restorations
    code = (caller.subject_code or "").strip().upper()
    record = repo.record_of(conn, body.record_id, lock=True) if _ID.match(body.record_id) else None
    if record is None or record["subject_code"] != code:
        raise _unknown_record(body.record_id)  # never say whose record it is
    rt = _record_type(catalogue, record["record_type"])
    check_record(rt, _facts(record), rules, today=today)
    pending = repo.pending_for(conn, record["id"])
    if pending is not None:
        raise Conflict(
            f"an application for this record is pending ({pending}): wait for its decision",
            code="restoration_pending",
            restoration_id=pending,
        )
    commitment = check_commitment(body.commitment, rules)
    evidence = check_evidence(body.evidence, rules.evidence)
    rid = new_id(now)
    due = rights.working_calendar.add_working_days(today, rules.decide_working_days)
    repo.add(
        conn,
        {
            "id": rid,
            "record_id": record["id"],
            "record_version": int(record["current_version"]),
            "entity_id": int(record["entity_id"]),
            "decider": record["provider_code"],
            "commitment": commitment,
            "filed_by": caller.actor,
            "filed_at": now,
            "filed_on": today,
            "due_on": due,
            "status": repo.PENDING,
        },
        [(e.filename, e.media_type, e.size, e.sha256, e.content) for e in evidence],
    )
    audit.record(
        conn,
        caller.actor,
        "restoration.filed",
        rid,
        {
            "record_id": record["id"],
            "record_version": int(record["current_version"]),
            "decider": record["provider_code"],
            "due_on": due.isoformat(),
            "evidence": [{"sha256": e.sha256, "size": e.size} for e in evidence],
        },
        now=now,
    )
    return rid


# ---- reading -----------------------------------------------------------------------------


def _may_see(caller: Principal, row: Mapping[str, Any]) -> bool:
    if caller.role is Role.admin:
        return True
    if caller.role is Role.provider:
        return caller.provider_code is not None and caller.provider_code == str(row["decider"])
    if caller.role is Role.subject:
        return (caller.subject_code or "").strip().upper() == str(row["subject_code"])
    return False


def _visible(
    conn: Connection, caller: Principal, restoration_id: str, *, lock: bool = False
) -> dict[str, Any]:
    row = repo.restoration(conn, restoration_id, lock=lock) if _ID.match(restoration_id) else None
    if row is None or not _may_see(caller, row):
        raise _not_found(restoration_id)
    return row


def _clock(rights: Rights, row: Mapping[str, Any], today: dt.date) -> tuple[int | None, bool]:
    """Working days left and whether the application is overdue, as of ``today``."""
    if row["status"] != repo.PENDING:
        return None, False
    due: dt.date = row["due_on"]
    return rights.working_calendar.working_days_between(today, due), today > due


def _subject(row: Mapping[str, Any]) -> SubjectOut:
    return SubjectOut(kind=row["subject_kind"], code=row["subject_code"], name=row["subject_name"])


def view(
    conn: Connection,
    catalogue: Catalogue,
    rights: Rights,
    caller: Principal,
    restoration_id: str,
    *,
    today: dt.date,
) -> RestorationOut:
    """An application with every step, for its subject, its decider and administrators."""
    row = _visible(conn, caller, restoration_id)
    return _out(conn, catalogue, rights, row, today)


def _out(
    conn: Connection,
    catalogue: Catalogue,
    rights: Rights,
    row: Mapping[str, Any],
    today: dt.date,
) -> RestorationOut:
    record = repo.record_of(conn, row["record_id"])
    assert record is not None  # an application's record is never deleted
    rt = _record_type(catalogue, record["record_type"])
    left, overdue = _clock(rights, row, today)
    decision = None
    if row["status"] != repo.PENDING:
        decision = DecisionOut(
            decision=row["status"],
            reasons=row["reasons"],
            decided_at=row["decided_at"],
            decided_by=row["decided_by"],
        )
    return RestorationOut(
        id=row["id"],
        status=row["status"],
        record=RecordOut(
            id=record["id"],
            record_type=rt.code,
            record_type_name=LocalNameOut(zh=rt.name.zh, en=rt.name.en),
            severity=record["severity"],
            provider=record["provider_code"],
            decided_on=record["decided_on"],
            publicity_until=record["publicity_until"],
            ended_on=record["ended_on"],
            end_reason=record["end_reason"],
            version=int(record["current_version"]),
            applied_to_version=int(row["record_version"]),
        ),
        subject=_subject(row),
        decider=row["decider"],
        commitment=row["commitment"],
        evidence=[
            EvidenceOut(n=i, **e) for i, e in enumerate(repo.evidence_of(conn, row["id"]), 1)
        ],
        filed_at=row["filed_at"],
        filed_on=row["filed_on"],
        due_on=row["due_on"],
        working_days_left=left,
        overdue=overdue,
        decision=decision,
    )


def evidence_file(
    conn: Connection, caller: Principal, restoration_id: str, n: int
) -> dict[str, Any]:
    """The ``n``-th file of evidence (1-based): filename, media type and bytes."""
    _visible(conn, caller, restoration_id)
    found = repo.evidence_file(conn, restoration_id, n)
    if found is None:
        raise NotFound(f"the application has no file {n}", code="evidence_not_found")
    return found


def parse_status(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in STATUSES:
        raise ValidationFailed(
            f"status is one of {', '.join(STATUSES)}, not {raw[:40]!r}",
            code="invalid_status",
            field="status",
        )
    return raw


def page(
    conn: Connection,
    rights: Rights,
    caller: Principal,
    *,
    status: str | None,
    after: str | None,
    limit: int,
    today: dt.date,
) -> RestorationPage:
    """A subject's own applications, a provider's to decide, or (administrators) all."""
    entity_id: int | None = None
    decider: str | None = None
    if caller.role is Role.subject:
        entity_id = repo.subject_id(conn, (caller.subject_code or "").strip().upper())
        if entity_id is None:
            return RestorationPage(items=[], next=None)
    elif caller.role is Role.provider:
        decider = caller.provider_code or ""
    elif caller.role is not Role.admin:
        raise Forbidden(
            "restoration applications are shown to their subjects, the deciding providers "
            "and administrators",
            code="not_a_party",
        )
    if after and not _ID.match(after):
        raise ValidationFailed(
            "after is the last id of the previous page, as given", code="invalid_cursor"
        )
    rows = repo.page(
        conn,
        entity_id=entity_id,
        decider=decider,
        status=parse_status(status),
        after=after,
        limit=limit,
    )
    items = []
    for row in rows:
        left, overdue = _clock(rights, row, today)
        items.append(
            RestorationItem(
                id=row["id"],
                status=row["status"],
                record_id=row["record_id"],
                record_type=row["record_type"],
                subject=_subject(row),
                decider=row["decider"],
                filed_on=row["filed_on"],
                due_on=row["due_on"],
                working_days_left=left,
                overdue=overdue,
                decided_at=row["decided_at"],
            )
        )
    return RestorationPage(items=items, next=rows[-1]["id"] if len(rows) == limit else None)


# ---- deciding ----------------------------------------------------------------------------


def decide(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    rights: Rights,
    caller: Principal,
    restoration_id: str,
    body: DecisionIn,
    *,
    today: dt.date,
    now: dt.datetime,
) -> RestorationOut:
    """Approve or reject a pending application. An approval ends the record from today
    and brings grades, list entries and watchers up to date before it returns."""
    row = _visible(conn, caller, restoration_id, lock=True)
    deciders = caller.role is Role.admin or (
        caller.role is Role.provider and caller.provider_code == row["decider"]
    )
    if not deciders:
        raise Forbidden(
            f"only the deciding authority ({row['decider']}) or an administrator decides",
            code="not_the_decider",
        )
    if row["status"] != repo.PENDING:
        raise Conflict(
            f"the application was already decided: {row['status']} on {row['decided_at']:%Y-%m-%d}",
            code="restoration_decided",
            status=row["status"],
        )
    reasons = check_text(body.reasons or "", "reasons") or None
    if body.decision == repo.REJECTED and reasons is None:
        raise ValidationFailed(
            "a rejection states its reasons, so that the subject can object to it",
            code="reasons_required",
            field="reasons",
        )
    details: dict[str, Any] = {"record_id": row["record_id"], "decision": body.decision}
    if body.decision == repo.APPROVED:
        details.update(
            _approve(conn, catalogue, schemes, declaration, row, today, now, caller.actor)
        )
    repo.decide(
        conn,
        restoration_id,
        status=body.decision,
        reasons=reasons,
        decided_at=now,
        decided_by=caller.actor,
    )
    audit.record(conn, caller.actor, "restoration.decided", restoration_id, details, now=now)
    decided = repo.restoration(conn, restoration_id)
    assert decided is not None
    return _out(conn, catalogue, rights, decided, today)


def _approve(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    row: Mapping[str, Any],
    today: dt.date,
    now: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """End the record from today (unless it already ended) and propagate."""
    record = repo.record_of(conn, row["record_id"], lock=True)
    assert record is not None
    if record["ended_on"] is not None and record["ended_on"] < today:
        return {"record_already_ended_on": record["ended_on"].isoformat()}
    ended, refreshed = record_ended(
        conn,
        catalogue,
        schemes,
        declaration,
        row["record_id"],
        provider_code=None,
        effective_on=today,
        reason=EndReason.restoration_approved,
        today=today,
        now=now,
        actor=actor,
        why=f"restoration {row['id']} approved",
        details={"restoration_id": row["id"]},
    )
    return {
        "ended_version": ended.version,
        "in_effect_until": ended.last_day.isoformat(),
        "data_version": refreshed.revision,
    }


def subject_of(conn: Connection, restoration_id: str) -> int | None:
    """The internal id of the subject an application is about (for the access log)."""
    row = repo.restoration(conn, restoration_id)
    return None if row is None else int(row["entity_id"])
