"""The migrations build exactly the schema that ``db/tables.py`` declares, on both DBs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from xinyong.db.migrate import current_revision, ensure_schema, is_up_to_date
from xinyong.db.tables import metadata

# Search indexes that live beside the declared tables (FTS5, pg_trgm, gram tables): made by
# SQL in the migrations, not declared in tables.py.
SEARCH_TABLES = ("entity_names_fts", "entity_name_chars", "entity_name_grams")


def test_migrations_match_the_declared_tables(engine: Engine) -> None:
    assert is_up_to_date(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(ctx, metadata)
            if not (d[0] == "remove_table" and d[1].name.startswith(SEARCH_TABLES))
            and not (d[0] == "remove_index" and d[1].name == "ix_entity_names_name_trgm")
        ]
    assert diff == []


def test_ensure_schema_is_idempotent(engine: Engine) -> None:
    before = current_revision(engine)
    ensure_schema(engine)
    assert current_revision(engine) == before
