"""Importing files: read, validate every row, commit valid rows in chunks, keep the errors.

Each chunk is committed together with the import's running totals, so a process killed
mid-import loses nothing that was reported committed; re-running the import finds the
committed rows ``unchanged`` and completes the rest without duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from xinyong.audit import service as audit
from xinyong.catalogue.model import Catalogue
from xinyong.changes import import_changed
from xinyong.db.engine import writing
from xinyong.db.types import utcnow
from xinyong.errors import NotFound, PayloadTooLarge, XinyongError
from xinyong.ingest import repository as import_repo
from xinyong.ingest.problems import RowError
from xinyong.ingest.readers import ROW, FileRejected, detect_format, read_table
from xinyong.ingest.validate import Validated, duplicate_rows, validate_table
from xinyong.lists.loader import load_declaration
from xinyong.lists.model import Declaration
from xinyong.rating.loader import load_schemes
from xinyong.settings import Settings
from xinyong.store.service import Written, write_rows

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


def import_bytes(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    *,
    data: bytes,
    name: str,
    provider_code: str,
    progress: Progress | None = None,
    declaration: Declaration | None = None,
    refresh_lists: bool = True,
    actor: str = audit.CLI,
) -> ImportSummary:
    """Import one file's content for one provider; see the module's docs.

    The transaction that finishes the import (completed or rejected) appends its
    ``import.finished`` entry to the audit log, by ``actor``.

    When the last chunk is in, the list entries of the subjects it touched are refreshed
    (``declaration``: the lists in force, by default those of the settings) in the
    transaction that marks the import completed. ``refresh_lists=False`` leaves that to
    the caller, who then re-evaluates every list once (the demo, after many files).
    """
    summary = ImportSummary(file=name, provider=provider_code)
    if catalogue.provider(provider_code) is None:
        raise NotFound(f"no provider {provider_code!r} in the catalogue", code="unknown_provider")
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"{name} has {len(data):,} bytes; the limit is {settings.max_upload_bytes:,}",
            code="file_too_large",
        )
    now = utcnow()
    digest = hashlib.sha256(data).hexdigest()
    try:
        fmt = detect_format(name)
        table, read_errors = read_table(data, name, catalogue)
    except FileRejected as exc:
        summary.errors = [RowError(**e) for e in exc.details.get("errors", [])]
        with writing(engine) as conn:
            summary.import_id = import_repo.start(
                conn, provider_code, name, digest, name.rsplit(".", 1)[-1][:8], 0, now
            )
            import_repo.add_errors(conn, summary.import_id, summary.errors)
            import_repo.finish(conn, summary.import_id, "rejected", utcnow())
            _audit(conn, actor, summary, digest, "rejected", 0)
        return summary
    today = today_in(settings)
    duplicates = duplicate_rows(table, name)
    if duplicates:
        table = table.filter(~pl.col(ROW).is_in([e.row for e in duplicates]))
    total = table.height + len(read_errors) + len(duplicates)
    with writing(engine) as conn:
        summary.import_id = import_repo.start(conn, provider_code, name, digest, fmt, total, now)
    done = 0
    pending = read_errors + duplicates
    size = settings.import_chunk_rows

    def check(start: int) -> Validated:
        chunk = table.slice(start, size)
        return validate_table(
            chunk, catalogue, provider_code, file=name, today=today, duplicates=False
        )

    # Validation of the next chunk (Polars, off the GIL) overlaps with writing this one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xinyong-validate") as pool:
        starts = list(range(0, table.height, size)) or [0]
        ahead = [pool.submit(check, starts[0])]
        for i, _start in enumerate(starts):
            checked = ahead.pop(0).result()
            if i + 1 < len(starts):
                ahead.append(pool.submit(check, starts[i + 1]))
            errors = sorted(pending + checked.errors, key=lambda e: e.row)
            pending = []
            rejected = len({e.row for e in errors})
            with writing(engine) as conn:
                import_repo.add_errors(conn, summary.import_id, errors)
                written: Written = write_rows(
                    conn,
                    checked.rows,
                    provider_code=provider_code,
                    catalogue=catalogue,
                    now=now,
                    import_id=summary.import_id,
                    with_outcomes=False,
                )
                summary.errors += errors
                summary.rejected += rejected
                summary.accepted += written.counts["created"]
                summary.unchanged += written.counts["unchanged"]
                summary.corrected += written.counts["corrected"]
                done += checked.rows.height + rejected
                import_repo.progress(
                    conn,
                    summary.import_id,
                    rows_done=done,
                    accepted=summary.accepted,
                    unchanged=summary.unchanged,
                    corrected=summary.corrected,
                    rejected=summary.rejected,
                )
            if progress:
                progress(done, total)
    summary.errors.sort(key=lambda e: e.row)
    with writing(engine) as conn:
        if refresh_lists:
            schemes = load_schemes(settings.schemes_dir, catalogue)
            if declaration is None:
                declaration = load_declaration(settings.lists_path, catalogue, schemes)
            import_changed(
                conn, catalogue, schemes, declaration, summary.import_id, today=today, now=utcnow()
            )
        import_repo.finish(conn, summary.import_id, "completed", utcnow())
        _audit(conn, actor, summary, digest, "completed", total)
    return summary


def _audit(
    conn: Connection, actor: str, summary: ImportSummary, sha256: str, status: str, rows: int
) -> None:
    audit.record(
        conn,
        actor,
        "import.finished",
        str(summary.import_id),
        {
            "import_id": summary.import_id,
            "provider": summary.provider,
            "file": summary.file,
            "sha256": sha256,
            "status": status,
            "rows": rows,
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


def import_files(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    files: list[tuple[Path, str]],
    *,
    progress_for: Callable[[Path, str], Progress] | None = None,
    refresh_lists: bool = True,
    actor: str = audit.CLI,
) -> tuple[list[ImportSummary], list[RowError]]:
    """Import (file, provider) pairs one after the other.

    Returns each file's summary, and one row-0 error for each file that could not be
    imported at all (too large, unknown provider). ``progress_for`` gives each file its
    progress callback.
    """
    summaries: list[ImportSummary] = []
    failures: list[RowError] = []
    for file, provider in files:
        try:
            size = file.stat().st_size
            if size > settings.max_upload_bytes:
                raise PayloadTooLarge(
                    f"{file.name} has {size:,} bytes; the limit is {settings.max_upload_bytes:,}",
                    code="file_too_large",
                )
            summaries.append(
                import_bytes(
                    engine,
                    catalogue,
                    settings,
                    data=file.read_bytes(),
                    name=file.name,
                    provider_code=provider,
                    progress=progress_for(file, provider) if progress_for else None,
                    refresh_lists=refresh_lists,
                    actor=actor,
                )
            )
        except XinyongError as exc:
            failures.append(RowError(file.name, 0, None, exc.code, exc.message))
    return summaries, failures
