"""What the checks benchmark's steps share: the machine, servers and child processes, and
the cached 1M-subject store (see ``checks_bench.py``)."""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "var" / "bench"
DATA = BENCH / "checks"
LUA = ROOT / "benchmarks" / "checks_bench.lua"
RATE_LUA = ROOT / "benchmarks" / "checks_rate.lua"
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
    wrk_version = "not installed (apt install wrk: needed by `single`)"
    if shutil.which("wrk"):
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        wrk_version = (wrk.stdout + wrk.stderr).split("[")[0].strip()
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
        "wrk": wrk_version,
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


def tree_cpu(pid: int) -> float:
    """User + system seconds of a process and its child processes (uvicorn's workers)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                total += cpu_seconds_of(stat)
    return total


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


#: Server processes of both servers (``--server-workers``).
SERVER_WORKERS: list[int] = [1]


def _workers() -> list[str]:
    return ["--workers", str(SERVER_WORKERS[0])] if SERVER_WORKERS[0] > 1 else []


def check_server(store: Path, access_log: bool = True) -> Server:
    return Server(
        "xinyong serve",
        [str(XINYONG), "serve", *([] if access_log else ["--no-access-log"]), *_workers()],
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
            *_workers(),
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
