"""Rows staged in scratch files by the validating process (SQLite) are stored exactly as
rows staged by the writer, and no scratch file outlives its import."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.factories import csv_bytes, judgment, penalty, ric, uscc
from xinyong.catalogue.model import Catalogue
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import upgrade
from xinyong.ingest.importer import ImportSummary, files_to_import, import_files
from xinyong.ingest.workers import ProcessValidator
from xinyong.settings import Settings
from xinyong.store import scratch

#: What must be equal in both stores (not the random public ids, nor the timestamps).
DUMPS = {
    "entities": "SELECT kind, code, name, name_on, division, public_until FROM entities",
    "names": "SELECT e.code, n.name FROM entity_names n JOIN entities e ON e.id = n.entity_id",
    "records": "SELECT r.id, provider_code, provider_record_id, record_type, e.code, "
    "current_version, current_hash FROM records r JOIN entities e ON e.id = r.entity_id",
    "versions": "SELECT record_id, version, e.code, record_type, subject_name, severity, "
    "legal_basis, document_number, decided_on, publicity_until, ended_on, fields, "
    "content_hash FROM record_versions v JOIN entities e ON e.id = v.entity_id",
    "name_search": "SELECT e.code FROM entity_names_fts f JOIN entity_names n ON n.id = f.rowid "
    "JOIN entities e ON e.id = n.entity_id WHERE entity_names_fts MATCH '\"鑫达贸\"'",
    "short_name_search": "SELECT e.code FROM entity_name_chars c "
    "JOIN entity_names n ON n.id = c.rowid JOIN entities e ON e.id = n.entity_id "
    "WHERE entity_name_chars MATCH '\"鑫\"'",
}


def _person(prid: str, seed: int, name: str) -> dict[str, Any]:
    return penalty(prid, ric(seed), name, kind="person", severity="serious")


def _first(folder: Path) -> Path:
    folder.mkdir()
    court = [judgment(f"J{i}", uscc(i), f"厦门鑫达{i}号贸易有限公司") for i in range(30)]
    court.append(judgment("BAD", "91350200776049653B"))  # wrong check character
    (folder / "court.csv").write_bytes(csv_bytes(court))
    market = [penalty(f"P{i}", uscc(100 + i), severity="serious") for i in range(20)]
    market += [_person(f"Q{i}", 500 + i, "张伟") for i in range(10)]
    (folder / "market_regulation.csv").write_bytes(csv_bytes(market))
    return folder


def _second(folder: Path) -> Path:
    """Corrections, resubmissions, a new name for a subject and new subjects."""
    folder.mkdir()
    court = [judgment(f"J{i}", uscc(i), f"厦门鑫达{i}号贸易有限公司") for i in range(10)]
    court += [
        judgment(f"J{i}", uscc(i), f"厦门鑫达{i}号贸易有限公司", obligation="返还借款")
        for i in range(10, 20)
    ]
    court.append(judgment("J25", uscc(25), "厦门新名字贸易有限公司", decided_on="2026-12-01"))
    court += [judgment(f"N{i}", uscc(900 + i), "厦门鑫达科技有限公司") for i in range(5)]
    (folder / "court.csv").write_bytes(csv_bytes(court))
    return folder


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {k: sorted(tuple(r) for r in conn.execute(text(q))) for k, q in DUMPS.items()}


def _totals(summaries: list[ImportSummary]) -> list[tuple[Any, ...]]:
    return [
        (s.file, s.accepted, s.unchanged, s.corrected, s.rejected, [e.to_dict() for e in s.errors])
        for s in summaries
    ]


def _store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def test_staged_in_scratch_files_is_stored_as_staged_by_the_writer(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    by_writer, by_process = _store(tmp_path / "w" / "a.db"), _store(tmp_path / "p" / "b.db")
    settings = Settings(import_chunk_rows=7)
    for load in (_first(tmp_path / "one"), _second(tmp_path / "two")):
        files = files_to_import(load, None)
        written, _ = import_files(by_writer, catalogue, settings, files)
        with ProcessValidator(catalogue, by_process) as validator:
            assert validator.folder is not None
            assert validator.folder.parent == tmp_path / "p"
            staged, _ = import_files(by_process, catalogue, settings, files, validator=validator)
            assert list(validator.folder.iterdir()) == []  # each file gone once written
        assert not validator.folder.exists()
        assert _totals(staged) == _totals(written)
    assert _totals(staged)[0][1:4] == (5, 10, 11)  # accepted, unchanged, corrected (J10-J25)
    dumps = _dump(by_process)
    assert dumps == _dump(by_writer)
    assert len(dumps["names"]) == len(dumps["entities"]) + 1  # the new name is a variant
    assert len(dumps["name_search"]) == 20
    assert len(dumps["short_name_search"]) == 55
    with by_process.connect() as conn:  # no file is left attached to a pooled connection
        attached = conn.exec_driver_sql("PRAGMA database_list").all()
    assert [name for _, name, _ in attached] == ["main", "temp"]


def test_postgresql_and_in_memory_stores_stage_as_before(
    catalogue: Catalogue, postgres_engine: Engine
) -> None:
    assert scratch.folder_for(postgres_engine) is None
    assert scratch.folder_for(make_engine("sqlite://")) is None
    with ProcessValidator(catalogue, postgres_engine) as validator:
        assert validator.folder is None
    with pytest.raises(ValueError, match="only SQLite"), writing(postgres_engine, {"x": "y"}):
        pass


def test_a_killed_imports_scratch_folder_is_removed_by_the_next(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    engine = _store(tmp_path / "store.db")
    gone = multiprocessing.get_context("spawn").Process(target=os.getpid)
    gone.start()
    gone.join()
    dead = tmp_path / f"{scratch.PREFIX}{gone.pid}-abc"
    live = tmp_path / f"{scratch.PREFIX}{os.getpid()}-def"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "chunk-0.db").write_bytes(b"left behind")
    with ProcessValidator(catalogue, engine) as validator:
        assert not dead.exists()
        assert live.exists()  # a running import's
        assert validator.folder is not None
        assert validator.folder.exists()
    assert sorted(p.name for p in tmp_path.glob(f"{scratch.PREFIX}*")) == [live.name]
