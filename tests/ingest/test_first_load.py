"""A large import into an empty store builds the record tables' secondary structures once,
after the load: the store it leaves answers like one built row by row (versions, lists,
name search of every length), and an import into a store that has records keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from tests.factories import csv_bytes, judgment, penalty, uscc
from xinyong.catalogue.model import Catalogue
from xinyong.db import deferred
from xinyong.db.tables import list_entries, record_versions, records
from xinyong.ingest.importer import files_to_import, import_files
from xinyong.settings import Settings


@pytest.fixture
def ddl(engine: Engine) -> Iterator[list[str]]:
    """The DROP and CREATE statements that the engine runs while the test does."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (
            statement.lstrip()
            .upper()
            .startswith(
                (
                    "DROP INDEX",
                    "CREATE INDEX",
                    "ALTER TABLE",
                    "TRUNCATE",
                    "INSERT INTO ENTITY_NAME_GRAMS",
                )
            )
        ):
            seen.append(statement.strip())

    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def _folder(tmp_path: Path, start: int) -> Path:
    folder = tmp_path / f"city{start}"
    folder.mkdir()
    court = [
        judgment(f"J{i}", uscc(i), name=f"测试{i}号贸易有限公司") for i in range(start, start + 40)
    ]
    (folder / "court.csv").write_bytes(csv_bytes(court))
    market = [
        penalty(f"P{i}", uscc(i), name=f"测试{i}号贸易有限公司", severity="serious")
        for i in range(start, start + 30)
    ]
    (folder / "market_regulation.csv").write_bytes(csv_bytes(market))
    return folder


def test_a_first_load_builds_the_structures_after_the_rows(
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    client: TestClient,
    ddl: list[str],
    tmp_path: Path,
) -> None:
    first = settings.model_copy(update={"initial_load_min_bytes": 0, "import_chunk_rows": 9})
    summaries, failures = import_files(
        engine, catalogue, first, files_to_import(_folder(tmp_path, 0), None)
    )
    assert not failures
    assert [s.accepted for s in summaries] == [40, 30]
    with engine.connect() as conn:
        structures = deferred.structures(conn)
        assert deferred.missing(conn) == []
        assert conn.execute(select(func.count()).select_from(records)).scalar_one() == 70
        assert conn.execute(select(func.count()).select_from(record_versions)).scalar_one() == 70
        listed = conn.execute(
            select(func.count(func.distinct(list_entries.c.entity_id))).where(
                list_entries.c.list_code == "judgment_defaulters"
            )
        ).scalar_one()
    assert listed == 40
    # each structure dropped once before the rows and built once after them
    for structure in structures:
        assert [ddl.count(sql) for sql in structure.drop] == [1] * len(structure.drop)
        assert [ddl.count(sql) for sql in structure.create] == [1] * len(structure.create)
        assert ddl.index(structure.drop[-1]) < ddl.index(structure.create[0])

    # the name indexes answer searches of one, two and more characters
    for query, expected in (("7号", 4), ("测", 40), ("37号贸易", 1), ("测试1", 11)):
        found = client.get("/api/v1/entities", params={"q": query, "limit": 100})
        assert found.status_code == 200, found.text
        assert len(found.json()["items"]) == expected, (query, found.json())

    # a second large import finds records in the store: nothing is dropped
    ddl.clear()
    summaries, _ = import_files(
        engine, catalogue, first, files_to_import(_folder(tmp_path, 40), None)
    )
    assert [s.accepted for s in summaries] == [40, 30]
    assert _dropped(engine, ddl) == []


def _dropped(engine: Engine, ddl: list[str]) -> list[str]:
    with engine.connect() as conn:
        drops = {sql for s in deferred.structures(conn) for sql in s.drop}
    return [sql for sql in ddl if sql in drops]


def test_a_small_import_into_an_empty_store_keeps_them(
    engine: Engine, catalogue: Catalogue, settings: Settings, ddl: list[str], tmp_path: Path
) -> None:
    summaries, _ = import_files(
        engine, catalogue, settings, files_to_import(_folder(tmp_path, 0), None)
    )
    assert [s.accepted for s in summaries] == [40, 30]
    assert _dropped(engine, ddl) == []
