"""docs/restorations.md names every error code the restoration API answers with, and the
deadline example it gives is the calendar's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tests.restorations.support import DUE, THURSDAY
from xinyong.rights.model import default_rights

ROOT = Path(__file__).parent.parent.parent


def test_every_error_code_is_documented() -> None:
    text = (ROOT / "docs/restorations.md").read_text(encoding="utf-8")
    package = ROOT / "src/xinyong/restorations"
    raised = set()
    for path in package.glob("*.py"):
        raised |= set(re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(raised) >= 20
    missing = sorted(code for code in raised if f"`{code}`" not in text and f" {code}`" not in text)
    assert missing == []


def test_the_deadline_example_is_the_calendars() -> None:
    text = (ROOT / "docs/restorations.md").read_text(encoding="utf-8")
    rights = default_rights()
    due = rights.working_calendar.add_working_days(
        THURSDAY, rights.restorations.decide_working_days
    )
    assert due == DUE == dt.date(2026, 2, 24)
    assert f"Thursday {THURSDAY}" in text
    assert f"Tuesday {DUE}" in text
