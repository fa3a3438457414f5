"""The demo city's everyday work of the past months, through the platform's own services:
consuming authorities check subjects at their counters and report what they did, subjects
object to records and apply for credit restoration, and the deciding authorities answer
(most in time, some late, some not yet).

Each step runs with the day and the moment it happens on, oldest first, so deadlines,
turnaround and the statistics dashboard are those of a living city. Nothing here writes SQL:
the services do, and audit every step as they always do.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from xinyong.auth.keys import Principal, authenticate, create_subject_token
from xinyong.catalogue.model import Catalogue, SubjectKind
from xinyong.checks import service as checks
from xinyong.dates import add_months
from xinyong.db.engine import writing
from xinyong.errors import XinyongError
from xinyong.lists import repository as lists_repo
from xinyong.lists.model import Declaration
from xinyong.objections import service as objections
from xinyong.objections.schemas import DecisionIn as ObjectionDecision
from xinyong.objections.schemas import ObjectionIn
from xinyong.rating.model import Scheme
from xinyong.restorations import repository as restorations_repo
from xinyong.restorations import service as restorations
from xinyong.restorations.repository import restorable_records
from xinyong.restorations.schemas import DecisionIn as RestorationDecision
from xinyong.restorations.schemas import EvidenceIn, RestorationIn
from xinyong.rights.model import Rights
from xinyong.settings import Settings

Progress = Callable[[str, int, int], None]

_COMMITMENT = (
    "本单位已全额缴纳罚款并完成整改，"
    "承诺今后严格遵守相关法律法规，诚信经营，如有违反愿承担相应责任。"
)
_EVIDENCE = b"%PDF-1.4\n% demo evidence: receipt of the fine's payment\n%%EOF\n"


@dataclass
class Activity:
    checks: int = 0
    feedback: int = 0
    objections: int = 0
    objections_decided: int = 0
    restorations: int = 0
    restorations_decided: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Keys:
    """The demo's keys, as created (the activity acts with them)."""

    providers: Mapping[str, str]
    admin: str
    consumers: Mapping[str, str]


def _moment(day: dt.date, hour: int) -> dt.datetime:
    # 10:00 China time is 02:00 UTC: the moment of a step on its day
    return dt.datetime.combine(day, dt.time(max(0, hour - 8)), tzinfo=dt.UTC)


