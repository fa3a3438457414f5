"""Every engine agrees exactly with the reference evaluator on random schemes and records.

Hypothesis draws schemes (rules, bands, conditions, caps, categories, time treatments,
overrides, grades) valid against the default catalogue, subjects with random records and a
rating date; DuckDB, PostgreSQL and Spark must return the reference's score, grade and
``valid_until`` for every subject of the scheme's kinds.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.rating.strategies import CATALOGUE, dates, populations, schemes
from xinyong.rating.compile import input_fields
from xinyong.rating.engines import (
    ResultRow,
    load_into_postgres,
    rate_duckdb,
    rate_postgres,
    rate_spark,
)
from xinyong.rating.evaluate import RatingRecord, evaluate
from xinyong.rating.inputs import RatingInputs, build_inputs
from xinyong.rating.model import Scheme

Population = dict[int, tuple[str, list[RatingRecord]]]


def engine_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


def expected(scheme: Scheme, population: Population, as_of: dt.date) -> list[ResultRow]:
    out = []
    for sid, (kind, recs) in sorted(population.items()):
        if kind not in scheme.subject_kinds:
            continue
        r = evaluate(scheme, recs, as_of)
        out.append((sid, r.score_units, r.grade, r.valid_until))
    return out


def inputs_of(scheme: Scheme, population: Population) -> RatingInputs:
    fields = input_fields([scheme], CATALOGUE)
    return build_inputs(
        {sid: kind for sid, (kind, _) in population.items()},
        [(sid, r) for sid, (_, recs) in population.items() for r in recs],
        fields,
    )


@engine_settings(300)
@given(scheme=schemes(), population=populations(max_subjects=20), as_of=dates)
def test_duckdb_agrees_with_reference(
    scheme: Scheme, population: Population, as_of: dt.date
) -> None:
    fields = input_fields([scheme], CATALOGUE)
    got = sorted(rate_duckdb(scheme, fields, as_of, inputs_of(scheme, population), threads=1))
    assert got == expected(scheme, population, as_of)


@pytest.fixture
def pg(postgres_engine: Engine) -> Engine:
    return postgres_engine


@engine_settings(60)
@given(scheme=schemes(), population=populations(), as_of=dates)
def test_postgres_agrees_with_reference(
    pg: Engine, scheme: Scheme, population: Population, as_of: dt.date
) -> None:
    fields = input_fields([scheme], CATALOGUE)
    with pg.begin() as conn:
        load_into_postgres(conn, fields, inputs_of(scheme, population))
        got = sorted(rate_postgres(scheme, fields, as_of, conn))
    assert got == expected(scheme, population, as_of)


spark_examples = int(os.environ.get("XINYONG_SPARK_EXAMPLES", "12"))


@pytest.mark.slow
@engine_settings(spark_examples)
@given(scheme=schemes(), population=populations(max_subjects=20), as_of=dates)
def test_spark_agrees_with_reference(
    scheme: Scheme, population: Population, as_of: dt.date
) -> None:
    fields = input_fields([scheme], CATALOGUE)
    got = sorted(rate_spark(scheme, fields, as_of, inputs_of(scheme, population)))
    assert got == expected(scheme, population, as_of)
