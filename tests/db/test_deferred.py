"""The structures that a load into an empty store builds afterwards: dropped and built
again, they are exactly what the migrations made; a row that breaks a foreign key stops
the build, and nothing of it is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from xinyong.db import deferred
from xinyong.db.engine import writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.tables import entities, record_versions, records
from xinyong.db.types import utcnow


def test_suspended_structures_come_back_as_the_migrations_made_them(engine: Engine) -> None:
    with engine.connect() as conn:
        before = deferred.present(conn)
        names = {s.name for s in deferred.structures(conn)}
    assert names <= before  # the migrations made every one of them
    expected = {"ix_records_entity_id", "ix_record_versions_entity_id"}
    if engine.dialect.name == "postgresql":
        expected |= {"fk_record_versions_record_id_records", "entity_name_grams_ai"}
    assert expected <= names

    with writing(engine) as conn:
        dropped = deferred.suspend(conn)
    assert {s.name for s in dropped} == names
    with engine.connect() as conn:
        assert {s.name for s in deferred.missing(conn)} == names
        assert deferred.present(conn) == before - names

    ensure_schema(engine)  # what a server start or the next command does
    with engine.connect() as conn:
        assert deferred.present(conn) == before
        assert deferred.missing(conn) == []
    with writing(engine) as conn:
        assert deferred.restore(conn) == []  # nothing missing, nothing built


# SQLite's foreign keys are never suspended (they cannot be dropped from a table).
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_row_that_breaks_a_foreign_key_stops_the_build(engine: Engine) -> None:
    with writing(engine) as conn:
        deferred.suspend(conn)
        entity = conn.execute(
            insert(entities).values(
                kind="organisation",
                code="91350200MA2XYZ0001",
                public_id="p1",
                name="某公司",
                name_on=utcnow().date(),
                division="350203",
                created_at=utcnow(),
            )
        ).inserted_primary_key
        assert entity is not None
        # a version whose record does not exist: only the suspended key would refuse it
        conn.execute(
            insert(record_versions).values(
                record_id="no-such-record",
                version=1,
                entity_id=entity[0],
                record_type="judgment_default",
                subject_name="某公司",
                decided_on=utcnow().date(),
                fields={},
                content_hash="0" * 32,
                received_at=utcnow(),
            )
        )
    with (
        pytest.raises(IntegrityError, match="fk_record_versions_record_id_records"),
        writing(engine) as conn,
    ):
        deferred.restore(conn)
    with engine.connect() as conn:
        # the failed build kept nothing: every structure is still missing
        assert {s.name for s in deferred.missing(conn)} == {
            s.name for s in deferred.structures(conn)
        }
    with writing(engine) as conn:
        conn.execute(record_versions.delete())
        conn.execute(records.delete())
        deferred.restore(conn)
    with engine.connect() as conn:
        assert deferred.missing(conn) == []
