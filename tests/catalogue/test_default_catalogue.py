"""The catalogue shipped with xinyong loads and keeps the domain's rules."""

from __future__ import annotations

import pytest

from xinyong.catalogue import (
    Catalogue,
    Disclosure,
    FieldType,
    Polarity,
    RecordType,
    SubjectKind,
    load_catalogue,
)
from xinyong.catalogue.model import ENVELOPE_COLUMNS, prohibited_use
from xinyong.identifiers import validate_uscc
from xinyong.settings import DATA_DIR

REQUIRED_TYPES = {
    "admin_licence",
    "admin_penalty",
    "judgment_default",
    "tax_credit_rating",
    "abnormal_operation",
    "serious_dishonesty",
    "social_insurance_arrears",
    "contract_performance",
    "honour",
    "credit_commitment",
    "volunteer_service",
    "tax_late_filing",
    "tax_late_payment",
    "tax_late_financial_statements",
    "tax_zero_declarations",
    "tax_crime",
    "tax_evasion",
    "business_registration",
}
PROHIBITED = {
    "religion",
    "ethnicity",
    "political_opinion_or_petitioning",
    "biometrics",
    "genetic_or_health",
    "social_relationships",
    "location_traces",
    "speech_or_media",
}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(DATA_DIR / "catalogue.yaml")


def _type(cat: Catalogue, code: str) -> RecordType:
    rt = cat.record_type(code)
    assert rt is not None, code
    return rt


def test_loads_with_enough_types(cat: Catalogue) -> None:
    codes = {rt.code for rt in cat.record_types}
    assert len(codes) >= 18
    assert codes >= REQUIRED_TYPES
    assert 10 <= len(cat.providers) <= 14


def test_volunteer_service_is_for_persons_positive_and_hideable(cat: Catalogue) -> None:
    rt = _type(cat, "volunteer_service")
    assert rt.subject_kinds == (SubjectKind.person,)
    assert rt.polarity is Polarity.positive
    assert rt.subject_may_hide
    assert rt.disclosure_for(SubjectKind.person) is Disclosure.subject_and_agencies
    hours = rt.field("hours")
    assert hours is not None
    assert hours.type in (FieldType.decimal, FieldType.integer)


def test_every_negative_type_has_a_finite_maximum(cat: Catalogue) -> None:
    negatives = [rt for rt in cat.record_types if rt.polarity is Polarity.negative]
    assert negatives
    for rt in negatives:
        for key, period in rt.publicity.items():
            assert period.maximum_months is not None, (rt.code, key)
            assert rt.retention_years * 12 >= period.maximum_months, (rt.code, key)


def test_every_type_has_a_provider(cat: Catalogue) -> None:
    submitted = {code for p in cat.providers for code in p.record_types}
    assert {rt.code for rt in cat.record_types} <= submitted


def test_only_the_court_submits_judgment_defaulters(cat: Catalogue) -> None:
    submitters = [p.code for p in cat.providers if "judgment_default" in p.record_types]
    assert submitters == ["court"]
    several = [p.code for p in cat.providers if "admin_penalty" in p.record_types]
    assert len(several) > 1


def test_providers_have_valid_government_codes(cat: Catalogue) -> None:
    for p in cat.providers:
        assert validate_uscc(p.uscc) == p.uscc
        assert p.uscc.startswith("11"), p.code
    assert len({p.uscc for p in cat.providers}) == len(cat.providers)


def test_penalty_tiers_follow_the_national_periods(cat: Catalogue) -> None:
    rt = _type(cat, "admin_penalty")
    periods = {k: (p.minimum_months, p.maximum_months) for k, p in rt.publicity.items()}
    assert periods == {"minor": (0, 3), "general": (3, 12), "serious": (12, 36)}
    assert rt.disclosure is Disclosure.public
    assert rt.disclosure_for(SubjectKind.person) is not Disclosure.public
    for code in ("violation_type", "facts", "penalty_category", "penalty_content"):
        spec = rt.field(code)
        assert spec is not None
        assert spec.required, code
    fine = rt.field("fine_amount")
    assert fine is not None
    assert fine.type is FieldType.decimal


def test_lists_are_public_for_persons_too(cat: Catalogue) -> None:
    for code in ("judgment_default", "serious_dishonesty"):
        assert _type(cat, code).disclosure_for(SubjectKind.person) is Disclosure.public


def test_serious_dishonesty_only_in_the_four_lawful_areas(cat: Catalogue) -> None:
    area = _type(cat, "serious_dishonesty").field("area")
    assert area is not None
    assert area.required
    assert set(area.choices) == {
        "public_health_safety",
        "fair_competition_social_order",
        "refusing_legal_obligations",
        "national_defence",
    }


def test_choice_fields_of_the_domain(cat: Catalogue) -> None:
    grade = _type(cat, "tax_credit_rating").field("grade")
    assert grade is not None
    assert grade.choices == ("A", "B", "M", "C", "D")
    industry = _type(cat, "business_registration").field("industry")
    assert industry is not None
    assert industry.choices == tuple("ABCDEFGHIJKLMNOPQRST")
    status = _type(cat, "judgment_default").field("performance_status")
    assert status is not None
    assert set(status.choices) == {"unperformed", "partly_performed"}


def test_prohibited_classes_are_all_there_and_nothing_trips_them(cat: Catalogue) -> None:
    assert {c.code for c in cat.prohibited_classes} == PROHIBITED
    for rt in cat.record_types:
        assert prohibited_use(rt, cat.prohibited_classes) is None
        assert not set(ENVELOPE_COLUMNS) & {f.code for f in rt.fields}
    assert all(c.terms and c.reason for c in cat.prohibited_classes)
    for c in cat.prohibited_classes:
        assert any(not t.isascii() for t in c.terms), c.code
