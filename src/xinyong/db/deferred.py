"""Loading into an empty store: secondary structures built once after the load.

A first import of a whole city into an empty store would otherwise maintain, row by row,
structures that it never reads:

* the record tables' indexes on subject, record type and import, each keyed in an order
  unrelated to the rows', so every chunk rewrites pages all over them;
* on PostgreSQL also the foreign keys (a trigger per row and key), the trigram index on
  names, and the trigger that fills the table of short name grams.

Bulk loaders such as ``pg_restore`` build these after the data. So does
:func:`xinyong.ingest.importer.import_files` when it loads into an empty store
(``Settings.initial_load_min_bytes``): it drops them first (:func:`suspend`) and builds
them before the list refresh (:func:`restore`).

Nothing that the load reads is suspended: primary keys, the unique subject codes and name
variants stay. Restoring a foreign key checks every row once (``ADD CONSTRAINT``
validates), so the database guarantees the same as when it checks row by row.

A process killed mid-load leaves them missing. :func:`restore` builds whatever is missing;
it runs on every :func:`xinyong.db.migrate.ensure_schema` (server start, CLI commands) and
at the start of every import.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, ForeignKeyConstraint, Index, text
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from xinyong.db.tables import entity_names, record_versions, records


@dataclass(frozen=True)
class Structure:
    """One deferrable index or foreign key, with the DDL that drops and creates it."""

    name: str
    kind: str  # "index", "foreign_key" or "trigger"
    create: tuple[str, ...]
    drop: tuple[str, ...]


#: The tables whose secondary structures a load into an empty store builds afterwards.
TABLES = (records, record_versions, entity_names)

#: PostgreSQL's trigram index on names (migration 0001), not in the table metadata.
_TRGM = "ix_entity_names_name_trgm"
_TRGM_DDL = f"CREATE INDEX {_TRGM} ON entity_names USING gin (name gin_trgm_ops)"

#: PostgreSQL's table of each name's characters and bigrams (migration 0002) is kept by a
#: statement trigger on new names. A load turns it off; restoring rebuilds the table from
#: all names at once, its primary key built after the rows (3.6 s for 223,000 names,
#: against 11 s through the trigger). The gram expression is migration 0002's.
_GRAMS_TRIGGER = "entity_name_grams_ai"
_GRAMS = Structure(
    _GRAMS_TRIGGER,
    "trigger",
    (
        "TRUNCATE entity_name_grams",
        "ALTER TABLE entity_name_grams DROP CONSTRAINT pk_entity_name_grams",
        "INSERT INTO entity_name_grams (gram, name_id) "
        "SELECT DISTINCT substr(lower(r.name), p.i, w.n), r.id "
        "FROM entity_names r CROSS JOIN (VALUES (1), (2)) AS w(n) "
        "CROSS JOIN LATERAL generate_series(1, char_length(r.name) - w.n + 1) AS p(i)",
        "ALTER TABLE entity_name_grams ADD CONSTRAINT pk_entity_name_grams "
        "PRIMARY KEY (gram, name_id)",
        f"ALTER TABLE entity_names ENABLE TRIGGER {_GRAMS_TRIGGER}",
    ),
    (f"ALTER TABLE entity_names DISABLE TRIGGER {_GRAMS_TRIGGER}",),
)


def structures(conn: Connection) -> list[Structure]:
    """The structures :func:`suspend` drops on this connection's database."""
    dialect = conn.dialect
    found: list[Structure] = []
    for table in TABLES:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            if isinstance(index, Index) and not index.unique:
                found.append(
                    Structure(
                        str(index.name),
                        "index",
                        (str(CreateIndex(index).compile(dialect=dialect)).strip(),),
                        (str(DropIndex(index, if_exists=True).compile(dialect=dialect)).strip(),),
                    )
                )
    if dialect.name != "postgresql":
        # SQLite checks a foreign key by the referenced table's primary key, which stays;
        # its constraints cannot be dropped without rebuilding the table anyway.
        return found
    found.append(Structure(_TRGM, "index", (_TRGM_DDL,), (f"DROP INDEX IF EXISTS {_TRGM}",)))
    found.append(_GRAMS)
    for table in TABLES:
        for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name)):
            if isinstance(fk, ForeignKeyConstraint):
                drop = DropConstraint(fk, if_exists=True)
                found.append(
                    Structure(
                        str(fk.name),
                        "foreign_key",
                        (str(AddConstraint(fk).compile(dialect=dialect)).strip(),),
                        (str(drop.compile(dialect=dialect)).strip(),),
                    )
                )
    return found


def present(conn: Connection) -> set[str]:
    """Names of the indexes and foreign keys that the database has now."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "UNION ALL SELECT conname FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = current_schema() AND c.contype = 'f' "
                "UNION ALL SELECT t.tgname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
        )
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    return {str(name) for (name,) in rows}


def missing(conn: Connection) -> list[Structure]:
    """The deferrable structures that are not there (a load is running, or was killed)."""
    have = present(conn)
    return [s for s in structures(conn) if s.name not in have]


def suspend(conn: Connection) -> list[Structure]:
    """Drop the deferrable structures (in the caller's transaction); returns them."""
    dropped = [s for s in reversed(structures(conn)) if s.name in present(conn)]
    for structure in dropped:
        for statement in structure.drop:
            conn.execute(text(statement))
    return dropped


def restore(conn: Connection) -> list[Structure]:
    """Build the deferrable structures that are missing (in the caller's transaction);
    returns what it built. A foreign key that some row breaks raises, and nothing of this
    call's transaction is kept."""
    built = missing(conn)
    for structure in built:
        for statement in structure.create:
            conn.execute(text(statement))
    return built
