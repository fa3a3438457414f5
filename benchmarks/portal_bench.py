"""Benchmark of the portal's entity page and credit report for a subject with 500 records.

    python benchmarks/portal_bench.py [--db FILE | --database-url URL] [--fresh]
        [--orgs 5000] [--persons 20000] [--requests 200] [--reports 20]

Builds a store (or reuses one it built before, found by its target subject): a synthetic
city from ``xinyong.synth`` (``--orgs`` organisations, ``--persons`` persons, about 12 records
per organisation and 2 per person, from the 12 authorities) imported with the importer, in
which one organisation, :data:`TARGET`, has exactly ``--records`` (500) records of every type
an organisation may have, moved onto it from other organisations' rows, 50 of them corrected
(a second version imported afterwards); and a second organisation, :data:`SMALL`, with one
record, the baseline. Everyone is then rated (the three shipped schemes) and the lists are
refreshed, as ``xinyong demo`` does. Through the API the target then files objections
(against two records, a listing and a grade), adds statements, hides a positive record and
applies to restore a penalty, so that the page shows every kind of mark.

Then, through the real application in-process (``fastapi.testclient.TestClient``, no sockets),
after ``--warmup`` requests each, it times ``--requests`` requests of each page. *Server time*
is measured by an ASGI wrapper around the application: from the moment the request enters
the app to the last byte of the answer, so it leaves out the test client. Statements per
request are counted on the engine. Timed: the entity page in Chinese and in English, the same
subject's JSON (``/api/v1/entities/{code}``, the baseline of the same data) and the page of
the one-record subject (the baseline of the same page); then ``--reports`` report PDFs
(``/api/v1/entities/{code}/report.pdf``, which also registers and audits each report) and,
without HTTP, the report's two parts: its content (``reports.service.build_content``) and the
PDF (``reports.pdf.render``).

SQLite: ``--db FILE`` (default ``var/bench/portal.db``). PostgreSQL: ``--database-url
postgresql+psycopg://user@host:port/db`` (the database must exist; ``--fresh`` empties it by
dropping its schema ``public``). Results: ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import gc
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url

from xinyong.api.app import create_app
from xinyong.auth.keys import create_subject_token
from xinyong.catalogue import default_catalogue
from xinyong.catalogue.model import Catalogue
from xinyong.changes import lists_refreshed
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import ensure_schema
from xinyong.db.tables import entities, record_versions, records
from xinyong.db.types import utcnow
from xinyong.ingest.importer import files_to_import, import_files, today_in
from xinyong.lists.loader import load_declaration
from xinyong.rating.loader import load_schemes
from xinyong.rating.service import rate_schemes
from xinyong.reports import pdf
from xinyong.reports import service as reports
from xinyong.settings import Settings
from xinyong.synth import generate_city

TARGET = "91350200776049653A"
TARGET_NAME = "厦门鑫达贸易有限公司"
SMALL = "913502000728319549"
SMALL_NAME = "厦门禾信电子有限公司"
CORRECTED = 50
SEED = 6
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Scope]]
Send = Callable[[Scope], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# ---- the store ---------------------------------------------------------------------------


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def make_files(
    catalogue: Catalogue, folder: Path, args: argparse.Namespace, today: dt.date
) -> Path:
    """The city's files, with ``args.records`` organisation rows moved onto the target (in
    proportion to each file's organisation rows, so every type an organisation has) and one
    onto the small subject; and a folder of corrections (second versions) of 50 of them."""
    city = folder / "city"
    generate_city(catalogue, args.orgs, args.persons, 5, SEED, city, as_of=today, workers=1)
    files = sorted(city.glob("*.csv"))
    loaded = {p: _rows(p) for p in files}
    candidates = {
        p: [
            r
            for r in rows
            if r["subject_kind"] == "organisation" and r["record_type"] != "business_registration"
        ]
        for p, (_, rows) in loaded.items()
    }
    total = sum(len(c) for c in candidates.values())
    wanted = args.records
    moved: dict[Path, list[dict[str, str]]] = {}
    for i, p in enumerate(files):
        share = round(wanted * len(candidates[p]) / total) if i < len(files) - 1 else wanted
        share = min(share, len(candidates[p]), wanted)
        wanted -= share
        step = max(1, len(candidates[p]) // max(share, 1))
        moved[p] = candidates[p][::step][:share]
    if wanted:
        sys.exit(f"the city is too small for {args.records} records of one organisation")
    for rows in moved.values():
        for r in rows:
            r["subject_code"], r["subject_name"] = TARGET, TARGET_NAME
    small = next(r for rows in candidates.values() for r in rows if r["subject_code"] != TARGET)
    small["subject_code"], small["subject_name"] = SMALL, SMALL_NAME
    corrections = folder / "corrections"
    corrections.mkdir()
    left = CORRECTED
    for p, (columns, rows) in loaded.items():
        _write(p, columns, rows)
        fixed = [dict(r) for r in moved[p][: max(0, min(left, len(moved[p]) // 2))]]
        for r in fixed:
            r["legal_basis"] = (r["legal_basis"] or "") + "（更正）"
        left -= len(fixed)
        if fixed:
            _write(corrections / p.name, columns, fixed)
    return city


def build(engine: Engine, settings: Settings, args: argparse.Namespace) -> None:
    catalogue = default_catalogue(settings.catalogue_path)
    today = today_in(settings)
    folder = Path(tempfile.mkdtemp(prefix="xinyong-portal-bench-"))
    try:
        city = make_files(catalogue, folder, args, today)
        started = time.perf_counter()
        for where in (city, folder / "corrections"):
            summaries, failures = import_files(
                engine, catalogue, settings, files_to_import(where, None), refresh_lists=False
            )
            rejected = sum(s.rejected for s in summaries)
            if failures or rejected:
                _progress(f"{where.name}: {rejected} rows rejected, {len(failures)} files failed")
        _progress(f"imported in {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(folder)
    schemes = load_schemes(settings.schemes_dir, catalogue)
    with writing(engine) as conn:
        rate_schemes(
            conn,
            catalogue,
            list(schemes.values()),
            as_of=today,
            today=today,
            now=utcnow(),
            timezone=settings.timezone,
        )
        lists_refreshed(
            conn,
            catalogue,
            schemes,
            load_declaration(settings.lists_path, catalogue, schemes),
            None,
            today=today,
            now=utcnow(),
            reason="portal benchmark",
        )
    _progress("rated and listed")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PDF_PROOF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% receipt: fine paid\n%%EOF\n"
COMMITMENT = (
    "本单位承诺已纠正失信行为、履行全部法定义务，今后依法诚信经营，如违背承诺自愿接受惩戒。"
)


def add_marks(client: TestClient, engine: Engine) -> list[str]:
    """The target's rights at work: objections, statements, a hidden record, a restoration.
    Returns what was done (some steps may not apply to the drawn records)."""
    with writing(engine) as conn:
        token = create_subject_token(conn, TARGET, hours=24, label="portal benchmark")
    me = _bearer(token)
    file = client.get("/api/v1/me/file", headers=me).json()
    recs = file.get("records", [])
    done: list[str] = []
    negative = [r for r in recs if r.get("record_type") in ("admin_penalty", "judgment_default")]
    for r in negative[:2]:
        body = {"target": r["id"], "grounds": "error_or_omission", "statement": "已履行。"}
        answer = client.post("/api/v1/objections", json=body, headers=me)
        if answer.status_code == 201:
            oid = answer.json()["id"]
            said = client.post(
                f"/api/v1/objections/{oid}/statement", json={"text": "补充说明。"}, headers=me
            )
            done.append(f"objection {answer.status_code}, statement {said.status_code}")
    for target in ("listing:judgment_defaulters", "grade:city_grade"):
        body = {"target": target, "grounds": "error_or_omission", "statement": "有误。"}
        answer = client.post("/api/v1/objections", json=body, headers=me)
        done.append(f"{target} {answer.status_code}")
    for r in [r for r in recs if r.get("record_type") == "honour"][:1]:
        answer = client.put(
            f"/api/v1/me/records/{r['id']}/hidden", json={"hidden": True}, headers=me
        )
        done.append(f"hide {answer.status_code}")
    proof = {
        "filename": "receipt.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF_PROOF).decode(),
    }
    for r in [r for r in recs if r.get("record_type") == "admin_penalty"][2:40]:
        body = {"record_id": r["id"], "commitment": COMMITMENT, "evidence": [proof]}
        answer = client.post("/api/v1/restorations", json=body, headers=me)
        if answer.status_code == 201:
            done.append("restoration 201")
            break
    return done


def describe(engine: Engine) -> str:
    with engine.connect() as conn:
        n_entities = conn.execute(select(func.count()).select_from(entities)).scalar_one()
        n_versions = conn.execute(select(func.count()).select_from(record_versions)).scalar_one()
        target = conn.execute(select(entities.c.id).where(entities.c.code == TARGET)).scalar_one()
        mine = conn.execute(
            select(func.count()).select_from(records).where(records.c.entity_id == target)
        ).scalar_one()
        versions = conn.execute(
            select(func.count())
            .select_from(record_versions)
            .where(record_versions.c.entity_id == target)
        ).scalar_one()
        if conn.dialect.name == "sqlite":
            name = f"SQLite {conn.execute(text('SELECT sqlite_version()')).scalar_one()}"
        else:
            name = f"PostgreSQL {conn.execute(text('SHOW server_version')).scalar_one()}"
    return (
        f"{name}: {n_entities:,} subjects, {n_versions:,} record versions; "
        f"the target has {mine} records ({versions} versions)"
    )


def has_target(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.execute(select(entities.c.id).where(entities.c.code == TARGET)).first()
    return found is not None


# ---- timing ------------------------------------------------------------------------------


class ServerTime:
    """ASGI wrapper: the time from a request's arrival to the last byte of its answer, and
    the process's CPU time meanwhile (the test client waits, so it is the server's)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.last_ms = 0.0
        self.last_cpu_ms = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, cpu = time.perf_counter(), time.process_time()

        async def timed_send(message: Scope) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_ms = (time.perf_counter() - started) * 1000
                self.last_cpu_ms = (time.process_time() - cpu) * 1000

        await self.app(scope, receive, timed_send)


