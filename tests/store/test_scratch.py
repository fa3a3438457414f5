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
from xinyong.db.tables import metadata
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
    "legal_basis, document_number, decided_on, publicity_until, ended_on, "
    "CAST(fields AS TEXT), content_hash "
    "FROM record_versions v JOIN entities e ON e.id = v.entity_id",
}
#: The name-search structures, which each database fills its own way.
SEARCH = {
    "sqlite": {
        "name_search": "SELECT e.code FROM entity_names_fts f "
        "JOIN entity_names n ON n.id = f.rowid JOIN entities e ON e.id = n.entity_id "
        "WHERE entity_names_fts MATCH '\"鑫达贸\"'",
        "short_name_search": "SELECT e.code FROM entity_name_chars c "
        "JOIN entity_names n ON n.id = c.rowid JOIN entities e ON e.id = n.entity_id "
        "WHERE entity_name_chars MATCH '\"鑫\"'",
    },
    "postgresql": {
        "name_search": "SELECT e.code FROM entity_names n JOIN entities e ON e.id = n.entity_id "
        "WHERE n.name LIKE '%鑫达贸%'",
        "short_name_search": "SELECT e.code FROM entity_name_grams g "
        "JOIN entity_names n ON n.id = g.name_id JOIN entities e ON e.id = n.entity_id "
        "WHERE g.gram = '鑫'",
    },
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
    queries = DUMPS | SEARCH[engine.dialect.name]
    with engine.connect() as conn:
        return {k: sorted(tuple(r) for r in conn.execute(text(q))) for k, q in queries.items()}


def _leftovers(engine: Engine, beside: Path) -> list[str]:
    """Scratch folders beside a SQLite store, scratch tables in a PostgreSQL one."""
    if engine.dialect.name == "sqlite":
        return [p.name for p in beside.glob(f"{scratch.PREFIX}*")]
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'xy\\_scratch\\_%'")
        )
        return [str(r[0]) for r in rows]


def _totals(summaries: list[ImportSummary]) -> list[tuple[Any, ...]]:
    return [
        (s.file, s.accepted, s.unchanged, s.corrected, s.rejected, [e.to_dict() for e in s.errors])
        for s in summaries
    ]


def _empty(engine: Engine) -> None:
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _load(
    engine: Engine, catalogue: Catalogue, loads: list[Path], in_process: bool
) -> tuple[list[list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    settings = Settings(import_chunk_rows=7)
    totals = []
    for load in loads:
        files = files_to_import(load, None)
        if not in_process:
            summaries, _ = import_files(engine, catalogue, settings, files)
        else:
            with ProcessValidator(catalogue, engine) as validator:
                assert validator.area is not None
                summaries, _ = import_files(engine, catalogue, settings, files, validator=validator)
        totals.append(_totals(summaries))
    return totals, _dump(engine)


def test_staged_by_the_validating_process_is_stored_as_staged_by_the_writer(
    engine: Engine, db_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    loads = [_first(tmp_path / "one"), _second(tmp_path / "two")]
    by_writer = _store(tmp_path / "w" / "a.db") if engine.dialect.name == "sqlite" else engine
    written, written_dump = _load(by_writer, catalogue, loads, in_process=False)
    if engine.dialect.name == "postgresql":
        _empty(engine)
    staged, staged_dump = _load(engine, catalogue, loads, in_process=True)
    assert staged == written
    assert staged[1][0][1:4] == (5, 10, 11)  # accepted, unchanged, corrected (J10-J25)
    assert staged_dump == written_dump
    assert len(staged_dump["names"]) == len(staged_dump["entities"]) + 1  # a new variant
    assert len(staged_dump["name_search"]) == 20
    assert len(staged_dump["short_name_search"]) == 55
    assert _leftovers(engine, tmp_path) == []
    if engine.dialect.name == "sqlite":  # no file is left attached to a pooled connection
        with engine.connect() as conn:
            attached = conn.exec_driver_sql("PRAGMA database_list").all()
        assert [name for _, name, _ in attached] == ["main", "temp"]


def test_each_scratch_file_goes_once_its_chunk_is_written(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    engine = _store(tmp_path / "store.db")
    with ProcessValidator(catalogue, engine) as validator:
        assert validator.area is not None
        folder = validator.area.place.folder
        assert folder is not None
        assert Path(folder).parent == tmp_path
        files = files_to_import(_first(tmp_path / "one"), None)
        import_files(engine, catalogue, Settings(import_chunk_rows=7), files, validator=validator)
        assert list(Path(folder).iterdir()) == []
    assert not Path(folder).exists()


def _store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def test_in_memory_sqlite_stages_as_before(postgres_engine: Engine) -> None:
    assert scratch.open_area(make_engine("sqlite://")) is None
    with pytest.raises(ValueError, match="only SQLite"), writing(postgres_engine, {"x": "y"}):
        pass


def test_a_killed_imports_scratch_tables_are_dropped_by_the_next(
    catalogue: Catalogue, postgres_engine: Engine
) -> None:
    """Tables of a token whose lock nobody holds are a killed import's; those of a token
    held (by a running import's area) stay."""
    dead, held = "0badc0de", "0000beef"
    with postgres_engine.begin() as conn:
        for token in (dead, held):
            conn.execute(text(f"DROP TABLE IF EXISTS xy_scratch_{token}_abc_staging"))
            conn.execute(text(f"CREATE UNLOGGED TABLE xy_scratch_{token}_abc_staging (a int)"))
    holder = postgres_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    holder.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": 0x5859, "k": int(held, 16)})
    try:
        with ProcessValidator(catalogue, postgres_engine) as validator:
            assert validator.area is not None
            assert _leftovers(postgres_engine, Path()) == [f"xy_scratch_{held}_abc_staging"]
    finally:
        holder.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": 0x5859, "k": int(held, 16)})
        holder.close()
    with ProcessValidator(catalogue, postgres_engine):  # now nobody holds it
        assert _leftovers(postgres_engine, Path()) == []


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
        assert validator.area is not None
        assert validator.area.place.folder is not None
        assert Path(validator.area.place.folder).exists()
    assert sorted(p.name for p in tmp_path.glob(f"{scratch.PREFIX}*")) == [live.name]
