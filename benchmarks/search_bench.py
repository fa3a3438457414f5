"""Benchmark of entity search at scale: the search service against a plain LIKE scan.

    python benchmarks/search_bench.py --entities 1000000 [--db sqlite|postgresql]

Fills a fresh database with ``--entities`` subjects: organisations and individual businesses
with realistic Chinese names (``xinyong.synth`` when present, 3 % of them renamed, so with
two names), and natural persons, of whom some have a currently public record. Rows go
straight into ``entities`` and ``entity_names`` with ``xinyong.db.bulk.bulk_insert``;
the search indexes (FTS5 trigram or pg_trgm, and the gram table of migration 0002) are
filled by their triggers, as in production.

Then it times ``xinyong.entities.service.search`` (the first page, 20 results, no HTTP) for
queries of 1, 2, 3 and 4+ characters and for exact codes, and, in the same run, the same
queries as a plain ``name LIKE '%q%'`` scan of ``entity_names`` (first 21 matching rows in id
order, no index). Queries are substrings of stored names (so most match), plus characters and
pairs that match few or no names (the worst case of a scan), plus the commonest words.
Prints a Markdown table of p50 / p95 / max in milliseconds per class.

SQLite goes to a new file (``--path``, default in a temporary folder). PostgreSQL goes to
a database created afresh (``--url``, default: database ``xinyong_bench`` on the server of
``XINYONG_TEST_POSTGRES_URL``); it is dropped and re-created on every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.engine import make_url

import xinyong.entities.service as service
from xinyong.db.bulk import bulk_insert
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import upgrade
from xinyong.db.tables import entities, entity_names
from xinyong.entities.repository import LIKE_ESCAPE, like_pattern
from xinyong.identifiers import division_of, make_ric, make_uscc
from xinyong.store.ids import public_id
from xinyong.store.repository import index_new_names

ENTITY_COLUMNS = (
    "id",
    "kind",
    "code",
    "public_id",
    "name",
    "name_on",
    "division",
    "public_until",
    "created_at",
)
NAME_COLUMNS = ("entity_id", "name", "first_seen_at")
CHUNK = 50_000
PERSON_SHARE = 0.15
PUBLIC_PERSON_SHARE = 0.4
PAGE = 20
TODAY = dt.date(2026, 11, 22)
# Characters no generated name uses, and rare pairs: the worst case of a scan.
RARE = "鬱龘燚驫犇麤靐齉爩馫"
COMMON = ("有", "限", "公", "司", "厦门", "公司", "有限", "有限公司", "厦门市", "科技有限公司")


@dataclass
class Subject:
    kind: str
    code: str
    names: list[str]
    public_until: dt.date | None = None


# ---- data --------------------------------------------------------------------------------


def _synth_subjects(orgs: int, persons: int, seed: int) -> Iterator[Subject] | None:
    try:
        from xinyong.synth.city import build_city
    except ImportError:
        return None
    city = build_city(orgs, persons, seed, TODAY)

    def subjects() -> Iterator[Subject]:
        for s in city.organisations:
            yield Subject(s.kind, s.code, [s.name, s.new_name] if s.new_name else [s.name])
        for s in city.persons:
            yield Subject("person", s.code, [s.name])

    return subjects()


SURNAMES = "陈林黄李王张吴蔡郑杨许刘洪苏叶谢庄曾柯卢周颜傅邱施赵徐朱郭何高罗"
GIVEN = "伟强磊军勇杰涛斌超明辉建国华峰志文俊鹏宇芳娜敏静丽艳秀娟霞玲婷雪慧莹琳"
ZIHAO = "鑫达华盛隆泰兴恒源通宏信利丰瑞金嘉汇德顺安福佳美宇天海鹭闽禾航创新科博联远成正永光"
WORDS = ("贸易", "科技", "电子", "建设工程", "物流", "餐饮管理", "信息技术", "房地产开发", "食品")
SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")
DIVISIONS = ("350203", "350206", "350211", "350205", "350212", "350213")


def _own_subjects(orgs: int, persons: int, seed: int) -> Iterator[Subject]:
    """Names like 厦门鑫达贸易有限公司 and 陈志明, when xinyong.synth is not available."""
    rng = random.Random(seed)
    for _ in range(orgs):
        division = rng.choice(DIVISIONS)
        name = (
            rng.choice(("厦门", "厦门市"))
            + rng.choice(ZIHAO)
            + rng.choice(ZIHAO)
            + rng.choice(WORDS)
            + rng.choice(SUFFIXES)
        )
        names = [name]
        if rng.random() < 0.03:
            names.append(name.replace("厦门", "厦门" + rng.choice(ZIHAO), 1))
        yield Subject("organisation", make_uscc(rng, division), names)
    for _ in range(persons):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        code = make_ric(rng, rng.choice(DIVISIONS), born, female=rng.random() < 0.5)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        yield Subject("person", code, [rng.choice(SURNAMES) + given])


def subjects(n: int, seed: int) -> Iterator[Subject]:
    persons = int(n * PERSON_SHARE)
    orgs = n - persons
    made = _synth_subjects(orgs, persons, seed)
    source = made if made is not None else _own_subjects(orgs, persons, seed)
    rng = random.Random(seed + 1)
    seen: set[str] = set()
    for s in source:
        if s.code in seen:  # the generators avoid this; never store a code twice
            continue
        seen.add(s.code)
        if s.kind == "person" and rng.random() < PUBLIC_PERSON_SHARE:
            s.public_until = TODAY + dt.timedelta(days=rng.randrange(1, 700))
        yield s


def fill(engine: Engine, n: int, seed: int) -> list[Subject]:
    # bulk_insert takes values as both databases read them from text
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    today = TODAY.isoformat()
    kept: list[Subject] = []
    ents: list[tuple[Any, ...]] = []
    names: list[tuple[Any, ...]] = []

    def flush() -> None:
        with writing(engine) as conn:
            after = int(
                conn.execute(select(func.coalesce(func.max(entity_names.c.id), 0))).scalar_one()
            )
            bulk_insert(conn, entities.name, ENTITY_COLUMNS, ents)
            bulk_insert(conn, entity_names.name, NAME_COLUMNS, names)
            index_new_names(conn, after)  # what the store does after adding names
        ents.clear()
        names.clear()

    started = time.perf_counter()
    for i, s in enumerate(subjects(n, seed), start=1):
        division = division_of(s.code, s.kind)
        ents.append(
            (
                i,
                s.kind,
                s.code,
                public_id(),
                s.names[-1],
                today,
                division,
                s.public_until.isoformat() if s.public_until else None,
                now,
            )
        )
        names.extend((i, name, now) for name in dict.fromkeys(s.names))
        kept.append(s)
        if len(ents) >= CHUNK:
            flush()
            _progress(f"loaded {i:,} entities, {time.perf_counter() - started:.0f} s")
    flush()
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # whoever fills the FTS5 index (a trigger, or the store), it must hold every name
            indexed = conn.execute(text("SELECT count(*) FROM entity_names_fts_docsize"))
            if indexed.scalar() != conn.execute(text("SELECT count(*) FROM entity_names")).scalar():
                _progress("rebuilding the FTS5 name index")
                conn.execute(
                    text("INSERT INTO entity_names_fts(entity_names_fts) VALUES ('rebuild')")
                )
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('entities_id_seq', (SELECT max(id) FROM entities))"))
        if conn.dialect.name == "postgresql":
            # autovacuum would, soon; SQLite is left without statistics, as the app leaves it
            conn.execute(text("ANALYZE"))
    return kept


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# ---- queries -----------------------------------------------------------------------------


def queries(subjects: list[Subject], per_class: int, seed: int) -> dict[str, list[str]]:
    """Per class of query: substrings of stored names, rare ones, and the commonest."""
    rng = random.Random(seed + 2)
    out: dict[str, list[str]] = {"1 char": [], "2 chars": [], "3 chars": [], "4+ chars": []}
    lengths = {"1 char": (1,), "2 chars": (2,), "3 chars": (3,), "4+ chars": (4, 5, 6, 8)}
    for cls, sizes in lengths.items():
        drawn = out[cls]
        rare = max(1, per_class // 5)
        for _ in range(rare):  # characters and pairs that (almost) never occur
            size = rng.choice(sizes)
            drawn.append("".join(rng.choice(RARE) for _ in range(size)))
        drawn.extend(c for c in COMMON if len(c) in sizes)
        while len(drawn) < per_class:
            s = rng.choice(subjects)
            name = rng.choice(s.names)
            size = rng.choice(sizes)
            if len(name) < size:
                continue
            start = rng.randrange(len(name) - size + 1)
            drawn.append(name[start : start + size])
    codes = [rng.choice(subjects).code for _ in range(per_class - per_class // 5)]
    codes += [make_uscc(rng, "350203") for _ in range(per_class // 5)]  # nobody's
    out["exact code"] = codes
    return out


def like_scan(conn: Connection, q: str) -> int:
    """The baseline: the first page of names containing ``q``, by a plain LIKE scan."""
    name = entity_names.c.name
    if conn.dialect.name == "postgresql":
        # an expression, so that neither pg_trgm nor any other index can serve it
        matches = (name + "").ilike(like_pattern(q), escape=LIKE_ESCAPE)
    else:
        matches = name.like(like_pattern(q), escape=LIKE_ESCAPE)
    stmt = (
        select(entity_names.c.id, entity_names.c.entity_id)
        .where(matches)
        .order_by(entity_names.c.id)
        .limit(PAGE + 1)
    )
    return len(conn.execute(stmt).all())


def searched(conn: Connection, q: str) -> int:
    page = service.search(conn, q=q, limit=PAGE, today=TODAY, max_limit=100)
    return len(page.items)


@dataclass
class Timings:
    ms: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    slowest: dict[str, float] = field(default_factory=dict)

    def worst(self, k: int = 3) -> str:
        top = sorted(self.slowest.items(), key=lambda kv: -kv[1])[:k]
        return ", ".join(f"{q!r} {ms:.1f}" for q, ms in top)

    def line(self) -> tuple[str, str, str]:
        ordered = sorted(self.ms)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (f"{statistics.median(ordered):.2f}", f"{p95:.2f}", f"{ordered[-1]:.2f}")


def timed(
    engine: Engine, qs: list[str], run: Callable[[Connection, str], int], reps: int
) -> Timings:
    out = Timings()
    with engine.connect() as conn:
        for q in qs:  # warm the cache: the timings are of a warm database
            with conn.begin():
                run(conn, q)
        for _ in range(reps):
            for q in qs:
                with conn.begin():
                    started = time.perf_counter()
                    hits = run(conn, q)
                    ms = (time.perf_counter() - started) * 1000
                out.ms.append(ms)
                out.hits.append(hits)
                out.slowest[q] = max(ms, out.slowest.get(q, 0.0))
    return out


# ---- databases ---------------------------------------------------------------------------


def fresh_engine(db: str, path: str | None, url: str | None) -> Engine:
    if db == "sqlite":
        file = (
            Path(path)
            if path
            else Path(tempfile.mkdtemp(prefix="xinyong-search-bench-")) / "bench.db"
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
        _progress(f"SQLite database {file}")
        return make_engine(f"sqlite:///{file}")
    if url is None:
        base = os.environ.get("XINYONG_TEST_POSTGRES_URL")
        if not base:
            sys.exit("--db postgresql needs --url or XINYONG_TEST_POSTGRES_URL")
        url = make_url(base).set(database="xinyong_bench").render_as_string(hide_password=False)
    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    _progress(f"PostgreSQL database {target.database}")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    return engine


def describe(engine: Engine) -> str:
    with engine.connect() as conn:
        n_entities = conn.execute(select(func.count()).select_from(entities)).scalar_one()
        n_names = conn.execute(select(func.count()).select_from(entity_names)).scalar_one()
        if conn.dialect.name == "sqlite":
            extra = ""
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            size = pages * conn.execute(text("PRAGMA page_size")).scalar_one()
            version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
            engine_name = f"SQLite {version}"
        else:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            version = conn.execute(text("SHOW server_version")).scalar_one()
            engine_name = f"PostgreSQL {version}"
            grams = conn.execute(text("SELECT count(*) FROM entity_name_grams")).scalar_one()
            extra = f"{grams:,} grams, "
    return (
        f"{engine_name}: {n_entities:,} entities, {n_names:,} names, {extra}"
        f"database {size / 2**20:,.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--path", help="SQLite file (replaced)")
    parser.add_argument("--url", help="PostgreSQL URL of a database to drop and re-create")
    parser.add_argument("--queries", type=int, default=60, help="queries per class")
    parser.add_argument("--reps", type=int, default=3, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    engine = fresh_engine(args.db, args.path, args.url)
    upgrade(engine)
    started = time.perf_counter()
    kept = fill(engine, args.entities, args.seed)
    load_s = time.perf_counter() - started
    summary = describe(engine)
    _progress(summary)
    qs = queries(kept, args.queries, args.seed)
    del kept

    rows: list[str] = []
    for cls, batch in qs.items():
        _progress(f"timing {cls} ({len(batch)} queries x {args.reps})")
        ours = timed(engine, batch, searched, args.reps)
        base = timed(engine, batch, like_scan, args.reps)
        _progress(f"  slowest searches (ms): {ours.worst()}")
        found = sum(1 for h in ours.hits if h) / len(ours.hits)
        rows.append(
            f"| {cls} | {len(batch)} | {found:.0%} | "
            + " | ".join(ours.line())
            + " | "
            + " | ".join(base.line())
            + " |"
        )
    engine.dispose()

    print(f"\n{summary}; loaded in {load_s:,.0f} s (indexes included).")
    print(f"First page of {PAGE}, warm cache, {args.reps} timed runs per query; ms.\n")
    print(
        "| query | n | with hits | search p50 | search p95 | search max "
        "| LIKE scan p50 | LIKE scan p95 | LIKE scan max |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
