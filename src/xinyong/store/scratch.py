"""Scratch files: an import's validating process stages the rows it validated itself.

On SQLite, a large import's rows reach the store in two hops: the validating process
(:class:`xinyong.ingest.workers.ProcessValidator`) checks a chunk, and the writing process
puts it into its staging tables (:func:`xinyong.store.repository.stage`), binding every
value from Python, then resolves subjects and adds versions from there. The first hop's
result used to travel back as a pickled frame, and the second cost the writer about as
much as all its statements on records.

With a scratch folder, the validating process writes each chunk's staging rows into a
SQLite file of its own (:func:`put`: a ``staging`` and a ``latest`` table, the columns of
the store's staging tables) on its own core, and sends back only the file's name. The
writer attaches the file and reads its two tables where it would read its own staging
tables (:data:`STAGED`), in the same statements. A file is read by one writer once and
removed after its chunk is committed (:func:`discard`); the folder is removed when the
validating process closes, and a folder left behind by a killed import (its process id is
in the name) by the next one (:func:`scratch_folder`).

The scratch files are opened by Python's own ``sqlite3`` in both processes, never by
another SQLite library, and never while the other process writes them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from xinyong.store import repository as repo
from xinyong.store.service import Staging

#: The schema name under which the writer attaches a scratch file.
SCHEMA = "xy_scratch"
#: Scratch folders are named ``<PREFIX><process id>-<random>``, beside the store's file.
PREFIX = ".xinyong-staging-"


@dataclass(frozen=True)
class Scratch:
    """One chunk's staged rows in a scratch file: what the validating process sends back."""

    path: str
    height: int
    has_persons: bool


def folder_for(engine: Engine) -> Path | None:
    """Where an import into ``engine``'s store can keep scratch files: beside the SQLite
    file (on the same file system as the store, which is sized for the data). ``None``
    for PostgreSQL and in-memory SQLite: they stage as before."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().parent


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


def put(folder: Path, staging: Staging) -> Scratch:
    """Write ``staging`` into a new scratch file in ``folder`` (in the validating process).

    No journal and no flushes: the file is of use only to the import that wrote it, and a
    crash loses nothing that the store had."""
    path = folder / f"chunk-{uuid.uuid4().hex}.db"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("BEGIN")
        for table, body, columns, frame in (
            ("staging", repo.STAGING_BODY, repo.STAGING_COLUMNS, staging.staged),
            ("latest", repo.LATEST_BODY, repo.LATEST_COLUMNS, staging.latest),
        ):
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


def attachments(scratch: Scratch | None) -> dict[str, str] | None:
    """What :func:`xinyong.db.engine.writing` attaches for a chunk staged in ``scratch``."""
    return None if scratch is None else {SCHEMA: scratch.path}


#: Where the writer reads a chunk's staged rows: in the scratch file attached as
#: :data:`SCHEMA` (read in place, not copied).
STAGED = repo.in_schema(SCHEMA)


def discard(scratch: Scratch | None) -> None:
    """Remove a scratch file once its chunk is written (or will not be)."""
    if scratch is not None:
        with contextlib.suppress(OSError):
            os.unlink(scratch.path)
