"""Group commit for the check log: every check is committed before its answer is sent.

Checks arrive thousands a second. Committing each one in its own transaction would make
every request wait for the database's write lock (SQLite has one writer) and for its own
flush to disk. Instead, requests hand their log rows to one writer and wait; the writer
takes everything that has queued up, writes it in one transaction, commits (on SQLite with
``synchronous=FULL``: flushed to disk), and only then releases the waiting requests. Under
load one commit carries hundreds of checks; alone, a check waits for one commit. A failed
commit fails every request in it, so no answer is ever sent for a check that was not
logged. Each check's ``check.logged`` audit entry is appended in the same transaction
(:func:`xinyong.checks.repository.log_checks`).

The writer is a process of its own (:mod:`xinyong.checks.log_process`), forked from a
``forkserver`` that has imported it: one per server process, started by the app's lifespan
(or by the first check of an app run without one).
:class:`CheckLogWriter` sends it each check down a pipe, in order, and a thread here reads
its acknowledgements and releases the requests. If the process dies, every check waiting
for it fails (``check_log_unavailable``) and the next check starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from xinyong.checks import log_process

Rows = Sequence[tuple[Any, ...]]
_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]
_Outgoing = tuple[bytes, _Waiter | None]
T = TypeVar("T")

#: How long :meth:`CheckLogWriter.stop` waits for the process to commit what it has.
STOP_SECONDS = 30.0


class CheckLogUnavailable(RuntimeError):
    """The check could not be logged (the database refused it, or the writer is gone)."""


@dataclass
class _Channel:
    """One writer process, the pipe to it and the checks it has not acknowledged yet."""

    process: Any  # multiprocessing's ForkServerProcess; None: the shared process
    requests: Pipe
    acks: Pipe
    waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(
        default_factory=deque
    )
    sent: int = 0
    acknowledged: int = 0
    broken: bool = False
    receiver: threading.Thread | None = None


class CheckLogWriter:
    """One writer process per server process, or (with ``address``) the connection to the
    process that the server processes of ``xinyong serve --workers N`` share
    (:class:`xinyong.checks.log_shared.SharedCheckLog`); :meth:`submit` is called by
    request handlers, which await the future it returns."""

    def __init__(self, engine: Engine, address: str | None = None) -> None:
        self.url = engine.url.render_as_string(hide_password=False)
        self.address = address
        self._lock = threading.Lock()  # the channel and its waiting requests
        self._sending = threading.Lock()  # the pipe: one message at a time, in order
        self._channel: _Channel | None = None
        self.commits = 0
        self.checks = 0

    @property
    def process_id(self) -> int | None:
        """The writer process's id, while one of this server process's own runs."""
        channel = self._channel
        return None if channel is None or channel.process is None else int(channel.process.pid)

    @property
    def connected(self) -> bool:
        """Whether a writer (its own or the shared one) is there to log checks."""
        channel = self._channel
        return channel is not None and not channel.broken

    def start(self) -> None:
        """Start the writer process (or connect to the shared one) now; it is otherwise
        done by the first check."""
        with self._lock:
            self._running()

    def stop(self) -> None:
        """Let the process commit what it has, then end it (the shared one: let go of it)."""
        with self._lock:
            channel, self._channel = self._channel, None
        if channel is None:
            return
        own = channel.process is not None
        if own and (channel.sent == 0 or channel.broken):
            channel.process.terminate()  # nothing to commit
        elif not channel.broken:  # the shared process answers "stopped" once it has committed
            with self._sending, contextlib.suppress(OSError):
                channel.requests.send_bytes(log_process.STOP)
        if own:
            channel.process.join(STOP_SECONDS)
            if channel.process.is_alive():
                channel.process.kill()
                channel.process.join()
        if channel.receiver is not None:
            channel.receiver.join(STOP_SECONDS)
        channel.requests.close()
        self._fail_waiting(channel, CheckLogUnavailable("the check log was stopped"))

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
        loop = loop or asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._send(log_process.encode(head, results), (loop, done), None)
        return done

    def in_parts(self, check_id: str) -> CheckInParts:
        """Log a big check in parts, each written while the next is decided."""
        return CheckInParts(self, check_id)

    def _send(
        self,
        message: bytes,
        waiter: _Waiter | None,
        same_as: _Channel | None,
    ) -> _Channel | None:
        """Send one message to the live process (started if need be), with the request
        waiting for its acknowledgement, if any. With ``same_as``, only to that process:
        the parts of a big check must all reach the one that ends it. The channel it
        went to, or ``None`` (then the waiter has failed)."""
        # Not under the channel's lock while sending: the acknowledgements' thread needs it
        # to keep reading, and the process to keep reading what is sent.
        with self._sending:
            with self._lock:
                try:
                    channel = self._running()
                except OSError as exc:  # no process could be started: the check fails
                    if waiter is not None:
                        _release([waiter], CheckLogUnavailable(f"no check log writer: {exc}"))
                    return None
                if same_as is not None and channel is not same_as:
                    if waiter is not None:
                        lost = CheckLogUnavailable("the check log writer stopped")
                        _release([waiter], lost)
                    return None
                if waiter is not None:
                    channel.waiting.append(waiter)
                    channel.sent += 1
            try:
                channel.requests.send_bytes(message)
            except OSError:  # the process is gone: its receiver fails what waits for it
                with self._lock:
                    channel.broken = True
                    if self._channel is channel:
                        self._channel = None
        return channel

    # ---- the process and its acknowledgements ------------------------------------------

    def _running(self) -> _Channel:
        """The live channel, started if there is none (call with the lock held)."""
        if self._channel is None or self._channel.broken:
            self._channel = self._spawn()
        return self._channel

    def _spawn(self) -> _Channel:
        if self.address is not None:  # the shared process: raises OSError if it is not there
            conn = multiprocessing.connection.Client(self.address, family="AF_UNIX")
            return self._listen(_Channel(None, conn, conn))
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the process's module once; each writer then starts at once
        ctx.set_forkserver_preload([log_process.__name__])
        requests_out, requests_in = ctx.Pipe(duplex=False)
        acks_out, acks_in = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=log_process.serve,
            args=(self.url, requests_out, acks_in),
            name="xinyong-check-log",
            daemon=True,
        )
        process.start()
        requests_out.close()
        acks_in.close()
        return self._listen(_Channel(process, requests_in, acks_out))

    def _listen(self, channel: _Channel) -> _Channel:
        """Start the thread that reads the channel's acknowledgements."""
        channel.receiver = threading.Thread(
            target=self._receive, args=(channel,), name="xinyong-check-log-acks", daemon=True
        )
        channel.receiver.start()
        return channel

    def _receive(self, channel: _Channel) -> None:
        """Release the requests whose checks were committed (or failed), in order."""
        problem: BaseException = CheckLogUnavailable("the check log writer stopped")
        while True:
            try:
                ack = channel.acks.recv()
            except (EOFError, OSError):
                break
            kind, through = ack[0], int(ack[1])
            if kind == "stopped":
                break
            failed = CheckLogUnavailable(ack[2]) if kind == "failed" else None
            with self._lock:
                done = [channel.waiting.popleft() for _ in range(through - channel.acknowledged)]
                channel.acknowledged = through
            if failed is None:
                self.commits += 1
                self.checks += len(done)
            _release(done, failed)
        with self._lock:
            channel.broken = True
            if self._channel is channel:
                self._channel = None
        channel.acks.close()
        self._fail_waiting(channel, problem)

    def _fail_waiting(self, channel: _Channel, problem: BaseException) -> None:
        with self._lock:
            waiting = list(channel.waiting)
            channel.waiting.clear()
        _release(waiting, problem)


