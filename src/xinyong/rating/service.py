"""Rating subjects from the store and keeping their ratings current.

* :func:`rating_of` rates one subject as of any date with the reference evaluator, from the
  records as they were known at the end of that date (time travel), with its explanation
  and what would change the grade.
* :func:`rate_subjects` re-rates subjects after their records change (read-your-writes).
* :func:`rate_scheme` rates everyone with a batch engine; :func:`rate_due` only those whose
  rating is missing, stale (records changed) or lapsed (past ``valid_until``).

The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, FieldType
from xinyong.db.bulk import naive_utc_text
from xinyong.errors import BadRequest
from xinyong.rating import repository as repo
from xinyong.rating.compile import InputField, fingerprint_sql, input_fields
from xinyong.rating.engines import (
    ENGINES,
    ResultRow,
    analyze_postgres_relations,
    create_postgres_relations,
    rate_duckdb,
    rate_postgres,
    rate_spark,
)
from xinyong.rating.evaluate import Change, Rating, RatingRecord, evaluate, next_changes
from xinyong.rating.inputs import RatingInputs, typed_inputs, typed_value
from xinyong.rating.model import Scheme

Progress = Callable[[int, int], None]
#: ``(stage, done, total)`` of a batch rating: "reading records", "rating", "storing"
StageProgress = Callable[[str, int, int], None]


EARLIEST, LATEST = dt.date(1949, 10, 1), dt.date(2999, 12, 31)


def checked_as_of(day: dt.date) -> dt.date:
    """A rating date within what the engines can compute (dates beyond 9999 overflow)."""
    if not EARLIEST <= day <= LATEST:
        raise BadRequest(
            f"a rating date lies between {EARLIEST} and {LATEST}, not {day}",
            code="invalid_as_of",
        )
    return day


def knowledge_cutoff(as_of: dt.date, today: dt.date, timezone: str) -> dt.datetime | None:
    """What was known on ``as_of``: versions received before the end of that day (in the
    platform's time zone); ``None`` for today or later (the current versions)."""
    if as_of >= today:
        return None
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return end.astimezone(dt.UTC)


def field_types(catalogue: Catalogue) -> dict[str, dict[str, FieldType]]:
    return {rt.code: {f.code: f.type for f in rt.fields} for rt in catalogue.record_types}


def to_record(row: Sequence[Any], types: dict[str, dict[str, FieldType]]) -> RatingRecord:
    _, rid, version, rtype, severity, provider, decided, until, fields = row
    spec = types.get(rtype, {})
    typed = {k: typed_value(spec[k], v) for k, v in (fields or {}).items() if k in spec}
    return RatingRecord(rid, int(version), rtype, severity, provider, decided, until, typed)


def load_records(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Iterable[Scheme],
    entity_ids: Sequence[int],
    cutoff: dt.datetime | None,
) -> dict[int, list[RatingRecord]]:
    types = sorted({t for s in schemes for t in s.record_types()})
    spec = field_types(catalogue)
    out: dict[int, list[RatingRecord]] = defaultdict(list)
    for row in repo.record_rows(conn, types, cutoff=cutoff, entity_ids=entity_ids):
        out[int(row[0])].append(to_record(row, spec))
    return out


# ---- one subject -------------------------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    rating: Rating
    changes: list[Change]


def rating_of(
    conn: Connection,
    catalogue: Catalogue,
    scheme: Scheme,
    subject: repo.Subject,
    as_of: dt.date,
    *,
    today: dt.date,
    timezone: str,
) -> Explained:
    if subject.kind not in scheme.subject_kinds:
        raise BadRequest(
            f"scheme {scheme.code!r} does not rate subjects of kind {subject.kind!r}",
            code="scheme_not_applicable",
        )
    cutoff = knowledge_cutoff(as_of, today, timezone)
    recs = load_records(conn, catalogue, [scheme], [subject.id], cutoff).get(subject.id, [])
    rating = evaluate(scheme, recs, as_of)
    return Explained(rating, next_changes(scheme, recs, rating))


def _stored(rating: Rating, entity_id: int, engine: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "scheme_version": rating.scheme_version,
        "as_of": rating.as_of,
        "score_units": rating.score_units,
        "grade": rating.grade,
        "valid_until": rating.valid_until,
        "fingerprint": rating.fingerprint,
        "engine": engine,
        "computed_at": now,
    }


def rate_subjects(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Iterable[Scheme],
    entity_ids: Sequence[int],
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Progress | None = None,
) -> int:
    """Re-rate these subjects with every scheme that applies to them and store the ratings.
    Returns how many ratings were stored."""
    schemes = list(schemes)
    stored = 0
    for i in range(0, len(entity_ids), repo.BATCH):
        chunk = entity_ids[i : i + repo.BATCH]
        kinds = dict(repo.subjects(conn, [k for s in schemes for k in s.subject_kinds], chunk))
        recs = load_records(conn, catalogue, schemes, list(kinds), None)
        for scheme in schemes:
            rows = [
                _stored(evaluate(scheme, recs.get(eid, []), today), eid, "reference", now)
                for eid, kind in kinds.items()
                if kind in scheme.subject_kinds
            ]
            repo.save_ratings(conn, scheme.code, rows)
            stored += len(rows)
        if progress:
            progress(min(i + repo.BATCH, len(entity_ids)), len(entity_ids))
    return stored


def rate_due(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Iterable[Scheme],
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Progress | None = None,
) -> int:
    """Re-rate the subjects whose rating is missing, stale or lapsed."""
    stored = 0
    for scheme in schemes:
        due = repo.due_subjects(conn, scheme.code, [k.value for k in scheme.subject_kinds], today)
        stored += rate_subjects(
            conn, catalogue, [scheme], due, today=today, now=now, progress=progress
        )
    return stored


# ---- everyone, in batch ------------------------------------------------------------------


def store_inputs(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Sequence[Scheme],
    cutoff: dt.datetime | None,
    progress: StageProgress | None = None,
) -> tuple[list[InputField], RatingInputs]:
    """The store's records and subjects (those known by ``cutoff``) as Arrow rating input
    for ``schemes``."""
    fields = input_fields(list(schemes), catalogue)
    kinds = sorted({k.value for s in schemes for k in s.subject_kinds})
    subjects = dict(repo.subjects(conn, kinds, known_by=cutoff))
    types = sorted({t for s in schemes for t in s.record_types()})
    total = repo.count_records(conn, types) if progress else 0

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        done = 0
        for rows in repo.input_text_batches(conn, fields, types, cutoff):
            done += len(rows)
            if progress:
                progress("reading records", done, max(done, total))
            yield [r for r in rows if r[0] in subjects]

    return fields, typed_inputs(batches(), fields, subjects)


def fingerprints(
    scheme: Scheme, fields: list[InputField], as_of: dt.date, inputs: RatingInputs
) -> dict[int, str]:
    with duckdb.connect() as con:
        con.register("rating_input", inputs.records)
        con.register("rating_subjects", inputs.subjects)
        rows = con.execute(fingerprint_sql(scheme, fields, as_of)).fetchall()
    return {int(s): str(f) for s, f in rows}


def _rate_in_postgres(
    conn: Connection,
    catalogue: Catalogue,
    scheme: Scheme,
    as_of: dt.date,
    cutoff: dt.datetime | None,
    fingerprinted: bool,
) -> tuple[list[ResultRow], dict[int, str]]:
    if conn.dialect.name != "postgresql":
        raise BadRequest("the postgres engine needs a PostgreSQL store", code="engine_unavailable")
    fields = input_fields([scheme], catalogue)
    create_postgres_relations(conn, fields)
    repo.fill_input_in_database(
        conn, fields, scheme.record_types(), [k.value for k in scheme.subject_kinds], cutoff
    )
    analyze_postgres_relations(conn)
    rows = rate_postgres(scheme, fields, as_of, conn)
    if not fingerprinted:
        return rows, {}
    prints = conn.exec_driver_sql(fingerprint_sql(scheme, fields, as_of, "postgres")).fetchall()
    return rows, {int(s): str(f) for s, f in prints}


def rate_schemes(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Sequence[Scheme],
    *,
    as_of: dt.date,
    today: dt.date,
    now: dt.datetime,
    timezone: str,
    engine: str = "duckdb",
    store: bool = True,
    progress: StageProgress | None = None,
) -> list[list[ResultRow]]:
    """Rate every subject of each scheme's kinds with ``engine``, reading the store once;
    store the ratings when ``as_of`` is today (a past date is an analysis, not the current
    grade). Returns each scheme's ``(subject_id, score_units, grade, valid_until)`` rows, in
    the order of ``schemes`` (two versions of one scheme may be compared)."""
    if engine not in ENGINES:
        raise BadRequest(f"unknown engine {engine[:32]!r}", code="unknown_engine")
    cutoff = knowledge_cutoff(as_of, today, timezone)
    keep = store and as_of == today
    out: list[list[ResultRow]] = []
    if engine != "postgres":
        fields, inputs = store_inputs(conn, catalogue, schemes, cutoff, progress)
    for scheme in schemes:
        if progress:
            progress(f"rating {scheme.code} with {engine}", 0, 1)
        if engine == "postgres":
            rows, prints = _rate_in_postgres(conn, catalogue, scheme, as_of, cutoff, keep)
        else:
            run = rate_spark if engine == "spark" else rate_duckdb
            rows = run(scheme, fields, as_of, inputs)
            prints = fingerprints(scheme, fields, as_of, inputs) if keep else {}
        if keep:
            _store(
                conn, scheme, rows, prints, as_of=as_of, now=now, engine=engine, progress=progress
            )
        out.append(rows)
    return out


def rate_scheme(
    conn: Connection,
    catalogue: Catalogue,
    scheme: Scheme,
    *,
    as_of: dt.date,
    today: dt.date,
    now: dt.datetime,
    timezone: str,
    engine: str = "duckdb",
    store: bool = True,
    progress: StageProgress | None = None,
) -> list[ResultRow]:
    """:func:`rate_schemes` for one scheme."""
    return rate_schemes(
        conn,
        catalogue,
        [scheme],
        as_of=as_of,
        today=today,
        now=now,
        timezone=timezone,
        engine=engine,
        store=store,
        progress=progress,
    )[0]


def _store(
    conn: Connection,
    scheme: Scheme,
    rows: list[ResultRow],
    prints: dict[int, str],
    *,
    as_of: dt.date,
    now: dt.datetime,
    engine: str,
    progress: StageProgress | None,
) -> None:
    def stored(done: int) -> None:
        if progress:
            progress(f"storing {scheme.code}", done, len(rows))

    day, stamp = as_of.isoformat(), naive_utc_text(now)
    repo.replace_all(
        conn,
        scheme.code,
        [
            (
                sid,
                scheme.code,
                scheme.version,
                day,
                score,
                grade,
                until.isoformat() if until else None,
                prints[sid],
                engine,
                False,
                stamp,
            )
            for sid, score, grade, until in rows
        ],
        progress=stored,
    )


def criteria(scheme: Scheme) -> list[str]:
    """The scheme's rules in words, for anyone who asks how grades are given."""
    out = [f"Everyone starts at {scheme.base} points; {scheme.time.describe()}."]
    for r in scheme.rules:
        what = r.record_type + (
            f" ({', '.join(s.value for s in r.severities)})" if r.severities else ""
        )
        if r.providers:
            what += f" from {', '.join(r.providers)}"
        if r.when:
            what += " where " + " and ".join(c.describe() for c in r.when)
        if r.points is not None:
            pts = f"{r.points:+} points each"
        else:
            pts = f"points by {r.field}: " + "; ".join(
                f"[{b.at_least if b.at_least is not None else '-inf'}, "
                f"{b.below if b.below is not None else 'inf'}) {b.points:+}"
                for b in r.bands
            )
        extra = f", at most {r.cap} in all" if r.cap is not None else ""
        if r.time is not None:
            extra += f"; {r.time.describe()}"
        out.append(f"{r.name.en} ({r.code}): {what}: {pts}{extra}.")
    out += [f"Category {c.name.en} counts at most {c.cap} points." for c in scheme.categories]
    for o in scheme.overrides:
        how = "forces grade" if o.mode == "force" else "limits the grade to at best"
        when = "no record by the rating date" if o.no_history else f"a {o.record_type} in effect"
        if o.when:
            when += " where " + " and ".join(c.describe() for c in o.when)
        out.append(f"{o.name.en}: {when} {how} {o.grade}.")
    bands = ", ".join(
        f"{g.grade} from {g.min}" if g.min is not None else f"{g.grade} (otherwise or by override)"
        for g in scheme.grades
    )
    out.append(f"Grades: {bands}.")
    return out
