"""SQL of the check log: checks, their per-subject results, and consumers' feedback.

Logging checks also appends their ``check.logged`` entries to the audit log in the same
transaction (one entry per check, one append per group commit), so that every way a check
is logged (the API's group commit, the CLI, bulk checks) is audited alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, select

from xinyong.audit import service as audit
from xinyong.db.bulk import bulk_insert, naive_utc_text
from xinyong.db.tables import check_feedback, check_results, checks

CHECK_COLUMNS = (
    "id",
    "at",
    "key_id",
    "consumer_code",
    "measure",
    "purpose",
    "reference",
    "on_date",
    "data_version",
    "subjects",
    "applies",
)
RESULT_COLUMNS = ("check_id", "position", "subject_code", "entity_id", "decision", "basis")
FEEDBACK_COLUMNS = (
    "check_id",
    "consumer_code",
    "measure",
    "subject_code",
    "action",
    "acted_on",
    "note",
    "created_at",
)


def log_checks(
    conn: Connection,
    heads: Sequence[dict[str, Any]],
    results: Sequence[tuple[Any, ...]],
) -> None:
    """Store checks and the decision for each of their subjects (rows of
    :data:`RESULT_COLUMNS`), and audit each check (``check.logged``)."""
    add_checks(conn, heads)
    add_results(conn, results)
    audit_checks(conn, heads)


def add_checks(conn: Connection, heads: Sequence[dict[str, Any]]) -> None:
    """The checks' own rows (who, why, which measure, data version, counts)."""
    rows = [
        tuple(
            naive_utc_text(h[c]) if c == "at" else h[c].isoformat() if c == "on_date" else h[c]
            for c in CHECK_COLUMNS
        )
        for h in heads
    ]
    bulk_insert(conn, checks.name, CHECK_COLUMNS, rows)


def add_results(conn: Connection, results: Sequence[tuple[Any, ...]]) -> None:
    """Decisions (rows of :data:`RESULT_COLUMNS`) of checks whose rows are stored."""
    # in the order of the entity index: its pages are then visited once each, in order
    bulk_insert(conn, check_results.name, RESULT_COLUMNS, sorted(results, key=_by_entity))


def add_results_json(conn: Connection, check_id: str, rows: bytes) -> None:
    """Decisions of a check whose row is stored, as a JSON array of rows of
    :data:`RESULT_COLUMNS` without the check id. SQLite reads the array itself
    (``json_each``, in the order of the entity index): a third less work than binding each
    row from Python."""
    if conn.dialect.name != "sqlite":
        add_results(conn, [(check_id, *r) for r in orjson.loads(rows)])
        return
    names = ", ".join(RESULT_COLUMNS)
    values = ", ".join(f"value->>{i}" for i in range(len(RESULT_COLUMNS) - 1))
    conn.exec_driver_sql(
        f"INSERT INTO {check_results.name} ({names}) SELECT ?, {values} "
        "FROM json_each(?) ORDER BY value->>2",
        (check_id, rows.decode()),
    )


def audit_checks(conn: Connection, heads: Sequence[dict[str, Any]]) -> None:
    audit.record_many(conn, [audit_event(h) for h in heads])


def set_applies(conn: Connection, check_id: str, applies: int) -> None:
    """A check logged in parts: how many of its decisions applied, known at its end."""
    conn.execute(checks.update().where(checks.c.id == check_id).values(applies=applies))


def forget_check(conn: Connection, check_id: str) -> None:
    """Remove a check that was being logged in parts and will not be answered (its
    decision failed half-way), in the transaction that holds its rows: never committed."""
    conn.execute(check_results.delete().where(check_results.c.check_id == check_id))
    conn.execute(checks.delete().where(checks.c.id == check_id))


def _by_entity(row: tuple[Any, ...]) -> int:
    return row[3] or 0


