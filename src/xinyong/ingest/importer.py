"""Importing files: read, validate every row, commit valid rows in chunks, keep the errors.

Each chunk is committed together with the import's running totals, so a process killed
mid-import loses nothing that was reported committed; re-running the import finds the
committed rows ``unchanged`` and completes the rest without duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue
from xinyong.changes import import_changed
from xinyong.db import deferred
from xinyong.db.engine import writing
from xinyong.db.migrate import restore_deferred
from xinyong.db.types import utcnow
from xinyong.errors import NotFound, PayloadTooLarge, XinyongError
from xinyong.ingest import repository as import_repo
from xinyong.ingest.problems import RowError
from xinyong.ingest.readers import ROW, FileRejected, detect_format, read_table
from xinyong.ingest.validate import Validated, duplicate_rows
from xinyong.ingest.workers import ThreadValidator, Validator, Whole
from xinyong.lists.loader import load_declaration
from xinyong.lists.model import Declaration
from xinyong.rating.loader import load_schemes
from xinyong.rating.model import Scheme
from xinyong.settings import Settings
from xinyong.store import repository as store_repo
from xinyong.store import scratch
from xinyong.store.service import Written, write_rows, write_staged

#: Called with (rows done, rows in all) as chunks are committed.
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    file: str
    provider: str
    import_id: int | None = None
    accepted: int = 0
    unchanged: int = 0
    corrected: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: ``running`` while rows go in, then ``completed`` (or ``rejected``: unreadable file);
    #: an import a stopped process left ``running`` becomes ``interrupted`` when a re-run of
    #: the same file completes
    status: str = "new"
    sha256: str = ""
    rows: int = 0

    def totals(self, max_errors: int | None = None) -> dict[str, Any]:
        shown = self.errors if max_errors is None else self.errors[:max_errors]
        out: dict[str, Any] = {
            "accepted": self.accepted,
            "unchanged": self.unchanged,
            "corrected": self.corrected,
            "rejected": self.rejected,
            "errors": [e.to_dict() for e in shown],
        }
        if len(shown) < len(self.errors):
            out["errors_not_shown"] = len(self.errors) - len(shown)
        return out


def today_in(settings: Settings) -> dt.date:
    """Today where the platform is (``timezone``), or the pinned ``today`` setting."""
    from zoneinfo import ZoneInfo

    if settings.today is not None:
        return settings.today

    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


@dataclass(frozen=True)
class ListsInForce:
    """The rating schemes and list declaration in force: what an import refreshes the
    list entries of the subjects it touched by."""

    schemes: dict[str, Scheme]
    declaration: Declaration

    @classmethod
    def load(cls, settings: Settings, catalogue: Catalogue) -> ListsInForce:
        schemes = load_schemes(settings.schemes_dir, catalogue)
        return cls(schemes, load_declaration(settings.lists_path, catalogue, schemes))


def import_bytes(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    *,
    data: bytes,
    name: str,
    provider_code: str,
    progress: Progress | None = None,
    lists: ListsInForce | None = None,
    refresh_lists: bool = True,
    actor: str = audit.CLI,
) -> ImportSummary:
    """Import one file's content for one provider; see the module's docs.

    The transaction that finishes the import (completed or rejected) appends its
    ``import.finished`` entry to the audit log, by ``actor``.

    When the last chunk is in, the list entries of the subjects it touched are refreshed
    (by ``lists``, by default those of the settings) in the transaction that marks the
    import completed. ``refresh_lists=False`` leaves that to the caller, who then
    re-evaluates every list once (the demo, after rating everyone).
    """
    summary = store_file(
        engine,
        catalogue,
        settings,
        data=data,
        name=name,
        provider_code=provider_code,
        progress=progress,
        actor=actor,
    )
    if summary.status == "running":
        finish_imports(
            engine,
            catalogue,
            settings,
            [summary],
            lists=lists,
            refresh_lists=refresh_lists,
            actor=actor,
        )
    return summary


def store_file(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    *,
    data: bytes,
    name: str,
    provider_code: str,
    progress: Progress | None = None,
    validator: Validator | None = None,
    actor: str = audit.CLI,
) -> ImportSummary:
    """Read, validate and store one file's rows, chunk by chunk, each chunk committed with
    the running totals. The import stays ``running`` until :func:`finish_imports` (a file
    that cannot be read at all is finished here, ``rejected``). ``validator``: where the
    rows are validated (default: a thread of this process)."""
    with _own_or(validator, catalogue) as worker:
        opened = open_file(
            engine,
            catalogue,
            settings,
            data=data,
            name=name,
            provider_code=provider_code,
            validator=worker,
            actor=actor,
        )
        write_file(engine, catalogue, opened, progress)
    return opened.summary


def _own_or(validator: Validator | None, catalogue: Catalogue) -> AbstractContextManager[Validator]:
    """The caller's validator (left open), or a thread of our own (closed after use)."""
    return nullcontext(validator) if validator is not None else ThreadValidator(catalogue)


