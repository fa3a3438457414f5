"""Fixtures: a real database (SQLite and PostgreSQL), the app, keys, a live HTTP server.

Tests that take ``engine`` (or anything built on it) run once on SQLite and once on
PostgreSQL. PostgreSQL comes from ``XINYONG_TEST_POSTGRES_URL`` (``.ci/run`` and
``make test`` start a throwaway server with ``scripts/pg-test-server``). Without it the
PostgreSQL runs are skipped locally, and fail in CI (``CI=true``): CI never skips them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from xinyong.api.app import create_app
from xinyong.auth.keys import Role, create_key, create_subject_token
from xinyong.catalogue import default_catalogue
from xinyong.catalogue.model import Catalogue
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import upgrade
from xinyong.db.tables import metadata
from xinyong.settings import Settings, get_settings

POSTGRES_URL = os.environ.get("XINYONG_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str:
    """A database of its own for this test worker, migrated once, on the test server."""
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL tests: XINYONG_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL: set XINYONG_TEST_POSTGRES_URL (scripts/pg-test-server)")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{worker_id}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'xinyong.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if db_url.startswith("sqlite"):
        eng = make_engine(db_url)
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    eng = request.getfixturevalue("postgres_engine")
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng


@pytest.fixture
def catalogue() -> Catalogue:
    return default_catalogue()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, max_upload_bytes=2 * 1024 * 1024, max_request_bytes=1024 * 1024
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, catalogue: Catalogue) -> FastAPI:
    return create_app(settings, engine=engine, catalogue=catalogue)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_key(engine: Engine, catalogue: Catalogue) -> Callable[..., str]:
    """``make_key("court")`` for a provider key with all its types; ``make_key(role=...)``."""

    def make(
        provider: str | None = None,
        *,
        role: Role = Role.provider,
        scopes: tuple[str, ...] | None = None,
    ) -> str:
        if provider is not None and scopes is None:
            found = catalogue.provider(provider)
            scopes = found.record_types if found else ()
        with writing(engine) as conn:
            return create_key(conn, role, provider_code=provider, scopes=scopes or ())

    return make


@pytest.fixture
def consumer_key(engine: Engine) -> Callable[..., str]:
    """``consumer_key("civil_aviation", "restrict_flights_rail", ...)``: a consuming
    authority's key scoped to those measures."""

    def make(consumer: str, *measures: str) -> str:
        with writing(engine) as conn:
            return create_key(conn, Role.consumer, consumer_code=consumer, scopes=measures)

    return make


@pytest.fixture
def subject_key(engine: Engine) -> Callable[[str], str]:
    """``subject_key(code)``: a subject token for the subject with this USCC or identity
    number (what ``xinyong subjects token CODE`` prints)."""

    def make(code: str) -> str:
        with writing(engine) as conn:
            return create_subject_token(conn, code, hours=24)

    return make


@pytest.fixture
def cli_db(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The ``xinyong`` command on the test's database (``XINYONG_DATABASE_URL``, with the
    settings read afresh)."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port: real HTTP. Yields the base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
