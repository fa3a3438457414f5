"""Schemes are validated on load: against the model, the catalogue and prohibited classes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalogue import default_catalogue
from xinyong.errors import CatalogueError
from xinyong.rating.loader import load_scheme, load_schemes, parse_scheme
from xinyong.settings import DATA_DIR

SCHEMES = DATA_DIR / "schemes"


def shipped(code: str) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((SCHEMES / f"{code}.yaml").read_text(encoding="utf-8"))
    return raw


def test_shipped_schemes_load() -> None:
    found = load_schemes(SCHEMES, default_catalogue())
    assert set(found) == {"tax_credit", "city_grade", "environment_credit"}
    tax = found["tax_credit"]
    assert tax.base == 100
    assert [g.grade for g in tax.grades] == ["A", "B", "M", "C", "D"]
    assert found["city_grade"].base == 1000
    assert [g.grade for g in found["city_grade"].grades] == ["AAA", "AA", "A", "B", "C", "D"]
    assert found["city_grade"].disclosure_for("person").value == "subject_and_agencies"


def problem(raw: dict[str, Any]) -> CatalogueError:
    with pytest.raises(CatalogueError) as info:
        parse_scheme(raw, default_catalogue())
    assert info.value.code == "invalid_scheme"
    return info.value


def test_unknown_record_type_and_field_are_refused() -> None:
    raw = shipped("tax_credit")
    raw["rules"][0]["record_type"] = "gossip"
    assert "'gossip' is not in the catalogue" in problem(raw).message

    raw = shipped("city_grade")
    raw["rules"][3]["field"] = "bank_balance"
    assert "no field 'bank_balance'" in problem(raw).message


def test_tests_must_suit_the_field_type() -> None:
    raw = shipped("city_grade")
    rule = next(r for r in raw["rules"] if r["code"] == "commitment_kept")
    rule["when"] = [{"field": "performance_status", "in": ["maybe"]}]
    assert "not choices" in problem(raw).message
    rule["when"] = [{"field": "performance_status", "at_least": 3}]
    assert "number field" in problem(raw).message


def test_prohibited_criteria_are_refused() -> None:
    raw = shipped("city_grade")
    raw["rules"][0]["name"] = {"zh": "上访记录扣分", "en": "Petitioning deduction"}
    err = problem(raw)
    assert "prohibited class 'political_opinion_or_petitioning'" in err.message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r["grades"][-1].update({"min": -5}), "the last grade"),
        (lambda r: r["grades"][0].update({"min": 1}), "best to worst"),
        (lambda r: r["overrides"][0].update({"grade": "Z"}), "unknown grade 'Z'"),
        (lambda r: r["rules"][0].update({"category": "nope"}), "unknown category"),
        (lambda r: r["rules"][0].update({"points": "1.234"}), "decimal places"),
        (lambda r: r["rules"][0].update({"severities": ["serious"]}), "no severities"),
        (lambda r: r["rules"][0].update({"providers": ["court"]}), "does not submit"),
        (
            lambda r: r.update(
                {"time": {"full_weight_months": 12, "reduced_weight_until_months": 6}}
            ),
            "later than",
        ),
        (lambda r: r.update({"colour": "red"}), "Extra inputs"),
    ],
)
def test_structural_errors(change: Any, words: str) -> None:
    raw = copy.deepcopy(shipped("tax_credit"))
    change(raw)
    assert words in problem(raw).message


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_scheme(bad, default_catalogue())
    assert info.value.code == "scheme_not_yaml"
    with pytest.raises(CatalogueError) as info:
        load_scheme(tmp_path / "missing.yaml", default_catalogue())
    assert info.value.code == "scheme_unreadable"
