"""Identifiers of subjects: Unified Social Credit Codes and resident identity numbers.

The check algorithms are python-stdnum's (``stdnum.cn.uscc`` and ``stdnum.cn.ric``); this
module turns their exceptions into errors that name the check that failed, masks personal
numbers for display, and makes valid synthetic codes for the generator and the tests.
"""

from __future__ import annotations

import datetime as dt
import random

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from xinyong.errors import ValidationFailed

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORGANISATION_KINDS = frozenset({"organisation", "individual_business"})
INDIVIDUAL_BUSINESS_PREFIX = "92"


class IdentifierError(ValidationFailed):
    """An identifier failed one named check (length, alphabet, check character, ...)."""

    default_code = "invalid_identifier"


def validate_uscc(value: str) -> str:
    """Validate a Unified Social Credit Code (GB 32100-2015); return it normalised."""
    try:
        return str(uscc.validate(value))
    except stdnum_errors.InvalidLength:
        number = uscc.compact(value)
        raise IdentifierError(
            f"a Unified Social Credit Code has 18 characters, {value!r} has {len(number)}",
            code="invalid_length",
        ) from None
    except stdnum_errors.InvalidFormat:
        number = uscc.compact(value)
        bad = sorted(
            {c for c in number[8:] if c not in USCC_ALPHABET}
            | {c for c in number[:8] if not c.isdigit()}
        )
        raise IdentifierError(
            f"{value!r} uses characters outside the code's alphabet: {''.join(bad)} "
            "(positions 1-8 are digits; I, O, S, V and Z are never used)",
            code="invalid_alphabet",
        ) from None
    except stdnum_errors.InvalidChecksum:
        number = uscc.compact(value)
        raise IdentifierError(
            f"{value!r} has the wrong check character: expected "
            f"{uscc.calc_check_digit(number[:17])!r}, found {number[-1]!r}",
            code="invalid_check_character",
        ) from None


def validate_ric(value: str) -> str:
    """Validate a resident identity number (GB 11643-1999); return it normalised.

    Checks length, format, check character (ISO 7064 MOD 11-2) and birth date with
    python-stdnum. The birth-place look-up of ``stdnum.cn.ric.validate`` is not used: its
    table of county codes is incomplete (it fails on valid numbers such as
    ``34052419800101001X``), and the address code of a number issued long ago may no longer
    exist.
    """
    number = ric.compact(value)
    if len(number) != 18:
        raise IdentifierError(
            f"a resident identity number has 18 characters, {value!r} has {len(number)}",
            code="invalid_length",
        )
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise IdentifierError(
            f"{value!r} must be 17 digits followed by a digit or X", code="invalid_alphabet"
        )
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise IdentifierError(
            f"{value!r} has the wrong check character: expected {expected!r}, found {number[-1]!r}",
            code="invalid_check_character",
        )
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise IdentifierError(
            f"{value!r} holds an impossible birth date {number[6:14]}", code="invalid_birth_date"
        ) from None
    if born.year < 1880 or born > dt.date.today():
        raise IdentifierError(
            f"{value!r} holds a birth date outside 1880 to today: {born.isoformat()}",
            code="invalid_birth_date",
        )
    return number


def validate_subject_code(kind: str, value: str) -> str:
    """Validate the code of a subject of the given kind; return it normalised."""
    if kind == "person":
        return validate_ric(value)
    code = validate_uscc(value)
    is_ib = code.startswith(INDIVIDUAL_BUSINESS_PREFIX)
    if kind == "individual_business" and not is_ib:
        raise IdentifierError(
            f"{value!r} is not an individual business's code (those start with 92)",
            code="kind_mismatch",
        )
    if kind == "organisation" and is_ib:
        raise IdentifierError(
            f"{value!r} is an individual business's code (92...), not an organisation's",
            code="kind_mismatch",
        )
    return code


def mask_ric(number: str) -> str:
    """Mask a resident identity number for display: ``3405**********001X``."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * 8


def display_code(kind: str, code: str) -> str:
    """The code as others may see it: personal numbers masked, organisations' in full."""
    return mask_ric(code) if kind == "person" else code


def division_of(code: str, kind: str) -> str:
    """The administrative division (GB/T 2260) that a code carries."""
    return code[:6] if kind == "person" else code[2:8]


def make_uscc(rng: random.Random, division: str, prefix: str = "91") -> str:
    """A valid synthetic USCC: ``prefix`` (authority and category), division, org code."""
    body = prefix + division + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def make_ric(rng: random.Random, division: str, born: dt.date, *, female: bool) -> str:
    """A valid synthetic resident identity number."""
    seq = rng.randrange(0, 500) * 2 + (0 if female else 1)
    body = f"{division}{born:%Y%m%d}{seq:03d}"
    return body + str(ric.calc_check_digit(body + "0"))