class FullCollections:
    """Counts the garbage collector's full (generation 2) collections."""

    def __init__(self) -> None:
        self.count = 0
        gc.callbacks.append(self._one)

    def _one(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            self.count += 1


class Statements:
    """Counts the statements the engine runs."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.count += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Probe:
    """What is measured besides the time: statements, full collections, CPU."""

    def __init__(self, engine: Engine, timer: ServerTime) -> None:
        self.timer = timer
        self.statements = Statements(engine)
        self.collections = FullCollections()


def timed_get(
    client: TestClient, probe: Probe, url: str, headers: dict[str, str], warmup: int, n: int
) -> tuple[list[float], dict[str, float]]:
    """Server times (ms) of ``n`` requests after ``warmup``; per request the statements, the
    median CPU ms, the bytes; and the full collections in all."""
    for _ in range(warmup):
        answer = client.get(url, headers=headers)
        if answer.status_code != 200:
            sys.exit(f"GET {url}: {answer.status_code} {answer.text[:300]}")
    statements, collections = probe.statements.count, probe.collections.count
    out, cpu = [], []
    for _ in range(n):
        client.get(url, headers=headers)
        out.append(probe.timer.last_ms)
        cpu.append(probe.timer.last_cpu_ms)
    return out, {
        "statements": (probe.statements.count - statements) / n,
        "cpu": statistics.median(cpu),
        "gc": probe.collections.count - collections,
        "kib": len(answer.content) / 1024,
    }


def timed_call(run: Callable[[], object], warmup: int, n: int) -> list[float]:
    for _ in range(warmup):
        run()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(what: str, ms: list[float], extra: dict[str, float] | None = None) -> str:
    cells = [f"{pct(ms, q):.1f}" for q in (0.5, 0.95, 0.99)] + [f"{max(ms):.1f}"]
    more = extra or {}
    cells.append(f"{more['cpu']:.1f}" if "cpu" in more else "")
    cells += [f"{more[k]:.0f}" if k in more else "" for k in ("gc", "statements", "kib")]
    return f"| {what} | {len(ms)} | " + " | ".join(cells) + " |"


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text()
    cpu = re.search(r"model name\s*:\s*(.*)", info)
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    cores = info.count("processor\t:")
    ram = int(mem.group(1)) / 2**20 if mem else 0
    return (
        f"{cpu.group(1) if cpu else platform.processor()}, {cores} cores, {ram:.0f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def time_pages(client: TestClient, probe: Probe, args: argparse.Namespace) -> list[str]:
    zh = {"Accept-Language": "zh-CN"}
    en = {"Accept-Language": "en"}
    page = f"/entities/{TARGET}"
    rows = []
    for what, url, headers in (
        ("entity page, 500 records, zh", page, zh),
        ("entity page, 500 records, en", page, en),
        ("baseline: JSON of the same subject", f"/api/v1/entities/{TARGET}", zh),
        ("baseline: entity page, 1 record", f"/entities/{SMALL}", zh),
    ):
        _progress(f"timing {what}")
        ms, extra = timed_get(client, probe, url, headers, args.warmup, args.requests)
        rows.append(line(what, ms, extra))
    # What the page costs when the objects made at start-up (modules, catalogue, schemes,
    # routes: about 250,000) are moved out of the collector's reach, as a server would do
    # once started; each full collection then scans only what was made since.
    gc.collect()
    gc.freeze()
    try:
        _progress("timing the entity page after gc.freeze()")
        ms, extra = timed_get(client, probe, page, zh, args.warmup, args.requests)
        rows.append(line("entity page, 500 records, zh, after `gc.freeze()`", ms, extra))
    finally:
        gc.unfreeze()
    return rows


def time_reports(
    client: TestClient, probe: Probe, engine: Engine, settings: Settings, args: argparse.Namespace
) -> list[str]:
    rows = []
    for what, code in (
        ("report PDF, 500 records", TARGET),
        ("baseline: report PDF, 1 record", SMALL),
    ):
        _progress(f"timing {what}")
        url = f"/api/v1/entities/{code}/report.pdf"
        ms, extra = timed_get(client, probe, url, {}, 2, args.reports)
        rows.append(line(what + " (HTTP)", ms, extra))
    catalogue = default_catalogue(settings.catalogue_path)
    schemes = load_schemes(settings.schemes_dir, catalogue)
    ctx = reports.Context(
        catalogue=catalogue,
        schemes=schemes,
        declaration=load_declaration(settings.lists_path, catalogue, schemes),
        today=today_in(settings),
        timezone=settings.timezone,
    )
    with engine.connect() as conn:

        def build_it() -> dict[str, Any]:
            return reports.build_content(conn, ctx, TARGET, view=reports.PUBLIC, as_of=None)[1]

        content = build_it()
        ms = timed_call(build_it, 2, args.reports)
        rows.append(line("report content (`build_content`)", ms))
    ms = timed_call(
        lambda: pdf.render(content, report_id="R1", issued_at="Z", verify_url="/v"),
        1,
        args.reports,
    )
    rows.append(line("report PDF rendering (`pdf.render`)", ms))
    return rows


# ---- main --------------------------------------------------------------------------------


def open_store(args: argparse.Namespace) -> tuple[Engine, str]:
    if args.database_url:
        url = args.database_url
        if args.fresh and make_url(url).get_backend_name() == "postgresql":
            with make_engine(url).begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    else:
        file = Path(args.db)
        file.parent.mkdir(parents=True, exist_ok=True)
        if args.fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{file}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{file}"
    return make_engine(url), url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="var/bench/portal.db", help="SQLite file (reused)")
    parser.add_argument("--database-url", help="instead of --db: a database URL (PostgreSQL)")
    parser.add_argument("--fresh", action="store_true", help="build the store anew")
    parser.add_argument("--orgs", type=int, default=5000)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--records", type=int, default=500, help="the target's records")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--reports", type=int, default=20, help="timed report PDFs")
    args = parser.parse_args(argv)

    engine, url = open_store(args)
    settings = Settings(database_url=url, webhook_dispatch=False)
    ensure_schema(engine)
    if not has_target(engine):
        started = time.perf_counter()
        build(engine, settings, args)
        with TestClient(create_app(settings, engine=engine)) as client:
            _progress("marks: " + "; ".join(add_marks(client, engine)))
        _progress(f"built the store in {time.perf_counter() - started:.0f} s")
        engine.dispose()
        # time in a process that has only served, as a server would (building leaves a
        # larger heap behind, which makes every full garbage collection slower)
        again = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--fresh"]
        os.execv(sys.executable, [sys.executable, __file__, *again])
    timer = ServerTime(create_app(settings, engine=engine))
    probe = Probe(engine, timer)
    with TestClient(timer) as client:
        summary = describe(engine)
        _progress(summary)
        rows = time_pages(client, probe, args)
        rows += time_reports(client, probe, engine, settings, args)
    engine.dispose()

    print(f"\n{summary}.\n{machine()}.")
    print(
        f"Server time in ms (in-process app, ASGI wrapper), after {args.warmup} warm-up "
        "requests; the server's CPU ms (median); full (generation 2) garbage collections "
        "during the timed requests; statements per request; answer size KiB.\n"
    )
    print("| what | n | p50 | p95 | p99 | max | CPU p50 | full GCs | statements | KiB |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
