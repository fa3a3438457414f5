"""Checks and lists benchmark (issue 4): single checks over HTTP, one bulk check, and a full
re-evaluation of list memberships after a bulk import, each beside a baseline measured in
the same run.

    python benchmarks/checks_bench.py build     # the 1M-subject store (cached, not timed)
    python benchmarks/checks_bench.py single    # wrk: single-subject checks vs FastAPI ceiling
    python benchmarks/checks_bench.py app       # the ASGI apps in-process: CPU per request
    python benchmarks/checks_bench.py bulk      # one check of 100,000 subjects, 5 runs
    python benchmarks/checks_bench.py refresh   # import 1M records, then re-evaluate all lists
    python benchmarks/checks_bench.py all       # the three, in this order

``single`` and ``bulk`` build the store when it is missing: 1,000,000 subjects (70 %
organisations with one ``annual_report`` from ``market_regulation``, 30 % persons with one
``volunteer_service`` from ``civil_affairs``), 50,000 of them (60 % organisations) with an
unperformed ``judgment_default`` from ``court`` and so on ``judgment_defaulters``; imported
with ``xinyong.ingest.importer.import_files`` into ``var/bench/checks/store-.../store.db``.

``single``: ``xinyong serve`` (one uvicorn process, or ``--server-workers N``) on that
store, a consumer key made with
``xinyong keys create --consumer civil_aviation --measures ...``, and
``wrk -t2 -c64 -d20s --latency -s benchmarks/checks_bench.lua`` after a 5 s warm-up, each
request a check of ``restrict_flights_rail`` for one subject drawn at random from 200,000
codes of which 5 % are listed. Afterwards the rows added to ``checks`` are counted against
wrk's 2xx answers. In the same run, with the same wrk settings and the same request bodies,
``benchmarks/baseline_app.py`` (served by uvicorn the same way): a trivial ``async def``
endpoint (the ceiling) and a plain ``def`` endpoint. ``--rounds N`` alternates the order.

``bulk``: one check of 100,000 subjects (5 % listed) POSTed with httpx, the answer read
whole, 1 warm-up + 5 runs; beside it the baseline app's ``/bulk`` (same body, same answer
shape, an in-memory set instead of the database); then the server side in-process
(parsing, ``service.prepare_check``, ``service.log_now`` with its commit, serialising)
with SQL timed per statement.

``refresh``: a synthetic city of 1,000,000 records (``xinyong.synth``, as the import
benchmark) imported with ``xinyong import DIR --json`` into a fresh database (timed), rated
with ``xinyong rate`` (not timed: grade-based lists need grades), then ``list_entries`` and
``list_revisions`` emptied and ``xinyong lists refresh --json`` timed, with its peak RSS
(``wait4``). The entries it makes are compared with those there before the delete.
``refresh --skip-import`` reuses the imported database and the import time measured then.

``app``: the baseline app and xinyong's app driven in-process (no uvicorn, no sockets) by 64
concurrent callers on one event loop; CPU of the loop's thread per request, and cProfile of
that thread during checks: where a check's time goes, with little noise.

``single --rate N`` sends the same requests at a fixed total rate of N per second
(``benchmarks/checks_rate.lua``, wrk2's way: each thread keeps a schedule of send times)
instead of back to back: the latencies are then those of a server at that load, not those of
a queue of ``--connections`` requests (closed loop, the latency is connections / throughput);
requests sent more than 1 ms later than scheduled are counted, with the 99th percentile of
their lateness, and the goal counts as met only if that stays within 1 ms.

Options: ``--seconds``, ``--warmup``, ``--connections``, ``--threads``, ``--rounds``, ``--rate``,
``--targets async,def,check``, ``--quiet-wait S`` (wait for other processes to use under
``--quiet`` cores first), ``--no-access-log``, ``--server-pythonpath DIR`` (e.g. a folder
with uvloop and httptools), ``--server-workers N`` (uvicorn worker processes of both
servers), ``--py-spy PATH`` (also profile the check server under load)
for single; ``--requests`` (app); ``--subjects``, ``--runs`` (bulk); ``--records``,
``--skip-import``, ``--no-rate`` (refresh). ``--store-subjects``/``--store-listed`` make a
smaller store for trying the script out.
Results: a Markdown summary on stdout, JSON in ``var/bench/checks_bench-<step>-<time>.json``.
Data under ``var/bench/checks/``. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from checks_bulk import (
    bulk,
    print_bulk,
    print_refresh,
    refresh,
)
from checks_common import (
    BENCH,
    ROOT,
    SERVER_PYTHONPATH,
    SERVER_WORKERS,
    XINYONG,
    ensure_store,
    machine,
)
from checks_single import (
    app_cost,
    print_app,
    print_single,
    single,
)

# ---- main ---------------------------------------------------------------------------------


def save(step: str, result: dict[str, Any], args: argparse.Namespace) -> Path:
    BENCH.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = BENCH / f"checks_bench-{step}-{stamp}.json"
    doc = {
        "step": step,
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "args": {k: v for k, v in vars(args).items() if k != "func"},
        "machine": machine(),
        "result": result,
    }
    path.write_text(json.dumps(doc, indent=2, default=str, ensure_ascii=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=("build", "single", "app", "bulk", "refresh", "all"))
    parser.add_argument("--store-subjects", type=int, default=1_000_000)
    parser.add_argument("--store-listed", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=20, help="single: measured seconds")
    parser.add_argument("--warmup", type=int, default=5, help="single: warm-up seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--rate",
        type=int,
        default=0,
        help="single: send at this fixed total rate (requests/s; checks_rate.lua), "
        "not back to back",
    )
    parser.add_argument(
        "--targets", default="async,def,check", help="single: which of async,def,check to run"
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.3,
        help="single: before each endpoint, wait until other processes use fewer cores",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=0, help="single: ... waiting at most this long (s)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="single: rounds, order alternates")
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="servers log every request (uvicorn's access log, the default of xinyong serve)",
    )
    parser.add_argument(
        "--server-pythonpath",
        action="append",
        default=[],
        help="a folder put first on both servers' PYTHONPATH (e.g. with uvloop and httptools)",
    )
    parser.add_argument(
        "--server-workers", type=int, default=1, help="single, bulk: processes of each server"
    )
    parser.add_argument("--py-spy", help="single: path of py-spy, to profile the check server")
    parser.add_argument("--requests", type=int, default=20_000, help="app: requests per app")
    parser.add_argument("--subjects", type=int, default=100_000, help="bulk: subjects per check")
    parser.add_argument("--runs", type=int, default=5, help="bulk: measured runs")
    parser.add_argument("--records", type=int, default=1_000_000, help="refresh: records")
    parser.add_argument("--skip-import", action="store_true", help="refresh: reuse the import")
    parser.add_argument("--no-rate", action="store_true", help="refresh: do not rate first")
    args = parser.parse_args()
    SERVER_WORKERS[:] = [args.server_workers]
    SERVER_PYTHONPATH[:] = [str(Path(p).resolve()) for p in args.server_pythonpath]
    if not XINYONG.exists():
        sys.exit(f"{XINYONG} not found: activate the project's virtualenv")
    print("machine:", json.dumps(machine(), ensure_ascii=False), flush=True)
    steps = ["single", "bulk", "refresh"] if args.step == "all" else [args.step]
    if args.step == "build":
        store = ensure_store(args.store_subjects, args.store_listed)
        print((store / "manifest.json").read_text())
        return
    for step in steps:
        if step == "single":
            res = single(args)
            print_single(res, args)
        elif step == "app":
            res = app_cost(args)
            print_app(res)
        elif step == "bulk":
            res = bulk(args)
            print_bulk(res)
        else:
            res = refresh(args)
            print_refresh(res)
        print(f"\nresults: {save(step, res, args).relative_to(ROOT)}\n", flush=True)


if __name__ == "__main__":
    main()