def _release(
    waiting: Sequence[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]],
    problem: BaseException | None,
) -> None:
    """Resolve the futures, with one wake-up of each event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for loop, done in waiting:
        by_loop.setdefault(loop, []).append(done)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a loop that has closed waits for nothing
            loop.call_soon_threadsafe(_resolve, futures, problem)


def _resolve(futures: list[asyncio.Future[None]], problem: BaseException | None) -> None:
    for done in futures:
        if done.done():
            continue
        if problem is None:
            done.set_result(None)
        else:
            done.set_exception(problem)


class CheckInParts:
    """The log of one big check, sent as its decisions are made: the writer process
    inserts each part while the next is decided, in the transaction that will hold the
    whole check. :meth:`end` (or :meth:`abort`) must follow the parts.

    A thread of its own sends the parts: a part is larger than the pipe's buffer, and
    sending it waits until the process has read it, which it does only once it has
    written the part before (the thread waits without the GIL; the decisions go on)."""

    def __init__(self, writer: CheckLogWriter, check_id: str) -> None:
        self.writer = writer
        self.check_id = check_id
        self.rows = 0
        self._outbox: queue.SimpleQueue[_Outgoing | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._channel: _Channel | None = None
        self._lost = False

    def send(self, head: dict[str, Any] | None, rows: Rows) -> None:
        """Some decisions (rows of ``RESULT_COLUMNS`` without the check id), in order;
        the first part carries the check's row (``head``)."""
        self.rows += len(rows)
        self._post(log_process.encode_part(self.check_id, head, rows), None)

    def end(self, head: dict[str, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """The check is complete (``head`` with its final counts): the future is done once
        it is committed, and fails if any part did not reach the log."""
        done: asyncio.Future[None] = loop.create_future()
        self._post(log_process.encode_end(self.check_id, head, self.rows), (loop, done))
        self._finish()
        return done

    def abort(self) -> None:
        """The check will not be answered: its parts are removed, never committed."""
        if self._sender is None:  # nothing was sent: nothing to remove
            return
        self._post(log_process.encode_abort(self.check_id), None)
        self._finish()

    def _post(self, message: bytes, waiter: _Waiter | None) -> None:
        if self._sender is None:
            self._sender = threading.Thread(
                target=self._send_all, name="xinyong-check-log-parts", daemon=True
            )
            self._sender.start()
        self._outbox.put((message, waiter))

    def _finish(self) -> None:
        """No more messages: the sender thread ends once it has sent them (nobody waits
        for it; the end's future tells when the check is committed)."""
        self._outbox.put(None)

    def _send_all(self) -> None:
        """The sender thread: every part to the one process, then the end (or abort)."""
        while (item := self._outbox.get()) is not None:
            message, waiter = item
            if self._lost:  # a part went missing: the end fails, an abort is not needed
                if waiter is not None:
                    _release([waiter], CheckLogUnavailable("the check log writer stopped"))
                continue
            channel = self.writer._send(message, waiter, self._channel)
            if channel is None:
                self._lost = True
            self._channel = channel


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
