"""Synthetic data: a city of subjects and the records its authorities would submit.

``generate_city`` writes one import file per provider of the catalogue
(``<out_dir>/<provider code>.<csv|jsonl|xlsx>``), reproducible for a seed. It is generic over
the catalogue: record types, fields and providers all come from it; only frequencies and the
wording of known types come from ``xinyong.synth.vocab`` and ``xinyong.synth.themes``.

Each provider's file depends only on the seed, the catalogue and the city, so files can be
written by several processes at once (``workers``) and still come out byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import queue as queue_module
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from xinyong.catalogue import Catalogue, Provider
from xinyong.errors import BadRequest, XinyongError
from xinyong.synth.city import Population, build_city
from xinyong.synth.records import (
    Task,
    default_records,
    plan,
    provider_columns,
    rows_for_provider,
)
from xinyong.synth.writer import FORMATS, open_writer

__all__ = ["FORMATS", "default_records", "generate_city"]

Progress = Callable[[int, int], None]  # (rows written so far, rows planned)
PARALLEL_MIN_ROWS = 50_000  # below this, one process is faster than starting several


def generate_city(
    catalogue: Catalogue,
    orgs: int,
    persons: int,
    years: int,
    seed: int,
    out_dir: Path | str,
    records: int | None = None,
    fmt: str = "csv",
    as_of: dt.date | None = None,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Write one file per provider; return rows per provider code (catalogue order).

    ``records`` is the target total (default :func:`default_records`: 12 per organisation and
    2 per person). Every organisation gets one ``business_registration`` record when the
    catalogue has that type; the rest is shared by weight among the types each side may have.
    ``as_of`` (default today) is the last possible decision date; decisions spread over the
    ``years`` before it. ``workers`` processes write files in parallel (default: one per CPU
    for large cities; the output does not depend on it).
    """
    if orgs < 0 or persons < 0:
        raise BadRequest("--orgs and --persons cannot be negative", code="invalid_argument")
    if years < 1:
        raise BadRequest("--years must be at least 1", code="invalid_argument")
    if records is not None and records < 0:
        raise BadRequest("--records cannot be negative", code="invalid_argument")
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    as_of = as_of or dt.date.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    population = build_city(orgs, persons, seed, as_of)
    total = default_records(orgs, persons) if records is None else records
    tasks = plan(catalogue, population, total, seed)
    planned = sum(t.count for ts in tasks.values() for t in ts)
    job = _Job(catalogue, population, tasks, seed, years, fmt, out)
    if workers is None:
        workers = _cpus() if planned >= PARALLEL_MIN_ROWS else 1
    workers = min(workers, len(catalogue.providers))
    if progress:
        progress(0, planned)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        counts = _parallel(job, workers, planned, progress)
    else:
        counts = {}
        done = 0
        for provider in catalogue.providers:
            for n in job.write(provider):
                done += n
                if progress:
                    progress(done, planned)
            counts[provider.code] = job.rows[provider.code]
    return {p.code: counts[p.code] for p in catalogue.providers}


def city(orgs: int, persons: int, seed: int, as_of: dt.date) -> Population:
    """The subjects alone (for demos and benchmarks that need the population)."""
    return build_city(orgs, persons, seed, as_of)


class _Job:
    """Everything needed to write any provider's file."""

    def __init__(
        self,
        catalogue: Catalogue,
        population: Population,
        tasks: dict[str, list[Task]],
        seed: int,
        years: int,
        fmt: str,
        out: Path,
    ) -> None:
        self.catalogue = catalogue
        self.population = population
        self.tasks = tasks
        self.seed = seed
        self.years = years
        self.fmt = fmt
        self.out = out
        self.rows: dict[str, int] = {}

    def planned(self, provider: Provider) -> int:
        return sum(t.count for t in self.tasks[provider.code])

    def write(self, provider: Provider) -> Iterator[int]:
        """Write the provider's file, yielding the size of each chunk written."""
        columns = provider_columns(self.catalogue, provider)
        path = self.out / f"{provider.code}.{self.fmt}"
        writer = open_writer(self.fmt, path, columns, self.catalogue)
        n = 0
        try:
            for chunk in rows_for_provider(
                provider,
                self.tasks[provider.code],
                columns,
                self.catalogue,
                self.population,
                self.seed,
                self.years,
            ):
                writer.write(chunk)
                n += len(chunk)
                yield len(chunk)
        finally:
            writer.close()
        self.rows[provider.code] = n


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _parallel(job: _Job, workers: int, planned: int, progress: Progress | None) -> dict[str, int]:
    """Write the files in ``workers`` forked processes (largest providers first)."""
    groups: list[list[Provider]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for provider in sorted(job.catalogue.providers, key=job.planned, reverse=True):
        i = loads.index(min(loads))
        groups[i].append(provider)
        loads[i] += job.planned(provider)
    ctx = multiprocessing.get_context("fork")
    messages: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_work, args=(job, group, messages), daemon=True)
        for group in groups
        if group
    ]
    for p in procs:
        p.start()
    counts: dict[str, int] = {}
    done = finished = 0
    try:
        while finished < len(procs):
            try:
                kind, a, b = messages.get(timeout=1.0)
            except queue_module.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise XinyongError(
                        f"a generator process died (exit code {dead[0].exitcode})",
                        code="generator_failed",
                    ) from None
                continue
            if kind == "rows":
                done += a
                if progress:
                    progress(done, planned)
            elif kind == "file":
                counts[a] = b
            elif kind == "done":
                finished += 1
            else:
                raise XinyongError(b, code=a)
    finally:
        for p in procs:
            if p.is_alive() and finished < len(procs):
                p.terminate()
            p.join()
    return counts


def _work(job: _Job, providers: list[Provider], messages: Any) -> None:
    provider = None
    try:
        for provider in providers:
            for n in job.write(provider):
                messages.put(("rows", n, 0))
            messages.put(("file", provider.code, job.rows[provider.code]))
        messages.put(("done", 0, 0))
    except XinyongError as exc:  # reported to the parent, which raises it
        messages.put(("error", exc.code, exc.message))
    except BaseException as exc:
        name = provider.code if provider else "?"
        messages.put(("error", "generator_failed", f"{name}: {type(exc).__name__}: {exc}"))
