"""SQL for entity search, entity views and record histories. Only this module touches SQL.

Name search pages through *name rows* (``entity_names.id``), not entities, because that is
the order the indexes below deliver without sorting. An entity is reported at its first
matching name: a later name of the same entity that also matches is skipped (``NOT EXISTS``
an earlier match), so each entity appears once, and a cursor (the last name id) never
repeats or skips an entity. Which index finds the names:

* 1 or 2 characters, SQLite: the FTS5 table ``entity_name_chars`` (migration 0002), whose
  tokens are single characters, with a quoted phrase: one ordered posting list per query.
* 1 or 2 characters, PostgreSQL: ``entity_name_grams`` (migration 0002), whose primary
  key ``(gram, name_id)`` is one ordered range per query, however common the gram.
* 3 or more characters, SQLite: the FTS5 trigram table ``entity_names_fts`` with a quoted
  phrase, read in rowid order from the cursor on.
* 3 or more characters, PostgreSQL: ``name ILIKE '%q%'``, by a walk of the primary key when
  matches are common, by pg_trgm's GIN index when they are sparse (see
  :func:`_search_postgresql`).

Every search examines at most ``budget`` matching names, so that filters which reject most
matches (a kind few of them have, persons who are not public) cannot make it read them all;
it then says where it stopped, and the next page goes on from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    table,
)

from xinyong.db.engine import spaced_chars
from xinyong.db.tables import entities, entity_names, record_versions, records

PERSON = "person"
LIKE_ESCAPE = "\\"

#: Migration 0002: every distinct character and character pair of ``lower(name)``.
name_grams = table("entity_name_grams", column("gram", String), column("name_id", Integer))
#: Migration 0002 (SQLite only): FTS5 index of the names' single characters.
name_chars = table("entity_name_chars", column("rowid", Integer), column("chars", String))
#: Migration 0001 (SQLite only): FTS5 trigram index over ``entity_names.name``.
names_fts = table("entity_names_fts", column("rowid", Integer), column("name", String))

GRAM_LENGTHS = (1, 2)


@dataclass(frozen=True)
class Hit:
    """A search result: the matching name row (the cursor) and its entity."""

    name_id: int
    entity_id: int
    kind: str
    code: str
    public_id: str
    name: str
    division: str


def like_pattern(q: str) -> str:
    """``%q%`` with LIKE's wildcards and the escape character escaped."""
    escaped = (
        q.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def fts_phrase(q: str) -> str:
    """``q`` as one FTS5 phrase: quoted, inner quotes doubled, so no operator applies."""
    return '"' + q.replace('"', '""') + '"'


def _visible(today: dt.date, kind: str | None, division: str | None = None) -> ColumnElement[bool]:
    """Entities that search may show: persons only while some record of theirs is public;
    of ``kind`` and in ``division`` (the district in the subject's code) when given. A
    person's division is never shown, so a division filter leaves persons out: it would
    tell where they were born."""
    shown: ColumnElement[bool] = or_(entities.c.kind != PERSON, entities.c.public_until >= today)
    if kind:
        shown = and_(shown, entities.c.kind == kind)
    if division:
        shown = and_(shown, entities.c.division == division, entities.c.kind != PERSON)
    return shown


def _hit_columns(name_id: Any) -> list[Any]:
    return [
        name_id.label("name_id"),
        entities.c.id,
        entities.c.kind,
        entities.c.code,
        entities.c.public_id,
        entities.c.name,
        entities.c.division,
    ]


def _hits(conn: Connection, stmt: Select[Any]) -> list[Hit]:
    return [Hit(*row) for row in conn.execute(stmt)]


def search_by_code(
    conn: Connection, code: str, *, kind: str | None, today: dt.date, division: str | None = None
) -> list[Hit]:
    """The entity whose identifier is exactly ``code``, if search may show it."""
    stmt = select(*_hit_columns(literal(0, Integer))).where(
        entities.c.code == code, _visible(today, kind, division)
    )
    return _hits(conn, stmt)


@dataclass(frozen=True)
class Found:
    """A page of hits, and where the scan stopped when it stopped at its budget."""

    hits: list[Hit]
    scanned_to: int | None = None


@dataclass(frozen=True)
class _Matcher:
    """How one index finds the names that contain a query."""

    source: FromClause  # the index (a table, or the FTS5 table)
    position: ColumnElement[int]  # the name id, as the index orders it
    condition: ColumnElement[bool]  # "this index entry matches"


def _matcher(conn: Connection, q: str, alias: str) -> _Matcher:
    if len(q) in GRAM_LENGTHS and conn.dialect.name == "sqlite" and q.isalnum():
        # (the FTS5 tokenizer drops punctuation: such rare queries scan names with LIKE)
        c = name_chars.alias(alias)
        return _Matcher(c, c.c.rowid, c.c.chars.op("MATCH")(fts_phrase(spaced_chars(q) or "")))
    if len(q) in GRAM_LENGTHS and conn.dialect.name == "postgresql":
        g = name_grams.alias(alias)
        return _Matcher(g, g.c.name_id, g.c.gram == func.lower(q))
    if conn.dialect.name == "sqlite" and len(q) not in GRAM_LENGTHS:
        f = names_fts.alias(alias)
        return _Matcher(f, f.c.rowid, f.c.name.op("MATCH")(fts_phrase(q)))
    n = entity_names.alias(alias)
    return _Matcher(n, n.c.id, n.c.name.ilike(like_pattern(q), escape=LIKE_ESCAPE))


def _candidates(conn: Connection, q: str, after: int) -> Select[Any]:
    """The ids of the names matching ``q`` after ``after``, in order."""
    scan = _matcher(conn, q, "m")
    return (
        select(scan.position)
        .select_from(scan.source)
        .where(scan.condition, scan.position > after)
        .order_by(scan.position)
    )


def _page(
    conn: Connection,
    q: str,
    position: ColumnElement[int],
    source: FromClause,
    where: list[ColumnElement[bool]],
    *,
    kind: str | None,
    division: str | None,
    today: dt.date,
    limit: int,
) -> list[Hit]:
    """The entities of the names that ``where`` selects, at their first matching name."""
    n = entity_names.alias("n")
    n2 = entity_names.alias("n2")
    # An earlier name of the same entity that matches too: the entity was shown there.
    # Written as "the entity's earlier names, each checked", so that the database reads
    # the entity's few names rather than every match of the query.
    again = _matcher(conn, q, "again")
    earlier = select(literal(1)).where(
        n2.c.entity_id == n.c.entity_id,
        n2.c.id < n.c.id,
        exists(
            select(literal(1))
            .select_from(again.source)
            .where(again.condition, again.position == n2.c.id)
        ),
    )
    stmt = (
        select(*_hit_columns(position))
        .select_from(
            source.join(n, n.c.id == position).join(entities, entities.c.id == n.c.entity_id)
        )
        .where(*where, _visible(today, kind, division), ~exists(earlier))
        .order_by(position)
        .limit(limit)
    )
    return _hits(conn, stmt)


def search_by_name(
    conn: Connection,
    q: str,
    *,
    kind: str | None,
    division: str | None = None,
    today: dt.date,
    after: int,
    limit: int,
    budget: int,
) -> Found:
    """Entities with a name containing ``q`` (case-insensitive), in the order of their
    first matching name, from name id ``after`` on; at most ``limit``.

    At most ``budget`` matching names are examined, so that a search whose filters reject
    most matches (a kind that few of them have, persons who are not public) still answers
    fast: when the budget ends the scan, ``scanned_to`` is the last name examined, and the
    next page starts after it.
    """
    if len(q) in GRAM_LENGTHS or conn.dialect.name == "sqlite":
        # The last name within the budget (an index-only scan), then one ordered range of
        # the index up to it, read only as far as the page needs.
        bound = conn.execute(_candidates(conn, q, after).offset(budget - 1).limit(1)).scalar()
        index = _matcher(conn, q, "i")
        where = [index.condition, index.position > after]
        if bound is not None:
            where.append(index.position <= bound)
        hits = _page(
            conn,
            q,
            index.position,
            index.source,
            where,
            kind=kind,
            division=division,
            today=today,
            limit=limit,
        )
        return Found(hits, bound)
    return _search_postgresql(
        conn,
        q,
        kind=kind,
        division=division,
        today=today,
        after=after,
        limit=limit,
        budget=budget,
    )


#: PostgreSQL, 3+ characters: names read in id order per probe, and probes per request.
PROBE_ROWS = 2000
PROBES = 5


def _search_postgresql(
    conn: Connection,
    q: str,
    *,
    kind: str | None,
    division: str | None = None,
    today: dt.date,
    after: int,
    limit: int,
    budget: int,
) -> Found:
    """PostgreSQL, 3 characters or more: walk the names in id order, or ask pg_trgm.

    The two plans for "the first names after N that match, in id order" are walking the
    primary key and filtering (fast when matches are common, a full table scan when they
    are rare) and pg_trgm's bitmap scan then a sort (fast when they are rare, reading
    every match when common). The planner's guess of how common a ``%...%`` pattern is
    cannot be trusted to choose, so this looks: it reads the next ``PROBE_ROWS`` names in id
    order and counts the matches. Many: those are the candidates, and the walk goes on
    while the filters leave the page short, for at most ``PROBES`` probes or ``budget``
    matches. Few: the rest of the matches are sparse, and pg_trgm finds the next
    ``budget`` of them.
    """
    n = entity_names.alias("c")
    pattern = like_pattern(q)
    hits: list[Hit] = []
    examined = 0
    for _ in range(PROBES):
        walked = (
            select(entity_names.c.id, entity_names.c.name)
            .where(entity_names.c.id > after)
            .order_by(entity_names.c.id)
            .limit(PROBE_ROWS)
            .subquery("w")
        )
        scanned, last, ids = conn.execute(
            select(
                func.count(),
                func.max(walked.c.id),
                func.array_agg(walked.c.id).filter(
                    walked.c.name.ilike(pattern, escape=LIKE_ESCAPE)
                ),
            )
        ).one()
        sparse = len(ids or ()) < limit and scanned == PROBE_ROWS
        if sparse:
            # the trigram index, in a plan that cannot walk the primary key (id + 0)
            ids = list(
                conn.execute(
                    select(entity_names.c.id)
                    .where(
                        entity_names.c.name.ilike(pattern, escape=LIKE_ESCAPE),
                        entity_names.c.id > after,
                    )
                    .order_by(entity_names.c.id + 0)
                    .limit(budget)
                ).scalars()
            )
        ids = sorted(ids or ())
        examined += len(ids)
        if ids:
            chosen = n.c.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
            hits += _page(
                conn,
                q,
                n.c.id,
                n,
                [chosen],
                kind=kind,
                division=division,
                today=today,
                limit=limit - len(hits),
            )
        if len(hits) >= limit:
            return Found(hits)
        if sparse:
            return Found(hits, ids[-1] if len(ids) == budget else None)
        if scanned < PROBE_ROWS:  # the end of the table
            return Found(hits)
        after = last
        if examined >= budget:
            break
    return Found(hits, after)


# ---- one entity --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityRow:
    id: int
    kind: str
    code: str
    public_id: str
    name: str
    division: str
    public_until: dt.date | None
    created_at: dt.datetime


def entity_by_public_code(conn: Connection, code: str) -> EntityRow | None:
    """An organisation by its USCC or a person by their public id; never a person by
    their identity number."""
    stmt = select(
        entities.c.id,
        entities.c.kind,
        entities.c.code,
        entities.c.public_id,
        entities.c.name,
        entities.c.division,
        entities.c.public_until,
        entities.c.created_at,
    ).where(
        or_(
            and_(entities.c.code == code.upper(), entities.c.kind != PERSON),
            and_(entities.c.public_id == code, entities.c.kind == PERSON),
        )
    )
    row = conn.execute(stmt).first()
    return EntityRow(*row) if row else None


def names_of(conn: Connection, entity_id: int, *, known_by: dt.datetime | None = None) -> list[str]:
    """Every name the entity was submitted under, oldest first; with ``known_by``, only
    those first seen before that moment."""
    stmt = (
        select(entity_names.c.name)
        .where(entity_names.c.entity_id == entity_id)
        .order_by(entity_names.c.id)
    )
    if known_by is not None:
        stmt = stmt.where(entity_names.c.first_seen_at < known_by)
    return list(conn.execute(stmt).scalars())


def name_known_by(conn: Connection, entity_id: int, known_by: dt.datetime) -> str | None:
    """The entity's name as the platform had it before ``known_by``, by the rule the store
    keeps ``entities.name`` with: the name of the latest decision received by then; of
    versions with the same decision date, the first received (only a later decision
    renames)."""
    rv = record_versions
    stmt = (
        select(rv.c.subject_name)
        .where(rv.c.entity_id == entity_id, rv.c.received_at < known_by)
        .order_by(rv.c.decided_on.desc(), rv.c.received_at, rv.c.record_id, rv.c.version)
        .limit(1)
    )
    found = conn.execute(stmt).scalar()
    return None if found is None else str(found)


def _current_version() -> Any:
    return records.join(
        record_versions,
        and_(
            record_versions.c.record_id == records.c.id,
            record_versions.c.version == records.c.current_version,
        ),
    )


def _known_version(known_by: dt.datetime) -> ColumnElement[bool]:
    """``record_versions`` rows that were their record's latest version before ``known_by``
    (transaction time). A correlated subquery, so that each candidate row costs one probe of
    the primary key (``record_id, version``) however large the store."""
    rv, later = record_versions, record_versions.alias("later")
    latest = (
        select(func.max(later.c.version))
        .where(later.c.record_id == rv.c.record_id, later.c.received_at < known_by)
        .correlate(rv)
        .scalar_subquery()
    )
    return and_(rv.c.received_at < known_by, rv.c.version == latest)


def public_records(
    conn: Connection,
    entity_id: int,
    record_types: Sequence[str],
    day: dt.date,
    *,
    known_by: dt.datetime | None = None,
    with_fields: bool = True,
) -> list[dict[str, Any]]:
    """The versions of an entity's records of ``record_types`` that were public on ``day``
    (decided by then, publicity not over, not ended), newest decision first, in one
    statement.

    Without ``known_by``: each record's current version. With it: each record's latest
    version received before ``known_by``, and the subject as that version names it.
    ``with_fields=False`` leaves out the records' fields (no ``fields`` key): a page that
    does not show them then neither reads nor decodes them.
    """
    if not record_types:
        return []
    rv = record_versions
    columns = (
        records.c.id,
        records.c.provider_code,
        rv.c.version,
        rv.c.record_type,
        rv.c.severity,
        rv.c.decided_on,
        rv.c.publicity_until,
        rv.c.legal_basis,
        rv.c.document_number,
    ) + ((rv.c.fields,) if with_fields else ())
    valid_on_day = (
        rv.c.record_type.in_(list(record_types)),
        rv.c.decided_on <= day,
        or_(rv.c.publicity_until.is_(None), rv.c.publicity_until >= day),
        or_(rv.c.ended_on.is_(None), rv.c.ended_on >= day),
    )
    if known_by is None:
        stmt = (
            select(*columns)
            .select_from(_current_version())
            .where(records.c.entity_id == entity_id, rv.c.entity_id == entity_id, *valid_on_day)
        )
    else:
        stmt = (
            select(*columns)
            .select_from(rv.join(records, records.c.id == rv.c.record_id))
            .where(rv.c.entity_id == entity_id, _known_version(known_by), *valid_on_day)
        )
    stmt = stmt.order_by(rv.c.decided_on.desc(), records.c.id)
    return [dict(row) for row in conn.execute(stmt).mappings()]


def current_publicity(conn: Connection, record_ids: Sequence[str]) -> list[dict[str, Any]]:
    """For each of these records, what decides whether it may be public today: its
    subject's kind, its type and its current version's dates (in chunks of 500 ids)."""
    rv = record_versions
    out: list[dict[str, Any]] = []
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), 500):
        stmt = (
            select(
                records.c.id,
                entities.c.kind,
                rv.c.record_type,
                rv.c.decided_on,
                rv.c.publicity_until,
                rv.c.ended_on,
            )
            .select_from(_current_version().join(entities, entities.c.id == rv.c.entity_id))
            .where(records.c.id.in_(ids[start : start + 500]))
        )
        out.extend(dict(row) for row in conn.execute(stmt).mappings())
    return out


