"""Reading the records that lists use: looked up per subject in chunks, or, for many
subjects, read once by record type. Both ways must give the same records."""

from __future__ import annotations

from sqlalchemy import Engine, select

from tests.factories import csv_bytes, judgment, penalty, uscc
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import entities
from xinyong.ingest.importer import import_bytes
from xinyong.lists import repository as repo
from xinyong.lists.loader import default_declaration
from xinyong.lists.service import record_types
from xinyong.rating.service import field_types
from xinyong.settings import Settings

SUBJECTS = repo.BATCH + 1000


def _read(engine: Engine, catalogue: Catalogue, ids: list[int]) -> list[tuple[object, ...]]:
    types = record_types(default_declaration())
    with engine.connect() as conn:
        found = repo.list_records(conn, types, field_types(catalogue), ids)
        return sorted((r.entity_id, r.record.record_id, r.record.version) for r in found)


def test_many_subjects_read_by_type_equal_the_chunked_look_up(
    engine: Engine, catalogue: Catalogue, settings: Settings
) -> None:
    big = settings.model_copy(update={"max_upload_bytes": 64 * 1024 * 1024})
    codes = [uscc(i) for i in range(SUBJECTS)]
    for provider, make, every in (("court", judgment, 1), ("market_regulation", penalty, 7)):
        one = make("X0")  # the factories read the settings for each date: once is enough
        rows = [
            {**one, "provider_record_id": f"X{i}", "subject": {**one["subject"], "code": code}}
            for i, code in enumerate(codes[::every])
        ]
        summary = import_bytes(
            engine, catalogue, big, data=csv_bytes(rows), name="x.csv", provider_code=provider
        )
        assert summary.accepted == len(rows)
    with engine.connect() as conn:
        ids = sorted(conn.execute(select(entities.c.id)).scalars())
    assert len(ids) == SUBJECTS
    some = [i for n, i in enumerate(ids) if n % 10]  # still more than a quarter of all
    for wanted in (ids, some):
        assert len(wanted) > repo.BATCH  # read by type
        chunked: list[tuple[object, ...]] = []
        for start in range(0, len(wanted), repo.BATCH):  # each looked up per subject
            chunked += _read(engine, catalogue, wanted[start : start + repo.BATCH])
        by_type = _read(engine, catalogue, wanted)
        assert by_type == sorted(chunked)
        assert {e for e, _, _ in by_type} == set(wanted)
