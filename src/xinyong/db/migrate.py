"""Bringing a database's schema up to date with Alembic, from code or the CLI."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from xinyong.db import deferred
from xinyong.db.engine import writing

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    return current_revision(engine) == head


def ensure_schema(engine: Engine) -> None:
    """Migrate on first use (a no-op when the schema is already at head), and build the
    indexes and keys that a killed load into an empty store left missing
    (:mod:`xinyong.db.deferred`)."""
    if not is_up_to_date(engine):
        upgrade(engine)
    restore_deferred(engine)


def restore_deferred(engine: Engine) -> None:
    """Build what :func:`xinyong.db.deferred.suspend` dropped and nothing rebuilt."""
    with engine.connect() as conn:
        if not deferred.missing(conn):
            return
    with writing(engine) as conn:
        deferred.restore(conn)
