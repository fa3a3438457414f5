"""Fixtures of the restoration tests: apps whose "today" is pinned (Settings.today), with
the shipped limits (10 MiB JSON bodies), on the test's database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.catalogue.model import Catalogue
from xinyong.rights.model import Rights
from xinyong.settings import Settings

OnDay = Callable[..., TestClient]


@pytest.fixture
def on_day(db_url: str, engine: Engine, catalogue: Catalogue) -> Iterator[OnDay]:
    """``on_day(date, rights=None, **settings)``: a client of the app with today pinned to
    ``date`` (and other rights than the shipped ones, if given)."""
    with ExitStack() as stack:

        def make(day: dt.date, rights: Rights | None = None, **settings: Any) -> TestClient:
            app = create_app(
                Settings(database_url=db_url, today=day, webhook_dispatch=False, **settings),
                engine=engine,
                catalogue=catalogue,
                rights=rights,
            )
            return stack.enter_context(TestClient(app))

        yield make
