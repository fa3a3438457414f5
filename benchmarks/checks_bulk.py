"""The checks benchmark's ``bulk`` (one check of 100,000 subjects) and ``refresh`` steps."""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import json
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from checks_common import (
    CONSUMER,
    DATA,
    GOALS,
    MEASURE,
    MEASURES,
    XINYONG,
    baseline_server,
    check_server,
    consumer_key,
    ensure_store,
    env_for,
    run_child,
    stdout_json,
)

# ---- bulk ---------------------------------------------------------------------------------


def bulk_bodies(store: Path, n: int, runs: int, share: float) -> list[bytes]:
    listed = (store / "listed.txt").read_text().split()
    unlisted = (store / "unlisted.txt").read_text().split()
    bodies = []
    for i in range(runs):
        rng = random.Random(1000 + i)
        codes = rng.sample(listed, round(n * share)) + rng.sample(unlisted, n - round(n * share))
        rng.shuffle(codes)
        body = {
            "measure": MEASURE,
            "subjects": codes,
            "purpose": "bulk screening of applicants",
            "reference": f"bulk-{i}",
        }
        bodies.append(orjson.dumps(body))
    return bodies


def post_bodies(url: str, key: str, bodies: list[bytes], expect: int) -> list[dict[str, float]]:
    timings = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=300) as client:
        for body in bodies:
            started = time.perf_counter()
            with client.stream("POST", url, content=body, headers=headers) as resp:
                first = time.perf_counter()
                data = resp.read()
            ended = time.perf_counter()
            if resp.status_code != 200:
                raise RuntimeError(f"{url} answered {resp.status_code}: {data[:500]!r}")
            answer = orjson.loads(data)
            results = answer["results"]
            applies = sum(1 for r in results if r["decision"] == "applies")
            if len(results) != len(orjson.loads(body)["subjects"]) or applies != expect:
                raise RuntimeError(f"{url}: {len(results)} results, {applies} apply ({expect})")
            timings.append(
                {
                    "seconds": ended - started,
                    "to_headers": first - started,
                    "response_mib": len(data) / 2**20,
                }
            )
    return timings


