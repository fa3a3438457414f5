"""The compiled plan's date thresholds: the same as calendar arithmetic per record."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from xinyong.dates import add_months
from xinyong.rating.compile import last_day_within


@given(
    as_of=st.dates(dt.date(1950, 1, 1), dt.date(2990, 12, 31)),
    months=st.integers(0, 1200),
)
def test_last_day_within_is_the_exact_threshold(as_of: dt.date, months: int) -> None:
    t = last_day_within(as_of, months)
    assert add_months(t, months) <= as_of
    assert add_months(t + dt.timedelta(days=1), months) > as_of
