"""`### 1. Project Setup ✅` is a step only by its marker: unticked, it keeps a not-started marker
instead of losing it and reading back as a plain section (round 9, apex)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import parse_plan, set_status

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
PATH = Path("docs/PROGRESS.md")
TEXT = """# Progress

### 1. Project Setup ✅
- Build system working

### 2. Parser Integration ✅
- Parser integrated
"""


def test_unticking_a_numbered_heading_keeps_it_a_step() -> None:
    plan = parse_plan(TEXT, PATH)
    assert [(s.title, s.status) for s in plan.steps] == [
        ("Project Setup", "done"),
        ("Parser Integration", "done"),
    ]
    new = set_status(TEXT, PATH, plan.steps[0], "todo", NOW)
    assert "### 1. Project Setup ⬜\n" in new
    again = parse_plan(new, PATH)
    assert [(s.title, s.status) for s in again.steps] == [
        ("Project Setup", "todo"),
        ("Parser Integration", "done"),
    ]
    back = set_status(new, PATH, again.steps[0], "done", NOW)
    assert back == TEXT
