"""The checks benchmark's ``single`` (wrk over HTTP) and ``app`` (in-process) steps."""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from checks_common import (
    BASELINE_APP,
    DATA,
    GOALS,
    LUA,
    MEASURE,
    RATE_LUA,
    baseline_server,
    check_server,
    children_cpu,
    clear_check_log,
    consumer_key,
    count_rows,
    ensure_store,
    machine_busy,
    thread_cpu,
    tree_cpu,
)

# ---- single: wrk --------------------------------------------------------------------------


def wrk(url: str, key: str, codes: Path, seconds: int, args: argparse.Namespace) -> dict[str, Any]:
    argv = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(RATE_LUA if args.rate else LUA),
        url,
        "--",
        key,
        str(codes),
        MEASURE,
        *([str(args.rate), str(args.threads)] if args.rate else []),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    found = re.search(r"^JSON (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    out: dict[str, Any] = json.loads(found.group(1))
    seconds_run = out["duration_us"] / 1e6
    errors = out["connect_errors"] + out["read_errors"] + out["write_errors"] + out["timeouts"]
    out.update(
        rps=out["requests"] / seconds_run,
        ok=out["requests"] - out["non_2xx"],
        socket_errors=errors,
        p50_ms=out["p50_us"] / 1000,
        p90_ms=out["p90_us"] / 1000,
        p99_ms=out["p99_us"] / 1000,
        p999_ms=out["p999_us"] / 1000,
        max_ms=out["max_us"] / 1000,
        text=done.stdout.split("JSON {")[0].strip(),
    )
    paced = re.search(r"^RATE (\{.*\})$", done.stdout, re.M)
    if args.rate:
        if paced is None:
            raise RuntimeError(f"wrk printed no RATE line: {done.stdout}\n{done.stderr}")
        rate: dict[str, Any] = json.loads(paced.group(1))
        out.update(
            offered_rps=args.rate,
            late=rate["late"],
            late_share=rate["late"] / max(rate["sent"], 1),
            late_p99_ms=rate["late_p99_us"] / 1000,
            late_max_ms=rate["late_max_us"] / 1000,
        )
    return out


def wait_for_quiet(limit: float, patience: float) -> float:
    """Wait (at most ``patience`` seconds) until other processes use fewer than ``limit``
    cores, sampled over 3 s; returns the last sample."""
    deadline = time.monotonic() + patience
    while True:
        busy0, total0 = machine_busy()
        time.sleep(3)
        busy1, total1 = machine_busy()
        used = (os.cpu_count() or 1) * (busy1 - busy0) / max(total1 - total0, 1)
        if used < limit or time.monotonic() > deadline:
            return used
        print(f"  others use {used:.2f} cores: waiting for a quieter machine", flush=True)
        time.sleep(7)


def measure_target(
    target: str, store: Path, key: str, args: argparse.Namespace, profile_dir: Path | None
) -> dict[str, Any]:
    codes = store / "wrk-codes.txt"
    db = store / "store.db"
    server = (
        check_server(store, args.access_log)
        if target == "check"
        else baseline_server(store, args.access_log)
    )
    path = {"check": "/api/v1/checks", "async": "/async", "def": "/def"}[target]
    with server:
        url = server.url + path
        probe = httpx.post(
            url,
            headers={"Authorization": f"Bearer {key}"},
            json={"measure": MEASURE, "subjects": [codes.read_text().split()[0]], "purpose": "p"},
            timeout=30,
        )
        if probe.status_code != 200:
            raise RuntimeError(f"{target}: probe answered {probe.status_code} {probe.text}")
        wrk(url, key, codes, args.warmup, args)
        time.sleep(1)
        before = count_rows(db, "checks") if target == "check" else 0
        before_results = count_rows(db, "check_results") if target == "check" else 0
        offset = server.log_offset()
        cpu0 = tree_cpu(server.pid)
        threads0 = thread_cpu(server.pid)
        busy0, total0 = machine_busy()
        wrk0 = children_cpu()
        spy: subprocess.Popen[bytes] | None = None
        if profile_dir is not None and target == "check" and args.py_spy:
            spy = start_py_spy(args.py_spy, server.pid, profile_dir, args.seconds)
        result = wrk(url, key, codes, args.seconds, args)
        cpu1 = tree_cpu(server.pid)
        threads1 = thread_cpu(server.pid)
        busy1, total1 = machine_busy()
        n = max(result["requests"], 1)
        per_thread = {t: c - threads0.get(t, 0.0) for t, c in threads1.items()}
        main_ms = 1000 * per_thread.pop(server.pid, 0.0) / n
        result["main_thread_cpu_ms_per_request"] = main_ms
        result["other_threads_cpu_ms_per_request"] = sorted(
            (round(1000 * c / n, 4) for c in per_thread.values() if c > 0), reverse=True
        )
        wall = result["duration_us"] / 1e6
        cores = os.cpu_count() or 1
        result["machine_busy_cores"] = cores * (busy1 - busy0) / max(total1 - total0, 1)
        result["server_cores"] = (cpu1 - cpu0) / wall
        result["wrk_cores"] = (children_cpu() - wrk0) / wall
        result["others_cores"] = max(
            result["machine_busy_cores"] - result["server_cores"] - result["wrk_cores"], 0.0
        )
        if spy is not None:
            spy.wait(60)
        result["server_cpu_ms_per_request"] = (cpu1 - cpu0) * 1000 / max(result["requests"], 1)
        result["server_cpu_share"] = (cpu1 - cpu0) / (result["duration_us"] / 1e6)
        if target == "check":  # wait until the last in-flight checks are committed
            last, stable = -1, 0
            while stable < 3:
                now = count_rows(db, "checks")
                stable = stable + 1 if now == last else 0
                last = now
                time.sleep(0.5)
            result["logged_checks"] = last - before
            result["logged_results"] = count_rows(db, "check_results") - before_results
            result["logged_minus_2xx"] = result["logged_checks"] - result["ok"]
        time.sleep(0.5)
        result["server_statuses"] = server.statuses_since(offset)
    result["target"] = target
    return result


def start_py_spy(py_spy: str, pid: int, out: Path, seconds: int) -> subprocess.Popen[bytes]:
    out.mkdir(parents=True, exist_ok=True)
    argv = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(seconds - 4, 5)),
        "--rate",
        "200",
        "--format",
        "raw",
        "--threads",
        "--output",
        str(out / "py-spy.txt"),
        "--nonblocking",
    ]
    log = (out / "py-spy.log").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def summarise_py_spy(path: Path, top: int = 30) -> dict[str, Any]:
    """Shares of py-spy's samples (collapsed stacks, ``--threads``): per thread, per leaf
    function (self), and per function of xinyong (inclusive)."""
    threads: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        head, _, rest = stack.partition(";")
        name = re.sub(r"^thread \(\d+\):?\s*", "", head) if head.startswith("thread (") else "?"
        frames = [f for f in (rest if head.startswith("thread (") else stack).split(";") if f]
        if not frames:
            continue
        total += count
        threads[re.sub(r"_\d+$", "", name)] += count
        own[frames[-1]] += count
        for f in {re.sub(r":\d+\)$", ")", f) for f in frames}:  # per function
            if "xinyong/" in f and "cli/" not in f:
                incl[f] += count

    def share(c: int) -> float:
        return round(100 * c / max(total, 1), 1)

    return {
        "samples": total,
        "threads": [(t, share(c)) for t, c in threads.most_common()],
        "self": [(f, share(c)) for f, c in own.most_common(top)],
        "xinyong_inclusive": [(f, share(c)) for f, c in incl.most_common(top)],
    }


