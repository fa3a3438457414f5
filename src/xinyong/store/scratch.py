"""Scratch staging: an import's validating process stages the rows it validated itself.

A large import's rows reach the store in two hops: the validating process
(:class:`xinyong.ingest.workers.ProcessValidator`) checks a chunk, and the writing process
puts it into its staging tables (:func:`xinyong.store.repository.stage`), binding every
value from Python, then resolves subjects and adds versions from there. The first hop's
result used to travel back as a pickled frame, and the second cost the writer about as
much as all its statements on records.

With a scratch area (:func:`open_area`, owned by the validator), the validating process
writes each chunk's staging rows itself, on its own core (:func:`put`: a ``staging`` and a
``latest`` table with the columns of the store's staging tables), and sends back only
where they are (:class:`Scratch`). The writer reads them in place, in the same statements
as its own staging tables (:func:`staged_at`):

- **SQLite**: a file per chunk in a folder beside the store, which the writer attaches
  for the chunk's transaction (:func:`attachments`) and removes once the chunk is
  committed (:func:`discard`). Both processes open the files with Python's own
  ``sqlite3``, never another SQLite library, and never while the other writes them.
- **PostgreSQL**: two unlogged tables per chunk, written with ``COPY`` on the validating
  process's own connection (so the server copies one chunk while the writer's statements
  run on the previous one) and dropped in the chunk's own transaction (:func:`finish`).

What a killed import leaves behind is removed by the next one: a folder is named after
its process id; the tables of an area are named after a token whose advisory lock the
area's owner holds while it lives (:func:`open_area` drops the tables of tokens nobody
holds). Closing an area removes what is left of its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from xinyong.db.bulk import bulk_insert
from xinyong.db.engine import make_engine, writing
from xinyong.store import repository as repo
from xinyong.store.service import Staging

#: The schema name under which the writer attaches a scratch file.
SCHEMA = "xy_scratch"
#: Scratch folders are named ``<PREFIX><process id>-<random>``, beside the store's file.
PREFIX = ".xinyong-staging-"
#: PostgreSQL scratch tables are named ``<TABLE_PREFIX><token>_<chunk>_staging`` (and
#: ``_latest``); the token's advisory lock is held by the area's owner, under this class.
TABLE_PREFIX = "xy_scratch_"
_LOCK_CLASS = 0x5859  # "XY"
#: Where the writer reads a SQLite chunk's staged rows: in the file attached as SCHEMA.
STAGED = repo.in_schema(SCHEMA)


@dataclass(frozen=True)
class Place:
    """Where a validating process stages chunks (sent to it): a SQLite ``folder``, or a
    PostgreSQL ``url`` and the area's ``token``."""

    folder: str | None = None
    url: str | None = None
    token: str = ""


@dataclass(frozen=True)
class Scratch:
    """One chunk's staged rows: a SQLite file's path, or the prefix of two PostgreSQL
    tables (what the validating process sends back)."""

    where: str
    height: int
    has_persons: bool
    postgresql: bool = False


class Area:
    """A validator's scratch area, in the process that owns the validator."""

    def __init__(self, place: Place, keeper: Connection | None = None) -> None:
        self.place = place
        self._keeper = keeper  # PostgreSQL: the connection that holds the token's lock

    def close(self) -> None:
        """Remove what is left (chunks validated but not written), let go of the token."""
        if self.place.folder is not None:
            shutil.rmtree(self.place.folder, ignore_errors=True)
        if self._keeper is not None:
            keeper, self._keeper = self._keeper, None
            try:
                _drop_tables(keeper, self.place.token)
                keeper.execute(
                    text("SELECT pg_advisory_unlock(:c, :k)"),
                    {"c": _LOCK_CLASS, "k": _key(self.place.token)},
                )
            except Exception:
                keeper.invalidate()  # its session ends, and the lock with it
            keeper.close()


def open_area(engine: Engine) -> Area | None:
    """A scratch area for a validator of imports into ``engine``'s store, after removing
    those of imports that are gone; ``None`` for in-memory SQLite (nowhere to put it)."""
    if engine.dialect.name == "postgresql":
        keeper = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        token = secrets.token_hex(4)
        keeper.execute(
            text("SELECT pg_advisory_lock(:c, :k)"), {"c": _LOCK_CLASS, "k": _key(token)}
        )
        _drop_abandoned(keeper, token)
        url = engine.url.render_as_string(hide_password=False)
        return Area(Place(url=url, token=token), keeper)
    # beside the SQLite file: on the same file system as the store, sized for the data
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Area(Place(folder=str(scratch_folder(Path(database).resolve().parent))))


