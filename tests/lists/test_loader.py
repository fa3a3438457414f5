"""The lists declaration: the shipped one loads; unlawful ones are refused with reasons."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalogue.model import Catalogue
from xinyong.errors import CatalogueError
from xinyong.lists.loader import parse_declaration
from xinyong.rating.loader import default_schemes
from xinyong.settings import get_settings

SHIPPED = Path(get_settings().lists_path)


@pytest.fixture
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def parse(raw: dict[str, Any], catalogue: Catalogue) -> Any:
    return parse_declaration(raw, catalogue, default_schemes(), source="test")


def refused(raw: dict[str, Any], catalogue: Catalogue) -> str:
    with pytest.raises(CatalogueError) as caught:
        parse(raw, catalogue)
    assert caught.value.code == "invalid_lists"
    return " | ".join(p["location"] + ": " + p["message"] for p in caught.value.details["problems"])


def _measure(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(m for m in raw["measures"] if m["code"] == code)


def _list(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(x for x in raw["lists"] if x["code"] == code)


def test_the_shipped_declaration(raw: dict[str, Any], catalogue: Catalogue) -> None:
    decl = parse(raw, catalogue)
    assert {x.code for x in decl.lists} >= {
        "judgment_defaulters",
        "serious_dishonesty",
        "abnormal_operations",
        "serious_illegal",
        "red_taxpayers_a",
        "focus_attention",
    }
    sanctions = {m.code for m in decl.measures if m.kind == "sanction"}
    incentives = {m.code for m in decl.measures if m.kind == "incentive"}
    assert sanctions >= {
        "restrict_procurement",
        "restrict_high_consumption",
        "restrict_flights_rail",
        "increase_inspections",
        "restrict_subsidies",
    }
    assert incentives >= {"green_channel", "reduce_inspections", "deposit_free"}
    assert all(decl.memoranda_of(m.code) for m in decl.measures)  # every one is published
    assert decl.list("abnormal_operations").moves_to == "serious_illegal"
    # only the four lawful areas
    [matcher] = decl.list("serious_dishonesty").criteria.records
    assert set(matcher.when[0].in_ or ()) == {
        "public_health_safety",
        "fair_competition_social_order",
        "refusing_legal_obligations",
        "national_defence",
    }


@pytest.mark.parametrize("target", ["relatives", "legal_representative", "employees"])
def test_a_measure_reaches_only_the_listed_subject(
    raw: dict[str, Any], catalogue: Catalogue, target: str
) -> None:
    _measure(raw, "restrict_flights_rail")["targets"] = target
    message = refused(raw, catalogue)
    assert "measures.restrict_flights_rail.targets" in message
    assert "only the listed subject" in message


def test_a_persons_grade_never_sanctions(raw: dict[str, Any], catalogue: Catalogue) -> None:
    _measure(raw, "restrict_subsidies")["triggers"].append(
        {"grade": {"scheme": "city_grade", "in": ["D"]}}
    )
    _measure(raw, "restrict_subsidies")["subject_kinds"].append("person")
    message = refused(raw, catalogue)
    assert "incentives only" in message


def test_a_sanction_on_persons_needs_a_binding_decision(
    raw: dict[str, Any], catalogue: Catalogue
) -> None:
    m = _measure(raw, "increase_inspections")
    m["subject_kinds"].append("person")
    _list(raw, "focus_attention")["subject_kinds"].append("person")
    message = refused(raw, catalogue)
    assert "legally binding decision" in message
    assert "focus_attention" in message


def test_kinds_of_lists_and_measures_agree(raw: dict[str, Any], catalogue: Catalogue) -> None:
    _measure(raw, "green_channel")["triggers"].append({"list": "judgment_defaulters"})
    assert "an incentive cannot follow" in refused(raw, catalogue)


def test_criteria_stay_inside_the_catalogue(raw: dict[str, Any], catalogue: Catalogue) -> None:
    lst = _list(raw, "judgment_defaulters")
    lst["criteria"]["records"][0]["when"] = [{"field": "hobby", "in": ["golf"]}]
    lst["criteria"]["records"].append({"record_type": "social_media_posts"})
    message = refused(raw, catalogue)
    assert "no field 'hobby'" in message
    assert "'social_media_posts' is not in the catalogue" in message


def test_prohibited_classes_are_refused(raw: dict[str, Any], catalogue: Catalogue) -> None:
    extra = copy.deepcopy(_list(raw, "focus_attention"))
    extra["code"] = "petitioners"
    extra["name"] = {"zh": "上访人员名单", "en": "Petitioners"}
    raw["lists"].append(extra)
    message = refused(raw, catalogue)
    assert "prohibited class" in message


def test_notice_field_and_escalation_are_checked(raw: dict[str, Any], catalogue: Catalogue) -> None:
    _list(raw, "serious_dishonesty")["notice"]["served_field"] = "conduct"
    _list(raw, "abnormal_operations")["moves_to"] = "judgment_defaulters"
    raw["memoranda"][0]["measures"].append("ban_everything")
    message = refused(raw, catalogue)
    assert "no date field 'conduct'" in message
    assert "not escalated_from" in message
    assert "no measure 'ban_everything'" in message


def test_schema_errors_name_the_place(raw: dict[str, Any], catalogue: Catalogue) -> None:
    del _list(raw, "judgment_defaulters")["duration"]
    with pytest.raises(CatalogueError) as caught:
        parse(raw, catalogue)
    assert "lists.0.duration" in caught.value.message
