"""Accessibility basics of a page, checked in the browser: what every page must have.

Not a full audit (no axe-core: it would be a JavaScript bundle to vendor); it checks the
rules the portal promises in docs/portal.md, on the page as the browser built it.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

_PROBLEMS = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")


def problems(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_PROBLEMS)
    return found


def assert_accessible(page: Page) -> None:
    """Fail with every accessibility basic the current page misses."""
    found = problems(page)
    assert not found, f"{page.url}: {found}"
