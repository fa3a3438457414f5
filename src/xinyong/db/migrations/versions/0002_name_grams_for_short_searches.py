"""Name search for 1 and 2 characters: a table of each name's characters and bigrams.

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


def _sqlite_grams(row: str, source: str = "entity_name_positions p") -> str:
    """SELECT (gram, name id) for the names in ``row`` (``new``, ``old`` or a table alias)."""
    return (
        f"SELECT substr(lower({row}.name), p.i, 1) AS gram, {row}.id AS name_id FROM {source} "
        f"WHERE p.i <= length({row}.name) "
        "UNION ALL "  # INSERT OR IGNORE drops the repeats
        f"SELECT substr(lower({row}.name), p.i, 2), {row}.id FROM {source} "
        f"WHERE p.i < length({row}.name)"
    )


def _sqlite_insert(row: str) -> str:
    return f"INSERT OR IGNORE INTO entity_name_grams (gram, name_id) {_sqlite_grams(row)}"


def _sqlite_delete(row: str) -> str:
    return (
        f"DELETE FROM entity_name_grams WHERE name_id = {row}.id "
        f"AND gram IN (SELECT gram FROM ({_sqlite_grams(row)}))"
    )


def _upgrade_sqlite() -> None:
    op.execute("CREATE TABLE entity_name_positions (i INTEGER PRIMARY KEY NOT NULL)")
    op.execute(
        "INSERT INTO entity_name_positions (i) SELECT i FROM (WITH RECURSIVE n(i) AS "
        f"(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MAX_NAME}) SELECT i FROM n)"
    )
    op.execute(
        "CREATE TABLE entity_name_grams ("
        "gram TEXT NOT NULL, name_id INTEGER NOT NULL, "
        "CONSTRAINT pk_entity_name_grams PRIMARY KEY (gram, name_id)) WITHOUT ROWID"
    )
    op.execute(
        "CREATE TRIGGER entity_name_grams_ai AFTER INSERT ON entity_names "
        f"BEGIN {_sqlite_insert('new')}; END"
    )
    op.execute(
        "CREATE TRIGGER entity_name_grams_ad AFTER DELETE ON entity_names "
        f"BEGIN {_sqlite_delete('old')}; END"
    )
    op.execute(
        "CREATE TRIGGER entity_name_grams_au AFTER UPDATE OF name ON entity_names "
        f"BEGIN {_sqlite_delete('old')}; {_sqlite_insert('new')}; END"
    )
    # the names written before this migration
    op.execute(
        "INSERT OR IGNORE INTO entity_name_grams (gram, name_id) "
        + _sqlite_grams("n", "entity_names n JOIN entity_name_positions p")
    )


def _downgrade_sqlite() -> None:
    for trigger in ("entity_name_grams_au", "entity_name_grams_ad", "entity_name_grams_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS entity_name_grams")
    op.execute("DROP TABLE IF EXISTS entity_name_positions")


# ---- PostgreSQL --------------------------------------------------------------------------


def _pg_grams(rows: str) -> str:
    """SELECT DISTINCT (gram, name id) for the names in the table or transition ``rows``."""
    return (
        "SELECT DISTINCT substr(lower(r.name), p.i, w.n) AS gram, r.id AS name_id "
        f"FROM {rows} r CROSS JOIN (VALUES (1), (2)) AS w(n) "
        "CROSS JOIN LATERAL generate_series(1, char_length(r.name) - w.n + 1) AS p(i)"
    )


def _pg_insert(rows: str) -> str:
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
        _pg_insert("new_names"),
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
