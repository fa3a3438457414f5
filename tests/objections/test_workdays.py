"""The working-day calendar (src/xinyong/workdays.py) that objection and restoration
deadlines count in: China's adjusted working days, the Spring Festival, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest

from xinyong.rights.model import default_rights
from xinyong.workdays import WorkingCalendar

D = dt.date
FIXED = [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)]


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(fixed_holidays=FIXED)


def test_an_adjusted_working_saturday_counts(calendar: WorkingCalendar) -> None:
    # 2026-02-14 and 2026-02-28 are Saturdays worked in exchange for the Spring Festival
    for saturday in (D(2026, 2, 14), D(2026, 2, 28)):
        assert saturday.weekday() == 5
        assert calendar.is_workday(saturday)
    assert not calendar.is_workday(D(2026, 2, 7))  # an ordinary Saturday
    # filed on Monday 2026-02-09: the fifth working day is that Saturday, not Monday 16th
    assert calendar.add_working_days(D(2026, 2, 9), 5) == D(2026, 2, 14)


def test_the_spring_festival_2026_is_not_counted(calendar: WorkingCalendar) -> None:
    holiday = [D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)]  # 15th to 23rd
    assert not any(calendar.is_workday(d) for d in holiday)
    assert calendar.is_workday(D(2026, 2, 24))
    # filed on Thursday the 12th: 13th, 14th (Saturday worked), then 24th, 25th, 26th
    assert calendar.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    # the 20 working days of an extended objection from Monday the 9th
    assert calendar.add_working_days(D(2026, 2, 9), 20) == D(2026, 3, 13)


def test_a_year_the_package_does_not_know_has_fixed_holidays_only(
    calendar: WorkingCalendar,
) -> None:
    assert not calendar.is_workday(D(2027, 1, 1))  # New Year, a Friday
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert not calendar.is_workday(D(2027, 10, 1))
    # the 2027 Spring Festival (from 6 February) is not known yet: a Monday counts
    assert calendar.is_workday(D(2027, 2, 8))
    assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 8)
    # without the fixed holidays New Year's Day would be a working day
    assert WorkingCalendar().is_workday(D(2027, 1, 1))


def test_declared_days_override_the_package_and_the_fallback() -> None:
    notice = WorkingCalendar(
        holidays=[D(2027, 2, 8), D(2027, 2, 9)], workdays=[D(2027, 2, 13)], fixed_holidays=FIXED
    )
    assert not notice.is_workday(D(2027, 2, 8))
    assert notice.is_workday(D(2027, 2, 13))  # a Saturday declared worked
    assert notice.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 10)
    # and they win over what the package knows
    assert not WorkingCalendar(holidays=[D(2026, 2, 14)]).is_workday(D(2026, 2, 14))
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(holidays=[D(2027, 1, 4)], workdays=[D(2027, 1, 4)])


def test_counting_rules(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(D(2026, 3, 2), 0) == D(2026, 3, 2)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(D(2026, 3, 2), -1)
    assert calendar.working_days_between(D(2026, 3, 6), D(2026, 3, 2)) == 0
    assert calendar.working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 1  # Fri to Mon


def test_the_shipped_rights_use_this_calendar() -> None:
    rights = default_rights()
    assert rights.objections.decide_working_days == 5
    assert rights.objections.extended_total_working_days == 20
    cal = rights.working_calendar
    assert cal.add_working_days(D(2026, 2, 9), rights.objections.decide_working_days) == D(
        2026, 2, 14
    )
    assert not cal.is_workday(D(2027, 10, 1))  # a Friday, National Day, from rights.yaml
