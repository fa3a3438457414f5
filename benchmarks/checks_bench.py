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

``single``: ``xinyong serve`` (one uvicorn process) on that store, a consumer key made with
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
(parsing, ``service.run_check`` with its commit, serialising) with SQL timed per statement.

``refresh``: a synthetic city of 1,000,000 records (``xinyong.synth``, as the import
benchmark) imported with ``xinyong import DIR --json`` into a fresh database (timed), rated
with ``xinyong rate`` (not timed: grade-based lists need grades), then ``list_entries`` and
``list_revisions`` emptied and ``xinyong lists refresh --json`` timed, with its peak RSS
(``wait4``). The entries it makes are compared with those there before the delete.
``refresh --skip-import`` reuses the imported database and the import time measured then.

``app``: the baseline app and xinyong's app driven in-process (no uvicorn, no sockets) by 64
concurrent callers on one event loop; CPU of the loop's thread per request, and cProfile of
that thread during checks: where a check's time goes, with little noise.

Options: ``--seconds``, ``--warmup``, ``--connections``, ``--threads``, ``--rounds``,
``--targets async,def,check``, ``--quiet-wait S`` (wait for other processes to use under
``--quiet`` cores first), ``--no-access-log``, ``--server-pythonpath DIR`` (e.g. a folder
with uvloop and httptools), ``--py-spy PATH`` (also profile the check server under load)
for single; ``--requests`` (app); ``--subjects``, ``--runs`` (bulk); ``--records``,
``--skip-import``, ``--no-rate`` (refresh). ``--store-subjects``/``--store-listed`` make a
smaller store for trying the script out.
Results: a Markdown summary on stdout, JSON in ``var/bench/checks_bench-<step>-<time>.json``.
Data under ``var/bench/checks/``. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import csv
import datetime as dt
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "var" / "bench"
DATA = BENCH / "checks"
LUA = ROOT / "benchmarks" / "checks_bench.lua"
BASELINE_APP = ROOT / "benchmarks" / "baseline_app.py"
XINYONG = Path(sys.executable).parent / "xinyong"
GENERATOR = 1  # bump when the store's data changes, so that an old store is rebuilt
MEASURE = "restrict_flights_rail"
CONSUMER = "civil_aviation"
MEASURES = "restrict_flights_rail,restrict_high_consumption"
DIVISIONS = ("350203", "350205", "350206", "350211", "350212", "350213")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文辉鹏飞燕晓宇"
GOALS = {"checks_per_s": 3000, "p99_ms": 10.0, "bulk_s": 1.0, "refresh_ratio": 2.0}


