"""SQL of the rating engine: reading the store as rating input, and keeping ratings.

Records are read as they were known at the end of the rating date: for each record, the
latest version received by then (a later correction does not change a past rating).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Numeric,
    Select,
    Text,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.types import TypeEngine

from xinyong.catalogue.model import FieldType
from xinyong.db.bulk import bulk_insert
from xinyong.db.tables import entities, ratings, record_versions, records
from xinyong.rating.compile import InputField
from xinyong.rating.inputs import ENVELOPE

BATCH = 5000


@dataclass(frozen=True)
class Subject:
    id: int
    kind: str
    code: str
    public_id: str
    division: str
    #: persons: the last day on which some record of theirs is public (None: never)
    public_until: dt.date | None = None

    def public_on(self, today: dt.date) -> bool:
        """Whether the public may look this subject up today (persons only while some
        record of theirs is public)."""
        if self.kind != "person":
            return True
        return self.public_until is not None and self.public_until >= today


def subject_by_code(conn: Connection, code: str, *, identity_numbers: bool) -> Subject | None:
    """An organisation by USCC, a person by public id, and a person by identity number
    only when ``identity_numbers`` (an authority's lookup)."""
    c = code.strip()
    cond = or_(
        and_(entities.c.code == c.upper(), entities.c.kind != "person"),
        and_(entities.c.public_id == c, entities.c.kind == "person"),
    )
    if identity_numbers:
        cond = or_(cond, entities.c.code == c.upper())
    row = conn.execute(
        select(
            entities.c.id,
            entities.c.kind,
            entities.c.code,
            entities.c.public_id,
            entities.c.division,
            entities.c.public_until,
        ).where(cond)
    ).first()
    return Subject(*row) if row else None


def subjects(
    conn: Connection,
    kinds: Sequence[str],
    ids: Sequence[int] | None = None,
    *,
    known_by: dt.datetime | None = None,
) -> list[tuple[int, str]]:
    """``(id, kind)`` of subjects of ``kinds``; with ``known_by``, only those the platform
    knew of by then (a past rating does not rate subjects that did not exist yet)."""
    stmt = select(entities.c.id, entities.c.kind).where(entities.c.kind.in_(list(kinds)))
    if known_by is not None:
        stmt = stmt.where(entities.c.created_at < known_by)
    if ids is not None:
        stmt = stmt.where(entities.c.id.in_(list(ids)))
    return [(int(i), str(k)) for i, k in conn.execute(stmt.order_by(entities.c.id))]


def _versions_known(cutoff: dt.datetime | None) -> Any:
    """The version of each record to rate: current, or the latest received before cutoff."""
    rv = record_versions
    if cutoff is None:
        return and_(rv.c.record_id == records.c.id, rv.c.version == records.c.current_version)
    v2 = record_versions.alias("v2")
    latest = (
        select(func.max(v2.c.version))
        .where(v2.c.record_id == records.c.id, v2.c.received_at < cutoff)
        .correlate(records)
        .scalar_subquery()
    )
    return and_(rv.c.record_id == records.c.id, rv.c.version == latest)


def _envelope(*, dates_as_text: bool = False) -> list[Any]:
    """The rating input's envelope columns (``inputs.ENVELOPE``), from the store."""
    rv = record_versions
    dates: list[Any] = [rv.c.decided_on, rv.c.publicity_until]
    if dates_as_text:
        dates = [cast(d, Text) for d in dates]
    return [
        rv.c.entity_id,
        rv.c.record_id,
        rv.c.version,
        rv.c.record_type,
        rv.c.severity,
        records.c.provider_code,
        *dates,
    ]


def record_select(
    record_types: Sequence[str], cutoff: dt.datetime | None, entity_ids: Sequence[int] | None
) -> Select[Any]:
    rv = record_versions
    stmt = (
        select(*_envelope(), rv.c.fields)
        .select_from(records.join(rv, _versions_known(cutoff)))
        .where(rv.c.record_type.in_(list(record_types)))
    )
    if entity_ids is not None:
        stmt = stmt.where(records.c.entity_id.in_(list(entity_ids)))
    return stmt


def record_rows(
    conn: Connection,
    record_types: Sequence[str],
    *,
    cutoff: dt.datetime | None,
    entity_ids: Sequence[int] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """``(entity_id, record_id, version, record_type, severity, provider, decided_on,
    publicity_until, fields)`` of the records of ``record_types``."""
    if entity_ids is not None and len(entity_ids) > BATCH:
        for i in range(0, len(entity_ids), BATCH):
            yield from record_rows(
                conn, record_types, cutoff=cutoff, entity_ids=entity_ids[i : i + BATCH]
            )
        return
    stmt = record_select(record_types, cutoff, entity_ids)
    result = conn.execute(stmt.execution_options(yield_per=20_000))
    for row in result:
        yield tuple(row)


_SQL_TYPES: dict[FieldType, TypeEngine[Any]] = {
    FieldType.decimal: Numeric(18, 4),
    FieldType.integer: BigInteger(),
    FieldType.boolean: Boolean(),
    FieldType.choice: Text(),
    FieldType.string: Text(),
    FieldType.date: Date(),
}


def fill_input_in_database(
    conn: Connection,
    fields: Sequence[InputField],
    record_types: Sequence[str],
    kinds: Sequence[str],
    cutoff: dt.datetime | None,
) -> None:
    """Fill ``rating_input`` and ``rating_subjects`` (temporary tables of this session) from
    the store with ``INSERT ... SELECT``: the records never leave the database."""
    rv = record_versions
    typed = [
        case(
            (
                rv.c.record_type == f.record_type,
                cast(rv.c.fields[f.field].as_string(), _SQL_TYPES[f.type]),
            ),
        ).label(f.column)
        for f in fields
    ]
    base = record_select(record_types, cutoff, None).with_only_columns(
        *_envelope(), *typed, maintain_column_froms=True
    )
    names = [name for name, _, _ in ENVELOPE] + [f.column for f in fields]
    target = table("rating_input", *(column(n) for n in names))
    conn.execute(insert(target).from_select(names, base))
    subjects_t = table("rating_subjects", column("subject_id"), column("kind"))
    known = select(entities.c.id, entities.c.kind).where(entities.c.kind.in_(list(kinds)))
    if cutoff is not None:
        known = known.where(entities.c.created_at < cutoff)
    conn.execute(insert(subjects_t).from_select(["subject_id", "kind"], known))


def input_text_batches(
    conn: Connection,
    fields: Sequence[InputField],
    record_types: Sequence[str],
    cutoff: dt.datetime | None,
    size: int = 50_000,
) -> Iterator[list[tuple[Any, ...]]]:
    """The rating input's rows, every column but the ids as text (dates ISO, the fields as
    their JSON text), in batches: the caller types them in bulk."""
    stmt = record_select(record_types, cutoff, None).with_only_columns(
        *_envelope(dates_as_text=True),
        cast(record_versions.c.fields, Text),
        maintain_column_froms=True,
    )
    result = conn.execute(stmt.execution_options(yield_per=size))
    for part in result.partitions(size):
        yield [tuple(r) for r in part]


def entities_of_records(conn: Connection, record_ids: Sequence[str]) -> list[int]:
    out: set[int] = set()
    for i in range(0, len(record_ids), BATCH):
        chunk = list(record_ids[i : i + BATCH])
        out.update(
            conn.execute(select(records.c.entity_id).where(records.c.id.in_(chunk))).scalars()
        )
    return sorted(out)


# ---- stored ratings ----------------------------------------------------------------------


def save_ratings(conn: Connection, scheme: str, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the stored ratings of these subjects for ``scheme``."""
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        conn.execute(
            delete(ratings).where(
                ratings.c.scheme == scheme,
                ratings.c.entity_id.in_([r["entity_id"] for r in chunk]),
            )
        )
        conn.execute(insert(ratings), [{"scheme": scheme, "stale": False, **r} for r in chunk])


#: The columns of ``ratings`` in the order :func:`replace_all` takes them.
RATING_COLUMNS = (
    "entity_id",
    "scheme",
    "scheme_version",
    "as_of",
    "score_units",
    "grade",
    "valid_until",
    "fingerprint",
    "engine",
    "stale",
    "computed_at",
)


def replace_all(
    conn: Connection,
    scheme: str,
    rows: Sequence[tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Replace every stored rating of ``scheme`` (a full re-rate) with ``rows`` of
    :data:`RATING_COLUMNS`, dates as ISO text and ``computed_at`` as naive UTC text."""
    conn.execute(delete(ratings).where(ratings.c.scheme == scheme))
    for i in range(0, len(rows), 50_000):
        bulk_insert(conn, "ratings", RATING_COLUMNS, rows[i : i + 50_000])
        if progress:
            progress(min(i + 50_000, len(rows)))


def count_records(conn: Connection, record_types: Sequence[str]) -> int:
    """How many records of these types there are (a progress bar's total)."""
    stmt = select(func.count()).where(records.c.record_type.in_(list(record_types)))
    return int(conn.execute(stmt).scalar_one())


def ratings_of(conn: Connection, entity_id: int) -> list[dict[str, Any]]:
    stmt = select(ratings).where(ratings.c.entity_id == entity_id).order_by(ratings.c.scheme)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def mark_stale(conn: Connection, entity_ids: Sequence[int]) -> None:
    for i in range(0, len(entity_ids), BATCH):
        conn.execute(
            update(ratings)
            .where(ratings.c.entity_id.in_(list(entity_ids[i : i + BATCH])))
            .values(stale=True)
        )


def mark_import_stale(conn: Connection, import_id: int) -> None:
    """Ratings of every subject an import wrote to are stale."""
    touched = select(record_versions.c.entity_id).where(record_versions.c.import_id == import_id)
    conn.execute(update(ratings).where(ratings.c.entity_id.in_(touched)).values(stale=True))


def due_subjects(conn: Connection, scheme: str, kinds: Sequence[str], today: dt.date) -> list[int]:
    """Subjects of ``kinds`` whose ``scheme`` rating is missing, stale or lapsed."""
    r = ratings.alias("r")
    stmt = (
        select(entities.c.id)
        .select_from(
            entities.outerjoin(r, and_(r.c.entity_id == entities.c.id, r.c.scheme == scheme))
        )
        .where(
            entities.c.kind.in_(list(kinds)),
            or_(
                r.c.entity_id.is_(None),
                r.c.stale.is_(True),
                r.c.valid_until < today,
                r.c.as_of > today,
            ),
        )
        .order_by(entities.c.id)
    )
    return list(conn.execute(stmt).scalars())


def lapsed_subjects(conn: Connection, today: dt.date) -> list[int]:
    """Subjects with a stored rating that lapsed before ``today`` (an input changed since:
    a record aged out of a rule or its publicity ended)."""
    stmt = (
        select(ratings.c.entity_id)
        .where(ratings.c.valid_until < today)
        .distinct()
        .order_by(ratings.c.entity_id)
    )
    return [int(i) for i in conn.execute(stmt).scalars()]


def grade_counts(conn: Connection, scheme: str) -> dict[str, int]:
    stmt = (
        select(ratings.c.grade, func.count())
        .where(ratings.c.scheme == scheme)
        .group_by(ratings.c.grade)
    )
    return {g: int(n) for g, n in conn.execute(stmt)}
