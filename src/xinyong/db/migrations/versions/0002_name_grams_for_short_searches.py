"""Name search for 1 and 2 characters.

On SQLite: an FTS5 index whose tokens are the names' single characters, filled by the store
in bulk. On PostgreSQL: a table of each name's characters and bigrams, kept by triggers.

Trigram indexes (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) cannot serve a query of
fewer than 3 characters: without this table such a search scans every name, which takes
hundreds of milliseconds at a million entities. ``entity_name_grams`` holds, for each row
of ``entity_names``, every distinct single character and every distinct pair of adjacent
characters of ``lower(name)``. Its primary key ``(gram, name_id)`` answers "names holding
'海', in name order, after name id N" with one ordered index range, however common or rare
the gram is.

Triggers keep it in step with ``entity_names`` (as the FTS5 triggers of 0001 do), so every
way of writing names, the bulk loader's ``COPY`` included, maintains it. On SQLite the
triggers are per row and take the positions 1..512 (the longest name) from the small table
``entity_name_positions``; on PostgreSQL they are per statement, over transition tables, so
that a bulk ``COPY`` indexes all its rows in one ``INSERT ... SELECT``, and ``TRUNCATE
entity_names`` empties the grams too. The SQLite trigger costs about 55 us per new name
(a set-based ``INSERT ... SELECT`` after each write, like the store's FTS5 indexing, would
take about 32 us); names are written once per subject and variant, not per record.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MAX_NAME = 512  # entity_names.name is String(512)


# ---- SQLite ----------------------------------------------------------------------------


def _upgrade_sqlite() -> None:
    # A contentless FTS5 table whose tokens are the single characters of each name
    # (``xy_spaced`` puts a space between them: xinyong.db.engine.spaced_chars). A phrase
    # query of one or two characters is then one ordered posting list, however common the
    # characters. The store fills it in bulk with the FTS5 trigram index
    # (xinyong.store.repository.index_new_names); names are never deleted.
    op.execute(
        "CREATE VIRTUAL TABLE entity_name_chars USING fts5("
        "chars, content='', tokenize='unicode61', columnsize=0)"
    )
    op.execute(
        "INSERT INTO entity_name_chars (rowid, chars) SELECT id, xy_spaced(name) FROM entity_names"
    )


def _downgrade_sqlite() -> None:
    op.execute("DROP TABLE IF EXISTS entity_name_chars")


# ---- PostgreSQL --------------------------------------------------------------------------


def _pg_grams(rows: str) -> str:
    """SELECT DISTINCT (gram, name id) for the names in the table or transition ``rows``."""
    return (
        "SELECT DISTINCT substr(lower(r.name), p.i, w.n) AS gram, r.id AS name_id "
        f"FROM {rows} r CROSS JOIN (VALUES (1), (2)) AS w(n) "
        "CROSS JOIN LATERAL generate_series(1, char_length(r.name) - w.n + 1) AS p(i)"
    )


def _pg_insert(rows: str, *, new_names_only: bool = False) -> str:
    """Insert the grams of ``rows``. Names just inserted have no grams yet: their insert
    needs no conflict check (speculative insertion doubled its cost) and goes in key order,
    which keeps the B-tree writes local."""
    if new_names_only:
        return f"INSERT INTO entity_name_grams (gram, name_id) {_pg_grams(rows)} ORDER BY 1, 2"
    return f"INSERT INTO entity_name_grams (gram, name_id) {_pg_grams(rows)} ON CONFLICT DO NOTHING"


def _pg_delete(rows: str) -> str:
    return (
        f"DELETE FROM entity_name_grams g USING ({_pg_grams(rows)}) o "
        "WHERE g.gram = o.gram AND g.name_id = o.name_id"
    )


def _pg_trigger(name: str, event: str, referencing: str, body: str) -> None:
    op.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body}; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {name} AFTER {event} ON entity_names {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )


def _upgrade_postgresql() -> None:
    op.execute(
        "CREATE TABLE entity_name_grams ("
        'gram text COLLATE "C" NOT NULL, name_id integer NOT NULL, '
        "CONSTRAINT pk_entity_name_grams PRIMARY KEY (gram, name_id))"
    )
    _pg_trigger(
        "entity_name_grams_ai",
        "INSERT",
        "REFERENCING NEW TABLE AS new_names",
        _pg_insert("new_names", new_names_only=True),
    )
    _pg_trigger(
        "entity_name_grams_ad",
        "DELETE",
        "REFERENCING OLD TABLE AS old_names",
        _pg_delete("old_names"),
    )
    _pg_trigger(
        "entity_name_grams_au",
        "UPDATE",
        "REFERENCING OLD TABLE AS old_names NEW TABLE AS new_names",
        f"{_pg_delete('old_names')}; {_pg_insert('new_names')}",
    )
    _pg_trigger("entity_name_grams_at", "TRUNCATE", "", "TRUNCATE entity_name_grams")
    # the names written before this migration
    op.execute(_pg_insert("entity_names"))


def _downgrade_postgresql() -> None:
    for name in ("at", "au", "ad", "ai"):
        op.execute(f"DROP TRIGGER IF EXISTS entity_name_grams_{name} ON entity_names")
        op.execute(f"DROP FUNCTION IF EXISTS entity_name_grams_{name}()")
    op.execute("DROP TABLE IF EXISTS entity_name_grams")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
    else:
        _downgrade_postgresql()
