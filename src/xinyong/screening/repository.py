"""SQL of name screening: candidate names through the name indexes, subjects by code and
reviewer decisions. Only this module touches SQL.

Candidates are found through the indexes of migration 0002, never by reading every name:
each character pair of the query's core is one ordered posting list, the FTS5 table
``entity_name_chars`` on SQLite (a two-character phrase) and the primary key
``(gram, name_id)`` of ``entity_name_grams`` on PostgreSQL. Every posting list is read
for at most ``postings`` names, so the cost of a screening is bounded by
``pairs x postings`` index entries, however large the store:

1. :func:`pair_counts`: how many names hold each pair (counted up to ``postings``), in one
   statement, so that the service can keep the rarest, most distinctive pairs;
2. :func:`candidate_names`: the names holding most of the chosen pairs, with their
   subjects, at most ``limit`` (found by primary key, never by a scan of the names).
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
    Integer,
    Select,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
)

from xinyong.db.engine import spaced_chars
from xinyong.db.tables import entities, entity_names, screening_decisions
from xinyong.entities.repository import fts_phrase, name_chars, name_grams
from xinyong.screening.normalise import wide_form

#: The subject kinds that name screening covers; persons are never screened by name.
SCREENED_KINDS = ("organisation", "individual_business")


@dataclass(frozen=True)
class NameRow:
    """A name a subject was submitted under, with the subject."""

    name_id: int
    name: str
    entity_id: int
    kind: str
    code: str
    current_name: str


@dataclass(frozen=True)
class DecisionRow:
    """A reviewer's decision on one subject for one normalised name."""

    id: int
    normalised_name: str
    entity_id: int
    code: str
    verdict: str
    reviewer: str
    reason: str
    decided_by: str | None
    decided_at: dt.datetime