@dataclass
class Opened:
    """A file read and checked as a whole, its chunks handed to the validator."""

    summary: ImportSummary
    pending: list[RowError] = field(default_factory=list)
    chunks: list[Future[Validated]] = field(default_factory=list)
    received_at: dt.datetime = field(default_factory=utcnow)


def open_file(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    *,
    data: bytes,
    name: str,
    provider_code: str,
    validator: Validator,
    actor: str = audit.CLI,
    source: Path | None = None,
) -> Opened:
    """Read a file, find its duplicate rows, start its import and hand every chunk to the
    validator (which works through them while earlier chunks are written). ``source``:
    the file ``data`` was read from, which a validating process reads itself instead of
    being sent the chunks."""
    summary = ImportSummary(file=name, provider=provider_code)
    if catalogue.provider(provider_code) is None:
        raise NotFound(f"no provider {provider_code!r} in the catalogue", code="unknown_provider")
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"{name} has {len(data):,} bytes; the limit is {settings.max_upload_bytes:,}",
            code="file_too_large",
        )
    opened = Opened(summary)
    summary.sha256 = hashlib.sha256(data).hexdigest()
    try:
        fmt = detect_format(name)
        table, read_errors = read_table(data, name, catalogue)
    except FileRejected as exc:
        summary.errors = [RowError(**e) for e in exc.details.get("errors", [])]
        with writing(engine) as conn:
            summary.import_id = import_repo.start(
                conn,
                provider_code,
                name,
                summary.sha256,
                name.rsplit(".", 1)[-1][:8],
                0,
                opened.received_at,
            )
            import_repo.add_errors(conn, summary.import_id, summary.errors)
            import_repo.finish(conn, summary.import_id, "rejected", utcnow())
            summary.status = "rejected"
            _audit(conn, actor, summary)
        return opened
    today = today_in(settings)
    duplicates = duplicate_rows(table, name)
    dropped = tuple(sorted({e.row for e in duplicates}))
    if duplicates:
        table = table.filter(~pl.col(ROW).is_in(dropped))
    summary.rows = table.height + len(read_errors) + len(duplicates)
    with writing(engine) as conn:
        summary.import_id = import_repo.start(
            conn, provider_code, name, summary.sha256, fmt, summary.rows, opened.received_at
        )
    summary.status = "running"
    opened.pending = read_errors + duplicates
    size = settings.import_chunk_rows
    whole = Whole(table, source, summary.sha256, dropped)
    opened.chunks = [
        validator.submit_part(whole, start, size, provider_code, name, today)
        for start in range(0, table.height, size)
    ]
    return opened


