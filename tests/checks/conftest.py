"""Fixtures of the check tests: an event loop for the log writer's futures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop of the test's own, for futures that the log writer resolves."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()
