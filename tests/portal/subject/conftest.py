"""Fixtures of the subject area's tests: an app whose evidence files may be 64 KiB at most
(the shipped 5 MiB is over the test app's upload limit), on the test's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.catalogue.model import Catalogue
from xinyong.rights.model import Rights, load_rights
from xinyong.settings import Settings

SMALL_FILE = 64 * 1024


def small_evidence(settings: Settings, catalogue: Catalogue) -> Rights:
    shipped = load_rights(settings.rights_path, catalogue)
    rules = shipped.restorations
    evidence = rules.evidence.model_copy(update={"max_file_bytes": SMALL_FILE, "max_files": 2})
    return shipped.model_copy(
        update={"restorations": rules.model_copy(update={"evidence": evidence})}
    )


@pytest.fixture
def small_client(settings: Settings, engine: Engine, catalogue: Catalogue) -> Iterator[TestClient]:
    """A client of an app that takes evidence files of 64 KiB and two files at most."""
    app = create_app(
        settings, engine=engine, catalogue=catalogue, rights=small_evidence(settings, catalogue)
    )
    with TestClient(app) as c:
        yield c
