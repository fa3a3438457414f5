"""Fixtures of the objection tests: apps whose "today" is pinned (Settings.today), so that
deadlines on the working-day calendar are tested on known days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.catalogue.model import Catalogue
from xinyong.settings import Settings

#: A Monday: 5 working days later is Saturday 2026-02-14, worked before the Spring Festival.
MONDAY = dt.date(2026, 2, 9)


@pytest.fixture
def on_day(
    db_url: str, engine: Engine, catalogue: Catalogue
) -> Iterator[Callable[[dt.date], TestClient]]:
    """``on_day(date)``: a client of the app with today pinned to ``date`` (same database)."""
    with ExitStack() as stack:

        def make(day: dt.date) -> TestClient:
            app = create_app(
                Settings(database_url=db_url, today=day), engine=engine, catalogue=catalogue
            )
            return stack.enter_context(TestClient(app))

        yield make


@pytest.fixture
def monday(on_day: Callable[[dt.date], TestClient]) -> TestClient:
    return on_day(MONDAY)
