"""Bulk import benchmark: a synthetic city's CSV files, fully validated and stored,
beside a baseline measured in the same run: the raw ``executemany`` (SQLite) or ``COPY``
(PostgreSQL) of the same rows into one plain table, without validation.

    python benchmarks/import_bench.py --records 1000000 [--postgres URL]

Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text

from xinyong.catalogue import default_catalogue
from xinyong.db.bulk import bulk_insert
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import upgrade
from xinyong.ingest.importer import files_to_import, import_files
from xinyong.ingest.workers import validator_for
from xinyong.settings import Settings
from xinyong.synth import generate_city


def fresh(url: str) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def full_import(url: str, data: Path) -> tuple[int, float]:
    engine = fresh(url)
    settings = Settings(database_url=url)
    catalogue = default_catalogue()
    started = time.perf_counter()
    files = files_to_import(data, None)
    # As `xinyong import` does: a second process validates while this one writes.
    with validator_for(catalogue, sum(f.stat().st_size for f, _ in files), engine) as validator:
        summaries, failures = import_files(engine, catalogue, settings, files, validator=validator)
    assert not failures, failures
    assert not any(s.rejected for s in summaries)
    rows = sum(s.accepted + s.unchanged + s.corrected for s in summaries)
    return rows, time.perf_counter() - started


def raw_copy(url: str, data: Path) -> tuple[int, float]:
    engine = fresh(url)
    started, rows = time.perf_counter(), 0
    with writing(engine) as conn:
        conn.execute(text("CREATE TABLE raw_rows (provider TEXT, line TEXT)"))
    for file, provider in files_to_import(data, None):
        frame = pl.read_csv(file, infer_schema=False)
        frame = frame.select(
            pl.lit(provider).alias("provider"),
            pl.concat_str(pl.all().fill_null(""), separator=",").alias("line"),
        )
        with writing(engine) as conn:
            bulk_insert(conn, "raw_rows", ("provider", "line"), frame.rows())
        rows += frame.height
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure as well")
    parser.add_argument("--keep", type=Path, help="keep the generated files here")
    args = parser.parse_args()
    orgs = max(args.records // 20, 10)
    persons = orgs * 4
    work = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    data = args.keep or work / "city"
    if not data.exists():
        generate_city(default_catalogue(), orgs, persons, 5, 7, data, records=args.records)
    size = sum(f.stat().st_size for f in data.iterdir()) / 1e6
    targets = [("SQLite", f"sqlite:///{work / 'bench.db'}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    print(
        f"machine: {platform.machine()}, {platform.processor() or '?'}, "
        f"python {platform.python_version()}; {size:.0f} MB of CSV"
    )
    print("| database | what | rows | seconds | rows/s |")
    print("|---|---|---:|---:|---:|")
    for name, url in targets:
        for what, fn in (
            ("baseline: raw insert, no validation", raw_copy),
            ("xinyong import (validate + store)", full_import),
        ):
            if name == "SQLite":
                for suffix in ("", "-wal", "-shm"):
                    Path(str(work / "bench.db") + suffix).unlink(missing_ok=True)
            rows, seconds = fn(url, data)
            print(
                f"| {name} | {what} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |",
                flush=True,
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