class SqlTimer:
    """Seconds per SQL statement (by its first words), from SQLAlchemy's cursor events."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.by: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _stmt: str, *_a: Any) -> None:
        conn.info["xy_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, stmt: str, params: Any, *_a: Any) -> None:
        if not self.on:
            return
        took = time.perf_counter() - conn.info.pop("xy_started", time.perf_counter())
        words = re.sub(r"\s+", " ", stmt).strip()
        key = re.sub(r"\(\?(, \?)*\)", "(?…)", words)
        key = re.sub(r"__\[POSTCOMPILE_\w+\]", "(…)", key)[:110]
        if isinstance(params, list):
            key += f" ×{len(params)} rows"
        slot = self.by[key]
        slot[0] += 1
        slot[1] += took

    def table(self, runs: int) -> list[dict[str, Any]]:
        rows = [
            {"statement": k, "calls_per_run": c / runs, "ms_per_run": 1000 * s / runs}
            for k, (c, s) in self.by.items()
        ]
        return sorted(rows, key=lambda r: -r["ms_per_run"])


def in_process(store: Path, bodies: list[bytes], profile: bool) -> dict[str, Any]:
    """The server side of a check without HTTP: parse, decide + log + commit, serialise."""
    from xinyong.catalogue import default_catalogue
    from xinyong.checks import service
    from xinyong.checks.schemas import CheckIn
    from xinyong.db.engine import make_engine, writing
    from xinyong.db.types import utcnow
    from xinyong.ingest.importer import today_in
    from xinyong.lists.loader import load_declaration
    from xinyong.rating.loader import load_schemes
    from xinyong.settings import Settings

    url = f"sqlite:///{store / 'store.db'}"
    settings = Settings(database_url=url)
    catalogue = default_catalogue()
    schemes = load_schemes(settings.schemes_dir, catalogue)
    decl = load_declaration(settings.lists_path, catalogue, schemes)
    engine = make_engine(url)
    timer = SqlTimer(engine)
    asker = service.Asker(CONSUMER, None, tuple(MEASURES.split(",")))
    parts: dict[str, list[float]] = collections.defaultdict(list)

    def one(body: bytes) -> None:
        t0 = time.perf_counter()
        check = CheckIn.model_validate_json(body)
        t1 = time.perf_counter()
        kwargs: dict[str, Any] = {
            "measure_code": check.measure,
            "codes": check.subjects,
            "purpose": check.purpose,
            "reference": check.reference,
            "day": today_in(settings),
            "now": utcnow(),
        }
        with engine.connect() as conn, conn.begin():
            result = service.prepare_check(conn, decl, schemes, asker, **kwargs)
        t2 = time.perf_counter()
        with writing(engine) as conn:
            service.log_now(conn, result)
        t3 = time.perf_counter()
        names = ("decide (prepare_check, read transaction)", "log (log_now) + commit")
        payload = service.check_json(result)
        data = orjson.dumps(payload)
        t4 = time.perf_counter()
        parts["parse (Pydantic CheckIn)"].append(t1 - t0)
        parts[names[0]].append(t2 - t1)
        parts[names[1]].append(t3 - t2)
        parts["serialise (decision_json + orjson)"].append(t4 - t3)
        parts["total"].append(t4 - t0)
        assert data

    one(bodies[0])  # warm-up
    timer.on = True
    for body in bodies[1:]:
        one(body)
    timer.on = False
    out: dict[str, Any] = {
        "runs": len(bodies) - 1,
        "median_ms": {k: 1000 * statistics.median(v) for k, v in parts.items()},
        "sql": timer.table(len(bodies) - 1),
    }
    out["sql_ms_per_run"] = sum(r["ms_per_run"] for r in out["sql"])
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        one(bodies[-1])
        prof.disable()
        stats = pstats.Stats(prof)
        rows = []
        for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct, tt, nc, f"{Path(file).name}:{line}({func})"))
        rows.sort(reverse=True)
        out["cprofile_cumulative"] = [
            {"function": f, "calls": n, "cum_ms": 1000 * c, "self_ms": 1000 * t}
            for c, t, n, f in rows[:40]
        ]
    engine.dispose()
    return out


def fresh_check_log(store: Path) -> None:
    """Start every ``bulk`` run from the store as it was built, with an empty check log:
    each run logs about 1,000,000 result rows, and inserting into a bigger entity index
    (or into the free pages that deleting them leaves) is slower, so runs on a reused
    store would not compare. The built store is kept once as ``store.db.built``."""
    db, built = store / "store.db", store / "store.db.built"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not built.exists():
        with sqlite3.connect(db) as conn:
            (checks,) = conn.execute("SELECT COUNT(*) FROM checks").fetchone()
        if checks:
            raise SystemExit(f"{db} holds checks already: delete {store} and run again")
        shutil.copyfile(db, built)
    shutil.copyfile(built, db)


def bulk(args: argparse.Namespace) -> dict[str, Any]:
    store = ensure_store(args.store_subjects, args.store_listed)
    key = consumer_key(store)
    share = args.store_listed / args.store_subjects
    bodies = bulk_bodies(store, args.subjects, args.runs + 1, share)
    expect = round(args.subjects * share)
    out: dict[str, Any] = {
        "subjects": args.subjects,
        "listed": expect,
        "body_mib": len(bodies[0]) / 2**20,
    }
    fresh_check_log(store)
    with baseline_server(store, args.access_log) as base:
        t = post_bodies(base.url + "/bulk", key, bodies, expect)
        out["baseline"] = {"warmup": t[0], "runs": t[1:]}
    with check_server(store, args.access_log) as srv:
        t = post_bodies(srv.url + "/api/v1/checks", key, bodies, expect)
        out["check"] = {"warmup": t[0], "runs": t[1:]}
    for what in ("baseline", "check"):
        secs = [r["seconds"] for r in out[what]["runs"]]
        out[what]["median_s"] = statistics.median(secs)
        out[what]["max_s"] = max(secs)
        out[what]["min_s"] = min(secs)
        out[what]["median_to_headers_s"] = statistics.median(
            r["to_headers"] for r in out[what]["runs"]
        )
    out["server_side"] = in_process(store, bodies[: min(4, len(bodies))], profile=True)
    out["goal_met"] = out["check"]["max_s"] <= GOALS["bulk_s"]
    out["goal_met_median"] = out["check"]["median_s"] <= GOALS["bulk_s"]
    return out


def print_bulk(res: dict[str, Any]) -> None:
    print(
        f"\nOne check of {res['subjects']:,} subjects ({res['listed']:,} listed), body "
        f"{res['body_mib']:.1f} MiB; seconds, {len(res['check']['runs'])} runs after 1 warm-up\n"
    )
    print("| what | warm-up s | median s | max s | median to headers s | answer MiB |")
    print("|---|--:|--:|--:|--:|--:|")
    for what, name in (
        ("baseline", "baseline: same body and answer shape, in-memory set, no database"),
        ("check", "`POST /api/v1/checks`"),
    ):
        r = res[what]
        print(
            f"| {name} | {r['warmup']['seconds']:.3f} | {r['median_s']:.3f} | {r['max_s']:.3f} | "
            f"{r['median_to_headers_s']:.3f} | {r['runs'][0]['response_mib']:.1f} |"
        )
    side = res["server_side"]
    print(
        f"\nserver side in-process, the CLI's path (prepare_check, then log_now in one "
        f"transaction; the API logs in parts instead), median of {side['runs']} runs, ms:"
    )
    for k, v in side["median_ms"].items():
        print(f"  {k}: {v:.1f}")
    print(f"SQL ({side['sql_ms_per_run']:.1f} ms per run):")
    for row in side["sql"][:12]:
        print(
            f"  {row['ms_per_run']:8.1f} ms  {row['calls_per_run']:6.1f} calls  {row['statement']}"
        )
    rows = side.get("cprofile_cumulative", [])
    if rows:
        print("cProfile of one run (cumulative ms, self ms, calls; raw-cursor SQL shows here):")
        for row in rows[:25]:
            print(
                f"  {row['cum_ms']:8.1f} {row['self_ms']:8.1f} {row['calls']:7d}  {row['function']}"
            )
    print(
        f"goal (<= {GOALS['bulk_s']} s): {'met' if res['goal_met'] else 'MISSED'} (max), "
        f"{'met' if res['goal_met_median'] else 'MISSED'} (median)"
    )


# ---- refresh ------------------------------------------------------------------------------


def open_entries(db: Path) -> set[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db, timeout=60)) as conn:
        rows = conn.execute(
            "SELECT list_code, entity_id, basis_key, since, until, legal_basis, document_number "
            "FROM list_entries WHERE revision_to IS NULL"
        )
        return set(rows)


def refresh(args: argparse.Namespace) -> dict[str, Any]:
    folder = DATA / f"refresh-{args.records}r"
    city = folder / "city"
    db = folder / "refresh.db"
    env = env_for(db)
    logs = folder / "logs"
    imported_json = folder / "import.json"
    out: dict[str, Any] = {"records": args.records}
    if not args.skip_import or not imported_json.exists():
        if not (city / "done").exists():
            from xinyong.catalogue import default_catalogue
            from xinyong.synth import generate_city

            shutil.rmtree(city, ignore_errors=True)
            orgs = max(args.records // 20, 10)
            started = time.perf_counter()
            print(f"generating {args.records:,} records (once) ...", flush=True)
            rows = generate_city(default_catalogue(), orgs, orgs * 4, 5, 7, city, args.records)
            (city / "done").write_text(json.dumps(rows))
            print(f"  {sum(rows.values()):,} rows in {time.perf_counter() - started:.0f} s")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        made = run_child([str(XINYONG), "db", "upgrade"], env, logs / "db-upgrade.log")
        assert made["returncode"] == 0, made
        print("importing (timed) ...", flush=True)
        imp = run_child([str(XINYONG), "import", str(city), "--json"], env, logs / "import.log")
        totals = stdout_json(imp)
        imp["totals"] = {k: totals.get(k) for k in ("accepted", "unchanged", "corrected")}
        imp["totals"]["rejected"] = totals.get("rejected")
        del imp["stdout"]
        print(f"  {imp['seconds']:.1f} s, {imp['totals']}", flush=True)
        if not args.no_rate:
            print("rating everyone (not timed: grade-based lists need grades) ...", flush=True)
            rated = run_child([str(XINYONG), "rate", "--json"], env, logs / "rate.log")
            if rated["returncode"] != 0:
                raise RuntimeError(f"xinyong rate failed: {rated['stdout'][-2000:]}")
            imp["rate_seconds"] = rated["seconds"]
            print(f"  {rated['seconds']:.1f} s", flush=True)
        imported_json.write_text(json.dumps(imp, indent=2))
        out["import_reused"] = False
    else:
        out["import_reused"] = True
    imp = json.loads(imported_json.read_text())
    out["import"] = imp
    before = open_entries(db)
    with contextlib.closing(sqlite3.connect(db, timeout=60)) as conn:
        conn.execute("DELETE FROM list_entries")
        conn.execute("DELETE FROM list_revisions")
        conn.commit()
        out["records_in_store"] = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        out["subjects_in_store"] = conn.execute("SELECT count(*) FROM entities").fetchone()[0]
        out["ratings_in_store"] = conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
    print("re-evaluating every list membership from scratch (timed) ...", flush=True)
    ref = run_child([str(XINYONG), "lists", "refresh", "--json"], env, logs / "refresh.log")
    ref["reported"] = stdout_json(ref)
    del ref["stdout"]
    after = open_entries(db)
    out["refresh"] = ref
    out["entries"] = len(after)
    out["entries_per_list"] = dict(collections.Counter(e[0] for e in after))
    out["same_entries_as_before"] = before == after
    out["entries_before"] = len(before)
    print(f"  {ref['seconds']:.1f} s, {ref['reported']}, peak RSS {ref['peak_rss_mib']:.0f} MiB")
    print("refresh again (nothing changed) ...", flush=True)
    again = run_child([str(XINYONG), "lists", "refresh", "--json"], env, logs / "refresh2.log")
    again["reported"] = stdout_json(again)
    del again["stdout"]
    out["refresh_noop"] = again
    out["ratio"] = ref["seconds"] / imp["seconds"]
    out["cpu_ratio"] = ref["cpu_seconds"] / imp["cpu_seconds"]
    out["goal_met"] = out["ratio"] <= GOALS["refresh_ratio"]
    return out


def print_refresh(res: dict[str, Any]) -> None:
    imp, ref, again = res["import"], res["refresh"], res["refresh_noop"]
    print(
        f"\n{res['records_in_store']:,} records of {res['subjects_in_store']:,} subjects, "
        f"{res['ratings_in_store']:,} ratings; import "
        f"{'reused from an earlier run' if res['import_reused'] else 'in this run'}\n"
    )
    print("| step | wall s | CPU s | peak RSS MiB | what it did |")
    print("|---|--:|--:|--:|---|")
    print(
        f"| baseline: `xinyong import DIR` (1M records) | {imp['seconds']:.1f} | "
        f"{imp['cpu_seconds']:.1f} | {imp['peak_rss_mib']:.0f} | {imp['totals']} |"
    )
    for name, r in (
        ("`xinyong lists refresh` from scratch", ref),
        ("`xinyong lists refresh` again (no change)", again),
    ):
        rep = r["reported"]
        print(
            f"| {name} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['peak_rss_mib']:.0f} | "
            f"{rep['entries_added']:,} entries added, {rep['entries_closed']:,} closed, "
            f"{rep['subjects_changed']:,} subjects; its own clock {rep['seconds']:.1f} s |"
        )
    print(
        f"\nrefresh / import: {res['ratio']:.2f} wall, {res['cpu_ratio']:.2f} CPU "
        f"(goal <= {GOALS['refresh_ratio']}): "
        f"{'met' if res['goal_met'] else 'MISSED'}; entries per list {res['entries_per_list']}; "
        f"same entries as before the delete: {res['same_entries_as_before']}"
    )
