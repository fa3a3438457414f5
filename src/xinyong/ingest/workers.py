"""Where an import's validation runs while the previous chunk is written.

By default a thread (:class:`ThreadValidator`): Polars releases the GIL, python-stdnum and
the message building do not, so the thread overlaps only part of the work. Long imports
(the CLI's ``xinyong import`` and ``xinyong demo``) use :class:`ProcessValidator`: a
second process validates while this one writes, on another core. Into a SQLite store, that
process also stages the valid rows in scratch files (:mod:`xinyong.store.scratch`), so that
the writer binds none of their values.

The library never starts a process by itself: a process pool started from a script
without an ``if __name__ == "__main__"`` guard would run the script again. The CLI owns
the process and passes it in.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import polars as pl
from sqlalchemy import Engine

from xinyong.catalogue.model import Catalogue
from xinyong.ingest.validate import Validated, validate_table
from xinyong.settings import get_settings
from xinyong.store import scratch
from xinyong.store.service import staging_of


class Validator:
    """Validates chunks of one catalogue's records on a worker; ``submit`` returns at once."""

    def __init__(
        self, executor: Executor, catalogue: Catalogue | None, folder: Path | None = None
    ) -> None:
        self._executor = executor
        self._catalogue = catalogue
        self.folder = folder  # scratch files go here, if any

    def submit(
        self, chunk: pl.DataFrame, provider_code: str, file: str, today: dt.date
    ) -> Future[Validated]:
        return self._executor.submit(
            _validate, chunk, self._catalogue, provider_code, file, today, self.folder
        )

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Validator:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


class ThreadValidator(Validator):
    def __init__(self, catalogue: Catalogue) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xinyong-validate")
        super().__init__(pool, catalogue)


class ProcessValidator(Validator):
    """One ``spawn``-ed process that holds the catalogue (sent once, at start). With
    ``engine`` (a SQLite store), it stages the valid rows in scratch files beside it."""

    def __init__(self, catalogue: Catalogue, engine: Engine | None = None) -> None:
        beside = scratch.folder_for(engine) if engine is not None else None
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_hold,
            initargs=(catalogue,),
        )
        super().__init__(pool, None, scratch.scratch_folder(beside) if beside else None)


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


def _hold(catalogue: Catalogue) -> None:
    global _held
    _held = catalogue


def _validate(
    chunk: pl.DataFrame,
    catalogue: Catalogue | None,
    provider_code: str,
    file: str,
    today: dt.date,
    folder: Path | None = None,
) -> Validated:
    used = catalogue or _held
    assert used is not None, "the worker holds no catalogue"
    checked = validate_table(chunk, used, provider_code, file=file, today=today, duplicates=False)
    if folder is None or checked.rows.height == 0:
        return checked
    staged = scratch.put(folder, staging_of(checked.rows))
    return Validated(checked.rows.clear(), checked.errors, staged)
