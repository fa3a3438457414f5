"""Checks at the point of service: decide, log, take feedback, count.

Every check is logged in the caller's transaction with who asked (consumer and key),
why (purpose and reference), the day and the data version it was decided on, and the
decision for each subject with its basis; the log is what subjects and auditors read later.
"""

from __future__ import annotations

import datetime as dt
import gc
import secrets
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue
from xinyong.checks import known
from xinyong.checks import repository as repo
from xinyong.checks.decide import (
    APPLIES,
    Decision,
    Facts,
    Subject,
    Triggers,
    covers_every_kind,
    decide_from,
    gather,
    gather_as_of,
    triggers_of,
)
from xinyong.errors import Forbidden, NotFound, ValidationFailed
from xinyong.identifiers import IdentifierError, validate_ric, validate_uscc
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration, Measure
from xinyong.rating.model import Scheme

#: Who runs a check: a consuming authority through its key, or the platform's CLI.
PLATFORM = "platform"


@dataclass(frozen=True)
class Asker:
    consumer_code: str
    key_id: int | None
    scopes: tuple[str, ...] | None  # None: any measure (the platform itself)


@dataclass(frozen=True)
class AsOf:
    """A check as of a named day: decided on ``day`` from what the platform had received
    before ``known_by`` (``None``: everything so far, for today)."""

    day: dt.date
    known_by: dt.datetime | None
    catalogue: Catalogue


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    measure: Measure
    day: dt.date
    data_version: int
    decisions: list[Decision]
    #: what the log keeps: the check's row and a row per subject
    head: dict[str, Any]
    results: list[tuple[Any, ...]]
    #: the day the asker named (``as_of``), if any
    as_of: dt.date | None = None


def measure_for(decl: Declaration, code: str, asker: Asker) -> Measure:
    measure = decl.measure(code)
    if measure is None:
        raise NotFound(f"no measure {code[:64]!r}", code="unknown_measure")
    if asker.scopes is not None and code not in asker.scopes:
        raise Forbidden(
            f"this key may check only {', '.join(asker.scopes) or 'no measures'}",
            code="measure_not_in_scope",
        )
    return measure


def normalise_code(code: str) -> str:
    return code.strip().upper()


def _problem(code: str) -> str:
    """Why a code names no subject: it is not a valid identifier, or nobody has it."""
    for check in (validate_uscc, validate_ric):
        try:
            check(code)
            return "unknown_subject"
        except IdentifierError:
            continue
    return "invalid_identifier"


def new_check_id() -> str:
    return "chk_" + secrets.token_hex(8)


def prepare_check(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    asker: Asker,
    *,
    measure_code: str,
    codes: Sequence[str],
    purpose: str,
    reference: str | None,
    day: dt.date,
    now: dt.datetime,
    as_of: AsOf | None = None,
) -> CheckResult:
    """Decide ``measure_code`` for each subject on ``day`` (today), or as the platform would
    have decided it on ``as_of.day``: the decisions and the rows to log. Log them
    (:func:`log_now`, or the group-commit writer) before answering."""
    measure, asked, triggers = _asked(decl, asker, measure_code, codes, purpose)
    subjects: Sequence[Subject]
    if as_of is not None:
        day = as_of.day
    if as_of is not None and as_of.known_by is not None:  # a past day: what was known then
        moment = as_of.known_by
        found = known.entity_ids_known_by(conn, sorted(set(asked)), moment)
        version = lists_repo.data_version_before(conn, moment)
        past = [(c, found.get(c)) for c in asked]
        subjects = past
        facts = gather_as_of(
            conn,
            as_of.catalogue,
            schemes,
            measure,
            triggers,
            past,
            day=day,
            version=version,
            known_by=moment,
        )
    elif len(asked) == 1 and not triggers.grades:  # the point of service: one round trip
        found_one, version, entries = lists_repo.one_subject(conn, asked[0], triggers.lists, day)
        subjects = [(asked[0], found_one)]
        facts = Facts(entries)
    else:
        subjects = _look_up(conn, measure, asked)
        version = lists_repo.data_version(conn)  # read first: entries of this version only
        facts = gather(conn, measure, triggers, subjects, day=day, version=version)
    decisions = decide_from(decl, schemes, measure, subjects, facts)
    applies = _settle(decisions)
    check_id = new_check_id()
    head = _head(check_id, asker, measure, purpose, reference, now, day, version, len(asked))
    head["applies"] = applies
    results = [(check_id, *row) for row in _rows(decisions, 0)]
    named = as_of.day if as_of is not None else None
    return CheckResult(check_id, measure, day, version, decisions, head, results, named)


#: A big check is decided and logged in parts of this many subjects: the log writer
#: inserts each part while the next is decided.
PART_SUBJECTS = 10_000

#: What receives a big check's parts: the check's row with the first part (else ``None``)
#: and the part's decisions as rows of ``RESULT_COLUMNS`` without the check id.
PartSink = Callable[[dict[str, Any] | None, list[tuple[Any, ...]]], None]


