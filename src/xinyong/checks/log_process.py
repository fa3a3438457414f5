"""The check log's writer process: group commit, away from the request handlers' GIL.

:class:`xinyong.checks.log_writer.CheckLogWriter` starts :func:`serve` in a process of its
own and sends it every check to log, in order, as one message ``(head, results)``. The
process takes everything that has queued up (at most :data:`MAX_BATCH` checks), writes it
in one transaction with :func:`xinyong.checks.repository.log_checks`, commits (on SQLite
with ``synchronous=FULL``: flushed to disk) and only then acknowledges, with the number of
messages committed so far: ``("committed", n)``. A failed transaction is acknowledged as
``("failed", n, message)``: none of its checks may be answered.

Why a process: in one process, the writer thread and the event loop took turns at the
GIL for every row bound and every statement stepped, and each waited for the other; a
single-subject check then cost the event loop 0.39 ms instead of 0.28 ms, and the writer
thread another 0.2 ms (docs/benchmarks.md, 2026-12-06).

The process ends when it receives ``None`` or when the parent's end of the pipe closes,
after committing what it has. It ignores SIGINT: Ctrl-C in a terminal reaches the whole
process group, and the parent, not the signal, decides when the log is complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection as Pipe
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from xinyong.checks import repository as repo
from xinyong.db.engine import WRITER_OPTION, make_engine

#: At most this many checks go into one commit.
MAX_BATCH = 2000
#: On SQLite, the writer checkpoints the write-ahead log itself once this many rows were
#: committed since it last did, after the commit was acknowledged (the automatic
#: checkpoint would run inside the commit, while the requests wait: after a bulk check,
#: copying its 10 MB into the database and flushing it took a third of its time).
CHECKPOINT_ROWS = 20_000
#: Under load, commits are at least this far apart (seconds); a check that arrives after a
#: quiet spell is committed at once. Every commit makes the readers' SQLite page caches
#: stale, and a commit costs the writer as much as twenty checks: committing as often as
#: possible (about every 1.5 ms at 2,500 checks/s) cost the event loop 0.1 ms per check
#: (docs/benchmarks.md, 2026-12-06). Under load a check waits at most this much longer.
COMMIT_INTERVAL = 0.005

#: The message that ends the process.
STOP = b"stop"

Message = tuple[dict[str, Any], list[tuple[Any, ...]]]


def serve(url: str, requests: Pipe, acks: Pipe) -> None:
    """The process's main function: log what arrives on ``requests``, acknowledge on
    ``acks``, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = make_engine(url)
    conn: Connection | None = None
    received = 0  # messages received so far: the sequence number of the last one
    unchecked = 0  # rows committed since the last checkpoint
    stopping = False
    last_commit = 0.0
    try:
        while not stopping:
            first = _receive(requests)
            if first is None:
                break
            pause = last_commit + COMMIT_INTERVAL - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            last_commit = time.monotonic()
            batch = [first]
            while len(batch) < MAX_BATCH and requests.poll():
                item = _receive(requests)
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            received += len(batch)
            try:
                conn = conn or _connect(engine)
                with conn.begin():
                    repo.log_checks(conn, [h for h, _ in batch], [r for _, rs in batch for r in rs])
            except Exception as exc:  # every check of the batch fails, none is answered
                acks.send(("failed", received, f"{type(exc).__name__}: {exc}"))
                if conn is not None:
                    _close(conn)
                conn = None
                continue
            acks.send(("committed", received))
            unchecked += sum(len(rs) + 2 for _, rs in batch)
            if unchecked >= CHECKPOINT_ROWS:
                _checkpoint(conn)
                unchecked = 0
    finally:
        if conn is not None:
            _checkpoint(conn)
            _close(conn)
        engine.dispose()
        with contextlib.suppress(OSError):
            acks.send(("stopped", received))


def encode(head: dict[str, Any], results: Sequence[tuple[Any, ...]]) -> bytes:
    """One check as the process receives it: JSON (orjson: a few hundred nanoseconds for a
    single-subject check; pickle took 12 µs, most of it for the timestamp's time zone)."""
    return orjson.dumps((head, results))


def _receive(requests: Pipe) -> Message | None:
    """The next check; ``None`` to stop, also when the parent has gone."""
    try:
        data = requests.recv_bytes()
    except (EOFError, OSError):
        return None
    if data == STOP:
        return None
    head, results = orjson.loads(data)
    head["at"] = dt.datetime.fromisoformat(head["at"])
    head["on_date"] = dt.date.fromisoformat(head["on_date"])
    return head, [tuple(r) for r in results]


def _connect(engine: Engine) -> Connection:
    conn = engine.connect()
    conn.execution_options(**{WRITER_OPTION: True})
    if conn.dialect.name == "sqlite":
        # Outside any transaction (the driver connection runs in autocommit mode).
        raw: Any = conn.connection.driver_connection
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def _close(conn: Connection) -> None:
    with contextlib.suppress(Exception):
        conn.close()


def _checkpoint(conn: Connection) -> None:
    """Copy the write-ahead log into the database (never waiting for readers)."""
    if conn.dialect.name == "sqlite":
        with contextlib.suppress(Exception):  # the next one will do it
            raw: Any = conn.connection.driver_connection
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
