"""The check log's writer process: group commit, away from the request handlers' GIL.

:class:`xinyong.checks.log_writer.CheckLogWriter` starts :func:`serve` in a process of its
own and sends it, in order, what to log:

- ``("check", head, results)``: a whole check (the checks of a few subjects);
- a part (:data:`PART`: ``check_id``, ``head`` or None, ``rows``): some of the
  decisions of a big check, sent as soon as they are made, so that the process writes
  them while the rest are decided; the first part carries the check's row;
- ``("end", check_id, head, n)``: the big check is complete: ``head`` with its final
  counts, ``n`` the decisions sent in its parts (the process refuses the check if it wrote
  another number);
- ``("abort", check_id)``: the big check will not be answered; its rows are removed from
  the open transaction (they are never committed).

Whole checks and ends are numbered in the order they arrive. The process writes what
arrives into one open transaction and commits it (on SQLite with ``synchronous=FULL``:
flushed to disk) once no big check is half-written, at most every
:data:`COMMIT_INTERVAL` under load, and only then acknowledges, by number:
``("committed", n)`` releases every check up to the n-th, ``("failed", n, message)``
fails them (none of them may be answered). A transaction that fails fails every check in
it, and the big checks it held half-written fail when their end arrives.

Why a process: in one process, the writer thread and the event loop took turns at the
GIL for every row bound and every statement stepped, and each waited for the other; a
single-subject check then cost the event loop 0.39 ms instead of 0.28 ms, and the writer
thread another 0.2 ms (docs/benchmarks.md, 2026-12-06). And a big check's log is written
on the other core while its decisions are still being made.

The process ends when it receives :data:`STOP` or when the parent's end of the pipe
closes, after removing half-written big checks and committing the rest. It ignores
SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent, not the
signal, decides when the log is complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection as Pipe
from multiprocessing.connection import Listener, wait
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from xinyong.checks import repository as repo
from xinyong.db.engine import WRITER_OPTION, make_engine

#: Under load, a commit is made once about this many messages have been read (sooner when
#: nothing more is waiting; later only while a big check is half-written).
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

Message = tuple[Any, ...]


def serve(url: str, requests: Pipe, acks: Pipe) -> None:
    """The process of one server process: log what arrives on ``requests``, acknowledge
    on ``acks``, until told to stop (or the parent has gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    only = _Client(requests, acks)
    _run(_Log(make_engine(url)), [only], None)


def serve_shared(url: str, address: str, ready: Pipe) -> None:
    """The process that several server processes share (``xinyong serve --workers N``):
    each connects to the Unix socket ``address`` and logs through it as through
    :func:`serve`'s pipes; one transaction, one writer for the database (on SQLite the
    workers' own writers would queue for its write lock). A client's :data:`STOP` ends
    only that client. Runs until SIGTERM, then commits what it has. Says ``"ready"`` on
    ``ready`` once it listens."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    listener = Listener(address, family="AF_UNIX")
    try:
        ready.send("ready")
        ready.close()
        _run(_Log(make_engine(url)), [], listener, stop)
    finally:
        listener.close()


def _run(
    log: _Log,
    clients: list[_Client],
    listener: Listener | None,
    stop: threading.Event | None = None,
) -> None:
    """Read, write and commit until the clients have gone (with a ``listener``: until
    ``stop`` is set). Under load a commit carries everything that arrived within
    :data:`COMMIT_INTERVAL`; a big check half-written keeps the transaction open."""
    waitables: dict[Any, Any] = {}
    if listener is not None:
        waitables[_listening_socket(listener)] = listener
    for c in clients:
        waitables[c.requests] = c
    try:
        while (stop is not None and not stop.is_set()) or any(
            isinstance(w, _Client) for w in waitables.values()
        ):
            try:
                ready = wait(list(waitables), timeout=0.5 if listener is not None else None)
            except InterruptedError:  # a signal
                continue
            if not ready:
                continue
            _read(log, waitables, ready, listener)
            if log.pending:  # a big check is being written: go on reading its parts
                continue
            pause = log.last_commit + COMMIT_INTERVAL - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            taken = 0
            while taken < MAX_BATCH and (more := wait(list(waitables), timeout=0)):
                read = _read(log, waitables, more, listener)
                if not read:
                    break
                taken += read
            if not log.pending:
                log.flush()
    finally:
        log.leaving += [w for w in waitables.values() if isinstance(w, _Client)]
        log.close()


def _read(log: _Log, waitables: dict[Any, Any], ready: list[Any], listener: Listener | None) -> int:
    """What each ready client has sent (and new clients): how many messages were read."""
    read = 0
    for key in ready:
        found = waitables.get(key)
        if found is listener and listener is not None:
            accepted = listener.accept()
            waitables[accepted] = _Client(accepted, accepted)
            continue
        client = found
        assert isinstance(client, _Client)
        for _ in range(MAX_BATCH):  # everything it has sent so far
            message = _receive(client.requests)
            if message is None:  # STOP, or the client has gone: told once its checks settle
                del waitables[key]
                log.leave(client)
                break
            log.handle(client, message)
            read += 1
            if not client.requests.poll():
                break
    return read


def _listening_socket(listener: Listener) -> Any:
    """The socket under a :class:`~multiprocessing.connection.Listener`, to wait on."""
    return listener._listener._socket  # type: ignore[attr-defined]


class _Client:
    """One server process's connection: the checks it sent since the last
    acknowledgement, and their outcomes (None: to be committed, or why they failed)."""

    def __init__(self, requests: Pipe, acks: Pipe) -> None:
        self.requests = requests
        self.acks = acks
        self.received = 0  # checks and ends received: the number of the last one
        self.acked = 0
        self.outcomes: list[str | None] = []
        self.gone = False

    def count(self, outcome: str | None) -> None:
        self.received += 1
        self.outcomes.append(outcome)

    def acknowledge(self) -> None:
        """One acknowledgement per run of checks with the same outcome, in order."""
        outcomes, self.outcomes = self.outcomes, []
        for i, outcome in enumerate(outcomes):
            if i + 1 == len(outcomes) or outcomes[i + 1] != outcome:
                through = self.acked + i + 1
                with contextlib.suppress(OSError):
                    if outcome is None:
                        self.acks.send(("committed", through))
                    else:
                        self.acks.send(("failed", through, outcome))
        self.acked = self.received

    def stopped(self) -> None:
        """Tell the client everything it sent is settled, and let go of it."""
        if self.gone:
            return
        self.gone = True
        with contextlib.suppress(OSError):
            self.acks.send(("stopped", self.received))
        with contextlib.suppress(OSError):
            self.requests.close()
        if self.acks is not self.requests:
            with contextlib.suppress(OSError):
                self.acks.close()


class _Log:
    """The open transaction and the checks in it that wait for their commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        self.tx: Any = None  # the open transaction, if any
        self.clients: set[_Client] = set()  # those with checks since the last commit
        #: big checks half-written in the open transaction: check id -> (client,
        #: decisions written)
        self.pending: dict[str, tuple[_Client, int]] = {}
        #: big checks whose parts were lost with a failed transaction
        self.doomed: set[str] = set()
        #: whole checks received since the last commit, written together before it
        self.whole: list[tuple[dict[str, Any], list[tuple[Any, ...]]]] = []
        #: clients that stopped or went: told so after the next commit
        self.leaving: list[_Client] = []
        self.unchecked = 0  # rows committed since the last checkpoint
        self.last_commit = 0.0

    def handle(self, client: _Client, message: Message) -> None:
        kind = message[0]
        if kind == "check":  # written with the others at the commit: a few statements
            _, head, results = message
            self._count(client, None)
            self.whole.append((head, results))
        elif kind == "part":
            _, check_id, head, n, rows = message
            if check_id in self.doomed:
                return
            _, written = self.pending.get(check_id, (client, 0))
            self.pending[check_id] = (client, written + n)

            def part(c: Connection) -> None:
                if head is not None:
                    repo.add_checks(c, [head])
                repo.add_results_json(c, check_id, rows)

            self._write(part, n)
        elif kind == "end":
            _, check_id, head, n = message
            if check_id in self.doomed:
                self.doomed.discard(check_id)
                self._count(client, "its decisions were lost with a failed transaction")
                return
            found = self.pending.pop(check_id, None)
            if found is None or found[1] != n:
                written = 0 if found is None else found[1]
                self._count(client, f"{written} of its {n} decisions reached the log")
                if found is not None:
                    self._write(lambda c: repo.forget_check(c, check_id), 0)
                return
            self._count(client, None)

            def end(c: Connection) -> None:
                repo.set_applies(c, check_id, head["applies"])
                repo.audit_checks(c, [head])

            self._write(end, 2)
        elif kind == "abort":
            _, check_id = message
            self._forget(check_id)

    def leave(self, client: _Client) -> None:
        """A client stopped or went: its half-written big checks are removed; what it
        sent whole is committed with the rest, and then it is told it has stopped."""
        for check_id, (owner, _) in list(self.pending.items()):
            if owner is client:
                self._forget(check_id)
        self.leaving.append(client)

    def _forget(self, check_id: str) -> None:
        self.doomed.discard(check_id)
        if self.pending.pop(check_id, None) is not None:
            self._write(lambda c: repo.forget_check(c, check_id), 0)

    def _count(self, client: _Client, outcome: str | None) -> None:
        client.count(outcome)
        self.clients.add(client)

    def _write(self, work: Any, rows: int) -> None:
        try:
            self.conn = self.conn or _connect(self.engine)
            if self.tx is None:
                self.tx = self.conn.begin()
            work(self.conn)
            self.unchecked += rows
        except Exception as exc:
            self._failed(f"{type(exc).__name__}: {exc}")

    def _failed(self, why: str) -> None:
        """The open transaction is lost: fail every check in it."""
        if self.tx is not None:
            with contextlib.suppress(Exception):
                self.tx.rollback()
        self.tx = None
        if self.conn is not None:
            _close(self.conn)
        self.conn = None
        for client in self.clients:
            client.outcomes = [why if o is None else o for o in client.outcomes]
        self.doomed |= self.pending.keys()
        self.pending.clear()
        self.whole.clear()
        self.unchecked = 0

    def flush(self) -> None:
        """Commit (no big check may be half-written) and acknowledge every check since the
        last acknowledgement."""
        assert not self.pending
        self.last_commit = time.monotonic()
        whole, self.whole = self.whole, []
        if whole:
            heads = [h for h, _ in whole]
            rows = [r for _, rs in whole for r in rs]
            self._write(lambda c: repo.log_checks(c, heads, rows), len(rows) + 2 * len(heads))
        if self.tx is not None:
            tx, self.tx = self.tx, None
            try:
                tx.commit()
            except Exception as exc:
                self.tx = tx
                self._failed(f"{type(exc).__name__}: {exc}")
        clients, self.clients = self.clients, set()
        for client in clients:
            client.acknowledge()
        leaving, self.leaving = self.leaving, []
        for client in leaving:
            client.stopped()
        if self.unchecked >= CHECKPOINT_ROWS and self.conn is not None:
            _checkpoint(self.conn)
            self.unchecked = 0

    def close(self) -> None:
        """Remove half-written big checks, commit the rest, and let go of the database."""
        for check_id in list(self.pending):
            self._forget(check_id)
        self.flush()
        if self.conn is not None:
            _checkpoint(self.conn)
            _close(self.conn)
        self.engine.dispose()


def encode(head: dict[str, Any], results: Sequence[tuple[Any, ...]]) -> bytes:
    """One check as the process receives it: JSON (orjson: a few hundred nanoseconds for a
    single-subject check; pickle took 12 µs, most of it for the timestamp's time zone)."""
    return orjson.dumps(("check", head, results))


#: A part is framed apart from the JSON messages: this line, the part's own line
#: ``[check_id, head, n]``, then its ``n`` rows as one JSON array, which the process hands
#: to the database as it came (on SQLite, ``json_each`` reads it: no row is ever a Python
#: object in the process). orjson escapes every newline inside strings, so the first two
#: newlines end the two lines.
PART = b"part\n"


def encode_part(
    check_id: str, head: dict[str, Any] | None, rows: Sequence[tuple[Any, ...]]
) -> bytes:
    """Some decisions of a big check: rows of ``RESULT_COLUMNS`` without the check id."""
    return b"".join((PART, orjson.dumps((check_id, head, len(rows))), b"\n", orjson.dumps(rows)))


def encode_end(check_id: str, head: dict[str, Any], n: int) -> bytes:
    return orjson.dumps(("end", check_id, head, n))


def encode_abort(check_id: str) -> bytes:
    return orjson.dumps(("abort", check_id))


def _receive(requests: Pipe) -> Message | None:
    """The next message; ``None`` to stop, also when the parent has gone."""
    try:
        data = requests.recv_bytes()
    except (EOFError, OSError):
        return None
    if data == STOP:
        return None
    if data.startswith(PART):
        line, rows = data[len(PART) :].split(b"\n", 1)
        check_id, part_head, n = orjson.loads(line)
        if part_head is not None:
            part_head["at"] = dt.datetime.fromisoformat(part_head["at"])
            part_head["on_date"] = dt.date.fromisoformat(part_head["on_date"])
        return ("part", check_id, part_head, n, rows)
    message = orjson.loads(data)
    kind = message[0]
    head = message[1] if kind == "check" else message[2] if kind == "end" else None
    if head is not None:
        head["at"] = dt.datetime.fromisoformat(head["at"])
        head["on_date"] = dt.date.fromisoformat(head["on_date"])
    if kind == "check":
        message[2] = [tuple(r) for r in message[2]]
    return tuple(message)


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
