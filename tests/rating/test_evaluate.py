"""The reference evaluator on the shipped schemes: scores, caps, time, overrides, changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings

from tests.rating.strategies import CATALOGUE, dates, populations, schemes
from xinyong.rating.evaluate import FieldValue, RatingRecord, evaluate, next_changes
from xinyong.rating.loader import default_schemes, parse_scheme
from xinyong.rating.model import Scheme

D = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def tax() -> Scheme:
    return default_schemes()["tax_credit"]


@pytest.fixture(scope="module")
def city() -> Scheme:
    return default_schemes()["city_grade"]


def rec(
    rid: str,
    rtype: str,
    decided: dt.date,
    until: dt.date | None = None,
    *,
    severity: str | None = None,
    provider: str = "tax",
    **fields: FieldValue,
) -> RatingRecord:
    return RatingRecord(rid, 1, rtype, severity, provider, decided, until, fields)


def test_deductions_and_grade_bands(tax: Scheme) -> None:
    recs = [
        rec(f"f{i}", "tax_late_filing", dt.date(2026, 3, 1), dt.date(2027, 3, 1)) for i in range(3)
    ]
    r = evaluate(tax, recs, D)
    assert r.score == 85
    assert r.grade == "B"
    assert [e.points for e in r.explanation] == [-5, -5, -5]
    assert r.base + sum(e.points for e in r.explanation) == r.score


def test_no_history_is_m_and_old_records_stop_counting(tax: Scheme) -> None:
    assert evaluate(tax, [], D).grade == "M"
    old = rec("f1", "tax_late_filing", dt.date(2024, 1, 1), dt.date(2027, 1, 1))
    r = evaluate(tax, [old], D)  # older than 12 months: no weight, but history
    assert r.score == 100
    assert r.grade == "A"


def test_direct_d_and_at_most(tax: Scheme) -> None:
    crime = rec("c1", "tax_crime", dt.date(2026, 5, 1), dt.date(2029, 5, 1), crime="tax_evasion")
    r = evaluate(tax, [crime], D)
    assert r.grade == "D"
    assert r.score == 100
    assert r.explanation[-1].rule == "override:tax_crime_direct_d"
    zero = rec("z1", "tax_zero_declarations", dt.date(2026, 5, 1), dt.date(2027, 5, 1))
    r = evaluate(tax, [zero], D)
    assert r.score == 89
    assert r.grade == "B"
    assert any(e.rule == "override:zero_declarations_no_a" for e in r.explanation)
    evasion = rec(
        "e1",
        "tax_evasion",
        dt.date(2026, 5, 1),
        dt.date(2027, 5, 1),
        severity="general",
        evaded_amount=Decimal(150000),
        evaded_share_percent=Decimal(12),
    )
    assert evaluate(tax, [evasion], D).grade == "D"
    small = rec(
        "e2",
        "tax_evasion",
        dt.date(2026, 5, 1),
        dt.date(2027, 5, 1),
        severity="general",
        evaded_amount=Decimal(150000),
        evaded_share_percent=Decimal(5),
    )
    assert evaluate(tax, [small], D).grade == "B"


def test_category_cap_is_an_entry_of_its_own(tax: Scheme) -> None:
    recs = [
        rec(f"p{i}", "tax_late_payment", dt.date(2026, 6, 1), dt.date(2027, 6, 1))
        for i in range(15)
    ]
    r = evaluate(tax, recs, D)
    cap = [e for e in r.explanation if e.rule == "cap:filing"]
    assert cap
    assert cap[0].points == 15
    assert r.score == 40
    assert r.grade == "C"
    assert r.base + sum(e.points for e in r.explanation) == r.score


def test_halved_then_gone_then_next_changes(city: Scheme) -> None:
    p = rec(
        "p1",
        "admin_penalty",
        dt.date(2025, 8, 15),
        dt.date(2028, 8, 15),
        severity="serious",
        provider="market_regulation",
        fine_amount=Decimal(5),
    )
    r = evaluate(city, [p], D)
    assert [(e.rule, e.points) for e in r.explanation] == [
        ("penalty_serious", Decimal(-50)),
        ("penalty_fine", Decimal(-5)),
    ]
    assert "halved: older than 12 months" in r.explanation[0].note
    assert r.score == 945
    assert r.grade == "B"
    assert r.valid_until == dt.date(2027, 8, 14)  # 24 months: no weight from 2027-08-15
    changes = next_changes(city, [p], r)
    assert changes[0].kind == "date"
    assert changes[0].on == dt.date(2027, 8, 15)
    assert changes[0].grade == "AA"
    assert any(c.kind == "restoration" and c.record_id == "p1" for c in changes)


def test_judgment_default_forces_lowest(city: Scheme) -> None:
    j = rec("j1", "judgment_default", dt.date(2026, 9, 1), dt.date(2028, 9, 1), provider="court")
    r = evaluate(city, [j], D)
    assert r.grade == "D"
    assert r.score == 800
    assert evaluate(city, [j], dt.date(2028, 9, 2)).grade == "AA"  # publicity over


@settings(max_examples=200, deadline=None, derandomize=True)
@given(scheme=schemes(), population=populations(max_subjects=2), as_of=dates)
def test_explanation_adds_up(
    scheme: Scheme, population: dict[int, tuple[str, list[RatingRecord]]], as_of: dt.date
) -> None:
    for _kind, recs in population.values():
        r = evaluate(scheme, recs, as_of)
        assert r.base + sum(e.points for e in r.explanation) == r.score
        if r.valid_until is not None:
            assert r.valid_until >= as_of
            # nothing changes before valid_until
            assert evaluate(scheme, recs, r.valid_until).score_units == r.score_units


def test_a_mark_where_the_weight_does_not_change_is_no_boundary(tax: Scheme) -> None:
    # tax_credit: full weight 12 months, then none; a "reduced until 24" at 0 % changes nothing
    raw = tax.model_dump(mode="json", by_alias=True)
    raw["time"] = {
        "full_weight_months": 12,
        "reduced_weight_percent": 0,
        "reduced_weight_until_months": 24,
    }
    scheme = parse_scheme(raw, CATALOGUE)
    old = rec("f1", "tax_late_filing", dt.date(2025, 6, 1))  # no end of publicity
    r = evaluate(scheme, [old], D)
    assert r.score == 100
    assert r.valid_until is None  # not 2027-05-31: nothing happens at 24 months