def single(args: argparse.Namespace) -> dict[str, Any]:
    store = ensure_store(args.store_subjects, args.store_listed)
    key = consumer_key(store)
    clear_check_log(store / "store.db")
    runs: list[dict[str, Any]] = []
    order = [t for t in ("async", "def", "check") if t in args.targets.split(",")]
    profile_dir = DATA / "profile" if args.py_spy else None
    for r in range(args.rounds):
        for target in order if r % 2 == 0 else order[::-1]:
            print(f"round {r + 1}: {target} ...", flush=True)
            idle_before = wait_for_quiet(args.quiet, args.quiet_wait) if args.quiet_wait else None
            res = measure_target(target, store, key, args, profile_dir)
            res["others_cores_before"] = idle_before
            res["round"] = r + 1
            runs.append(res)
            print(
                f"  {res['rps']:,.0f} req/s, p50 {res['p50_ms']:.2f} ms, "
                f"p99 {res['p99_ms']:.2f} ms, non-2xx {res['non_2xx']}, "
                f"errors {res['socket_errors']}, server CPU "
                f"{res['server_cpu_ms_per_request']:.3f} ms/req (main thread "
                f"{res['main_thread_cpu_ms_per_request']:.3f}, other threads "
                f"{sum(res['other_threads_cpu_ms_per_request']):.3f}); cores used by others "
                f"{res['others_cores']:.2f}",
                flush=True,
            )
    out: dict[str, Any] = {"runs": runs}
    best = {t: max((x for x in runs if x["target"] == t), key=lambda x: x["rps"]) for t in order}
    med = {t: statistics.median(x["rps"] for x in runs if x["target"] == t) for t in order}
    out["median_rps"] = med
    if "check" in med and "async" in med:
        out["check_over_async"] = med["check"] / med["async"]
    if "check" in med and "def" in med:
        out["check_over_def"] = med["check"] / med["def"]
    checks_runs = [x for x in runs if x["target"] == "check"]
    out["goal_met"] = bool(checks_runs) and all(
        x["rps"] >= GOALS["checks_per_s"]
        and x["p99_ms"] <= GOALS["p99_ms"]
        and x.get("late_p99_ms", 0.0) <= 1.0
        for x in checks_runs
    )
    out["every_check_logged"] = bool(checks_runs) and all(
        x["logged_checks"] >= x["ok"] and x["logged_results"] == x["logged_checks"]
        for x in checks_runs
    )
    out["best"] = {t: best[t]["rps"] for t in order}
    if profile_dir is not None and (profile_dir / "py-spy.txt").exists():
        out["py_spy"] = summarise_py_spy(profile_dir / "py-spy.txt")
    return out


