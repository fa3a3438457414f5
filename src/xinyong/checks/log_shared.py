"""The check log's writer that the server processes of ``xinyong serve --workers N`` share.

Each server process logging through a writer process of its own would give SQLite N
writers queueing for its one write lock (its busy handler sleeps: p99 of 4 s at 2 workers,
docs/benchmarks.md). Instead ``xinyong serve`` starts one writer process
(:func:`xinyong.checks.log_process.serve_shared`) before the workers, listening on a Unix
socket in a folder only this user may enter, and passes its address to the workers in
``XINYONG_CHECK_LOG_SOCKET``; each worker's :class:`~xinyong.checks.log_writer.CheckLogWriter`
connects to it. One transaction then carries every worker's checks, committed as one.

If the process dies, the checks waiting for it fail (``check_log_unavailable``), a thread
here starts a new one on the same address, and the workers connect to it at their next
check.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from xinyong.checks import log_process

#: The environment variable that gives the workers the shared process's address.
ADDRESS_ENV = "XINYONG_CHECK_LOG_SOCKET"
#: How long to wait for the process to listen, and then to commit what it has at the end.
START_SECONDS = 30.0
STOP_SECONDS = 30.0


class SharedCheckLog:
    """Starts, watches and stops the shared writer process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.folder = Path(tempfile.mkdtemp(prefix="xinyong-check-log-"))  # mode 0700
        self.address = str(self.folder / "log.sock")
        self.restarts = 0
        self._process: Any = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def process_id(self) -> int | None:
        process = self._process
        return None if process is None else int(process.pid)

    def start(self) -> str:
        """Start the process, once it listens return its address."""
        self._process = self._spawn()
        self._watcher = threading.Thread(
            target=self._watch, name="xinyong-check-log-watch", daemon=True
        )
        self._watcher.start()
        return self.address

    def stop(self) -> None:
        """Let the process commit what it has (its clients should have stopped first)."""
        self._stopping.set()
        process = self._process
        if process is not None and process.is_alive():
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGTERM)
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        if self._watcher is not None:
            self._watcher.join(STOP_SECONDS)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _spawn(self) -> Any:
        Path(self.address).unlink(missing_ok=True)  # left by a process that died
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([log_process.__name__])
        ready_out, ready_in = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=log_process.serve_shared,
            args=(self.url, self.address, ready_in),
            name="xinyong-check-log-shared",
            daemon=True,
        )
        process.start()
        ready_in.close()
        try:
            if not ready_out.poll(START_SECONDS) or ready_out.recv() != "ready":
                raise RuntimeError("the shared check log did not start")
        except EOFError as exc:
            why = f"the shared check log did not start: exit {process.exitcode}"
            raise RuntimeError(why) from exc
        finally:
            ready_out.close()
        return process

    def _watch(self) -> None:
        """Start a new process when the process dies (not when it was told to stop)."""
        while not self._stopping.is_set():
            process = self._process
            process.join(0.5)
            if process.is_alive() or self._stopping.is_set():
                continue
            time.sleep(0.1)
            with contextlib.suppress(RuntimeError, OSError):
                self._process = self._spawn()
                self.restarts += 1