def prepare_in_parts(
    conn: Connection,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    asker: Asker,
    send: PartSink,
    *,
    check_id: str,
    measure_code: str,
    codes: Sequence[str],
    purpose: str,
    reference: str | None,
    day: dt.date,
    now: dt.datetime,
    as_of: dt.date | None = None,
    part: int | None = None,
) -> CheckResult:
    """:func:`prepare_check` for today, decided in parts of ``part`` subjects, each handed
    to ``send`` as soon as it is decided (the log writer then writes it while the next part
    is decided; ``None``: :data:`PART_SUBJECTS`). Every part is decided on the same data
    version, read first. ``as_of``: the day the asker named (today). The result's ``head``
    has the final counts; its ``results`` are empty (they went to ``send``)."""
    measure, asked, triggers = _asked(decl, asker, measure_code, codes, purpose)
    version = lists_repo.data_version(conn)  # read first: entries of this version only
    head = _head(check_id, asker, measure, purpose, reference, now, day, version, len(asked))
    decisions: list[Decision] = []
    applies = 0
    size = part or PART_SUBJECTS
    for start in range(0, len(asked), size):
        subjects = _look_up(conn, measure, asked[start : start + size])
        facts = gather(conn, measure, triggers, subjects, day=day, version=version)
        decided = decide_from(decl, schemes, measure, subjects, facts)
        applies += _settle(decided)
        send(head if start == 0 else None, _rows(decided, start))
        decisions += decided
    head["applies"] = applies
    return CheckResult(check_id, measure, day, version, decisions, head, [], as_of)


def _asked(
    decl: Declaration, asker: Asker, measure_code: str, codes: Sequence[str], purpose: str
) -> tuple[Measure, list[str], Triggers]:
    """The measure (in the asker's scope and published), the codes as asked, normalised,
    and what the measure listens to."""
    measure = measure_for(decl, measure_code, asker)
    if not purpose.strip():
        raise ValidationFailed("say why you check (purpose)", code="purpose_required")
    return measure, [normalise_code(c) for c in codes], triggers_of(decl, measure)


def _settle(decisions: Sequence[Decision]) -> int:
    """Say why each unknown code names no subject; the number of decisions that apply."""
    applies = 0
    for d in decisions:
        if d.problem == "unknown_subject":
            d.problem = _problem(d.subject)
        elif d.decision == APPLIES:
            applies += 1
    return applies


def _head(
    check_id: str,
    asker: Asker,
    measure: Measure,
    purpose: str,
    reference: str | None,
    now: dt.datetime,
    day: dt.date,
    version: int,
    subjects: int,
) -> dict[str, Any]:
    """The check's own row in the log (``applies`` is set once the decisions are made)."""
    return {
        "id": check_id,
        "at": now,
        "key_id": asker.key_id,
        "consumer_code": asker.consumer_code,
        "measure": measure.code,
        "purpose": purpose.strip(),
        "reference": reference,
        "on_date": day,
        "data_version": version,
        "subjects": subjects,
        "applies": 0,
    }


def _rows(decisions: Sequence[Decision], offset: int) -> list[tuple[Any, ...]]:
    """The decisions as the log keeps them, from position ``offset`` on, without the check
    id: ``(position, subject_code, entity_id, decision, basis)``."""
    return [
        (
            offset + i,
            d.subject[:32],
            d.entity_id,
            d.decision,
            ",".join([b.short() for b in d.basis]) if d.basis else None,
        )
        for i, d in enumerate(decisions)
    ]


def _look_up(conn: Connection, measure: Measure, asked: Sequence[str]) -> list[Subject]:
    """Each code as asked with its subject. When the measure covers every kind of subject,
    only the ids are read (from the code's index); the few kinds a decision needs are read
    with the entries (:func:`~xinyong.checks.decide.gather`)."""
    unique = sorted(set(asked))
    if covers_every_kind(measure):
        ids = lists_repo.entity_ids_only(conn, unique)
        by_code: dict[str, tuple[int, str | None]] = {c: (eid, None) for c, eid in ids.items()}
        return [(c, by_code.get(c)) for c in asked]
    found = lists_repo.entity_ids_by_code(conn, unique)
    return [(c, found.get(c)) for c in asked]


def log_now(conn: Connection, result: CheckResult) -> None:
    """Log a prepared check in the caller's transaction (the CLI; the API group-commits)."""
    repo.log_checks(conn, [result.head], result.results)


def decision_json(d: Decision, measure: str) -> dict[str, Any]:
    """A decision as the API answers it; ``basis`` holds :class:`Basis` dataclasses, which
    orjson writes with the same field names (no per-field copying for 100,000 subjects)."""
    out: dict[str, Any] = {
        "subject": d.subject,
        "decision": d.decision,
        "measure": measure,
        "basis": d.basis,
    }
    if d.problem is not None:
        out["problem"] = d.problem
    return out


def check_json(result: CheckResult) -> dict[str, Any]:
    """A check's answer, as the API and ``xinyong check --json`` give it."""
    m = result.measure
    return {
        "check_id": result.check_id,
        "measure": m.code,
        "kind": m.kind.value,
        "legal_basis": m.legal_basis,
        "on": result.day,
        "data_version": result.data_version,
        **({"as_of": result.as_of} if result.as_of is not None else {}),
        "results": [decision_json(d, m.code) for d in result.decisions],
    }


