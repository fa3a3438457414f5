"""``xinyong expire``: placeholder, filled in by issue 5."""

from __future__ import annotations


def expire_command() -> None:
    """The daily job: record what expired (placeholder)."""
