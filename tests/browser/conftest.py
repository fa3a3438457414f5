"""Browser tests: Playwright driving Debian's chromium against the app served by uvicorn.

Fixtures:
- ``base_url``: the app (the same app, engine and data as ``client`` and ``make_key``) served
  on a free loopback port; seed with ``client``/``make_key``, then browse.
- ``browser_page``: a fresh page in a fresh browser context (JavaScript on, downloads
  accepted, Chinese preferred); a screenshot of it is saved when the test ends.
- ``shot(page, name)``: save a named screenshot now.

Screenshots go to ``test-artifacts/screenshots/`` (``XINYONG_ARTIFACTS`` to move it): they
are the test artefacts of these flows. Chromium is ``/usr/bin/chromium`` (``XINYONG_CHROMIUM``
to use another); where it is missing these tests skip, except in CI (``CI`` set), where they
fail: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("XINYONG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("XINYONG_ARTIFACTS", "test-artifacts")) / "screenshots"
# Without the background-networking flags chromium keeps calling home, which this closed
# network refuses; --no-sandbox because CI runs as root.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def base_url(live_server: str) -> str:
    return live_server


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``shot(page, "entity")`` saves ``<test>--entity.png`` (full page)."""

    def save(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{_file_name(request.node.name)}--{_file_name(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def browser_page(
    browser: Browser, base_url: str, shot: Callable[[Page, str], Path]
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url, accept_downloads=True, locale="zh-CN", java_script_enabled=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith((base_url, "data:", "blob:")) else elsewhere.append(req.url)
        ),
    )
    try:
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
        assert not elsewhere, f"the page loaded something from elsewhere: {elsewhere}"
    finally:
        try:
            shot(page, "end")
        finally:
            context.close()