def answer_bytes(result: CheckResult) -> bytes:
    """The check's answer as the API sends it (:func:`check_json`, as JSON)."""
    return orjson.dumps(check_json(result))


_gc_lock = threading.Lock()
_gc_pauses = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (for every thread) while a big check runs, if it
    was on. Reference counting still frees nearly everything a check makes; only cycles
    wait for the collector to run again when the last pause ends."""
    global _gc_pauses
    with _gc_lock:
        if _gc_pauses == 0 and not gc.isenabled():  # off anyway: leave it so
            paused = False
        else:
            paused = True
            _gc_pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if paused:
            with _gc_lock:
                _gc_pauses -= 1
                if _gc_pauses == 0:
                    gc.enable()


def check_of(conn: Connection, check_id: str, asker: Asker | None) -> dict[str, Any]:
    """A logged check; a consumer sees only its own (``None``: an administrator)."""
    found = repo.get_check(conn, check_id[:24])
    if found is None or (asker is not None and found["consumer_code"] != asker.consumer_code):
        raise NotFound(f"no check {check_id[:24]!r} of yours", code="unknown_check")
    return found


def check_with_results(conn: Connection, check_id: str, asker: Asker | None) -> dict[str, Any]:
    found = check_of(conn, check_id, asker)
    return {**found, "results": repo.results_of(conn, found["id"])}


ACTIONS = ("applied", "not_applied", "exception_applied")


def add_feedback(
    conn: Connection,
    check_id: str,
    asker: Asker,
    items: Sequence[Mapping[str, Any]],
    *,
    today: dt.date,
    now: dt.datetime,
) -> int:
    """Store what the consumer did about the subjects of one of its checks."""
    found = check_of(conn, check_id, asker)
    codes = [normalise_code(str(i["subject"])) for i in items]
    known = repo.subjects_in_check(conn, found["id"], sorted(set(codes)))
    missing = [(n, c) for n, c in enumerate(codes) if c not in known]
    if missing:
        n, code = missing[0]
        raise ValidationFailed(
            f"items.{n}.subject: {code!r} was not in check {found['id']}",
            code="subject_not_in_check",
            errors=[
                {"field": f"items.{n}.subject", "code": "subject_not_in_check", "message": c}
                for n, c in missing[:100]
            ],
        )
    for n, item in enumerate(items):
        acted = item.get("acted_on") or today
        if acted > today or acted < found["on_date"]:
            raise ValidationFailed(
                f"items.{n}.acted_on: between the check's day ({found['on_date']}) and today",
                code="invalid_acted_on",
            )
    rows = [
        (
            found["id"],
            asker.consumer_code,
            found["measure"],
            code,
            str(item["action"]),
            (item.get("acted_on") or today).isoformat(),
            item.get("note"),
            now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),
        )
        for code, item in zip(codes, items, strict=True)
    ]
    repo.add_feedback(conn, rows)
    return len(rows)


def statistics(
    conn: Connection,
    decl: Declaration,
    *,
    consumer: str | None,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, list[dict[str, Any]]]:
    """Checks and feedback per measure and month: incentives and sanctions applied."""
    kinds = {m.code: m.kind.value for m in decl.measures}
    start_at = dt.datetime.combine(start, dt.time(), dt.UTC) if start else None
    end_at = dt.datetime.combine(end, dt.time(), dt.UTC) if end else None
    checks_by: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in repo.check_counts(conn, consumer=consumer, start=start_at, end=end_at):
        key = (row["measure"], row["on_date"].strftime("%Y-%m"))
        checks_by[key].update(
            checks=int(row["checks"]),
            subjects=int(row["subjects"] or 0),
            applies=int(row["applies"] or 0),
        )
    feedback_by: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in repo.feedback_counts(conn, consumer=consumer, start=start, end=end):
        feedback_by[(row["measure"], row["acted_on"].strftime("%Y-%m"), row["action"])] += int(
            row["n"]
        )
    return {
        "checks": [
            {"measure": m, "kind": kinds.get(m), "month": month, **counts}
            for (m, month), counts in sorted(checks_by.items())
        ],
        "feedback": [
            {"measure": m, "kind": kinds.get(m), "month": month, "action": action, "count": n}
            for (m, month, action), n in sorted(feedback_by.items())
        ],
    }


LOG_FIELDS = (
    "check_id",
    "at",
    "consumer_code",
    "key_id",
    "measure",
    "purpose",
    "reference",
    "on_date",
    "data_version",
    "position",
    "subject_code",
    "decision",
    "basis",
)


def log_of(
    conn: Connection,
    *,
    consumer: str | None,
    measure: str | None,
    start: dt.date | None,
    end: dt.date | None,
) -> Iterable[dict[str, Any]]:
    start_at = dt.datetime.combine(start, dt.time(), dt.UTC) if start else None
    end_at = dt.datetime.combine(end, dt.time(), dt.UTC) if end else None
    return repo.log_rows(conn, consumer=consumer, measure=measure, start=start_at, end=end_at)
