"""A task heading and the checklist box elsewhere with its own id are one task (round 12, indexer-go's
IMPROVEMENT_TASKS.md): `### T-016: Fix the proxy ✅` with its detail under it, and
`- [x] T-016: Fix the proxy (done)` in a `## Checklist (Phase 2)` that says each task's status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import parse_plan, set_status

NOW = datetime(2026, 2, 9, 9, 30, tzinfo=UTC)
PATH = Path("docs/IMPROVEMENT_TASKS.md")
TEXT = """# Phase 2: Quality (T-016 ~ T-018)

## P0: Critical

### T-016: Fix the proxy type assertion ✅ (2026-02-08)

- [x] Check the assertion
- [x] Add a test

### T-017: Tidy the error handling

- [ ] Log the error
- [ ] Return it

### T-018: Add verifier tests

Plain text.

## Phase 2 Summary

| Priority | Tasks |
|----------|-------|
| P0 | 3 |

## Checklist (Phase 2)

- [x] T-016: Fix the proxy type assertion (2026-02-08 done)
- [x] T-017: Tidy the error handling (2026-02-08 done)
- [ ] T-018: Add verifier tests
"""


def _leaves(text: str) -> list[tuple[str, str, str | None]]:
    return [(s.id, s.title, s.status) for s in parse_plan(text, PATH).walk() if s.is_leaf]


def test_the_heading_and_its_box_are_one_step_whose_status_the_box_says() -> None:
    # T-017's own boxes are open, yet its checklist box is ticked: the box is the task's status and
    # the heading's boxes are its to-do list, not steps of their own.
    assert _leaves(TEXT) == [
        ("T-016", "Fix the proxy type assertion", "done"),
        ("T-017", "Tidy the error handling", "done"),
        ("T-018", "Add verifier tests", "todo"),
    ]
    plan = parse_plan(TEXT, PATH)
    task = next(s for s in plan.walk() if s.id == "T-017")
    assert task.todo == ("Log the error", "Return it")


def test_ticking_the_task_ticks_its_box() -> None:
    plan = parse_plan(TEXT, PATH)
    task = next(s for s in plan.walk() if s.id == "T-018")
    new = set_status(TEXT, PATH, task, "done", NOW)
    changed = [(a, b) for a, b in zip(TEXT.splitlines(), new.splitlines(), strict=True) if a != b]
    # The box says the status; the heading has no glyph to move (the file leaves some done ones bare).
    assert changed == [("- [ ] T-018: Add verifier tests", "- [x] T-018: Add verifier tests")]
    assert all(status == "done" for _, _, status in _leaves(new))
    # And back: a task heading says "not started" with a glyph of its own; the day after it stays.
    first = next(s for s in parse_plan(new, PATH).walk() if s.id == "T-016")
    reopened = set_status(new, PATH, first, "todo", NOW)
    assert "### T-016: Fix the proxy type assertion ⬜ (2026-02-08)" in reopened.splitlines()
    assert "- [ ] T-016: Fix the proxy type assertion (2026-02-08 done)" in reopened.splitlines()
    assert _leaves(reopened)[0] == ("T-016", "Fix the proxy type assertion", "todo")


def test_a_box_inside_the_heading_names_a_part_not_the_task() -> None:
    text = "# Tasks\n\n## P1\n\n### T-001: Build the parser\n\n- [x] T-001: Build the parser skeleton\n- [ ] Wire it\n"
    assert _leaves(text) == [("T-001", "Build the parser skeleton", "done"), ("2", "Wire it", "todo")]


def test_a_heading_about_a_phase_is_no_step() -> None:
    text = "# Plan\n\n## Phase 1: Setup\n\n- [x] Init\n\n## Phase 1 Summary\n\nAll done.\n\n## Phase 2: Build\n\n- [ ] Code\n"
    assert [(s.id, s.title) for s in parse_plan(text, Path("PLAN.md")).walk()] == [
        ("1", "Setup"),
        ("1.1", "Init"),
        ("2", "Build"),
        ("2.1", "Code"),
    ]