# ---- a record's history ------------------------------------------------------------------


def entity_of_record(conn: Connection, record_id: str) -> int | None:
    found = conn.execute(select(records.c.entity_id).where(records.c.id == record_id)).first()
    return None if found is None else int(found[0])


def record_head(conn: Connection, record_id: str) -> dict[str, Any] | None:
    """A record's head and its subject as the current version names it."""
    stmt = (
        select(
            records.c.id,
            records.c.provider_code,
            records.c.provider_record_id,
            records.c.record_type,
            records.c.current_version,
            records.c.created_at,
            entities.c.kind.label("subject_kind"),
            entities.c.code.label("subject_code"),
            record_versions.c.subject_name,
        )
        .select_from(
            _current_version().join(entities, entities.c.id == record_versions.c.entity_id)
        )
        .where(records.c.id == record_id)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def record_versions_of(
    conn: Connection, record_id: str, *, known_by: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Every stored version of a record, oldest first, with its subject's kind and code;
    with ``known_by``, only those received before that moment."""
    rv = record_versions
    stmt = (
        select(
            rv.c.version,
            rv.c.record_type,
            entities.c.kind.label("subject_kind"),
            entities.c.code.label("subject_code"),
            rv.c.subject_name,
            rv.c.severity,
            rv.c.legal_basis,
            rv.c.document_number,
            rv.c.decided_on,
            rv.c.publicity_until,
            rv.c.fields,
            rv.c.content_hash,
            rv.c.received_at,
            rv.c.import_id,
        )
        .select_from(rv.join(entities, entities.c.id == rv.c.entity_id))
        .where(rv.c.record_id == record_id)
        .order_by(rv.c.version)
    )
    if known_by is not None:
        stmt = stmt.where(rv.c.received_at < known_by)
    return [dict(row) for row in conn.execute(stmt).mappings()]
