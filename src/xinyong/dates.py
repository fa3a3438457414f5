"""Calendar arithmetic shared by the store, the rating engine and the synthetic city."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb).

    This is also what DuckDB, PostgreSQL and Spark do for ``date + INTERVAL n MONTH`` and
    ``add_months``, so the rating engines agree with the reference evaluator on boundaries.
    """
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