def simulate(
    engine: Engine,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    rights: Rights,
    settings: Settings,
    keys: Keys,
    *,
    today: dt.date,
    months: int = 6,
    seed: int = 2026,
    avoid: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> Activity:
    """Run ``months`` of the city's work up to yesterday. ``avoid``: subjects' codes left
    untouched (those the README hands out tokens for)."""
    rng = random.Random(seed)
    done = Activity()
    start = add_months(today, -months)
    octx = objections.Context(catalogue, schemes, declaration, rights, settings)
    calendar = rights.working_calendar
    with writing(engine) as conn:
        principals = {code: authenticate(conn, key) for code, key in keys.providers.items()}
        consumers = {code: authenticate(conn, key) for code, key in keys.consumers.items()}
        admin = authenticate(conn, keys.admin)

        def fines(decided_by: dt.date, limit: int) -> list[dict[str, Any]]:
            return [
                row
                for kind in (SubjectKind.organisation, SubjectKind.individual_business)
                for row in restorable_records(
                    conn,
                    kind.value,
                    "admin_penalty",
                    "market_regulation",
                    decided_by,
                    today,
                    limit=limit,
                )
                if row["code"] not in avoid
            ]

        # restorable all along (past their minimum publicity before the months began)
        restored = fines(add_months(start, -3), 24)
        taken = {row["code"] for row in restored}
        contested = [row for row in fines(today, 200) if row["code"] not in taken][:40]
        listed = lists_repo.listed_codes(conn, 400)
        spread = lists_repo.entity_codes(conn, 2000, every=37)
    rng.shuffle(contested)
    rng.shuffle(restored)
    steps: list[tuple[dt.date, int, Callable[[Connection], None]]] = []

    # checks at the counters: every consumer, every measure, twice a month
    day = start
    while day < today:
        for consumer, principal in consumers.items():
            for measure in principal.scopes:
                steps.append(
                    (
                        day,
                        10,
                        _check(
                            consumer,
                            principal,
                            measure,
                            declaration,
                            schemes,
                            (listed, spread),
                            rng,
                            done,
                        ),
                    )
                )
        day += dt.timedelta(days=rng.randint(12, 17))

    # objections: filed over the months; decided in time, late, or not yet
    decider = principals.get("market_regulation")
    for n, row in enumerate(contested):
        filed = start + dt.timedelta(days=rng.randint(0, max(1, (today - start).days - 1)))
        late = n % 5 == 4
        within = rng.randint(1, rights.objections.decide_working_days)
        answered = calendar.add_working_days(filed, within + (6 if late else 0))
        subject = _subject(engine, row["code"])
        outcome = "unconfirmed" if n % 7 == 3 else "upheld"
        steps.append((filed, 9, _objection(subject, row["record_id"], octx, done)))
        if answered < today and decider is not None:
            steps.append(
                (
                    answered,
                    15,
                    _decide_objection(row["record_id"], subject, decider, outcome, octx, done),
                )
            )

    # restorations: applied for over the months; approved, rejected, or pending
    deciders = {"market_regulation": principals.get("market_regulation"), "admin": admin}
    for n, row in enumerate(restored):
        applied = start + dt.timedelta(days=rng.randint(0, max(1, (today - start).days - 1)))
        within = rng.randint(2, rights.restorations.decide_working_days + (4 if n % 4 == 3 else 0))
        answered = calendar.add_working_days(applied, within)
        subject = _subject(engine, row["code"])
        steps.append((applied, 11, _apply(subject, row["record_id"], catalogue, rights, done)))
        if answered < today:
            approve = n % 6 != 5
            steps.append(
                (
                    answered,
                    16,
                    _decide_restoration(
                        row["record_id"],
                        subject,
                        deciders,
                        approve,
                        catalogue,
                        schemes,
                        declaration,
                        rights,
                        done,
                    ),
                )
            )

    steps.sort(key=lambda s: (s[0], s[1]))
    for n, (when, hour, step) in enumerate(steps, 1):
        try:
            with writing(engine) as conn:
                step_at = _moment(when, hour)
                _Clock.day, _Clock.now = when, step_at
                step(conn)
        except XinyongError as exc:  # a step the rules refuse: say so, go on
            done.skipped.append(f"{when}: {exc.code}: {exc.message}")
        if progress is not None:
            progress("the city's work of the past months", n, len(steps))
    return done


class _Clock:
    """The day and the moment of the step that runs."""

    day: dt.date = dt.date.min
    now: dt.datetime = dt.datetime.min.replace(tzinfo=dt.UTC)


def _subject(engine: Engine, code: str) -> Principal:
    with writing(engine) as conn:
        token = create_subject_token(conn, code, hours=24, label="demo activity")
        return authenticate(conn, token)


def _check(
    consumer: str,
    principal: Principal,
    measure: str,
    declaration: Declaration,
    schemes: Mapping[str, Scheme],
    pools: tuple[list[str], list[str]],
    rng: random.Random,
    done: Activity,
) -> Callable[[Connection], None]:
    listed, spread = pools
    codes = sorted(
        set(rng.sample(listed, min(40, len(listed))) + rng.sample(spread, min(80, len(spread))))
    )

    def run(conn: Connection) -> None:
        if not codes:
            return
        asker = checks.Asker(consumer, principal.key_id, principal.scopes)
        result = checks.prepare_check(
            conn,
            declaration,
            schemes,
            asker,
            measure_code=measure,
            codes=codes,
            purpose="办理业务时核查 (demo)",
            reference=f"DEMO-{consumer}-{_Clock.day:%Y%m%d}",
            day=_Clock.day,
            now=_Clock.now,
        )
        checks.log_now(conn, result)
        done.checks += 1
        applied = [d.subject for d in result.decisions if d.applies]
        if applied:
            items = [
                {
                    "subject": code,
                    "action": "applied" if n % 9 else "exception_applied",
                    "acted_on": _Clock.day,
                }
                for n, code in enumerate(applied)
            ]
            done.feedback += checks.add_feedback(
                conn, result.check_id, asker, items, today=_Clock.day, now=_Clock.now
            )

    return run


def _objection(
    subject: Principal, record_id: str, ctx: objections.Context, done: Activity
) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        body = ObjectionIn(
            target=f"record:{record_id}",
            grounds="error_or_omission",
            statement="罚款金额与处罚决定书不一致，请予核实。",
        )
        objections.file(conn, subject, body, ctx, today=_Clock.day, now=_Clock.now)
        done.objections += 1

    return run


def _decide_objection(
    record_id: str,
    subject: Principal,
    decider: Principal,
    outcome: str,
    ctx: objections.Context,
    done: Activity,
) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        found = objections.page(
            conn,
            subject,
            status="open",
            overdue=None,
            escalated=None,
            after=None,
            limit=100,
            today=_Clock.day,
        )
        mine = [o for o in found.items if o.target.endswith(record_id)]
        if not mine:
            return
        body = ObjectionDecision(
            outcome=outcome,
            reasons="经核实，处罚决定书载明的事实和金额与公示信息一致。"
            if outcome == "upheld"
            else None,
            verification="已调取案卷并与当事人电话核实。" if outcome == "unconfirmed" else None,
        )
        objections.decide(conn, decider, mine[0].id, body, ctx, today=_Clock.day, now=_Clock.now)
        done.objections_decided += 1

    return run


def _apply(
    subject: Principal, record_id: str, catalogue: Catalogue, rights: Rights, done: Activity
) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        body = RestorationIn(
            record_id=record_id,
            commitment=_COMMITMENT,
            evidence=[
                EvidenceIn(
                    filename="缴款凭证.pdf",
                    media_type="application/pdf",
                    content_base64=base64.b64encode(_EVIDENCE).decode(),
                )
            ],
        )
        restorations.file_application(
            conn, catalogue, rights, subject, body, today=_Clock.day, now=_Clock.now
        )
        done.restorations += 1

    return run


def _decide_restoration(
    record_id: str,
    subject: Principal,
    deciders: Mapping[str, Principal | None],
    approve: bool,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    declaration: Declaration,
    rights: Rights,
    done: Activity,
) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        pending = restorations_repo.pending_for(conn, record_id)
        if pending is None:
            return
        row = restorations_repo.restoration(conn, pending)
        caller = deciders.get(str(row["decider"]) if row else "") or deciders["admin"]
        if caller is None:
            return
        body = RestorationDecision(
            decision="approved" if approve else "rejected",
            reasons=None
            if approve
            else "缴款凭证与处罚决定书的罚款金额不符，请补充材料后重新申请。",
        )
        restorations.decide(
            conn,
            catalogue,
            schemes,
            declaration,
            rights,
            caller,
            pending,
            body,
            today=_Clock.day,
            now=_Clock.now,
        )
        done.restorations_decided += 1

    return run
