"""Where an import's validation runs while the previous chunk is written.

By default a thread (:class:`ThreadValidator`): Polars releases the GIL, python-stdnum and
the message building do not, so the thread overlaps only part of the work. Long imports
(the CLI's ``xinyong import`` and ``xinyong demo``) use :class:`ProcessValidator`: a
second process validates while this one writes, on another core.

The library never starts a process by itself: a process pool started from a script
without an ``if __name__ == "__main__"`` guard would run the script again. The CLI owns
the process and passes it in.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType

import polars as pl

from xinyong.catalogue.model import Catalogue
from xinyong.ingest.validate import Validated, validate_table

#: Inputs at least this large are worth a second process (it takes about a second to start).
PROCESS_THRESHOLD_BYTES = 8 * 1024 * 1024


class Validator:
    """Validates chunks of one catalogue's records on a worker; ``submit`` returns at once."""

    def __init__(self, executor: Executor, catalogue: Catalogue | None) -> None:
        self._executor = executor
        self._catalogue = catalogue

    def submit(
        self, chunk: pl.DataFrame, provider_code: str, file: str, today: dt.date
    ) -> Future[Validated]:
        return self._executor.submit(_validate, chunk, self._catalogue, provider_code, file, today)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

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
    """One ``spawn``-ed process that holds the catalogue (sent once, at start)."""

    def __init__(self, catalogue: Catalogue) -> None:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_hold,
            initargs=(catalogue,),
        )
        super().__init__(pool, None)


def validator_for(catalogue: Catalogue, input_bytes: int) -> Validator:
    """A process for large inputs, a thread for small ones (for callers that own processes)."""
    if input_bytes >= PROCESS_THRESHOLD_BYTES:
        return ProcessValidator(catalogue)
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
) -> Validated:
    used = catalogue or _held
    assert used is not None, "the worker holds no catalogue"
    return validate_table(chunk, used, provider_code, file=file, today=today, duplicates=False)