def audit_event(head: dict[str, Any]) -> audit.Event:
    """A check as the audit log holds it: who, which measure, why, on which data version,
    how many subjects and how many the measure applied to (the subjects themselves are in
    ``check_results``)."""
    key_id, consumer = head["key_id"], head["consumer_code"]
    return audit.Event(
        f"consumer:{consumer}#{key_id}" if key_id is not None else audit.CLI,
        "check.logged",
        head["id"],
        {
            "check_id": head["id"],
            "consumer": consumer,
            "key_id": key_id,
            "measure": head["measure"],
            "purpose": head["purpose"],
            "reference": head["reference"],
            "on": head["on_date"].isoformat(),
            "data_version": head["data_version"],
            "subjects": head["subjects"],
            "applies": head["applies"],
        },
    )


def get_check(conn: Connection, check_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(checks).where(checks.c.id == check_id)).mappings().first()
    return dict(row) if row is not None else None


def results_of(conn: Connection, check_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(check_results)
        .where(check_results.c.check_id == check_id)
        .order_by(check_results.c.position)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def subjects_in_check(conn: Connection, check_id: str, codes: Sequence[str]) -> set[str]:
    stmt = select(check_results.c.subject_code).where(
        check_results.c.check_id == check_id, check_results.c.subject_code.in_(list(codes))
    )
    return {str(c) for c in conn.execute(stmt).scalars()}


def add_feedback(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    bulk_insert(conn, check_feedback.name, FEEDBACK_COLUMNS, rows)


def _window(
    column: Any, consumer: str | None, start: dt.datetime | None, end: dt.datetime | None
) -> list[Any]:
    where: list[Any] = []
    if consumer is not None:
        where.append(checks.c.consumer_code == consumer)
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    return where


def log_rows(
    conn: Connection,
    *,
    consumer: str | None,
    measure: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> Iterator[dict[str, Any]]:
    """Every logged decision in the window, oldest first."""
    c, r = checks, check_results
    stmt = (
        select(
            c.c.id.label("check_id"),
            c.c.at,
            c.c.consumer_code,
            c.c.key_id,
            c.c.measure,
            c.c.purpose,
            c.c.reference,
            c.c.on_date,
            c.c.data_version,
            r.c.position,
            r.c.subject_code,
            r.c.decision,
            r.c.basis,
        )
        .join(r, r.c.check_id == c.c.id)
        .where(*_window(c.c.at, consumer, start, end))
        .order_by(c.c.at, c.c.id, r.c.position)
    )
    if measure is not None:
        stmt = stmt.where(c.c.measure == measure)
    for row in conn.execute(stmt.execution_options(yield_per=10_000)).mappings():
        yield {str(k): v for k, v in row.items()}


def check_counts(
    conn: Connection, *, consumer: str | None, start: dt.datetime | None, end: dt.datetime | None
) -> list[dict[str, Any]]:
    """Checks, subjects checked and decisions that applied, per consumer, measure and day."""
    c = checks
    stmt = (
        select(
            c.c.consumer_code,
            c.c.measure,
            c.c.on_date,
            func.count().label("checks"),
            func.sum(c.c.subjects).label("subjects"),
            func.sum(c.c.applies).label("applies"),
        )
        .where(*_window(c.c.at, consumer, start, end))
        .group_by(c.c.consumer_code, c.c.measure, c.c.on_date)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def feedback_counts(
    conn: Connection, *, consumer: str | None, start: dt.date | None, end: dt.date | None
) -> list[dict[str, Any]]:
    """Feedback per consumer, measure, day acted and action."""
    f = check_feedback
    where: list[Any] = []
    if consumer is not None:
        where.append(f.c.consumer_code == consumer)
    if start is not None:
        where.append(f.c.acted_on >= start)
    if end is not None:
        where.append(f.c.acted_on < end)
    stmt = (
        select(f.c.consumer_code, f.c.measure, f.c.acted_on, f.c.action, func.count().label("n"))
        .where(and_(True, *where))
        .group_by(f.c.consumer_code, f.c.measure, f.c.acted_on, f.c.action)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
