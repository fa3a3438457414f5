"""China's working-day calendar: weekends, public holidays and adjusted working days (调休).

Deadlines for objections and restorations count working days. The State Council announces
each year's holidays and the weekend days worked in exchange late in the previous year; the
``chinesecalendar`` package carries those notices for the years it knows. For a year it does
not know yet, the rights declaration (``calendar:`` in ``rights.yaml``) lists the notice's
days once it is out; until then such a year has weekends and the fixed-date statutory
holidays (New Year, Labour Day, National Day) only, and the lunar holidays are missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import chinese_calendar


class WorkingCalendar:
    """Which days are working days. ``holidays`` and ``workdays`` override everything else
    (for years the package does not know, or for a local adjustment)."""

    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        fixed_holidays: Iterable[tuple[int, int]] = (),
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        #: (month, day) of statutory holidays, for years the package does not know
        self.fixed_holidays = frozenset(fixed_holidays)
        overlap = self.holidays & self.workdays
        if overlap:
            raise ValueError(f"days both holiday and working day: {sorted(overlap)}")

    def is_workday(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        known = _package_says(day)
        if known is not None:
            return known
        return day.weekday() < 5 and (day.month, day.day) not in self.fixed_holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count:
        a 5-working-day deadline for something filed on a Monday is the next Monday)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


@lru_cache(maxsize=4096)
def _package_says(day: dt.date) -> bool | None:
    """What the State Council's notice for ``day``'s year says, ``None`` if not known."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no notice for
        return None
