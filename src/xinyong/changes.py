"""What follows a change of records: ratings, list entries and watchers, in one transaction.

Every way records change (a record or batch through the API, an end of a record, an import,
an approved restoration) calls :func:`records_changed` before its transaction commits, so
that grades, list memberships and check decisions are current when the call returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue
from xinyong.ingest import repository as import_repo
from xinyong.lists.model import Declaration
from xinyong.lists.service import Refreshed, record_types, refresh
from xinyong.rating.model import Scheme
from xinyong.rating.service import rate_subjects
from xinyong.store.service import Ended, EndReason, end_record
from xinyong.watch.service import notify


def records_changed(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    decl: Declaration,
    entity_ids: Sequence[int],
    *,
    today: dt.date,
    now: dt.datetime,
    reason: str,
) -> Refreshed:
    """Re-rate these subjects, refresh their list entries and tell their watchers."""
    if not entity_ids:
        return Refreshed(None, [])
    rate_subjects(conn, catalogue, schemes.values(), entity_ids, today=today, now=now)
    refreshed = refresh(conn, decl, catalogue, entity_ids, now=now, reason=reason)
    notify(conn, decl, schemes, entity_ids, day=today, now=now)
    return refreshed


def record_ended(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    decl: Declaration,
    record_id: str,
    *,
    provider_code: str | None,
    effective_on: dt.date,
    reason: EndReason,
    today: dt.date,
    now: dt.datetime,
    actor: str,
    why: str,
    details: Mapping[str, object] | None = None,
) -> tuple[Ended, Refreshed]:
    """End a record (``store.service.end_record``), bring grades, list entries and
    watchers up to date, and audit it as ``record.ended``: what a provider's end, an
    objection's withdrawal and an approved restoration all do, in the caller's
    transaction. ``why`` names the cause in the list revision."""
    ended = end_record(
        conn,
        catalogue,
        record_id,
        provider_code=provider_code,
        effective_on=effective_on,
        reason=reason,
        today=today,
        now=now,
    )
    refreshed = records_changed(
        conn, catalogue, schemes, decl, [ended.entity_id], today=today, now=now, reason=why
    )
    audit.record(
        conn,
        actor,
        "record.ended",
        ended.record_id,
        {
            "reason": reason.value,
            "effective_on": effective_on.isoformat(),
            "version": ended.version,
            "in_effect_until": ended.last_day.isoformat(),
            "data_version": refreshed.revision,
            **(details or {}),
        },
        now=now,
    )
    return ended, refreshed


def import_changed(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    decl: Declaration,
    import_ids: Sequence[int],
    *,
    today: dt.date,
    now: dt.datetime,
) -> Refreshed:
    """After imports: refresh the list entries of the subjects whose list-relevant records
    they brought, and tell their watchers. (Ratings were marked stale as the chunks were
    written; ``xinyong rate --due`` or the next read recomputes them.)"""
    ids = import_repo.entities_of_imports(conn, import_ids, record_types(decl))
    if not ids:
        return Refreshed(None, [])
    names = ", ".join(str(i) for i in sorted(import_ids))
    reason = f"import {names}" if len(import_ids) == 1 else f"imports {names}"
    refreshed = refresh(conn, decl, catalogue, ids, now=now, reason=reason)
    notify(conn, decl, schemes, ids, day=today, now=now)
    return refreshed


def lists_refreshed(
    conn: Connection,
    catalogue: Catalogue,
    schemes: Mapping[str, Scheme],
    decl: Declaration,
    entity_ids: Sequence[int] | None,
    *,
    today: dt.date,
    now: dt.datetime,
    reason: str = "re-evaluation",
) -> Refreshed:
    """Re-evaluate list entries (``None``: everyone's), e.g. after ratings were stored, and
    tell the watchers of the subjects whose entries changed."""
    refreshed = refresh(conn, decl, catalogue, entity_ids, now=now, reason=reason)
    if refreshed.entities:
        notify(conn, decl, schemes, refreshed.entities, day=today, now=now)
    return refreshed
