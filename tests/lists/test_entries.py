"""List entries from records and grades: starts, ends, notice, escalation, diffs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xinyong.lists.entries import Entry, Grade, ListRecord, diff, entries_of
from xinyong.lists.loader import default_declaration
from xinyong.lists.model import Declaration
from xinyong.rating.evaluate import RatingRecord

D = dt.date


@pytest.fixture(scope="module")
def decl() -> Declaration:
    return default_declaration()


def rec(
    record_type: str,
    decided: dt.date,
    *,
    kind: str = "organisation",
    provider: str = "court",
    until: dt.date | None = None,
    ended: dt.date | None = None,
    **fields: Any,
) -> ListRecord:
    r = RatingRecord("r1", 1, record_type, None, provider, decided, until, fields)
    return ListRecord(7, kind, r, ended, "obligation_fulfilled" if ended else None, "doc 1")


def spans(entries: list[Entry]) -> list[tuple[str, dt.date, dt.date | None]]:
    return [(e.list_code, e.since, e.until) for e in entries]


def test_a_judgment_default_lists_for_its_period(decl: Declaration) -> None:
    r = rec(
        "judgment_default", D(2026, 1, 31), until=D(2028, 1, 30), performance_status="unperformed"
    )
    assert spans(entries_of(decl, [r], [])) == [
        ("judgment_defaulters", D(2026, 1, 31), D(2028, 1, 30))
    ]
    performed = rec("judgment_default", D(2026, 1, 31), performance_status="performed")
    assert entries_of(decl, [performed], []) == []
    by_other = rec(
        "judgment_default", D(2026, 1, 31), provider="tax", performance_status="unperformed"
    )
    assert entries_of(decl, [by_other], []) == []


def test_an_end_ends_the_entry_and_a_withdrawal_erases_it(decl: Declaration) -> None:
    ended = rec(
        "judgment_default", D(2026, 1, 31), ended=D(2026, 3, 1), performance_status="unperformed"
    )
    assert spans(entries_of(decl, [ended], [])) == [
        ("judgment_defaulters", D(2026, 1, 31), D(2026, 3, 1))
    ]
    withdrawn = rec(
        "judgment_default", D(2026, 1, 31), ended=D(2026, 1, 30), performance_status="unperformed"
    )
    assert entries_of(decl, [withdrawn], []) == []


def test_serious_dishonesty_waits_for_the_notice_period(decl: Declaration) -> None:
    r = rec(
        "serious_dishonesty",
        D(2026, 3, 1),
        provider="ecology_environment",
        area="public_health_safety",
        notice_served_on=D(2026, 2, 25),
    )
    [entry] = entries_of(decl, [r], [])
    assert entry.since == D(2026, 3, 7)  # served 25 Feb + 10 days notice
    assert entry.until == D(2029, 3, 6)  # 36 months
    unnoticed = rec("serious_dishonesty", D(2026, 3, 1), area="public_health_safety")
    assert entries_of(decl, [unnoticed], []) == []


def test_abnormal_operations_move_to_serious_illegal_after_three_years(
    decl: Declaration,
) -> None:
    r = rec(
        "abnormal_operation",
        D(2022, 5, 10),
        provider="market_regulation",
        until=D(2025, 5, 9),
        reason="annual_report_missing",
    )
    assert spans(entries_of(decl, [r], [])) == [
        ("abnormal_operations", D(2022, 5, 10), D(2025, 5, 9)),
        ("serious_illegal", D(2025, 5, 10), D(2030, 5, 9)),
    ]
    fulfilled = rec(
        "abnormal_operation",
        D(2022, 5, 10),
        provider="market_regulation",
        until=D(2025, 5, 9),
        ended=D(2023, 1, 5),
        reason="annual_report_missing",
    )
    assert spans(entries_of(decl, [fulfilled], [])) == [
        ("abnormal_operations", D(2022, 5, 10), D(2023, 1, 5))
    ]
    restored_later = rec(
        "abnormal_operation",
        D(2022, 5, 10),
        provider="market_regulation",
        until=D(2025, 5, 9),
        ended=D(2026, 2, 1),
        reason="false_information",
    )
    assert spans(entries_of(decl, [restored_later], []))[-1] == (
        "serious_illegal",
        D(2025, 5, 10),
        D(2026, 2, 1),
    )


def test_grades_list_organisations_not_persons(decl: Declaration) -> None:
    grades = [
        Grade(1, "organisation", "city_grade", "D", D(2026, 11, 1)),
        Grade(2, "person", "city_grade", "D", D(2026, 11, 1)),
        Grade(3, "organisation", "city_grade", "AA", D(2026, 11, 1)),
    ]
    assert [(e.list_code, e.entity_id, e.basis_key) for e in entries_of(decl, [], grades)] == [
        ("focus_attention", 1, "city_grade:D")
    ]


def test_diff_keeps_what_still_holds(decl: Declaration) -> None:
    old_grade = Entry(
        "focus_attention",
        1,
        "city_grade:D",
        None,
        "city_grade",
        "D",
        D(2026, 1, 1),
        None,
        "basis",
        None,
    )
    record = Entry(
        "judgment_defaulters",
        2,
        "r1",
        "r1",
        None,
        None,
        D(2026, 1, 1),
        D(2027, 12, 31),
        "basis",
        "doc",
    )
    rerated = Entry(
        "focus_attention",
        1,
        "city_grade:D",
        None,
        "city_grade",
        "D",
        D(2026, 11, 1),
        None,
        "basis",
        None,
    )
    corrected = Entry(
        "judgment_defaulters",
        2,
        "r1",
        "r1",
        None,
        None,
        D(2026, 1, 1),
        D(2026, 6, 30),
        "basis",
        "doc",
    )
    change = diff({10: old_grade, 11: record}, [rerated, corrected])
    assert change.closed == [11]
    assert change.added == [corrected]
    assert change.entities == [2]
    assert diff({10: old_grade}, [rerated]).closed == []


def test_a_grade_entry_lasts_while_its_grade_holds_and_keeps_its_start(
    decl: Declaration,
) -> None:
    first = Grade(1, "organisation", "city_grade", "D", D(2026, 3, 1), D(2026, 6, 30))
    [entry] = entries_of(decl, [], [first])
    assert (entry.since, entry.until) == (D(2026, 3, 1), D(2026, 6, 30))
    assert not entry.on(D(2026, 7, 1))  # no sanction on a grade not known to hold

    # re-rated on 1 July: still D, now until the end of the year; the entry keeps its start
    later = Grade(1, "organisation", "city_grade", "D", D(2026, 7, 1), D(2026, 12, 31))
    change = diff({10: entry}, entries_of(decl, [], [later]))
    assert change.closed == [10]
    [renewed] = change.added
    assert (renewed.since, renewed.until) == (D(2026, 3, 1), D(2026, 12, 31))
