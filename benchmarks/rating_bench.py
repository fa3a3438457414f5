"""Rating engine benchmark: the compiled plan of ``city_grade`` against a hand-written query.

    python benchmarks/rating_bench.py duckdb --subjects 10000000 --records 100000000 [--db PATH]
    python benchmarks/rating_bench.py spark --records 10000000 [--conf KEY=VALUE]
    python benchmarks/rating_bench.py online --records 200 --runs 2000

``duckdb``: a full re-rate with ``xinyong.rating.compile.plan`` beside a hand-optimised DuckDB
query for the same scheme (:func:`baseline_sql`), in the same run on the same connection, runs
alternating. Both results are checked to be identical (and the plan against the reference
evaluator on a sample) before anything is timed. Each run is timed as a checksum over every
output column; peak memory is the process's resident set during the run, CPU the seconds of
all its threads. ``spark``: the plan transpiled for Spark SQL in the engine's own session
(local mode), beside DuckDB's plan on the same data (Parquet, cached in Spark before timing).
``online``: the reference evaluator ``evaluate`` on one subject with ``--records`` records.

Synthetic data is made by DuckDB itself (hash-based, deterministic) into ``var/bench/`` and
reused when the parameters match; its generation is not timed. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import platform
import random
import re
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
from rich.console import Console
from rich.table import Table

from xinyong.catalogue.loader import default_catalogue
from xinyong.catalogue.model import Catalogue, FieldType, RecordType
from xinyong.dates import add_months
from xinyong.rating.compile import InputField, input_fields, plan
from xinyong.rating.compile import __file__ as compile_py
from xinyong.rating.evaluate import RatingRecord, evaluate
from xinyong.rating.evaluate import __file__ as evaluate_py
from xinyong.rating.loader import default_schemes
from xinyong.rating.model import Scheme
from xinyong.synth import vocab
from xinyong.synth.records import SEVERITY_WEIGHTS

AS_OF = dt.date(2026, 11, 22)
SCHEME = "city_grade"
GENERATOR = 2  # bump when the data changes, so that old files are not reused
ORG_SHARE, IB_SHARE = 0.20, 0.05  # of subjects; the rest are persons
PER_ORG, PER_PERSON = 12, 2  # relative record budgets (xinyong.synth's plan)
RISKY_SHARE, RISKY_PICK = 10, 0.65  # 65 % of negative records fall on 1 subject in 10
FINE_SHARE = {"minor": 0.3, "general": 0.65, "serious": 0.35}  # penalties that are fines
DAYS = 1827  # decided over the last five years
TITLE = "Rating engine benchmark: the compiled plan against a hand-written query."
console = Console(width=120)
Row = dict[str, Any]
SQL_TYPES = {FieldType.decimal: "DECIMAL(18, 4)", FieldType.choice: "VARCHAR"}


# ---- machine and memory ------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    return {
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "cores": str(os.cpu_count()),
        "ram_gib": f"{int(mem.group(1)) / 2**20:.1f}" if mem else "?",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def reset_peak(pid: str) -> None:
    """Start the resident-set high-water mark afresh (Linux: /proc/PID/clear_refs)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_gib(pid: str) -> float:
    found = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    kib = int(found.group(1)) if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 2**20


