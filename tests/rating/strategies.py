"""Hypothesis strategies: random schemes valid against the default catalogue, and random
subjects with records, for checking that every engine agrees with the reference evaluator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from xinyong.catalogue import default_catalogue
from xinyong.catalogue.model import FieldType
from xinyong.rating.evaluate import RatingRecord
from xinyong.rating.loader import parse_scheme
from xinyong.rating.model import Scheme

CATALOGUE = default_catalogue()
# record types with severities, numbers, choices, booleans and integers among their fields
TYPES = [
    "admin_penalty",
    "honour",
    "credit_commitment",
    "tax_evasion",
    "tax_zero_declarations",
    "judgment_default",
    "volunteer_service",
]
KINDS = ["organisation", "individual_business", "person"]
NAME = {"zh": "规则", "en": "rule"}


def providers_of(record_type: str) -> list[str]:
    return [p.code for p in CATALOGUE.providers if record_type in p.record_types]


def numeric_fields(record_type: str) -> list[str]:
    rt = CATALOGUE.record_type(record_type)
    assert rt is not None
    return [f.code for f in rt.fields if f.type in (FieldType.decimal, FieldType.integer)]


points = st.decimals(min_value=-60, max_value=60, places=2, allow_nan=False)
bounds = st.decimals(min_value=0, max_value=200, places=1, allow_nan=False)
months = st.integers(min_value=0, max_value=40)


@st.composite
def time_treatments(draw: st.DrawFn) -> dict[str, Any]:
    full = draw(st.none() | months)
    if full is None:
        return {}
    out: dict[str, Any] = {
        "full_weight_months": full,
        "reduced_weight_percent": draw(st.sampled_from([0, 25, 50, 100])),
    }
    if draw(st.booleans()):
        out["reduced_weight_until_months"] = full + draw(st.integers(1, 24))
    return out


@st.composite
def conditions(draw: st.DrawFn, record_type: str) -> list[dict[str, Any]]:
    rt = CATALOGUE.record_type(record_type)
    assert rt is not None
    usable = [
        f
        for f in rt.fields
        if f.type in (FieldType.choice, FieldType.decimal, FieldType.integer, FieldType.boolean)
    ]
    out: list[dict[str, Any]] = []
    for f in draw(
        st.lists(st.sampled_from(usable), max_size=2, unique_by=lambda f: f.code)
        if usable
        else st.just([])
    ):
        if f.type is FieldType.choice:
            out.append(
                {
                    "field": f.code,
                    "in": draw(
                        st.lists(st.sampled_from(f.choices), min_size=1, max_size=3, unique=True)
                    ),
                }
            )
        elif f.type is FieldType.boolean:
            out.append({"field": f.code, "is": draw(st.booleans())})
        else:
            lo, width = draw(bounds), draw(st.decimals(min_value=1, max_value=100, places=1))
            cond: dict[str, Any] = {"field": f.code}
            if draw(st.booleans()):
                cond["at_least"] = lo
            if draw(st.booleans()) or "at_least" not in cond:
                cond["below"] = lo + width
            out.append(cond)
    return out


@st.composite
def matcher(draw: st.DrawFn) -> dict[str, Any]:
    record_type = draw(st.sampled_from(TYPES))
    rt = CATALOGUE.record_type(record_type)
    assert rt is not None
    out: dict[str, Any] = {"record_type": record_type}
    if draw(st.booleans()) and rt.severities:
        out["severities"] = draw(
            st.lists(st.sampled_from([s.value for s in rt.severities]), min_size=1, unique=True)
        )
    if draw(st.integers(0, 3)) == 0:
        out["providers"] = draw(
            st.lists(st.sampled_from(providers_of(record_type)), min_size=1, unique=True)
        )
    out["when"] = draw(conditions(record_type))
    return out


@st.composite
def rules(draw: st.DrawFn, i: int, categories: list[str]) -> dict[str, Any]:
    rule = {"code": f"rule_{i}", "name": NAME, **draw(matcher())}
    numeric = numeric_fields(rule["record_type"])
    if draw(st.booleans()) and numeric:
        rule["field"] = draw(st.sampled_from(numeric))
        edges = sorted(set(draw(st.lists(bounds, min_size=1, max_size=3))))
        lows: list[Decimal | None] = [None, *edges]
        highs: list[Decimal | None] = [*edges, None]
        rule["bands"] = [
            {k: v for k, v in (("at_least", lo), ("below", hi)) if v is not None}
            | {"points": draw(points)}
            for lo, hi in zip(lows, highs, strict=True)
            if draw(st.integers(0, 3))  # sometimes leave a gap
        ] or [{"points": draw(points)}]
    else:
        rule["points"] = draw(points)
    if draw(st.booleans()) and categories:
        rule["category"] = draw(st.sampled_from(categories))
    if draw(st.booleans()):
        rule["cap"] = draw(st.decimals(min_value=Decimal("0.5"), max_value=80, places=2))
    if draw(st.integers(0, 2)) == 0:
        rule["time"] = draw(time_treatments())
    return rule


@st.composite
def schemes(draw: st.DrawFn) -> Scheme:
    n_grades = draw(st.integers(1, 5))
    mins = sorted(
        draw(
            st.lists(
                st.decimals(min_value=-150, max_value=150, places=1),
                min_size=n_grades - 1,
                max_size=n_grades - 1,
                unique=True,
            )
        ),
        reverse=True,
    )
    grades: list[dict[str, Any]] = [{"grade": f"G{i}", "name": NAME} for i in range(n_grades)]
    for g, m in zip(grades, mins, strict=False):
        if draw(st.integers(0, 4)):  # some grades only overrides give
            g["min"] = m
    categories = [f"cat_{i}" for i in range(draw(st.integers(0, 2)))]
    overrides = []
    for i in range(draw(st.integers(0, 3))):
        o: dict[str, Any] = {
            "code": f"override_{i}",
            "name": NAME,
            "grade": draw(st.sampled_from([g["grade"] for g in grades])),
            "mode": draw(st.sampled_from(["force", "at_most"])),
        }
        if draw(st.integers(0, 3)) == 0:
            o["no_history"] = True
        else:
            o |= draw(matcher())
        overrides.append(o)
    raw = {
        "code": "random_scheme",
        "version": "1",
        "name": NAME,
        "authority": "tax",
        "legal_basis": "test",
        "effective_from": "2020-01-01",
        # every test type concerns organisations or persons; individual businesses may be left out
        "subject_kinds": draw(st.sampled_from([KINDS, ["organisation", "person"]])),
        "base": draw(st.decimals(min_value=-100, max_value=200, places=2)),
        "time": draw(time_treatments()),
        "categories": [
            {
                "code": c,
                "name": NAME,
                "cap": draw(st.decimals(min_value=1, max_value=100, places=2)),
            }
            for c in categories
        ],
        "rules": [draw(rules(i, categories)) for i in range(draw(st.integers(1, 5)))],
        "overrides": overrides,
        "grades": grades,
    }
    return parse_scheme(raw, CATALOGUE)


# dates cluster around month ends and the rating date, where boundaries are subtle
_month_ends = st.builds(
    lambda y, m: dt.date(y, m, 1) - dt.timedelta(days=1),
    st.integers(2021, 2027),
    st.integers(1, 12),
)
dates = st.one_of(st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31)), _month_ends)


@st.composite
def field_values(draw: st.DrawFn, record_type: str) -> dict[str, Any]:
    rt = CATALOGUE.record_type(record_type)
    assert rt is not None
    out: dict[str, Any] = {}
    for f in rt.fields:
        if draw(st.integers(0, 5)) == 0:
            continue  # missing
        if f.type is FieldType.choice:
            out[f.code] = draw(st.sampled_from(f.choices))
        elif f.type is FieldType.boolean:
            out[f.code] = draw(st.booleans())
        elif f.type is FieldType.decimal:
            out[f.code] = draw(st.decimals(min_value=0, max_value=250, places=4))
        elif f.type is FieldType.integer:
            out[f.code] = draw(st.integers(0, 250))
    return out


@st.composite
def records(draw: st.DrawFn, n: int) -> RatingRecord:
    record_type = draw(st.sampled_from(TYPES))
    rt = CATALOGUE.record_type(record_type)
    assert rt is not None
    decided = draw(dates)
    until = draw(st.none() | st.integers(0, 1200).map(lambda d: decided + dt.timedelta(days=d)))
    return RatingRecord(
        record_id=f"r{n}",
        version=draw(st.integers(1, 3)),
        record_type=record_type,
        severity=draw(st.sampled_from([s.value for s in rt.severities])) if rt.severities else None,
        provider=draw(st.sampled_from(providers_of(record_type))),
        decided_on=decided,
        publicity_until=until,
        fields=draw(field_values(record_type)),
    )


@st.composite
def populations(
    draw: st.DrawFn, max_subjects: int = 8
) -> dict[int, tuple[str, list[RatingRecord]]]:
    """``{subject_id: (kind, records)}`` with record ids unique across subjects."""
    out = {}
    n = 0
    for sid in range(1, draw(st.integers(1, max_subjects)) + 1):
        recs = []
        for _ in range(draw(st.integers(0, 10))):
            n += 1
            recs.append(draw(records(n)))
        out[sid] = (draw(st.sampled_from(KINDS)), recs)
    return out