def _write_checked(
    conn: Connection, catalogue: Catalogue, opened: Opened, checked: Validated
) -> Written:
    """Store a validated chunk: from its scratch file if its validator staged it there."""
    summary = opened.summary
    common: dict[str, Any] = {
        "provider_code": summary.provider,
        "catalogue": catalogue,
        "now": opened.received_at,
        "import_id": summary.import_id,
        "with_outcomes": False,
    }
    if checked.scratch is None:
        return write_rows(conn, checked.rows, **common)
    staged = checked.scratch
    at = scratch.staged_at(staged)
    written = write_staged(conn, staged.height, staged.has_persons, at=at, **common)
    scratch.finish(conn, staged)
    return written


def write_file(
    engine: Engine, catalogue: Catalogue, opened: Opened, progress: Progress | None = None
) -> None:
    """Store an opened file's valid rows and its errors, one transaction per chunk."""
    summary = opened.summary
    if summary.status != "running" or summary.import_id is None:
        return
    done = 0
    pending = opened.pending
    futures: list[Future[Validated] | None] = [*opened.chunks] or [None]
    for future in futures:
        checked = future.result() if future is not None else None
        errors = sorted(pending + (checked.errors if checked else []), key=lambda e: e.row)
        pending = []
        rejected = len({e.row for e in errors})
        staged = checked.scratch if checked is not None else None
        with writing(engine, attach=scratch.attachments(staged)) as conn:
            import_repo.add_errors(conn, summary.import_id, errors)
            if checked is not None:
                written = _write_checked(conn, catalogue, opened, checked)
                summary.accepted += written.counts["created"]
                summary.unchanged += written.counts["unchanged"]
                summary.corrected += written.counts["corrected"]
                done += staged.height if staged is not None else checked.rows.height
            summary.errors += errors
            summary.rejected += rejected
            done += rejected
            import_repo.progress(
                conn,
                summary.import_id,
                rows_done=done,
                accepted=summary.accepted,
                unchanged=summary.unchanged,
                corrected=summary.corrected,
                rejected=summary.rejected,
            )
        scratch.discard(staged)
        if progress:
            progress(done, summary.rows)
    summary.errors.sort(key=lambda e: e.row)


def finish_imports(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    summaries: list[ImportSummary],
    *,
    lists: ListsInForce | None = None,
    refresh_lists: bool = True,
    actor: str = audit.CLI,
) -> None:
    """Mark stored imports ``completed`` in one transaction, which first refreshes the list
    entries of every subject they touched (once, however many files touched it).

    Earlier imports of the same files that a stopped process left ``running`` are
    completed too (``interrupted``): their subjects are refreshed with the rest.
    """
    stored = [s for s in summaries if s.status == "running" and s.import_id is not None]
    if not stored:
        return
    with writing(engine) as conn:
        ids = [s.import_id for s in stored if s.import_id is not None]
        # each earlier import left running, with the import that completes it
        earlier = {
            i: s
            for s in stored
            for i in import_repo.interrupted(conn, s.provider, s.sha256, min(ids))
        }
        if refresh_lists:
            lists = lists or ListsInForce.load(settings, catalogue)
            import_changed(
                conn,
                catalogue,
                lists.schemes,
                lists.declaration,
                sorted(earlier) + ids,
                today=today_in(settings),
                now=utcnow(),
            )
        for import_id, by in sorted(earlier.items()):
            import_repo.finish(conn, import_id, "interrupted", utcnow())
            audit.record(
                conn,
                actor,
                "import.finished",
                str(import_id),
                {
                    "import_id": import_id,
                    "provider": by.provider,
                    "file": by.file,
                    "sha256": by.sha256,
                    "status": "interrupted",
                    "completed_by": by.import_id,
                },
            )
        for summary in stored:
            assert summary.import_id is not None
            import_repo.finish(conn, summary.import_id, "completed", utcnow())
            summary.status = "completed"
            _audit(conn, actor, summary)