def print_single(res: dict[str, Any], args: argparse.Namespace) -> None:
    names = {
        "async": "baseline: trivial `async def` (ceiling)",
        "def": "baseline: trivial plain `def`",
        "check": "`POST /api/v1/checks`, 1 subject",
    }
    paced = f", at a fixed {args.rate:,} requests/s (checks_rate.lua)" if args.rate else ""
    workers = args.server_workers
    processes = "1 uvicorn process" if workers == 1 else f"{workers} uvicorn worker processes"
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.seconds}s --latency{paced} "
        f"(after {args.warmup} s warm-up), {processes}, access log "
        f"{'on' if args.access_log else 'off'}\n"
    )
    print(
        "| round | endpoint | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx "
        "| socket errors | server CPU ms/req (main thread) | cores: server / wrk / others |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for x in res["runs"]:
        print(
            f"| {x['round']} | {names[x['target']]} | {x['rps']:,.0f} | {x['p50_ms']:.2f} | "
            f"{x['p90_ms']:.2f} | {x['p99_ms']:.2f} | {x['max_ms']:.1f} | {x['non_2xx']} | "
            f"{x['socket_errors']} | {x['server_cpu_ms_per_request']:.3f} "
            f"({x['main_thread_cpu_ms_per_request']:.3f}) | "
            f"{x['server_cores']:.2f} / {x['wrk_cores']:.2f} / {x['others_cores']:.2f} |"
        )
    if args.rate:
        print("\nsent later than scheduled (more than 1 ms: the server or machine fell behind):")
        for x in res["runs"]:
            print(
                f"  round {x['round']} {x['target']}: {x['late']:,} requests "
                f"({100 * x['late_share']:.2f} %), p99 of lateness {x['late_p99_ms']:.2f} ms, "
                f"max {x['late_max_ms']:.1f} ms"
            )
    if "check_over_async" in res:
        print(f"\ncheck / async ceiling (median req/s): {res['check_over_async']:.2f}")
    if "check_over_def" in res:
        print(f"check / plain def (median req/s): {res['check_over_def']:.2f}")
    for x in res["runs"]:
        if x["target"] == "check":
            extra = x["logged_minus_2xx"]
            how = (
                f"{extra} more: in flight when wrk stopped, logged but not counted by wrk"
                if extra >= 0
                else f"{-extra} MISSING from the log"
            )
            print(
                f"round {x['round']}: wrk 2xx {x['ok']:,}, `checks` rows added "
                f"{x['logged_checks']:,} ({how}), `check_results` rows "
                f"{x['logged_results']:,}; server access log statuses {x['server_statuses']}"
            )
    if any(x["target"] == "check" for x in res["runs"]):
        print(
            f"goal (>= {GOALS['checks_per_s']:,} checks/s, p99 <= {GOALS['p99_ms']} ms): "
            f"{'met' if res['goal_met'] else 'MISSED'}; every check logged: "
            f"{'yes' if res['every_check_logged'] else 'NO'}"
        )
    if "py_spy" in res:
        spy = res["py_spy"]
        print(f"\npy-spy of the check server under load: {spy['samples']} samples")
        print("per thread: " + ", ".join(f"{t} {p} %" for t, p in spy["threads"]))
        print("leaf functions (self):")
        for f, pct in spy["self"][:20]:
            print(f"  {pct:5.1f} %  {f}")
        print("xinyong functions (inclusive):")
        for f, pct in spy["xinyong_inclusive"][:20]:
            print(f"  {pct:5.1f} %  {f}")


# ---- app: the ASGI apps in-process, without HTTP ------------------------------------------


async def _drive(
    app: Any, method: str, path: str, bodies: list[bytes], key: str, clients: int
) -> dict[str, Any]:
    """Send ``bodies`` to an ASGI app from ``clients`` concurrent callers (no sockets, no
    HTTP parsing); main-thread and process CPU per request, statuses."""
    import asyncio

    statuses: collections.Counter[int] = collections.Counter()
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {key}".encode()),
    ]

    async def one(body: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] += 1

        await app(scope, receive, send)

    async def caller(mine: list[bytes]) -> None:
        for body in mine:
            await one(body)

    await caller(bodies[:200])  # warm-up
    statuses.clear()
    work = bodies[200:]
    cpu0, main0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
    await asyncio.gather(*(caller(work[i::clients]) for i in range(clients)))
    wall = time.perf_counter() - wall0
    n = len(work)
    return {
        "requests": n,
        "per_second": n / wall,
        "main_thread_cpu_us": 1e6 * (time.thread_time() - main0) / n,
        "process_cpu_us": 1e6 * (time.process_time() - cpu0) / n,
        "statuses": dict(statuses),
    }


