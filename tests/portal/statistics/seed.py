"""A small known city for the dashboard's tests, written straight into the tables (the
received-at months, decision days and grades must be exact)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from tests.factories import uscc
from xinyong.db.tables import (
    check_feedback,
    checks,
    entities,
    list_entries,
    list_revisions,
    objections,
    ratings,
    record_versions,
    records,
    restorations,
)
from xinyong.rights.model import default_rights

ZONE = ZoneInfo("Asia/Shanghai")


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def at_noon(day: dt.date) -> dt.datetime:
    """Noon on ``day`` in the platform's time zone, as UTC."""
    return dt.datetime.combine(day, dt.time(12), ZONE).astimezone(dt.UTC)


def filed_before(decided: dt.date, working_days: int) -> dt.date:
    """A filing day ``working_days`` working days before ``decided``."""
    cal = default_rights().working_calendar
    day = decided
    while cal.working_days_between(day, decided) < working_days:
        day -= dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Seeded:
    this_month: str
    last_month: str
    decided_month: str


def seed(engine: Engine, today: dt.date) -> Seeded:
    """Four organisations (three graded A in 350203 with industry C, one graded D in 350206
    on the judgment-defaulter list); two court records last month and three registrations
    this month; a check with feedback (three subjects sanctioned, one rewarded); one
    objection decided on time (2 working days), one late (8), one open past its deadline;
    one restoration decided in 3 working days."""
    now = dt.datetime.now(dt.UTC)
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    received_now = at_noon(this_month) if today > this_month else at_noon(today)
    received_before = at_noon(last_month + dt.timedelta(days=1))
    rights = default_rights()
    cal = rights.working_calendar
    # decided on the last working day before today: a case decided on a rest day after a
    # deadline that fell on the working day before it would (rightly) count as late
    decided = today - dt.timedelta(days=1)
    while not cal.is_workday(decided):
        decided -= dt.timedelta(days=1)
    codes = [uscc(7001 + i, "350206" if i == 3 else "350203") for i in range(4)]

    with engine.begin() as conn:
        conn.execute(
            insert(entities),
            [
                {
                    "id": i + 1,
                    "kind": "organisation",
                    "code": code,
                    "public_id": f"pub{i}",
                    "name": f"统计测试公司{i}",
                    "name_on": today,
                    "division": code[2:8],
                    "created_at": now,
                }
                for i, code in enumerate(codes)
            ],
        )
        heads = []
        versions = []

        def record(
            rid: str, provider: str, rtype: str, eid: int, at: dt.datetime, **f: str
        ) -> None:
            heads.append(
                {
                    "id": rid,
                    "provider_code": provider,
                    "provider_record_id": rid,
                    "record_type": rtype,
                    "entity_id": eid,
                    "current_version": 1,
                    "current_hash": "0" * 32,
                    "created_at": at,
                }
            )
            versions.append(
                {
                    "record_id": rid,
                    "version": 1,
                    "entity_id": eid,
                    "record_type": rtype,
                    "subject_name": f"统计测试公司{eid - 1}",
                    "decided_on": today - dt.timedelta(days=60),
                    "fields": dict(f),
                    "content_hash": "0" * 32,
                    "received_at": at,
                }
            )

        for i in range(3):
            record(
                f"reg{i}",
                "market_regulation",
                "business_registration",
                i + 1,
                received_now,
                industry="C",
            )
        for i in range(2):
            record(f"jud{i}", "court", "judgment_default", 4, received_before)
        conn.execute(insert(records), heads)
        conn.execute(insert(record_versions), versions)

        conn.execute(
            insert(ratings),
            [
                {
                    "entity_id": eid,
                    "scheme": "city_grade",
                    "scheme_version": "1",
                    "as_of": today,
                    "score_units": 0,
                    "grade": "D" if eid == 4 else "A",
                    "fingerprint": "0" * 32,
                    "engine": "python",
                    "stale": False,
                    "computed_at": now,
                }
                for eid in (1, 2, 3, 4)
            ],
        )

        conn.execute(
            insert(list_revisions),
            [{"id": 1, "created_at": now, "reason": "test", "entities": 1}],
        )
        conn.execute(
            insert(list_entries),
            [
                {
                    "list_code": "judgment_defaulters",
                    "entity_id": 4,
                    "basis_key": "jud0",
                    "record_id": "jud0",
                    "since": today - dt.timedelta(days=40),
                    "legal_basis": "test",
                    "revision_from": 1,
                }
            ],
        )

        conn.execute(
            insert(checks),
            [
                {
                    "id": "chk1",
                    "at": now,
                    "consumer_code": "civil_aviation",
                    "measure": "restrict_flights_rail",
                    "purpose": "test",
                    "on_date": today,
                    "data_version": 1,
                    "subjects": 4,
                    "applies": 3,
                }
            ],
        )
        conn.execute(
            insert(check_feedback),
            [
                {
                    "check_id": "chk1",
                    "consumer_code": "civil_aviation",
                    "measure": measure,
                    "subject_code": code,
                    "action": "applied",
                    "acted_on": today,
                    "created_at": now,
                }
                for measure, code in [
                    ("restrict_flights_rail", codes[0]),
                    ("restrict_flights_rail", codes[1]),
                    ("restrict_flights_rail", codes[2]),
                    ("green_channel", codes[3]),
                ]
            ],
        )

        deadline = rights.objections.decide_working_days

        def objection(oid: str, days: int, decided_on: dt.date | None) -> dict[str, object]:
            filed = filed_before(decided_on or today, days)
            return {
                "id": oid,
                "entity_id": 4,
                "target_type": "record",
                "target": "jud1",
                "record_id": "jud1",
                "decider": "court",
                "grounds": "inaccurate",
                "statement": "test",
                "filed_by": "test",
                "filed_at": at_noon(filed),
                "filed_on": filed,
                "due_on": cal.add_working_days(filed, deadline),
                "status": "decided" if decided_on else "open",
                "outcome": "upheld" if decided_on else None,
                "decided_at": at_noon(decided_on) if decided_on else None,
            }

        conn.execute(
            insert(objections),
            [
                objection("obj-on-time", 2, decided),
                objection("obj-late", 8, decided),
                objection("obj-open", deadline + 3, None),
            ],
        )
        filed = filed_before(decided, 3)
        conn.execute(
            insert(restorations),
            [
                {
                    "id": "res1",
                    "record_id": "jud0",
                    "record_version": 1,
                    "entity_id": 4,
                    "decider": "court",
                    "commitment": "test",
                    "filed_by": "test",
                    "filed_at": at_noon(filed),
                    "filed_on": filed,
                    "due_on": cal.add_working_days(filed, rights.restorations.decide_working_days),
                    "status": "approved",
                    "decided_at": at_noon(decided),
                }
            ],
        )
    return Seeded(month_of(today), month_of(last_month), month_of(decided))
