"""Writing history for time-travel tests.

``received_at``, ``created_at`` and ``first_seen_at`` are the real clock: everything a test
submits arrives today. To test what the platform showed on earlier days, a test submits
through the API as usual and then moves those transaction times back, as if each step had
arrived on an earlier day. Nothing else is changed: valid times (``decided_on``,
``publicity_until``, ``ended_on``) are what the API stored.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update

from tests.entities import TODAY
from xinyong.db.tables import entities, entity_names, list_revisions, record_versions
from xinyong.settings import Settings

ZONE = ZoneInfo(Settings().timezone)  # the app's time zone (Asia/Shanghai by default)


def noon(offset: int) -> dt.datetime:
    """Noon of today plus ``offset`` days, in the platform's time zone."""
    return dt.datetime.combine(TODAY + dt.timedelta(days=offset), dt.time(12), ZONE)


def received_on(engine: Engine, record_id: str, version: int, offset: int) -> None:
    """Version ``version`` of the record arrived on today plus ``offset`` days."""
    with engine.begin() as conn:
        done = conn.execute(
            update(record_versions)
            .where(record_versions.c.record_id == record_id, record_versions.c.version == version)
            .values(received_at=noon(offset))
        )
        assert done.rowcount == 1


def known_since(engine: Engine, code: str, offset: int) -> None:
    """The subject (and every name it has) was on file from today plus ``offset`` days."""
    with engine.begin() as conn:
        eid = conn.execute(select(entities.c.id).where(entities.c.code == code)).scalar_one()
        conn.execute(update(entities).where(entities.c.id == eid).values(created_at=noon(offset)))
        conn.execute(
            update(entity_names)
            .where(entity_names.c.entity_id == eid)
            .values(first_seen_at=noon(offset))
        )


def name_seen_on(engine: Engine, name: str, offset: int) -> None:
    """The name was first submitted on today plus ``offset`` days."""
    with engine.begin() as conn:
        done = conn.execute(
            update(entity_names)
            .where(entity_names.c.name == name)
            .values(first_seen_at=noon(offset))
        )
        assert done.rowcount == 1


def latest_revision(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(list_revisions.c.id).order_by(list_revisions.c.id.desc()))
        return int(found.scalars().first() or 0)


def revision_on(engine: Engine, revision: int, offset: int) -> None:
    """The list revision (data version) was made on today plus ``offset`` days."""
    with engine.begin() as conn:
        done = conn.execute(
            update(list_revisions)
            .where(list_revisions.c.id == revision)
            .values(created_at=noon(offset))
        )
        assert done.rowcount == 1