def app_cost(args: argparse.Namespace) -> dict[str, Any]:
    """The apps' own cost per request, driven in-process on one event loop (no uvicorn, no
    sockets): the baseline's trivial ``async def``, xinyong's ``GET /api/v1/health``, and
    ``POST /api/v1/checks``; then cProfile of the event loop's thread during checks."""
    import asyncio
    import importlib.util

    store = ensure_store(args.store_subjects, args.store_listed)
    key = consumer_key(store)
    os.environ["XINYONG_DATABASE_URL"] = f"sqlite:///{store / 'store.db'}"
    from xinyong.api.app import create_app
    from xinyong.settings import Settings

    spec = importlib.util.spec_from_file_location("baseline_app", BASELINE_APP)
    assert spec is not None
    assert spec.loader is not None
    baseline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baseline)
    app = create_app(Settings())
    codes = (store / "wrk-codes.txt").read_text().split()
    rng = random.Random(7)
    n = args.requests + 200
    bodies = [
        orjson.dumps(
            {
                "measure": MEASURE,
                "subjects": [rng.choice(codes)],
                "purpose": "boarding check",
                "reference": "app",
            }
        )
        for _ in range(n)
    ]
    out: dict[str, Any] = {}

    async def run() -> None:
        out["baseline_async"] = await _drive(
            baseline.app, "POST", "/async", bodies, key, args.connections
        )
        async with app.router.lifespan_context(app):
            out["xinyong_health"] = await _drive(
                app, "GET", "/api/v1/health", [b""] * n, key, args.connections
            )
            out["xinyong_check"] = await _drive(
                app, "POST", "/api/v1/checks", bodies, key, args.connections
            )
            prof = cProfile.Profile()
            prof.enable()
            await _drive(app, "POST", "/api/v1/checks", bodies[: 200 + n // 4], key, 64)
            prof.disable()
        stats = pstats.Stats(prof)
        calls = n // 4
        rows = []
        for (file, line, func), (_cc, nc, tt, ct, _c) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct, tt, nc, f"{Path(file).parent.name}/{Path(file).name}:{line}({func})"))
        rows.sort(reverse=True)
        out["cprofile_requests"] = calls
        out["cprofile_cumulative"] = [
            {
                "function": f,
                "calls_per_request": c / calls,
                "cum_us": 1e6 * ct / calls,
                "self_us": 1e6 * tt / calls,
            }
            for ct, tt, c, f in rows[:60]
        ]
        by_self = sorted(rows, key=lambda r: -r[1])[:30]
        out["cprofile_self"] = [
            {"function": f, "calls_per_request": c / calls, "self_us": 1e6 * tt / calls}
            for _ct, tt, c, f in by_self
        ]

    asyncio.run(run())
    return out


def print_app(res: dict[str, Any]) -> None:
    print("\nThe apps in-process (no uvicorn, no sockets), concurrent callers on one loop\n")
    print("| what | requests/s | main-thread CPU µs/req | process CPU µs/req | statuses |")
    print("|---|--:|--:|--:|---|")
    for key, name in (
        ("baseline_async", "baseline: trivial `async def` (POST, same body)"),
        ("xinyong_health", "xinyong app: `GET /api/v1/health`"),
        ("xinyong_check", "xinyong app: `POST /api/v1/checks`, 1 subject"),
    ):
        r = res[key]
        print(
            f"| {name} | {r['per_second']:,.0f} | {r['main_thread_cpu_us']:.0f} | "
            f"{r['process_cpu_us']:.0f} | {r['statuses']} |"
        )
    print(f"\ncProfile of the event loop's thread, per check ({res['cprofile_requests']} checks):")
    print("cumulative µs, self µs, calls/request:")
    for row in res["cprofile_cumulative"][:45]:
        print(
            f"  {row['cum_us']:8.1f} {row['self_us']:8.1f} {row['calls_per_request']:6.1f}  "
            f"{row['function']}"
        )
    print("by self time:")
    for row in res["cprofile_self"][:25]:
        print(f"  {row['self_us']:8.1f} {row['calls_per_request']:6.1f}  {row['function']}")
