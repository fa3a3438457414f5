"""Benchmark of the statistics dashboard (``GET /statistics``) on a built city.

    python benchmarks/statistics_bench.py [--url DATABASE_URL] [--runs 5]

Point it at a database that holds a city (``xinyong demo --no-serve`` builds one: SQLite in
``var/xinyong.db`` by default; with ``XINYONG_DATABASE_URL`` on PostgreSQL). It times, over
real ASGI requests (``TestClient``, no network):

- **cold**: the first request of a fresh app, which runs every aggregate query (the
  dashboard cache is empty), repeated ``--runs`` times with a new app each time;
- **warm**: the same page again within the cache's lifetime (the figures are reused,
  the charts are drawn and the page rendered), in both languages;
- each repository query alone (the share of each chart in the cold time).

Prints a Markdown table of median and max in milliseconds. Nothing is written to the
database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from xinyong.api.app import create_app
from xinyong.db.engine import make_engine
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import default_declaration
from xinyong.portal.statistics import repository as repo
from xinyong.portal.statistics import service as stats
from xinyong.settings import Settings


def _ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _row(name: str, times: list[float]) -> str:
    return f"| {name} | {statistics.median(times):,.0f} | {max(times):,.0f} | {len(times)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=Settings().database_url)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(database_url=args.url)
    rows: list[str] = []

    cold: list[float] = []
    warm: list[float] = []
    for _ in range(args.runs):
        with TestClient(create_app(settings)) as client:

            def get(lang: str, c: TestClient = client) -> None:
                c.get("/statistics", params={"lang": lang}).raise_for_status()

            cold.append(_ms(lambda: get("zh")))
            warm += [_ms(lambda: get("zh")) for _ in range(5)]
            warm += [_ms(lambda: get("en")) for _ in range(5)]
    rows += [_row("page, cold (all queries)", cold), _row("page, warm (cached figures)", warm)]

    engine = make_engine(args.url)
    today = today_in(settings)
    _, ends, first = stats.month_window(today, stats.DEFAULT_MONTHS)
    start = dt.datetime.combine(first, dt.time(), dt.UTC) - dt.timedelta(hours=8)
    lists = [x.code for x in default_declaration().lists if x.publication.public]
    kinds = ["organisation", "individual_business"]
    queries: dict[str, Callable[[Any], Any]] = {
        "records per authority and month": lambda c: repo.records_per_provider(
            c, start=start, offset_minutes=480
        ),
        "list sizes at month ends": lambda c: repo.list_sizes(c, lists, ends),
        "grades by district": lambda c: repo.grades_by_district(c, "city_grade", kinds),
        "grades by industry": lambda c: repo.grades_by_industry(c, "city_grade", kinds),
        "objections and restorations": lambda c: (
            repo.objections_decided(c, start=start, offset_minutes=480),
            repo.restorations_decided(c, start=start, offset_minutes=480),
            repo.open_overdue(c, today),
        ),
    }
    with engine.connect() as conn:
        for name, query in queries.items():
            times = []
            for _ in range(max(1, args.runs // 2)):
                start_at = time.perf_counter()
                query(conn)
                times.append((time.perf_counter() - start_at) * 1000)
            rows.append(_row(f"query: {name}", times))
    engine.dispose()

    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print("| what | median ms | max ms | runs |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
