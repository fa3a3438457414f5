"""From the store: a small synthetic city rated by every engine, and by the reference
evaluator one subject at a time, gives the same scores, grades and ``valid_until``.

This covers what the property tests cannot: reading records from SQLite and PostgreSQL
(typed JSON fields, the current versions) and, on PostgreSQL, rating in the database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from xinyong.catalogue.model import Catalogue
from xinyong.db.engine import writing
from xinyong.db.tables import ratings
from xinyong.db.types import utcnow
from xinyong.ingest.importer import files_to_import, import_files
from xinyong.rating import repository as repo
from xinyong.rating.evaluate import evaluate
from xinyong.rating.loader import default_schemes
from xinyong.rating.service import load_records, rate_scheme
from xinyong.settings import Settings
from xinyong.synth import generate_city

TODAY = dt.date.today()


@pytest.fixture
def city(engine: Engine, catalogue: Catalogue, tmp_path: Path, db_url: str) -> Engine:
    generate_city(catalogue, 150, 300, 4, 7, tmp_path / "city", workers=1)
    _, failures = import_files(
        engine, catalogue, Settings(database_url=db_url), files_to_import(tmp_path / "city", None)
    )
    assert not failures
    return engine


@pytest.mark.slow
def test_every_engine_agrees_on_the_store(city: Engine, catalogue: Catalogue) -> None:
    # Spark reads the same Arrow input on both databases: once is enough
    pg = city.dialect.name == "postgresql"
    engines = ["duckdb", "postgres"] if pg else ["duckdb", "spark"]
    for scheme in default_schemes().values():
        with writing(city) as conn:
            kinds = [k.value for k in scheme.subject_kinds]
            ids = [i for i, _ in repo.subjects(conn, kinds)]
            recs = load_records(conn, catalogue, [scheme], ids, None)
            expected = sorted(
                (i, r.score_units, r.grade, r.valid_until)
                for i in ids
                for r in [evaluate(scheme, recs.get(i, []), TODAY)]
            )
            assert len({g for _, _, g, _ in expected}) > 1  # the city is not all one grade
            for name in engines:
                got = rate_scheme(
                    conn,
                    catalogue,
                    scheme,
                    as_of=TODAY,
                    today=TODAY,
                    now=utcnow(),
                    timezone="Asia/Shanghai",
                    engine=name,
                )
                assert sorted(got) == expected, (scheme.code, name)
                stored = dict(
                    conn.execute(
                        select(ratings.c.entity_id, ratings.c.fingerprint).where(
                            ratings.c.scheme == scheme.code
                        )
                    ).all()
                )
                for i in ids[:50]:
                    assert stored[i] == evaluate(scheme, recs.get(i, []), TODAY).fingerprint
