"""Numbered items under phase headings, in a plan without checkboxes, are the phases' tasks (round 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("docs/TRANSPORT_PLAN.md")
NOW = datetime(2026, 3, 9, 14, 5, tzinfo=UTC)

PLAN = """\
# Transport Plan

## Current State

- ✅ **Stdio Transport**: implemented
- ❌ **HTTP Transport**: not implemented

## Implementation Steps

### Phase 1: Transport Abstraction (High Priority)
1. Create `Transport` trait
2. Move stdio logic

### Phase 2: HTTP Transport (High Priority)
1. Implement `HttpTransport`
2. Add retries

## Docker Runtime Requirements

1. ✅ Node.js runtime
2. ❓ Rust runtime

## Success Criteria

1. Can connect over every transport
2. Handles network failures
"""


def test_numbered_items_under_phase_headings_are_the_steps_and_glyph_notes_are_not() -> None:
    plan = parse_plan(PLAN, PATH)
    leaves = [s.title for s in plan.walk() if s.is_leaf]
    assert leaves == [
        "Create `Transport` trait",
        "Move stdio logic",
        "Implement `HttpTransport`",
        "Add retries",
    ]
    following = next_open_step(plan)
    assert following is not None and following.title == "Create `Transport` trait"


def test_ticking_a_numbered_phase_task_changes_its_line_only() -> None:
    plan = parse_plan(PLAN, PATH)
    task = next(s for s in plan.walk() if s.title == "Add retries")
    after = set_status(PLAN, PATH, task, "done", NOW)
    changed = [a for a, b in zip(PLAN.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == ["2. Add retries"]
    assert next(s for s in parse_plan(after, PATH).walk() if s.title == "Add retries").status == "done"
