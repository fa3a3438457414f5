"""Identifiers: real codes pass, each broken check is named, synthetic codes always pass."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from xinyong.identifiers import (
    IdentifierError,
    display_code,
    division_of,
    make_ric,
    make_uscc,
    mask_ric,
    validate_ric,
    validate_subject_code,
    validate_uscc,
)

REAL_USCCS = [
    "91350200776049653A",
    "91440101MA5CJQ4N59",
    "913502000728319549",
    "123502001549897397",
    "9144030071526726XG",
]
REAL_RICS = ["34052419800101001X", "11010519491231002X"]


def _code_of(call: object, *args: str) -> str:
    assert callable(call)
    with pytest.raises(IdentifierError) as info:
        call(*args)
    return info.value.code


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_usccs_pass(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_subject_code("organisation", code) == code


def test_uscc_is_normalised() -> None:
    assert validate_uscc(" 91350200776049653a ") == "91350200776049653A"


@pytest.mark.parametrize("number", REAL_RICS)
def test_real_rics_pass(number: str) -> None:
    assert validate_ric(number) == number
    assert validate_subject_code("person", number) == number


def test_wrong_ric_check_character() -> None:
    assert _code_of(validate_ric, "340524198001010013") == "invalid_check_character"


def test_wrong_uscc_check_character() -> None:
    assert _code_of(validate_uscc, "91350200776049653B") == "invalid_check_character"


@pytest.mark.parametrize(
    ("validate", "value"),
    [
        (validate_uscc, "91350200776049653"),
        (validate_uscc, "91350200776049653A1"),
        (validate_ric, "34052419800101001"),
        (validate_ric, "34052419800101001XX"),
    ],
)
def test_wrong_length(validate: object, value: str) -> None:
    assert _code_of(validate, value) == "invalid_length"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_alphabet(letter: str) -> None:
    good = "91440101MA5CJQ4N59"
    bad = good[:10] + letter + good[11:]
    assert _code_of(validate_uscc, bad) == "invalid_alphabet"


def test_ric_with_letters() -> None:
    assert _code_of(validate_ric, "3405241980010100AX") == "invalid_alphabet"


def test_impossible_birth_date_with_right_check_character() -> None:
    body = "34052419801301001"  # month 13
    number = body + ric.calc_check_digit(body + "0")
    assert _code_of(validate_ric, number) == "invalid_birth_date"


def test_birth_date_in_the_future() -> None:
    body = f"340524{dt.date.today().year + 1}0101001"
    number = body + ric.calc_check_digit(body + "0")
    assert _code_of(validate_ric, number) == "invalid_birth_date"


def test_individual_business_code_is_not_an_organisation() -> None:
    code = make_uscc(random.Random(1), "350200", prefix="92")
    assert validate_subject_code("individual_business", code) == code
    assert _code_of(validate_subject_code, "organisation", code) == "kind_mismatch"
    assert _code_of(validate_subject_code, "individual_business", REAL_USCCS[0]) == "kind_mismatch"


def test_masking() -> None:
    assert mask_ric("34052419800101001X") == "3405**********001X"
    assert display_code("person", "34052419800101001X") == "3405**********001X"
    assert display_code("organisation", REAL_USCCS[0]) == REAL_USCCS[0]


def test_division_of() -> None:
    assert division_of("91350200776049653A", "organisation") == "350200"
    assert division_of("34052419800101001X", "person") == "340524"


divisions = st.from_regex(r"\A[1-6][0-9]{5}\Z", fullmatch=True)
seeds = st.integers(min_value=0, max_value=2**32)


@given(seed=seeds, division=divisions, prefix=st.sampled_from(["91", "92", "11", "12", "51"]))
def test_make_uscc_always_validates(seed: int, division: str, prefix: str) -> None:
    code = make_uscc(random.Random(seed), division, prefix=prefix)
    assert validate_uscc(code) == code
    assert division_of(code, "organisation") == division
    kind = "individual_business" if prefix == "92" else "organisation"
    assert validate_subject_code(kind, code) == code


@given(
    seed=seeds,
    division=divisions,
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()),
    female=st.booleans(),
)
def test_make_ric_always_validates(seed: int, division: str, born: dt.date, female: bool) -> None:
    number = make_ric(random.Random(seed), division, born, female=female)
    assert validate_ric(number) == number
    assert ric.get_birth_date(number) == born
    assert int(number[16]) % 2 == (0 if female else 1)
