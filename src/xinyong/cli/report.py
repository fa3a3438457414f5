"""``xinyong report`` and ``xinyong verify``: placeholders, filled in by issue 6."""

from __future__ import annotations


def report_command() -> None:
    """Write a subject's credit report as a signed PDF (placeholder)."""


def verify_command() -> None:
    """Verify a credit report PDF (placeholder)."""
