"""A heading that says its status (`(complete)`) over a `Status: complete.` line shows the step twice:
a tick rewrites both lines, so neither reads the old status back (round 9, context-crafter-mcp)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import parse_plan, set_status

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
PATH = Path("docs/ROADMAP.md")
TEXT = """# Roadmap

### Phase 1: hardening release (complete)

Status: complete. Tagged and published.

### Phase 2: feature sprint

- more metadata
"""


def test_unticking_rewrites_the_heading_and_its_status_line() -> None:
    plan = parse_plan(TEXT, PATH)
    first = plan.steps[0]
    assert first.status == "done"
    new = set_status(TEXT, PATH, first, "todo", NOW)
    changed = [a for a, b in zip(TEXT.splitlines(), new.splitlines(), strict=True) if a != b]
    assert changed == ["### Phase 1: hardening release (complete)", "Status: complete. Tagged and published."]
    again = parse_plan(new, PATH)
    assert [(s.id, s.title, s.status) for s in again.steps] == [
        ("1", "hardening release", "todo"),
        ("2", "feature sprint", "todo"),
    ]
    back = set_status(new, PATH, again.steps[0], "done", NOW)
    assert parse_plan(back, PATH).steps[0].status == "done"
