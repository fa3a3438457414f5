"""Where an import's validation runs while the previous chunk is written.

By default a thread (:class:`ThreadValidator`): Polars releases the GIL, python-stdnum and
the message building do not, so the thread overlaps only part of the work. Long imports
(the CLI's ``xinyong import`` and ``xinyong demo``) use :class:`ProcessValidator`: a
second process validates while this one writes, on another core. That process also stages
the valid rows itself (:mod:`xinyong.store.scratch`), so that the writer binds none of
their values, and reads each file itself, instead of being sent its chunks.

The library never starts a process by itself: a process pool started from a script
without an ``if __name__ == "__main__"`` guard would run the script again. The CLI owns
the process and passes it in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import polars as pl
from sqlalchemy import Engine

from xinyong.catalogue.model import Catalogue
from xinyong.errors import Conflict
from xinyong.ingest.readers import ROW, read_table
from xinyong.ingest.validate import Validated, validate_table
from xinyong.settings import get_settings
from xinyong.store import scratch
from xinyong.store.service import staging_of


class Validator:
    """Validates chunks of one catalogue's records on a worker; ``submit`` returns at once."""

    def __init__(
        self, executor: Executor, catalogue: Catalogue | None, area: scratch.Area | None = None
    ) -> None:
        self._executor = executor
        self._catalogue = catalogue
        self.area = area  # where the valid rows are staged, if anywhere
        self._place = area.place if area is not None else None

    def submit(
        self, chunk: pl.DataFrame, provider_code: str, file: str, today: dt.date
    ) -> Future[Validated]:
        return self._executor.submit(
            _validate, chunk, self._catalogue, provider_code, file, today, self._place
        )

    def submit_part(
        self, whole: Whole, start: int, size: int, provider_code: str, file: str, today: dt.date
    ) -> Future[Validated]:
        """Validate rows ``start`` to ``start + size`` of a file's table."""
        return self.submit(whole.table.slice(start, size), provider_code, file, today)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.area is not None:
            self.area.close()

    def __enter__(self) -> Validator:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Whole:
    """A file's table, as read and checked as a whole by the importer (``dropped``: the
    row numbers of its duplicate rows, left out); ``source`` and ``sha256``: the file it
    was read from, if any (a validating process reads that itself)."""

    table: pl.DataFrame
    source: Path | None
    sha256: str
    dropped: tuple[int, ...]


class ThreadValidator(Validator):
    def __init__(self, catalogue: Catalogue) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xinyong-validate")
        super().__init__(pool, catalogue)


class ProcessValidator(Validator):
    """One ``spawn``-ed process that holds the catalogue (sent once, at start). With
    ``engine``, it stages the valid rows itself, in a scratch area of that store."""

    def __init__(self, catalogue: Catalogue, engine: Engine | None = None) -> None:
        area = scratch.open_area(engine) if engine is not None else None
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_hold,
            initargs=(catalogue,),
        )
        super().__init__(pool, None, area)

    def submit_part(
        self, whole: Whole, start: int, size: int, provider_code: str, file: str, today: dt.date
    ) -> Future[Validated]:
        """A chunk of a file that the process can read: it reads the file itself (once,
        for all its chunks) instead of being sent each chunk (pickling a chunk of 50,000
        rows cost this process about 0.3 s of the GIL)."""
        if whole.source is None:
            return super().submit_part(whole, start, size, provider_code, file, today)
        read = (str(whole.source), whole.sha256, whole.dropped)
        return self._executor.submit(
            _validate_part, read, start, size, provider_code, file, today, self._place
        )


def validator_for(
    catalogue: Catalogue, input_bytes: int, engine: Engine | None = None
) -> Validator:
    """A process for inputs of at least ``Settings.import_process_min_bytes``, a thread for
    smaller ones (for callers that own processes). ``engine``: the store the rows go to
    (a process stages them for SQLite)."""
    if input_bytes >= get_settings().import_process_min_bytes:
        return ProcessValidator(catalogue, engine)
    return ThreadValidator(catalogue)


_held: Catalogue | None = None


#: How often the validating process looks whether its parent is still there (seconds).
PARENT_POLL_SECONDS = 0.5


def _hold(catalogue: Catalogue) -> None:
    global _held
    _held = catalogue
    threading.Thread(
        target=_end_with, args=(os.getppid(),), name="xinyong-parent-watch", daemon=True
    ).start()


def _end_with(parent: int) -> None:
    """End this process once its parent has gone. A parent that is killed (SIGKILL) never
    closes the pool's queues, and the process holds their other end itself, so it would
    wait for work forever, holding its memory and the file it was reading."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


#: The process's last file read: (path, sha256, dropped rows) and its table.
_read: tuple[tuple[str, str, tuple[int, ...]], pl.DataFrame] | None = None


def _validate_part(
    read: tuple[str, str, tuple[int, ...]],
    start: int,
    size: int,
    provider_code: str,
    file: str,
    today: dt.date,
    place: scratch.Place | None,
) -> Validated:
    """Validate a chunk of a file, read (and its duplicates dropped) as the importer did."""
    global _read
    assert _held is not None, "the worker holds no catalogue"
    if _read is None or _read[0] != read:
        data = Path(read[0]).read_bytes()
        if hashlib.sha256(data).hexdigest() != read[1]:
            raise Conflict(
                f"{file} changed while it was being imported: import it again",
                code="file_changed",
            )
        table, _ = read_table(data, file, _held)
        if read[2]:
            table = table.filter(~pl.col(ROW).is_in(read[2]))
        _read = (read, table)
    return _validate(_read[1].slice(start, size), None, provider_code, file, today, place)


def _validate(
    chunk: pl.DataFrame,
    catalogue: Catalogue | None,
    provider_code: str,
    file: str,
    today: dt.date,
    place: scratch.Place | None = None,
) -> Validated:
    used = catalogue or _held
    assert used is not None, "the worker holds no catalogue"
    checked = validate_table(chunk, used, provider_code, file=file, today=today, duplicates=False)
    if place is None or checked.rows.height == 0:
        return checked
    staged = scratch.put(place, staging_of(checked.rows))
    return Validated(checked.rows.clear(), checked.errors, staged)
