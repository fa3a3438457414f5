"""Group commit for the check log: every check is committed before its answer is sent.

Checks arrive thousands a second. Committing each one in its own transaction would make
every request wait for the database's write lock (SQLite has one writer) and for its own
flush to disk. Instead, requests hand their log rows to one writer thread and wait; the
writer takes everything that has queued up, writes it in one transaction, commits (on
SQLite with ``synchronous=FULL``: flushed to disk), and only then releases the waiting
requests. Under load one commit carries hundreds of checks; alone, a check waits for one
commit. A failed commit fails every request in it, so no answer is ever sent for a check
that was not logged. Each check's ``check.logged`` audit entry is appended in the same
transaction (:func:`xinyong.checks.repository.log_checks`): one append per commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from xinyong.checks import repository as repo
from xinyong.db.engine import WRITER_OPTION

#: At most this many checks go into one commit.
MAX_BATCH = 2000
#: On SQLite, the writer checkpoints the write-ahead log itself once this many rows were
#: committed since it last did, after the requests of the commit have been released (the
#: automatic checkpoint would run inside the commit, while they wait: after a bulk check,
#: copying its 10 MB into the database and flushing it took a third of its time).
CHECKPOINT_ROWS = 20_000

Rows = Sequence[tuple[Any, ...]]
T = TypeVar("T")


@dataclass
class _Pending:
    head: dict[str, Any]
    results: Rows
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


class CheckLogWriter:
    """One writer thread per process; :meth:`write` is awaited by request handlers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.commits = 0
        self.checks = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="xinyong-check-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None

    async def write(self, head: dict[str, Any], results: Rows) -> None:
        """Log one check; returns once it is committed."""
        await self.submit(head, results)

    def submit(
        self,
        head: dict[str, Any],
        results: Rows,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> asyncio.Future[None]:
        """Queue one check for the next commit: the future (of ``loop``, by default the
        running one) is done once it is committed. May be called from another thread when
        ``loop`` is given: the caller can make its answer while the log is written."""
        self.start()  # started by the app's lifespan; here too for apps run without one
        loop = loop or asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(head, results, loop, done))
        return done

    # ---- the writer thread -------------------------------------------------------------

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        conn.execution_options(**{WRITER_OPTION: True})
        if conn.dialect.name == "sqlite":
            # Outside any transaction (the driver connection runs in autocommit mode).
            raw: Any = conn.connection.driver_connection
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _close(self, conn: Connection) -> None:
        """Give the connection back as the pool handed it out."""
        if conn.dialect.name == "sqlite":
            with contextlib.suppress(Exception):
                raw: Any = conn.connection.driver_connection
                raw.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default
                raw.execute("PRAGMA synchronous=NORMAL")  # as xinyong.db.engine sets it
        conn.close()

    @staticmethod
    def _checkpoint(conn: Connection) -> None:
        """Copy the write-ahead log into the database (never waiting for readers)."""
        if conn.dialect.name == "sqlite":
            with contextlib.suppress(Exception):  # the next one will do it
                raw: Any = conn.connection.driver_connection
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _run(self) -> None:
        conn: Connection | None = None
        stopping = False
        unchecked = 0  # rows committed since the last checkpoint
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            results = [r for p in batch for r in p.results]
            try:
                conn = conn or self._connect()
                with conn.begin():
                    repo.log_checks(conn, [p.head for p in batch], results)
            except Exception as exc:  # every waiting request learns its check failed
                for p in batch:
                    p.loop.call_soon_threadsafe(_fail, p.done, exc)
                if conn is not None:
                    self._close(conn)
                conn = None
                continue
            self.commits += 1
            self.checks += len(batch)
            for p in batch:
                p.loop.call_soon_threadsafe(_succeed, p.done)
            unchecked += len(results) + 2 * len(batch)
            if unchecked >= CHECKPOINT_ROWS:
                self._checkpoint(conn)
                unchecked = 0
        if conn is not None:
            self._checkpoint(conn)
            self._close(conn)


class LoopReader:
    """One connection for the small checks that run on the event loop: no pool checkout
    and no ``BEGIN`` per check (each statement reads the latest commit; a check reads the
    data version first and only entries of that version, so it stays consistent).

    Only the event loop's thread uses it, one check at a time. A broken connection is
    dropped and opened anew on the next check.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def run(self, work: Callable[[Connection], T]) -> T:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return work(self._conn)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _succeed(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


def _fail(done: asyncio.Future[None], exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)
