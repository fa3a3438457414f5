"""The catalogue model refuses what the law or xinyong's design forbids."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from xinyong.catalogue import Disclosure, SubjectKind
from xinyong.catalogue.loader import parse_catalogue
from xinyong.catalogue.model import Catalogue
from xinyong.errors import CatalogueError

PROVIDER_USCC = "113502009TRCWT28HH"


def _field(code: str, zh: str = "字段", en: str = "Field", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": {"zh": zh, "en": en}, **extra}


def _base() -> dict[str, Any]:
    return {
        "version": "test",
        "record_types": [
            {
                "code": "admin_penalty",
                "name": {"zh": "行政处罚", "en": "Administrative penalty"},
                "category": "penalties",
                "polarity": "negative",
                "subject_kinds": ["organisation", "person"],
                "severities": ["minor", "serious"],
                "legal_reference": "《中华人民共和国行政处罚法》",
                "disclosure": "public",
                "disclosure_for_persons": "subject_and_agencies",
                "publicity": {
                    "minor": {"minimum_months": 0, "maximum_months": 3},
                    "serious": {"minimum_months": 12, "maximum_months": 36},
                },
                "retention_years": 5,
                "fields": [_field("facts", "违法事实", "Facts", required=True)],
            },
            {
                "code": "honour",
                "name": {"zh": "表彰", "en": "Honour"},
                "category": "honours",
                "polarity": "positive",
                "subject_kinds": ["person"],
                "legal_reference": "《全国公共信用信息基础目录》",
                "disclosure": "subject_and_agencies",
                "publicity": {"default": {"minimum_months": 0, "maximum_months": None}},
                "retention_years": 10,
                "subject_may_hide": True,
            },
        ],
        "providers": [
            {
                "code": "court",
                "name": {"zh": "法院", "en": "Court"},
                "uscc": PROVIDER_USCC,
                "record_types": ["admin_penalty", "honour"],
            }
        ],
        "prohibited_classes": [
            {
                "code": "religion",
                "name": {"zh": "宗教", "en": "Religion"},
                "reason": "local credit laws",
                "terms": ["religion", "宗教", "信仰"],
            },
            {
                "code": "biometrics",
                "name": {"zh": "生物识别", "en": "Biometrics"},
                "reason": "local credit laws",
                "terms": ["face", "fingerprint", "人脸", "指纹"],
            },
        ],
    }


def _refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw)
    problems = info.value.details.get("problems", [])
    return " ".join([info.value.message, *(p["message"] for p in problems)])


def _with_field(field: dict[str, Any]) -> dict[str, Any]:
    raw = _base()
    raw["record_types"][0]["fields"].append(field)
    return raw


def test_the_base_catalogue_is_valid() -> None:
    cat = parse_catalogue(_base())
    assert isinstance(cat, Catalogue)
    penalty = cat.record_type("admin_penalty")
    assert penalty is not None
    assert penalty.disclosure_for(SubjectKind.person) is Disclosure.subject_and_agencies
    assert penalty.disclosure_for(SubjectKind.organisation) is Disclosure.public
    assert penalty.period("serious").maximum_months == 36
    assert penalty.field("facts") is not None
    assert cat.record_type("nothing") is None
    assert cat.provider("court") is not None


def test_field_named_after_religion_is_refused() -> None:
    message = _refusal(_with_field(_field("religion")))
    assert "religion" in message
    assert "prohibited" in message


def test_field_with_a_face_in_its_chinese_name_is_refused() -> None:
    message = _refusal(_with_field(_field("photo", zh="人脸照片", en="Photo")))
    assert "biometrics" in message


def test_field_with_a_fingerprint_in_its_english_name_is_refused() -> None:
    message = _refusal(_with_field(_field("scan", en="Fingerprint scan")))
    assert "biometrics" in message


def test_declared_data_class_is_refused() -> None:
    raw = _base()
    raw["record_types"][0]["data_classes"] = ["biometrics"]
    assert "biometrics" in _refusal(raw)


@pytest.mark.parametrize(
    "field",
    [
        _field("surface_area", en="Surface area"),
        _field("interface_version", en="Interface version"),
        _field("preface", en="Preface"),
    ],
)
def test_words_containing_a_term_are_not_refused(field: dict[str, Any]) -> None:
    cat = parse_catalogue(_with_field(field))
    penalty = cat.record_type("admin_penalty")
    assert penalty is not None
    assert penalty.field(field["code"]) is not None


def test_negative_type_without_maximum_is_refused() -> None:
    raw = _base()
    raw["record_types"][0]["publicity"]["serious"]["maximum_months"] = None
    message = _refusal(raw)
    assert "maximum_months" in message
    assert "serious" in message


def test_positive_type_may_be_open_ended() -> None:
    cat = parse_catalogue(_base())
    honour = cat.record_type("honour")
    assert honour is not None
    assert honour.period(None).maximum_months is None


def test_duplicate_record_type_codes_are_refused() -> None:
    raw = _base()
    raw["record_types"].append(copy.deepcopy(raw["record_types"][1]))
    message = _refusal(raw)
    assert "repeated" in message
    assert "honour" in message


def test_duplicate_field_codes_are_refused() -> None:
    assert "repeats fields" in _refusal(_with_field(_field("facts")))


def test_envelope_columns_may_not_be_redeclared() -> None:
    assert "envelope" in _refusal(_with_field(_field("decided_on", type="date")))


def test_provider_naming_an_unknown_type_is_refused() -> None:
    raw = _base()
    raw["providers"][0]["record_types"].append("gossip")
    message = _refusal(raw)
    assert "gossip" in message
    assert "unknown record types" in message


def test_provider_with_a_bad_uscc_is_refused() -> None:
    raw = _base()
    raw["providers"][0]["uscc"] = PROVIDER_USCC[:-1] + "0"
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw)
    assert "court" in info.value.message
    assert info.value.details["problems"][0]["location"] == "providers.court.uscc"


def test_publicity_must_match_severities() -> None:
    raw = _base()
    raw["record_types"][0]["publicity"]["general"] = {"minimum_months": 3, "maximum_months": 12}
    assert "publicity for exactly" in _refusal(raw)


def test_type_without_severities_needs_a_default_period() -> None:
    raw = _base()
    raw["record_types"][1]["publicity"] = {"minor": {"maximum_months": 3}}
    assert "default" in _refusal(raw)


def test_minimum_longer_than_maximum_is_refused() -> None:
    raw = _base()
    raw["record_types"][0]["publicity"]["minor"] = {"minimum_months": 6, "maximum_months": 3}
    assert "shorter" in _refusal(raw)


@pytest.mark.parametrize(
    ("where", "key"),
    [("top", "extra"), ("type", "colour"), ("provider", "phone"), ("field", "hint")],
)
def test_unknown_keys_are_refused(where: str, key: str) -> None:
    raw = _base()
    target: dict[str, Any] = {
        "top": raw,
        "type": raw["record_types"][0],
        "provider": raw["providers"][0],
        "field": raw["record_types"][0]["fields"][0],
    }[where]
    target[key] = "x"
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw)
    locations = [p["location"] for p in info.value.details["problems"]]
    assert any(loc.endswith(key) for loc in locations)


def test_only_positive_records_may_be_hidden() -> None:
    raw = _base()
    raw["record_types"][0]["subject_may_hide"] = True
    assert "only positive" in _refusal(raw)


def test_choice_field_needs_choices() -> None:
    assert "no choices" in _refusal(_with_field(_field("grade", type="choice")))


def test_choices_only_on_choice_fields() -> None:
    assert "not a choice" in _refusal(_with_field(_field("grade", choices=["A"])))


def test_persons_disclosure_needs_persons() -> None:
    raw = _base()
    raw["record_types"][0]["subject_kinds"] = ["organisation"]
    assert "no persons" in _refusal(raw)


def test_a_catalogue_is_a_mapping() -> None:
    with pytest.raises(CatalogueError):
        parse_catalogue(["not", "a", "mapping"])
