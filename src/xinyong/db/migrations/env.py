"""Alembic environment: runs migrations on the engine handed over by xinyong.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from xinyong.db.engine import make_engine
from xinyong.db.tables import metadata

config = context.config
engine: Engine = config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
