"""Fixtures of the watch-list tests: a receiver, and an app that does not deliver by itself
(tests drive :func:`~xinyong.watch.dispatcher.deliver_due` step by step)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.watch.support import MEASURE, Receiver, auth
from xinyong.api.app import create_app
from xinyong.catalogue.model import Catalogue
from xinyong.settings import Settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def quick_settings(db_url: str) -> Settings:
    """Tiny backoff, few attempts, no dispatcher thread: tests call ``deliver_due``."""
    return Settings(
        database_url=db_url,
        webhook_dispatch=False,
        webhook_backoff_seconds=0.05,
        webhook_max_attempts=3,
        webhook_timeout_seconds=2.0,
    )


@pytest.fixture
def wclient(quick_settings: Settings, engine: Engine, catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(quick_settings, engine=engine, catalogue=catalogue)) as c:
        yield c


@pytest.fixture
def court(make_key: Callable[..., str]) -> dict[str, str]:
    return auth(make_key("court"))


@pytest.fixture
def market(make_key: Callable[..., str]) -> dict[str, str]:
    return auth(make_key("market_regulation"))


@pytest.fixture
def aviation(consumer_key: Callable[..., str]) -> dict[str, str]:
    """The civil aviation authority: it applies restrict_flights_rail."""
    return auth(consumer_key("civil_aviation", MEASURE))