# ---- machine and processes --------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    osr = Path("/etc/os-release")
    pretty = re.search(r'PRETTY_NAME="?([^"\n]*)', osr.read_text()) if osr.exists() else None
    versions: dict[str, str] = {}
    for name in ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "httpx"):
        with contextlib.suppress(Exception):
            versions[name] = __import__(name).__version__
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "ram_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "os": pretty.group(1) if pretty else platform.platform(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout + wrk.stderr).split("[")[0].strip(),
        "commit": commit + (" (src/ modified)" if dirty else ""),
        "load_average": os.getloadavg(),
        **versions,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(db: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["XINYONG_DATABASE_URL"] = f"sqlite:///{db}"
    env.update(extra)
    return env


def cpu_seconds(pid: int) -> float:
    """User + system seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of a process (by thread id; the main thread's is ``pid``)."""
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            out[int(task.name)] = cpu_seconds_of(task / "stat")
    return out


def cpu_seconds_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already in user
    return total - idle, total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: Prepended to the servers' PYTHONPATH (``--server-pythonpath``), e.g. a folder holding
#: uvloop and httptools (``pip install --target DIR uvloop httptools``), which uvicorn then uses.
SERVER_PYTHONPATH: list[str] = []


def server_env(env: dict[str, str]) -> dict[str, str]:
    if SERVER_PYTHONPATH:
        env = dict(env)
        env["PYTHONPATH"] = os.pathsep.join(
            [*SERVER_PYTHONPATH, *filter(None, [env.get("PYTHONPATH")])]
        )
    return env


class Server:
    """A server process on a free loopback port: started, awaited on /api/v1/health, and
    stopped (SIGTERM, then SIGKILL after 20 s) on exit, whatever happens."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.env, self.log_path = name, server_env(env), log
        self.port = free_port()
        self.argv = [*argv, "--host", "127.0.0.1", "--port", str(self.port)]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.__exit__(None, None, None)
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.name} did not answer /api/v1/health in 180 s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_offset(self) -> int:
        return self.log_path.stat().st_size

    def statuses_since(self, offset: int) -> dict[str, int]:
        """Status codes of the access-log lines written after ``offset``."""
        with self.log_path.open("rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return dict(collections.Counter(re.findall(r'HTTP/1\.[01]" (\d{3})', text)))

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(AttributeError):
            self.log.close()


def check_server(store: Path, access_log: bool = True) -> Server:
    return Server(
        "xinyong serve",
        [str(XINYONG), "serve", *([] if access_log else ["--no-access-log"])],
        env_for(store / "store.db"),
        store / "logs" / "xinyong-serve.log",
    )


def baseline_server(store: Path, access_log: bool = True) -> Server:
    return Server(
        "baseline app",
        [
            sys.executable,
            str(BASELINE_APP),
            "--listed",
            str(store / "listed.txt"),
            *([] if access_log else ["--no-access-log"]),
        ],
        dict(os.environ),
        store / "logs" / "baseline-app.log",
    )


def run_child(argv: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run a command; its wall time, exit code, stdout, CPU and peak RSS (``wait4``)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
    return {
        "argv": " ".join(a if "/" not in a else Path(a).name for a in argv),
        "seconds": wall,
        "returncode": proc.returncode,
        "stdout": out.decode(errors="replace"),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def stdout_json(result: dict[str, Any]) -> dict[str, Any]:
    text = result["stdout"]
    start = text.find("{")
    if result["returncode"] not in (0, 2) or start < 0:
        raise RuntimeError(f"{result['argv']} failed ({result['returncode']}): {text[-2000:]}")
    parsed: dict[str, Any] = json.loads(text[start:])
    return parsed


# ---- the 1M-subject store ---------------------------------------------------------------


def store_dir(subjects: int, listed: int) -> Path:
    return DATA / f"store-{subjects}s-{listed}l-g{GENERATOR}"


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _codes(rng: random.Random, orgs: int, persons: int) -> tuple[list[str], list[str]]:
    from xinyong.identifiers import make_ric, make_uscc

    seen: set[str] = set()
    org_codes: list[str] = []
    while len(org_codes) < orgs:
        code = make_uscc(rng, rng.choice(DIVISIONS), "91")
        if code not in seen:
            seen.add(code)
            org_codes.append(code)
    person_codes: list[str] = []
    first = dt.date(1950, 1, 1)
    while len(person_codes) < persons:
        born = first + dt.timedelta(days=rng.randrange(20000))
        code = make_ric(rng, rng.choice(DIVISIONS), born, female=rng.random() < 0.5)
        if code not in seen:
            seen.add(code)
            person_codes.append(code)
    return org_codes, person_codes


ENVELOPE = (
    "record_type",
    "provider_record_id",
    "subject_kind",
    "subject_code",
    "subject_name",
    "decided_on",
    "severity",
    "legal_basis",
    "document_number",
    "publicity_until",
)


def _write_csv(path: Path, fields: Sequence[str], rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*ENVELOPE, *fields], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


def write_store_csvs(folder: Path, subjects: int, listed: int, seed: int) -> dict[str, Any]:
    """The store's three provider files, and the listed and unlisted codes."""
    rng = random.Random(seed)
    plain = subjects - listed
    plain_orgs = round(plain * 0.7)
    listed_orgs = round(listed * 0.6)
    orgs, persons = _codes(rng, plain_orgs + listed_orgs, plain - plain_orgs + listed - listed_orgs)
    today = dt.date.today()
    folder.mkdir(parents=True, exist_ok=True)

    def reports() -> Iterator[dict[str, Any]]:
        for i, code in enumerate(orgs[:plain_orgs]):
            submitted = today - dt.timedelta(days=rng.randrange(30, 700))
            yield {
                "record_type": "annual_report",
                "provider_record_id": f"AR{i:07d}",
                "subject_kind": "organisation",
                "subject_code": code,
                "subject_name": f"厦门{code[10:16]}商贸有限公司",
                "decided_on": submitted.isoformat(),
                "report_year": submitted.year - 1,
                "submitted_on": submitted.isoformat(),
            }

    def volunteering() -> Iterator[dict[str, Any]]:
        for i, code in enumerate(persons[: plain - plain_orgs]):
            day = today - dt.timedelta(days=rng.randrange(30, 700))
            yield {
                "record_type": "volunteer_service",
                "provider_record_id": f"VS{i:07d}",
                "subject_kind": "person",
                "subject_code": code,
                "subject_name": _person_name(rng),
                "decided_on": day.isoformat(),
                "hours": rng.randint(1, 200),
                "volunteer_organisation": "厦门市志愿者联合会",
            }

    def judgments() -> Iterator[dict[str, Any]]:
        chosen = [("organisation", c) for c in orgs[plain_orgs:]]
        chosen += [("person", c) for c in persons[plain - plain_orgs :]]
        for i, (kind, code) in enumerate(chosen):
            decided = today - dt.timedelta(days=rng.randrange(10, 600))
            number = f"（{decided.year}）闽02执{i:06d}号"
            yield {
                "record_type": "judgment_default",
                "provider_record_id": f"JD{i:07d}",
                "subject_kind": kind,
                "subject_code": code,
                "subject_name": (
                    f"厦门{code[10:16]}贸易有限公司"
                    if kind == "organisation"
                    else _person_name(rng)
                ),
                "decided_on": decided.isoformat(),
                "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
                "document_number": number,
                "case_number": number,
                "court": "厦门市中级人民法院",
                "filing_date": (decided - dt.timedelta(days=30)).isoformat(),
                "enforcement_basis": "民事判决书",
                "obligation": "支付货款",
                "performance_status": "unperformed",
                "conduct": "able_but_refusing",
            }

    counts = {
        "market_regulation": _write_csv(
            folder / "market_regulation.csv", ("report_year", "submitted_on"), reports()
        ),
        "civil_affairs": _write_csv(
            folder / "civil_affairs.csv", ("hours", "volunteer_organisation"), volunteering()
        ),
        "court": _write_csv(
            folder / "court.csv",
            (
                "case_number",
                "court",
                "filing_date",
                "enforcement_basis",
                "obligation",
                "performance_status",
                "conduct",
            ),
            judgments(),
        ),
    }
    listed_codes = orgs[plain_orgs:] + persons[plain - plain_orgs :]
    unlisted_codes = orgs[:plain_orgs] + persons[: plain - plain_orgs]
    (folder.parent / "listed.txt").write_text("\n".join(listed_codes) + "\n")
    (folder.parent / "unlisted.txt").write_text("\n".join(unlisted_codes) + "\n")
    return counts


def ensure_store(subjects: int, listed: int, seed: int = 4) -> Path:
    """Build the store once; later runs reuse it (its manifest says it is complete)."""
    store = store_dir(subjects, listed)
    manifest = store / "manifest.json"
    if manifest.exists():
        return store
    from xinyong.catalogue import default_catalogue
    from xinyong.db.engine import make_engine
    from xinyong.db.migrate import upgrade
    from xinyong.ingest.importer import files_to_import, import_files
    from xinyong.settings import Settings

    shutil.rmtree(store, ignore_errors=True)
    print(f"building {store.relative_to(ROOT)} (once; a few minutes)", flush=True)
    started = time.perf_counter()
    counts = write_store_csvs(store / "csv", subjects, listed, seed)
    wrote = time.perf_counter() - started
    print(f"  wrote CSVs {counts} in {wrote:.0f} s", flush=True)
    url = f"sqlite:///{store / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    imported = time.perf_counter()
    settings = Settings(database_url=url)
    files = files_to_import(store / "csv", None)
    summaries, failures = import_files(engine, default_catalogue(), settings, files)
    assert not failures, failures
    rejected = sum(s.rejected for s in summaries)
    assert not rejected, [e for s in summaries for e in s.errors][:5]
    with engine.connect() as conn:
        from sqlalchemy import text

        n_entities = conn.execute(text("SELECT count(*) FROM entities")).scalar_one()
        n_listed = conn.execute(
            text(
                "SELECT count(DISTINCT entity_id) FROM list_entries "
                "WHERE list_code = 'judgment_defaulters' AND revision_to IS NULL"
            )
        ).scalar_one()
    engine.dispose()
    assert n_entities == subjects, (n_entities, subjects)
    assert n_listed == listed, (n_listed, listed)
    # the codes wrk draws from: 200,000, 5 % of them listed, shuffled
    rng = random.Random(seed + 1)
    listed_codes = (store / "listed.txt").read_text().split()
    unlisted_codes = (store / "unlisted.txt").read_text().split()
    n = min(200_000, subjects)
    k = round(n * listed / subjects)
    sample = rng.sample(listed_codes, k) + rng.sample(unlisted_codes, n - k)
    rng.shuffle(sample)
    (store / "wrk-codes.txt").write_text("\n".join(sample) + "\n")
    info = {
        "generator": GENERATOR,
        "subjects": subjects,
        "listed": listed,
        "files": counts,
        "import_seconds": round(time.perf_counter() - imported, 1),
        "build_seconds": round(time.perf_counter() - started, 1),
        "db_mib": round((store / "store.db").stat().st_size / 2**20),
        "built_on": dt.date.today().isoformat(),
    }
    shutil.rmtree(store / "csv")  # 1M rows are in the database now
    manifest.write_text(json.dumps(info, indent=2))
    print(f"  built in {info['build_seconds']} s: {info}", flush=True)
    return store


def consumer_key(store: Path) -> str:
    """The store's consumer key (made once with ``xinyong keys create``)."""
    path = store / "key.txt"
    if path.exists():
        return path.read_text().strip()
    made = run_child(
        [
            str(XINYONG),
            "keys",
            "create",
            "--consumer",
            CONSUMER,
            "--measures",
            MEASURES,
            "--label",
            "checks_bench",
        ],
        env_for(store / "store.db"),
        store / "logs" / "keys-create.log",
    )
    if made["returncode"] != 0:
        raise RuntimeError(f"xinyong keys create failed: {made['stdout']}")
    key = str(made["stdout"]).strip().splitlines()[-1].strip()
    path.write_text(key + "\n")
    return key


def count_rows(db: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=60)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def clear_check_log(db: Path) -> None:
    """Empty the check log, so that runs start from the same store."""
    with contextlib.closing(sqlite3.connect(db, timeout=60)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in ("check_feedback", "check_results", "checks"):
            if table in tables:
                conn.execute(f"DELETE FROM {table}")
        conn.commit()


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
        str(LUA),
        url,
        "--",
        key,
        str(codes),
        MEASURE,
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
        cpu0 = cpu_seconds(server.pid)
        threads0 = thread_cpu(server.pid)
        busy0, total0 = machine_busy()
        wrk0 = children_cpu()
        spy: subprocess.Popen[bytes] | None = None
        if profile_dir is not None and target == "check" and args.py_spy:
            spy = start_py_spy(args.py_spy, server.pid, profile_dir, args.seconds)
        result = wrk(url, key, codes, args.seconds, args)
        cpu1 = cpu_seconds(server.pid)
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
        x["rps"] >= GOALS["checks_per_s"] and x["p99_ms"] <= GOALS["p99_ms"] for x in checks_runs
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
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.seconds}s --latency "
        f"(after {args.warmup} s warm-up), 1 uvicorn process, access log "
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

    prepare = getattr(service, "prepare_check", None)  # decide, then log (group commit)

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
        if prepare is not None:
            with engine.connect() as conn, conn.begin():
                result = prepare(conn, decl, schemes, asker, **kwargs)
            t2 = time.perf_counter()
            with writing(engine) as conn:
                service.log_now(conn, result)
            t3 = time.perf_counter()
            names = ("decide (prepare_check, read transaction)", "log (log_now) + commit")
        else:  # older code: decide and log in one call
            with writing(engine) as conn:
                result = service.run_check(conn, decl, schemes, asker, **kwargs)  # type: ignore[attr-defined]
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            names = ("run_check (lookup, decide, log)", "commit")
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
    print(f"\nserver side in-process (median of {side['runs']} runs, ms):")
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
    parser.add_argument("--py-spy", help="single: path of py-spy, to profile the check server")
    parser.add_argument("--requests", type=int, default=20_000, help="app: requests per app")
    parser.add_argument("--subjects", type=int, default=100_000, help="bulk: subjects per check")
    parser.add_argument("--runs", type=int, default=5, help="bulk: measured runs")
    parser.add_argument("--records", type=int, default=1_000_000, help="refresh: records")
    parser.add_argument("--skip-import", action="store_true", help="refresh: reuse the import")
    parser.add_argument("--no-rate", action="store_true", help="refresh: do not rate first")
    args = parser.parse_args()
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