def _audit(conn: Connection, actor: str, summary: ImportSummary) -> None:
    audit.record(
        conn,
        actor,
        "import.finished",
        str(summary.import_id),
        {
            "import_id": summary.import_id,
            "provider": summary.provider,
            "file": summary.file,
            "sha256": summary.sha256,
            "status": summary.status,
            "rows": summary.rows,
            "accepted": summary.accepted,
            "unchanged": summary.unchanged,
            "corrected": summary.corrected,
            "rejected": summary.rejected,
            "errors": len(summary.errors),
        },
    )


def files_to_import(path: Path, provider: str | None) -> list[tuple[Path, str]]:
    """(file, provider) pairs: a single file needs ``provider``; in a folder each file's
    name (``<provider code>.<ext>``) names its provider unless ``provider`` is given."""
    if path.is_dir():
        found = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".jsonl", ".json")
        )
        if not found:
            raise NotFound(f"{path} holds no .csv, .xlsx or .jsonl files", code="no_files")
        return [(p, provider or p.stem) for p in found]
    if not path.exists():
        raise NotFound(f"{path} does not exist", code="file_not_found")
    return [(path, provider or path.stem)]


@contextmanager
def _first_load(
    engine: Engine, settings: Settings, files: list[tuple[Path, str]]
) -> Iterator[None]:
    """Around the writing of ``files``: if the store holds no record yet and the files are
    large (``Settings.initial_load_min_bytes``), build the record tables' secondary
    indexes (and PostgreSQL's foreign keys) once afterwards instead of row by row
    (:mod:`xinyong.db.deferred`). They are back before the list refresh, which reads them.

    What an earlier, killed first load left missing is built first, whatever this import."""
    restore_deferred(engine)
    size = sum(f.stat().st_size for f, _ in files if f.is_file())
    if size < settings.initial_load_min_bytes:
        yield
        return
    with writing(engine) as conn:
        suspended = not store_repo.has_records(conn) and bool(deferred.suspend(conn))
    try:
        yield
    finally:
        if suspended:
            restore_deferred(engine)


def import_files(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    files: list[tuple[Path, str]],
    *,
    progress_for: Callable[[Path, str], Progress] | None = None,
    validator: Validator | None = None,
    lists: ListsInForce | None = None,
    refresh_lists: bool = True,
    actor: str = audit.CLI,
) -> tuple[list[ImportSummary], list[RowError]]:
    """Import (file, provider) pairs one after the other, then finish them together (one
    list refresh for the subjects of every file: see :func:`finish_imports`).

    Returns each file's summary, and one row-0 error for each file that could not be
    imported at all (too large, unknown provider). ``progress_for`` gives each file its
    progress callback; ``validator`` validates the rows of every file (default: a thread).
    """
    summaries: list[ImportSummary] = []
    failures: list[RowError] = []
    with _own_or(validator, catalogue) as worker, _first_load(engine, settings, files):

        def open_next(file: Path, provider: str) -> Opened | None:
            try:
                size = file.stat().st_size
                if size > settings.max_upload_bytes:
                    raise PayloadTooLarge(
                        f"{file.name} has {size:,} bytes; "
                        f"the limit is {settings.max_upload_bytes:,}",
                        code="file_too_large",
                    )
                return open_file(
                    engine,
                    catalogue,
                    settings,
                    data=file.read_bytes(),
                    name=file.name,
                    provider_code=provider,
                    validator=worker,
                    actor=actor,
                    source=file,
                )
            except XinyongError as exc:
                failures.append(RowError(file.name, 0, None, exc.code, exc.message))
                return None

        # The next file is read and queued for validation before this one is written.
        opened = [open_next(*files[0])] if files else []
        for i, (file, provider) in enumerate(files):
            if i + 1 < len(files):
                opened.append(open_next(*files[i + 1]))
            this = opened.pop(0)
            if this is None:
                continue
            write_file(
                engine, catalogue, this, progress_for(file, provider) if progress_for else None
            )
            summaries.append(this.summary)
    finish_imports(
        engine,
        catalogue,
        settings,
        summaries,
        lists=lists,
        refresh_lists=refresh_lists,
        actor=actor,
    )
    return summaries, failures