def _among(conn: Connection, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter instead of one per id."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def _postings(conn: Connection, pair: str, postings: int) -> Select[Any]:
    """The ids of the first ``postings`` names (in id order) holding ``pair``, as written
    or in full-width letters. Each is one ordered range of the index, read no further."""
    variants = [pair] + [w for w in (wide_form(pair),) if w]
    if conn.dialect.name == "sqlite":
        chars = name_chars.alias()
        phrases = " OR ".join(fts_phrase(spaced_chars(v) or "") for v in variants)
        return (
            select(chars.c.rowid.label("name_id"))
            .where(chars.c.chars.op("MATCH")(phrases))
            .order_by(chars.c.rowid)
            .limit(postings)
        )
    ranges = [
        select(g.c.name_id.label("name_id"))
        .where(g.c.gram == variant)
        .order_by(g.c.name_id)
        .limit(postings)
        .subquery()
        for g, variant in ((name_grams.alias(), v) for v in variants)
    ]
    if len(ranges) == 1:
        return select(ranges[0].c.name_id).limit(postings)
    # (a name holding both forms counts twice: too rare to matter)
    both = union_all(*(select(r.c.name_id) for r in ranges)).subquery()
    return select(both.c.name_id).limit(postings)


def pair_counts(conn: Connection, pairs: Sequence[str], *, postings: int) -> dict[str, int]:
    """How many names hold each pair, counted up to ``postings`` (one statement)."""
    if not pairs:
        return {}
    parts = [
        select(literal(i, Integer).label("i"), func.count().label("n")).select_from(
            _postings(conn, pair, postings).subquery()
        )
        for i, pair in enumerate(pairs)
    ]
    return {pairs[i]: int(n) for i, n in conn.execute(union_all(*parts))}


def _row_columns() -> list[Any]:
    return [
        entity_names.c.id,
        entity_names.c.name,
        entities.c.id,
        entities.c.kind,
        entities.c.code,
        entities.c.name,
    ]


def candidate_names(
    conn: Connection,
    pairs: Sequence[str],
    *,
    kinds: Sequence[str],
    postings: int,
    limit: int,
) -> list[NameRow]:
    """The names of subjects of ``kinds`` holding most of ``pairs`` (most shared first,
    then in name order), at most ``limit``.

    Three statements, each bounded whatever the planner thinks: the ids of the names that
    share most pairs (twice ``limit`` of them, since some may be persons' names), then
    those names, then their subjects, both by primary key.
    """
    if not pairs:
        return []
    hits = union_all(
        *(
            select(p.c.name_id).select_from(p)
            for p in (_postings(conn, pair, postings).subquery() for pair in pairs)
        )
    ).subquery("hits")
    ranked = list(
        conn.execute(
            select(hits.c.name_id)
            .group_by(hits.c.name_id)
            .order_by(func.count().desc(), hits.c.name_id)
            .limit(2 * limit)
        ).scalars()
    )
    if not ranked:
        return []
    names = {
        name_id: (name, entity_id)
        for name_id, name, entity_id in conn.execute(
            select(entity_names.c.id, entity_names.c.name, entity_names.c.entity_id).where(
                _among(conn, entity_names.c.id, ranked)
            )
        )
    }
    subjects = {
        row[0]: row[1:]
        for row in conn.execute(
            select(entities.c.id, entities.c.kind, entities.c.code, entities.c.name).where(
                _among(conn, entities.c.id, sorted({e for _, e in names.values()})),
                entities.c.kind.in_(list(kinds)),
            )
        )
    }
    rows = [
        NameRow(name_id, names[name_id][0], names[name_id][1], *subjects[names[name_id][1]])
        for name_id in ranked
        if name_id in names and names[name_id][1] in subjects
    ]
    return rows[:limit]


def names_of(conn: Connection, entity_ids: Sequence[int]) -> list[NameRow]:
    """Every name of these subjects, oldest first."""
    if not entity_ids:
        return []
    stmt = (
        select(*_row_columns())
        .select_from(entity_names.join(entities, entities.c.id == entity_names.c.entity_id))
        .where(entities.c.id.in_(list(entity_ids)))
        .order_by(entity_names.c.id)
    )
    return [NameRow(*row) for row in conn.execute(stmt)]


def subject_id_by_code(conn: Connection, code: str, kinds: Sequence[str]) -> int | None:
    """The id of the subject of one of ``kinds`` whose identifier is ``code``."""
    found = conn.execute(
        select(entities.c.id).where(entities.c.code == code, entities.c.kind.in_(list(kinds)))
    ).scalar()
    return None if found is None else int(found)


def latest_decisions(conn: Connection, normalised_name: str) -> list[DecisionRow]:
    """The latest decision on each subject for ``normalised_name`` (earlier ones are kept
    in the table, as the history)."""
    d = screening_decisions.alias("d")
    later = screening_decisions.alias("later")
    newer = (
        select(later.c.id)
        .where(
            later.c.normalised_name == d.c.normalised_name,
            later.c.entity_id == d.c.entity_id,
            later.c.id > d.c.id,
        )
        .exists()
    )
    stmt = (
        select(
            d.c.id,
            d.c.normalised_name,
            d.c.entity_id,
            entities.c.code,
            d.c.verdict,
            d.c.reviewer,
            d.c.reason,
            d.c.decided_by,
            d.c.decided_at,
        )
        .select_from(d.join(entities, entities.c.id == d.c.entity_id))
        .where(d.c.normalised_name == normalised_name, ~newer)
        .order_by(d.c.id)
    )
    return [DecisionRow(*row) for row in conn.execute(stmt)]


def add_decision(
    conn: Connection,
    *,
    normalised_name: str,
    entity_id: int,
    verdict: str,
    reviewer: str,
    reason: str,
    decided_by: str | None,
    decided_at: dt.datetime,
) -> int:
    """Store a decision (never updated: a later decision on the same pair supersedes it)."""
    return int(
        conn.execute(
            insert(screening_decisions)
            .values(
                normalised_name=normalised_name,
                entity_id=entity_id,
                verdict=verdict,
                reviewer=reviewer,
                reason=reason,
                decided_by=decided_by,
                decided_at=decided_at,
            )
            .returning(screening_decisions.c.id)
        ).scalar_one()
    )
