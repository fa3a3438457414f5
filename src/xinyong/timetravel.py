"""Time travel: reading what the platform showed on a past day.

Every stored fact has two times. *Valid time* is when it holds in the world: a record's
``decided_on``, ``publicity_until`` and ``ended_on``, a list entry's ``since`` and
``until``. *Transaction time* is when the platform learnt it: a version's ``received_at``,
a list revision's ``created_at``, an objection's ``filed_at``. "What did the platform show on
day D" takes, of everything received by the end of D (in the platform's time zone), what
was valid on D. See ``docs/time-travel.md``.

This module holds the pieces every ``as_of`` parameter shares: parsing the day, and the
moment that ends it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from xinyong.errors import BadRequest

#: The earliest day anything can be asked about (the founding of the People's Republic).
EARLIEST = dt.date(1949, 10, 1)
ONE_MICROSECOND = dt.timedelta(microseconds=1)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_as_of(raw: str | dt.date | None, today: dt.date) -> dt.date | None:
    """The day of an ``as_of`` parameter (``None`` without one).

    Raises ``invalid_as_of`` unless it is a date ``YYYY-MM-DD`` from 1949-10-01 on, and
    ``as_of_in_future`` for a day after ``today``: the platform cannot show what it has not
    shown yet.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.date):
        day = raw
    else:
        try:
            if not _ISO_DAY.fullmatch(raw.strip()):
                raise ValueError(raw)
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise BadRequest(
                f"as_of {raw[:40]!r} is not a date (YYYY-MM-DD)", code="invalid_as_of"
            ) from None
    if day < EARLIEST:
        raise BadRequest(f"as_of is {EARLIEST} or later, not {day}", code="invalid_as_of")
    if day > today:
        raise BadRequest(
            f"as_of {day} is after today ({today}): the platform shows no future",
            code="as_of_in_future",
        )
    return day


def end_of(day: dt.date, timezone: str) -> dt.datetime:
    """The first moment after ``day`` in ``timezone`` (midnight starting the next day), as
    an aware UTC datetime: what was received *before* it was known on ``day``."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return start.astimezone(dt.UTC)


def known_by(day: dt.date | None, today: dt.date, timezone: str) -> dt.datetime | None:
    """The transaction-time cutoff for reading as of ``day``: facts received before it
    count. ``None`` (everything received so far) for no day, today or later, so that today's
    view includes what arrives during the day."""
    if day is None or day >= today:
        return None
    return end_of(day, timezone)


def last_moment(cutoff: dt.datetime | None) -> dt.datetime | None:
    """The last moment before ``cutoff`` (for readers that compare with ``<=``)."""
    return None if cutoff is None else cutoff - ONE_MICROSECOND
