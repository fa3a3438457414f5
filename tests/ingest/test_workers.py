"""Importing a folder: rows validated in a second process give the same outcome as in a
thread, and the list entries of every file's subjects are refreshed once, at the end."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.factories import csv_bytes, judgment, penalty, uscc
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import imports, list_entries, list_revisions
from xinyong.errors import Conflict
from xinyong.ingest.importer import files_to_import, import_files
from xinyong.ingest.readers import read_table
from xinyong.ingest.workers import ProcessValidator, Whole
from xinyong.settings import Settings


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "city"
    folder.mkdir()
    court = [judgment(f"J{i}", uscc(i)) for i in range(40)]
    court.append(judgment("BAD", "91350200776049653B"))  # wrong check character
    (folder / "court.csv").write_bytes(csv_bytes(court))
    market = [penalty(f"P{i}", uscc(100 + i), severity="serious") for i in range(30)]
    (folder / "market_regulation.csv").write_bytes(csv_bytes(market))
    return folder


def test_a_process_validates_a_folder_and_lists_refresh_once(
    engine: Engine, catalogue: Catalogue, settings: Settings, tmp_path: Path
) -> None:
    files = files_to_import(_folder(tmp_path), None)
    with ProcessValidator(catalogue) as validator:
        summaries, failures = import_files(engine, catalogue, settings, files, validator=validator)
    assert not failures
    court, market = summaries
    assert (court.accepted, court.rejected, market.accepted, market.rejected) == (40, 1, 30, 0)
    assert [(e.row, e.code) for e in court.errors] == [(42, court.errors[0].code)]
    assert court.errors[0].field == "subject_code"
    assert {s.status for s in summaries} == {"completed"}
    with engine.connect() as conn:
        statuses = conn.execute(select(imports.c.status)).scalars().all()
        revisions = conn.execute(select(func.count()).select_from(list_revisions)).scalar_one()
        listed = conn.execute(
            select(list_entries.c.list_code, func.count(func.distinct(list_entries.c.entity_id)))
            .group_by(list_entries.c.list_code)
            .order_by(list_entries.c.list_code)
        ).all()
    assert statuses == ["completed", "completed"]
    assert revisions == 1  # one refresh for both files
    assert ("judgment_defaulters", 40) in listed
    assert sum(n for code, n in listed if code != "judgment_defaulters") >= 30


def test_the_thread_and_the_process_agree(
    engine: Engine, catalogue: Catalogue, db_url: str, tmp_path: Path
) -> None:
    files = files_to_import(_folder(tmp_path), None)
    settings = Settings(database_url=db_url, import_chunk_rows=7)
    by_thread, _ = import_files(engine, catalogue, settings, files)
    with ProcessValidator(catalogue) as validator:
        by_process, _ = import_files(engine, catalogue, settings, files, validator=validator)
    # the second run finds every row stored: same rows, same errors
    for first, second in zip(by_thread, by_process, strict=True):
        assert second.unchanged == first.accepted
        assert second.accepted == 0
        assert [e.to_dict() for e in second.errors] == [e.to_dict() for e in first.errors]


def test_a_file_changed_under_the_process_is_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    """The process reads the file itself (once for all its chunks): if it is no longer
    what the importer read and hashed, the chunk fails with a clear error instead of
    storing other rows."""
    path = tmp_path / "court.csv"
    path.write_bytes(csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(5)]))
    table, _ = read_table(path.read_bytes(), path.name, catalogue)
    whole = Whole(table, path, hashlib.sha256(path.read_bytes()).hexdigest(), ())
    today = dt.date(2026, 12, 7)
    with ProcessValidator(catalogue) as validator:
        first = validator.submit_part(whole, 0, 3, "court", path.name, today)
        second = validator.submit_part(whole, 3, 3, "court", path.name, today)
        assert [first.result().rows.height, second.result().rows.height] == [3, 2]
    path.write_bytes(csv_bytes([judgment(f"K{i}", uscc(i)) for i in range(5)]))
    with ProcessValidator(catalogue) as validator:
        changed = validator.submit_part(whole, 0, 5, "court", path.name, today)
        with pytest.raises(Conflict) as refused:
            changed.result()
    assert refused.value.code == "file_changed"