def cpu_seconds(pid: str) -> float:
    """User + system seconds of a process, all its threads (DuckDB's, the JVM's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- synthetic data ----------------------------------------------------------------------


def h(salt: int, seed: int) -> str:
    """A pseudo-random UBIGINT of the row number ``i`` (< 2**40), one stream per salt
    (DuckDB's ``hash(a, b, c)`` of several values is not mixed well enough for this)."""
    return f"hash(i + {((seed % 2**16) << 6 | salt) << 40})"


def uniform(salt: int, seed: int) -> str:
    """A pseudo-random double in [0, 1)."""
    return f"(({h(salt, seed)} >> 11)::DOUBLE / 9007199254740992.0)"


def pick(u: str, options: list[tuple[str, float]]) -> str:
    """``CASE`` choosing among weighted SQL expressions with the uniform ``u``."""
    total, acc, arms = sum(w for _, w in options), 0.0, []
    for value, w in options[:-1]:
        acc += w / total
        arms.append(f"WHEN {u} < {acc!r} THEN {value}")
    return f"CASE {' '.join(arms)} ELSE {options[-1][0]} END" if arms else options[-1][0]


def q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def side_types(catalogue: Catalogue, person: bool) -> list[tuple[RecordType, float]]:
    """The record types of one side (organisations or persons) with synth's weights; one
    registration per organisation, as synth plans it."""
    side = {"person"} if person else {"organisation", "individual_business"}
    out: list[tuple[RecordType, float]] = []
    for rt in catalogue.record_types:
        if not side & {k.value for k in rt.subject_kinds}:
            continue
        hint = vocab.TYPE_HINTS.get(rt.code)
        w = (hint.person_weight if person else hint.org_weight) if hint else 1.0
        if w > 0:
            out.append((rt, w))
    reg = catalogue.record_type("business_registration")
    if reg is not None and not person:
        out.append((reg, sum(w for _, w in out) / (PER_ORG * 2 - 1)))
    return out


def field_expr(f: InputField, catalogue: Catalogue, seed: int, salt: int) -> str:
    rt = catalogue.record_type(f.record_type)
    spec = rt.field(f.field) if rt else None
    assert spec is not None
    u = uniform(salt, seed)
    if f.type is FieldType.choice:
        value = pick(u, [(q(c), vocab.CHOICE_WEIGHTS.get(c, 1.0)) for c in spec.choices])
    elif f.field == "fine_amount":  # CNY 10k: lognormal, small for minor, x5 for serious
        z = f"sqrt(-2 * ln(1 - {uniform(salt + 1, seed)})) * cos(2 * pi() * {u})"
        lognormal = f"exp(-0.7 + 1.3 * {z})"
        x = f"CASE severity WHEN 'minor' THEN least({lognormal}, 0.3) WHEN 'serious' THEN "
        x += f"5 * {lognormal} ELSE {lognormal} END"
        fine = " ".join(f"WHEN {q(s)} THEN {p}" for s, p in FINE_SHARE.items())
        value = (
            f"CASE WHEN {uniform(salt + 2, seed)} < (CASE severity {fine} ELSE 0.5 END) "
            f"THEN round(least(greatest({x}, 0.05), 200), 2) END"
        )
    else:  # pragma: no cover - city_grade tests choices and fine_amount only
        raise NotImplementedError(f"no generator for {f.record_type}.{f.field}")
    return f"CASE WHEN record_type = {q(f.record_type)} THEN ({value})::{SQL_TYPES[f.type]} END"


def generate(path: str, subjects: int, records: int, seed: int, threads: int) -> None:
    catalogue, scheme = default_catalogue(), default_schemes()[SCHEME]
    fields = input_fields([scheme], catalogue)
    n_org, n_ib = round(subjects * ORG_SHARE), round(subjects * IB_SHARE)
    n_side, n_person = n_org + n_ib, subjects - n_org - n_ib
    org_frac = PER_ORG * n_side / (PER_ORG * n_side + PER_PERSON * n_person)
    step = next(p for p in range(1_000_003, 10**9, 2) if math.gcd(p, subjects) == 1)

    def sid(k: str) -> str:  # index -> subject_id, a permutation: kinds are not in id order
        return f"(1 + ({k} * {step}) % {subjects})"

    def types(person: bool) -> str:
        return pick(uniform(3, seed), [(q(rt.code), w) for rt, w in side_types(catalogue, person)])

    rts = {rt.code: rt for side in (False, True) for rt, _ in side_types(catalogue, side)}
    negative = [q(c) for c, rt in rts.items() if rt.polarity.value == "negative"]
    sev_cases, pub_cases, prov_cases = [], [], []
    for rt in rts.values():
        if rt.severities:
            sevs = [(q(s.value), SEVERITY_WEIGHTS[s.value]) for s in rt.severities]
            sev_cases.append(f"WHEN {q(rt.code)} THEN {pick(uniform(5, seed), sevs)}")
        for key, period in rt.publicity.items():
            if period.maximum_months is not None:
                test = f"record_type = {q(rt.code)}" + (
                    f" AND severity = {q(key)}" if rt.severities else ""
                )
                pub_cases.append(f"WHEN {test} THEN {period.maximum_months}")
        provs = [q(p.code) for p in catalogue.providers if rt.code in p.record_types]
        nth = f"[1 + ({h(6, seed)} % {len(provs)})::BIGINT]"
        prov_cases.append(f"WHEN {q(rt.code)} THEN [{', '.join(provs)}]{nth}")
    risky = f"{RISKY_SHARE} * floor({uniform(4, seed)} * (n / {RISKY_SHARE}))::BIGINT"
    uniform_k = f"floor({uniform(4, seed)} * n)::BIGINT"
    con = duckdb.connect(path)
    con.execute(f"SET threads = {threads}; SET enable_progress_bar = false")
    con.execute(
        f"""CREATE OR REPLACE TABLE rating_subjects AS
        SELECT {sid("k")}::BIGINT AS subject_id,
               CASE WHEN k < {n_org} THEN 'organisation' WHEN k < {n_side}
                    THEN 'individual_business' ELSE 'person' END AS kind
        FROM range({subjects}) AS t(k)"""
    )
    field_cols = ", ".join(
        f"{field_expr(f, catalogue, seed, 10 + 3 * j)} AS {f.column}" for j, f in enumerate(fields)
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE rating_input AS
        WITH a AS (
            SELECT i, {uniform(1, seed)} < {org_frac!r} AS org_side FROM range({records}) AS t(i)
        ), b AS (
            SELECT i, org_side, CASE WHEN org_side THEN {types(False)} ELSE {types(True)} END
                   AS record_type, CASE WHEN org_side THEN {n_side} ELSE {n_person} END AS n
            FROM a
        ), c AS (
            SELECT i, record_type, (CASE WHEN org_side THEN 0 ELSE {n_side} END) + (
                   CASE WHEN record_type IN ({", ".join(negative)}) AND {uniform(7, seed)}
                   < {RISKY_PICK} THEN {risky} ELSE {uniform_k} END) AS k,
                   CASE record_type {" ".join(sev_cases)} END AS severity,
                   DATE '{AS_OF}' - ({h(8, seed)} % {DAYS})::INTEGER AS decided_on
            FROM b
        )
        SELECT {sid("k")}::BIGINT AS subject_id, 'R' || i::VARCHAR AS record_id,
               (1 + ({h(9, seed)} % 10 = 0)::INTEGER)::INTEGER AS version,
               record_type, severity, CASE record_type {" ".join(prov_cases)} END AS provider,
               decided_on,
               CAST(decided_on + to_months(CASE {" ".join(pub_cases)} END) AS DATE)
                   AS publicity_until,
               {field_cols}
        FROM c"""
    )
    con.execute(
        "CREATE TABLE bench_meta AS SELECT ? AS subjects, ? AS records, ? AS seed, ? AS generator",
        [subjects, records, seed, GENERATOR],
    )
    con.close()


def ensure_db(path: Path, subjects: int, records: int, seed: int, threads: int) -> float:
    """Generate the database unless ``path`` holds one made with these parameters; the
    seconds it took (0: reused). In a child process, so its memory is not ours."""
    if path.exists():
        with duckdb.connect(str(path), read_only=True) as con, contextlib.suppress(duckdb.Error):
            meta = con.execute("SELECT subjects, records, seed, generator FROM bench_meta")
            if meta.fetchone() == (subjects, records, seed, GENERATOR):
                return 0.0
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=generate, args=(str(path), subjects, records, seed, threads)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        sys.exit(f"generating {path} failed")
    return time.perf_counter() - started


# ---- the queries -------------------------------------------------------------------------


def cutoff(as_of: dt.date, months: int) -> dt.date:
    """The last decision date whose ``months``-th monthiversary is on or before ``as_of``:
    ``as_of < decided_on + months`` exactly when ``decided_on > cutoff``."""
    day = add_months(as_of, -months) + dt.timedelta(days=4)
    while add_months(day, months) > as_of:
        day -= dt.timedelta(days=1)
    return day


def baseline_sql(fields: list[InputField], as_of: dt.date) -> str:
    """city_grade by hand, as an engineer would write it for this one scheme: constant
    cut-off dates instead of date arithmetic per record, records that can no longer matter
    dropped early (publicity over; past every weight window with no end of publicity), one
    sum per cap, and each record's next change computed only where it has one."""
    col = {(f.record_type, f.field): f.column for f in fields}
    fine = col["admin_penalty", "fine_amount"]
    status, level = col["credit_commitment", "performance_status"], col["honour", "level"]
    d, t12, t24, t36 = (f"DATE '{x}'" for x in (as_of, *(cutoff(as_of, m) for m in (12, 24, 36))))
    return f"""
WITH r AS (
    SELECT subject_id, record_type, decided_on,
        CASE WHEN decided_on > {d} THEN 0
             WHEN record_type = 'honour' THEN CASE WHEN decided_on > {t36} THEN 100 ELSE 0 END
             WHEN decided_on > {t12} THEN 100 WHEN decided_on > {t24} THEN 50 ELSE 0 END
        * CASE record_type
            WHEN 'admin_penalty' THEN
                CASE severity WHEN 'minor' THEN -500 WHEN 'general' THEN -3000
                              WHEN 'serious' THEN -10000 ELSE 0 END
                + CASE WHEN {fine} >= 100 THEN -5000 WHEN {fine} >= 10 THEN -3000
                       WHEN {fine} >= 1 THEN -1000 ELSE 0 END
            WHEN 'admin_compulsion' THEN -2000 WHEN 'judgment_default' THEN -20000
            WHEN 'abnormal_operation' THEN -3000 WHEN 'serious_dishonesty' THEN -30000
            WHEN 'social_insurance_arrears' THEN -2000 WHEN 'contract_performance' THEN -3000
            WHEN 'credit_commitment' THEN CASE {status} WHEN 'kept' THEN 500 ELSE -3000 END
            WHEN 'honour' THEN CASE {level} WHEN 'national' THEN 3000 ELSE 1000 END
            WHEN 'volunteer_service' THEN 500 END AS units,
        CASE WHEN decided_on > {d} THEN decided_on ELSE least(publicity_until + 1,
            CASE WHEN record_type = 'honour' THEN CASE WHEN decided_on > {t36}
                     THEN CAST(decided_on + INTERVAL 36 MONTH AS DATE) END
                 WHEN decided_on > {t12} THEN CAST(decided_on + INTERVAL 12 MONTH AS DATE)
                 WHEN decided_on > {t24} THEN CAST(decided_on + INTERVAL 24 MONTH AS DATE)
            END) END AS next_change
    FROM rating_input
    WHERE record_type IN ('admin_penalty', 'admin_compulsion', 'judgment_default',
            'abnormal_operation', 'serious_dishonesty', 'social_insurance_arrears',
            'contract_performance', 'credit_commitment', 'honour', 'volunteer_service')
      AND (record_type <> 'credit_commitment' OR {status} IN ('kept', 'broken'))
      AND (record_type <> 'honour' OR {level} IN ('national', 'provincial', 'municipal',
                                                  'district'))
      AND (publicity_until >= {d} OR decided_on > {d} OR publicity_until IS NULL
           AND (decided_on > {t24} OR record_type = 'honour' AND decided_on > {t36}))
), s AS (
    SELECT subject_id,
        sum(units) FILTER (record_type = 'admin_penalty') AS pen,
        sum(units) FILTER (record_type = 'honour' OR record_type = 'credit_commitment'
                           AND units > 0) AS hon,
        sum(units) FILTER (record_type = 'volunteer_service') AS vol,
        sum(units) FILTER (record_type = 'admin_compulsion') AS comp,
        sum(units) FILTER (record_type = 'social_insurance_arrears') AS arr,
        sum(units) FILTER (record_type = 'contract_performance') AS con,
        sum(units) FILTER (record_type IN ('judgment_default', 'abnormal_operation',
            'serious_dishonesty') OR record_type = 'credit_commitment' AND units < 0) AS other,
        bool_or(record_type IN ('judgment_default', 'serious_dishonesty')
                AND decided_on <= {d}) AS lowest,
        min(next_change) AS next_change
    FROM r GROUP BY subject_id
), scored AS (
    SELECT t.subject_id, lowest, next_change, 10000000
        + greatest(coalesce(pen, 0), -1500000)
        + least(coalesce(hon, 0) + least(coalesce(vol, 0), 200000), 500000)
        + greatest(coalesce(comp, 0), -600000) + greatest(coalesce(arr, 0), -600000)
        + greatest(coalesce(con, 0), -900000) + coalesce(other, 0) AS score_units
    FROM rating_subjects AS t LEFT JOIN s ON s.subject_id = t.subject_id
    WHERE t.kind IN ('organisation', 'individual_business', 'person')
)
SELECT subject_id, score_units,
    CASE WHEN lowest THEN 'D' WHEN score_units >= 10300000 THEN 'AAA'
         WHEN score_units >= 10000000 THEN 'AA' WHEN score_units >= 9600000 THEN 'A'
         WHEN score_units >= 8500000 THEN 'B' WHEN score_units >= 6000000 THEN 'C'
         ELSE 'D' END AS grade,
    next_change - 1 AS valid_until
FROM scored
"""


def checksum_sql(query: str, scheme: Scheme) -> str:
    """Every output column folded into a few sums (valid in DuckDB and Spark SQL)."""
    grade = " ".join(f"WHEN {q(g.grade)} THEN {i + 1}" for i, g in enumerate(scheme.grades))
    return f"""SELECT count(*) AS n, sum(CAST(score_units AS BIGINT)) AS score,
    sum((subject_id % 9973) * (CAST(score_units AS BIGINT) % 9973)) AS mixed,
    sum((CASE grade {grade} END) * (subject_id % 101)) AS grades,
    sum(CASE WHEN valid_until IS NULL THEN 1 ELSE (year(valid_until) * 372
        + month(valid_until) * 31 + day(valid_until)) * (subject_id % 7 + 1) END) AS valid
FROM ({query}) AS q"""


def connect(path: Path, args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'; SET enable_progress_bar = false")
    return con


def query_job(con: duckdb.DuckDBPyConnection, sql: str) -> Job:
    return (lambda: tuple(con.execute(sql).fetchall()[0])), "self"


def compare(con: duckdb.DuckDBPyConnection, a: str, b: str) -> list[tuple[Any, ...]]:
    """Subjects on which two queries disagree (up to 10)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE qa AS {a}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE qb AS {b}")
    return con.execute(
        "SELECT * FROM qa FULL JOIN qb USING (subject_id) WHERE (qa.score_units, qa.grade, "
        "qa.valid_until) IS DISTINCT FROM (qb.score_units, qb.grade, qb.valid_until) LIMIT 10"
    ).fetchall()


def check_reference(
    con: duckdb.DuckDBPyConnection, scheme: Scheme, fields: list[InputField], size: int
) -> list[tuple[Any, ...]]:
    """Subjects of a sample (in ``qa``) on which the reference evaluator disagrees."""
    ids = [r[0] for r in con.execute(  # a random sample, the worst and the best scores
        f"(SELECT subject_id FROM rating_subjects ORDER BY hash(subject_id) LIMIT {size}) UNION "
        "(SELECT subject_id FROM qa ORDER BY score_units, subject_id LIMIT 100) UNION "
        "(SELECT subject_id FROM qa ORDER BY score_units DESC, subject_id LIMIT 100)"
    ).fetchall()]  # fmt: skip
    cols = ", ".join(f.column for f in fields)
    rows = con.execute(
        "SELECT subject_id, record_id, version, record_type, severity, provider, decided_on, "
        f"publicity_until, {cols} FROM rating_input WHERE subject_id IN "
        "(SELECT unnest(?::BIGINT[]))",
        [ids],
    ).fetchall()
    by_subject: dict[int, list[RatingRecord]] = {i: [] for i in ids}
    for r in rows:
        values = {f.field: v for f, v in zip(fields, r[8:], strict=True) if f.record_type == r[3]}
        by_subject[r[0]].append(RatingRecord(r[1], r[2], r[3], r[4], r[5], r[6], r[7], values))
    picked = con.execute("SELECT * FROM qa WHERE subject_id IN (SELECT unnest(?::BIGINT[]))", [ids])
    got = {r[0]: r[1:] for r in picked.fetchall()}
    bad = []
    for sid, recs in by_subject.items():
        ref = evaluate(scheme, recs, AS_OF)
        want = (ref.score_units, ref.grade, ref.valid_until)
        if got.get(sid) != want:
            bad.append((sid, want, got.get(sid)))
    return bad


class Run(NamedTuple):
    seconds: float
    cpu: float  # user + system seconds of the whole process (DuckDB's threads included)
    peak: float  # GiB resident at most during the run
    result: tuple[Any, ...]


Job = tuple[Callable[[], tuple[Any, ...]], str]  # what to run, the process that runs it


def timed(job: Job) -> Run:
    run, pid = job
    reset_peak(pid)
    cpu, started = cpu_seconds(pid), time.perf_counter()
    result = run()
    return Run(time.perf_counter() - started, cpu_seconds(pid) - cpu, peak_gib(pid), result)


def alternate(runs: int, jobs: dict[str, Job]) -> dict[str, list[Run]]:
    """Each job ``runs`` times, alternating, the order reversed every other round."""
    out: dict[str, list[Run]] = {k: [] for k in jobs}
    names = list(jobs)
    for i in range(runs):
        for name in names if i % 2 == 0 else names[::-1]:
            r = timed(jobs[name])
            out[name].append(r)
            console.print(f"  {name}: {r.seconds:.2f} s, cpu {r.cpu:.1f} s, peak {r.peak:.2f} GiB")
    return out


def summary(runs: list[Run]) -> dict[str, float]:
    return {
        "best_s": round(min(r.seconds for r in runs), 2),
        "median_s": round(statistics.median(r.seconds for r in runs), 2),
        "median_cpu_s": round(statistics.median(r.cpu for r in runs), 1),
        "peak_gib": round(max(r.peak for r in runs), 2),
    }


# ---- subcommands -------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> tuple[Scheme, list[InputField], Path, dict[str, Any]]:
    """The scheme, its fields, the database (made if need be) and what to report of it."""
    scheme = default_schemes()[SCHEME]
    subjects = args.subjects or args.records // 10
    path = args.db or Path("var/bench") / f"rating_{subjects}s_{args.records}r_{args.seed}.duckdb"
    gen = ensure_db(path, subjects, args.records, args.seed, args.threads)
    console.print(f"data: {path} ({path.stat().st_size / 2**30:.2f} GiB), generated in {gen:.0f} s")
    info = {"subjects": subjects, "threads": args.threads, "generation_s": round(gen),
            "compile_py_sha1": sha1(Path(compile_py).read_text())}  # fmt: skip
    return scheme, input_fields([scheme], default_catalogue()), path, info


def run_duckdb(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    scheme, fields, path, info = prepare(args)
    con = connect(path, args)
    compiled, hand = plan(scheme, fields, AS_OF, "duckdb"), baseline_sql(fields, AS_OF)
    bad = compare(con, compiled, hand)
    if bad:
        sys.exit(f"the plan and the baseline disagree (subject, plan, baseline): {bad}")
    ref_bad = check_reference(con, scheme, fields, args.sample)
    if ref_bad:
        sys.exit(f"the plan and the reference evaluator disagree: {ref_bad[:5]}")
    stats = con.execute("SELECT grade, count(*) FROM qa GROUP BY grade ORDER BY grade").fetchall()
    con.execute("DROP TABLE qa; DROP TABLE qb")
    console.print(
        f"verified: plan = baseline on every subject, = evaluate() on {args.sample} random "
        "subjects and the 100 lowest and 100 highest scores; "
        f"grades {dict(stats)}"
    )
    if args.explain:
        for name, sql in (("plan", compiled), ("baseline", hand)):
            text = con.execute(f"EXPLAIN ANALYZE {checksum_sql(sql, scheme)}").fetchall()
            out = path.with_suffix(f".explain-{name}.txt")
            out.write_text("\n".join(str(r[1]) for r in text))
            console.print(f"EXPLAIN ANALYZE of the {name}: {out}")
    jobs = {
        "baseline (hand-written SQL)": query_job(con, checksum_sql(hand, scheme)),
        "compiled plan": query_job(con, checksum_sql(compiled, scheme)),
    }
    for run, _ in jobs.values():  # warm the buffer pool
        run()
    result = alternate(args.runs, jobs)
    checksums = {r.result for runs in result.values() for r in runs}
    assert len(checksums) == 1, checksums
    rows = [{"what": k, "records": args.records, **summary(v)} for k, v in result.items()]
    base, comp = rows
    extra = {
        "ratio_best": round(comp["best_s"] / base["best_s"], 2),
        "ratio_median": round(comp["median_s"] / base["median_s"], 2),
        "ratio_cpu": round(comp["median_cpu_s"] / base["median_cpu_s"], 2),
        "goal_ratio": 1.5, "goal_peak_gib": 8, "memory_limit": args.memory_limit,
        "plan_sha1": sha1(compiled), **info,
    }  # fmt: skip
    return rows, extra


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def spark_session(args: argparse.Namespace) -> Any:
    """The engine's own session (xinyong.rating.engines), local[threads], more memory."""
    os.environ["XINYONG_SPARK_MASTER"] = f"local[{args.threads}]"
    os.environ["XINYONG_SPARK_DRIVER_MEMORY"] = args.driver_memory
    from xinyong.rating.engines import spark_session as engine_session

    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS", "--conf spark.ui.showConsoleProgress=false pyspark-shell"
    )
    spark = engine_session()
    spark.sparkContext.setLogLevel("ERROR")
    for setting in args.conf:
        spark.conf.set(*setting.split("=", 1))
    return spark


def run_spark(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    scheme, fields, path, info = prepare(args)
    con = connect(path, args)
    parquet = {t: path.with_suffix(f".{t}.parquet") for t in ("rating_input", "rating_subjects")}
    for table, file in parquet.items():
        if not file.exists() or file.stat().st_mtime < path.stat().st_mtime:
            con.execute(f"COPY {table} TO '{file}' (FORMAT parquet)")
    spark = spark_session(args)
    for table, file in parquet.items():
        frame = spark.read.parquet(str(file))
        if args.cache:
            frame = frame.cache()
            frame.count()
        frame.createOrReplaceTempView(table)
    duck_sql = checksum_sql(plan(scheme, fields, AS_OF, "duckdb"), scheme)
    spark_sql = checksum_sql(plan(scheme, fields, AS_OF, "spark"), scheme)

    duck = query_job(con, duck_sql)
    jvm = str(spark.sparkContext._gateway.proc.pid)  # spark-submit execs the JVM

    def sp() -> tuple[Any, ...]:
        return tuple(int(x) for x in spark.sql(spark_sql).collect()[0])

    first = {"DuckDB plan": duck[0](), "Spark plan": sp()}  # warm-up and check
    if len(set(first.values())) != 1:
        sys.exit(f"Spark and DuckDB disagree: {first}")
    console.print(f"verified: same checksum {first['DuckDB plan']}")
    result = alternate(args.runs, {"DuckDB plan": duck, "Spark plan": (sp, jvm)})
    rows = [{"what": k, "records": args.records, **summary(v)} for k, v in result.items()]
    import pyspark

    extra = {
        "spark_over_duckdb_best": round(rows[1]["best_s"] / rows[0]["best_s"], 1),
        "spark_over_duckdb_median": round(rows[1]["median_s"] / rows[0]["median_s"], 1),
        "pyspark": pyspark.__version__, "cached": args.cache,
        "driver_memory": args.driver_memory, "conf": args.conf, "plan_sha1": sha1(spark_sql),
        **info,
    }  # fmt: skip
    spark.stop()
    return rows, extra


def online_records(
    catalogue: Catalogue, fields: list[InputField], n: int, seed: int
) -> list[RatingRecord]:
    """One busy organisation's records: the organisations' mix of types over five years."""
    rng = random.Random(seed)
    types = side_types(catalogue, person=False)
    cum = [0.0]
    for _, w in types:
        cum.append(cum[-1] + w)
    out = []
    for i in range(n):
        rt = types[next(j for j in range(len(types)) if rng.random() * cum[-1] < cum[j + 1])][0]
        sev = rng.choices(rt.severities, [SEVERITY_WEIGHTS[s.value] for s in rt.severities])[0] \
            if rt.severities else None  # fmt: skip
        decided = AS_OF - dt.timedelta(days=rng.randrange(DAYS))
        months = rt.period(sev.value if sev else None).maximum_months
        values: dict[str, Decimal | str | None] = {}
        for f in fields:
            spec = rt.field(f.field) if f.record_type == rt.code else None
            if spec and spec.choices:
                weights = [vocab.CHOICE_WEIGHTS.get(c, 1.0) for c in spec.choices]
                values[f.field] = rng.choices(spec.choices, weights)[0]
            elif spec and sev and rng.random() < FINE_SHARE[sev.value]:  # as generate()
                x = rng.lognormvariate(-0.7, 1.3) * (5 if sev.value == "serious" else 1)
                x = min(x, 0.3) if sev.value == "minor" else x
                values[f.field] = Decimal(f"{min(max(x, 0.05), 200):.2f}")
        out.append(RatingRecord(
            f"R{i}", 1, rt.code, sev.value if sev else None, "market_regulation", decided,
            add_months(decided, months) if months is not None else None, values,
        ))  # fmt: skip
    return out


def run_online(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    scheme, catalogue = default_schemes()[SCHEME], default_catalogue()
    records = online_records(catalogue, input_fields([scheme], catalogue), args.records, args.seed)
    for _ in range(max(args.runs // 10, 10)):
        evaluate(scheme, records, AS_OF)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter_ns()
        rating = evaluate(scheme, records, AS_OF)
        times.append((time.perf_counter_ns() - started) / 1e6)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, math.ceil(p * len(times)) - 1)], 3)

    looked = sum(1 for r in records if r.record_type in scheme.record_types())
    rows = [{"what": "evaluate(), one subject", "records": args.records, "p50_ms": pct(0.5),
             "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": round(times[-1], 3)}]  # fmt: skip
    extra = {"goal_p99_ms": 2, "runs": args.runs, "looked_at": looked,
             "evaluate_py_sha1": sha1(Path(evaluate_py).read_text()),
             "entries": len(rating.explanation), "grade": rating.grade}  # fmt: skip
    return rows, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=TITLE)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = {name: sub.add_parser(name) for name in ("duckdb", "spark", "online")}
    for name, p in cmd.items():
        p.add_argument("--records", type=int, default=200 if name == "online" else 10_000_000)
        p.add_argument("--runs", type=int, default=2000 if name == "online" else 3)
        p.add_argument("--seed", type=int, default=20261122)
        if name == "online":
            continue
        p.add_argument("--subjects", type=int, help="default: records / 10")
        p.add_argument("--db", type=Path, help="the DuckDB file (default under var/bench/)")
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--memory-limit", default="8GB", help="DuckDB's memory_limit")
    cmd["duckdb"].add_argument("--sample", type=int, default=500, help="checked by evaluate()")
    cmd["duckdb"].add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE both")
    cmd["spark"].add_argument("--driver-memory", default="8g")
    cmd["spark"].add_argument("--conf", action="append", default=[], help="a Spark SQL KEY=VALUE")
    cmd["spark"].add_argument(
        "--no-cache", dest="cache", action="store_false", help="read Parquet in every run"
    )
    args = parser.parse_args()
    info = machine()
    console.print(f"$ python {shlex.join(sys.argv)}")
    console.print(", ".join(f"{k} {v}" for k, v in info.items()))
    run = {"duckdb": run_duckdb, "spark": run_spark, "online": run_online}[args.command]
    rows, extra = run(args)
    table = Table(title=f"rating_bench {args.command} ({SCHEME}, as of {AS_OF})")
    for key in rows[0]:
        table.add_column(key, justify="left" if key == "what" else "right")
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()))
    console.print(table)
    console.print(", ".join(f"{k}: {v}" for k, v in extra.items()))
    print(json.dumps({"command": args.command, "machine": info, "results": rows, **extra}))


if __name__ == "__main__":
    main()