def scratch_folder(beside: Path) -> Path:
    """A new scratch folder in ``beside``, after removing those of import processes that
    are gone (killed imports leave theirs)."""
    for old in beside.glob(f"{PREFIX}*"):
        pid = old.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=beside))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _key(token: str) -> int:
    return int(token, 16) & 0x7FFFFFFF


def _tables(conn: Connection, token: str = "") -> list[str]:
    pattern = (TABLE_PREFIX + token).replace("_", r"\_") + "%"
    rows = conn.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE :pattern"
        ),
        {"pattern": pattern},
    )
    return [str(r[0]) for r in rows]


def _drop_tables(conn: Connection, token: str) -> None:
    for table in _tables(conn, token):
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


def _drop_abandoned(keeper: Connection, own: str) -> None:
    """Drop the scratch tables of tokens whose lock nobody holds (killed imports')."""
    tokens = {t[len(TABLE_PREFIX) :].split("_", 1)[0] for t in _tables(keeper)} - {own}
    for token in sorted(tokens):
        key = {"c": _LOCK_CLASS, "k": _key(token)}
        if keeper.execute(text("SELECT pg_try_advisory_lock(:c, :k)"), key).scalar_one():
            _drop_tables(keeper, token)
            keeper.execute(text("SELECT pg_advisory_unlock(:c, :k)"), key)


# ---- in the validating process ---------------------------------------------------------


def put(place: Place, staging: Staging) -> Scratch:
    """Write ``staging`` to a new scratch file or pair of tables of ``place``."""
    if place.url is not None:
        return _put_postgresql(place, staging)
    assert place.folder is not None
    return _put_sqlite(Path(place.folder), staging)


def _put_sqlite(folder: Path, staging: Staging) -> Scratch:
    """No journal and no flushes: the file is of use only to the import that wrote it,
    and a crash loses nothing that the store had."""
    path = folder / f"chunk-{uuid.uuid4().hex}.db"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("BEGIN")
        for table, body, columns, frame, _ in _tables_of(staging):
            con.execute(f"CREATE TABLE {table} {body}")
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            con.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", frame.iter_rows())
        con.execute("COMMIT")
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        raise
    con.close()
    return Scratch(str(path), staging.height, staging.has_persons)


_engines: dict[str, Engine] = {}


def _put_postgresql(place: Place, staging: Staging) -> Scratch:
    """Unlogged tables (nothing to replay after a crash: they are emptied, and the chunk
    is validated again by the re-run), analysed on their join columns for the writer's
    plans."""
    assert place.url is not None
    engine = _engines.get(place.url)
    if engine is None:
        engine = _engines[place.url] = make_engine(place.url)
    prefix = f"{TABLE_PREFIX}{place.token}_{uuid.uuid4().hex[:12]}"
    with writing(engine) as conn:
        for table, body, columns, frame, source in _tables_of(staging):
            name = f"{prefix}_{table}"
            conn.execute(text(f"CREATE UNLOGGED TABLE {name} {body}"))
            bulk_insert(conn, name, columns, frame.rows())
            conn.execute(text(f"ANALYZE {name} {repo.ANALYZED[source]}"))
    return Scratch(prefix, staging.height, staging.has_persons, postgresql=True)


def _tables_of(staging: Staging) -> tuple[tuple[str, str, tuple[str, ...], Any, str], ...]:
    """Per scratch table: its name, columns' DDL, columns, rows, and the staging table of
    the writer's that it stands for."""
    return (
        ("staging", repo.STAGING_BODY, repo.STAGING_COLUMNS, staging.staged, repo.STAGING),
        ("latest", repo.LATEST_BODY, repo.LATEST_COLUMNS, staging.latest, repo.LATEST),
    )


# ---- in the writing process -------------------------------------------------------------


def attachments(scratch: Scratch | None) -> dict[str, str] | None:
    """What :func:`xinyong.db.engine.writing` attaches for a chunk staged in ``scratch``."""
    if scratch is None or scratch.postgresql:
        return None
    return {SCHEMA: scratch.where}


def staged_at(scratch: Scratch) -> repo.Staged:
    """Where the writer reads the chunk's staged rows, in place."""
    if scratch.postgresql:
        return repo.Staged(f"{scratch.where}_staging", f"{scratch.where}_latest")
    return STAGED


def finish(conn: Connection, scratch: Scratch) -> None:
    """In the chunk's transaction, once written: drop PostgreSQL's tables (so they go
    with the commit, and stay for the area to drop if it fails)."""
    if scratch.postgresql:
        for table in ("staging", "latest"):
            conn.execute(text(f"DROP TABLE {scratch.where}_{table}"))


def discard(scratch: Scratch | None) -> None:
    """After the chunk's transaction: remove a SQLite scratch file."""
    if scratch is not None and not scratch.postgresql:
        with contextlib.suppress(OSError):
            os.unlink(scratch.where)
