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


def test_where_the_heading_and_its_status_line_disagree_the_line_says_it() -> None:
    # indexer-go: `#### 9. Receipt Storage (P0) 🔄` over `**Status**: COMPLETED ✅` (the glyph left as
    # it was when the work began): the words of the status line are the step's status.
    text = (
        "# Progress\n\n#### 8. Fetcher (P0) ✅\n**Status**: COMPLETED ✅\n\n"
        "#### 9. Receipt Storage (P0) 🔄\n**Status**: COMPLETED ✅\n\n#### 10. Query API (P1)\n**Status**: PENDING\n"
    )
    plan = parse_plan(text, Path("PROGRESS.md"))
    assert [(s.id, s.status) for s in plan.walk()] == [("8", "done"), ("9", "done"), ("10", "todo")]
    # A tick back to open rewrites both places, and reads back open.
    reopened = set_status(text, Path("PROGRESS.md"), plan.steps[1], "todo", NOW)
    assert [(s.id, s.status) for s in parse_plan(reopened, Path("PROGRESS.md")).walk()][1] == ("9", "todo")


def test_a_section_of_work_to_come_restating_a_task_is_no_second_task() -> None:
    # indexer-go: the tasks the report calls done are written again, boxes open, under `## 📋 다음 작업`
    # ("next work"); that copy is the plan as it was before the work. It stays no step when ticked.
    text = (
        "# Progress\n\n## Done\n\n#### 8. Worker Pool (P0) ✅\n- [x] Fetch blocks\n\n"
        "#### 9. Receipts (P0)\n- [ ] Store receipts\n\n"
        "## 📋 다음 작업\n\n### API\n\n#### 8. Worker Pool (P0)\n- [ ] Fetch blocks\n- [ ] Add a pool\n\n"
        "## Next steps\n\n#### 9. Receipts (P0)\n- [ ] Store receipts\n- [ ] Link them\n"
    )
    path = Path("PROGRESS.md")
    plan = parse_plan(text, path)
    assert [(s.id, s.title, s.line) for s in plan.steps] == [
        ("8", "Worker Pool (P0)", 5),
        ("9", "Receipts (P0)", 8),
    ]
    ticked = set_status(text, path, plan.steps[1].children[0], "done", NOW)
    assert [(s.id, s.line) for s in parse_plan(ticked, path).steps] == [("8", 5), ("9", 8)]


def test_a_todo_section_copy_is_no_restatement_of_a_summary() -> None:
    # Only "next" sections restate: under `## TODO` the detailed copy stays the step.
    text = (
        "# Plan\n\n## Summary\n\n### Phase 1: Setup\n- [x] Done overall\n\n"
        "## TODO\n\n### Phase 1: Setup\n- [x] Init\n- [ ] Configure CI\n"
    )
    plan = parse_plan(text, Path("PLAN.md"))
    assert [(s.title, s.line) for s in plan.walk()] == [("Setup", 10), ("Init", 11), ("Configure CI", 12)]


def test_a_next_steps_heading_with_a_longer_title_restates_its_phase() -> None:
    # round 20, ghost-draw's installer status: `### Phase 3: Optional Features Testing & Fixes` under
    # `## 🎯 Next Steps` restates the tracker's Phase 3, and a `Notes` column is no title.
    text = (
        "# Installer Status\n\n| Phase | Status | Notes |\n|---|---|---|\n"
        "| Phase 1: Setup | ✅ Complete | Toolset installed |\n"
        "| Phase 2: Optional Features | 🔄 In Progress | Needs testing |\n\n"
        "### Phase 1: Setup ✅\n- [x] Install the toolset\n\n### Phase 2: Optional Features 🔄\n- [x] Define features\n"
        "- [ ] Test shortcuts\n\n## 🎯 Next Steps\n\n### Phase 2: Optional Features Testing & Fixes\n"
        "- [ ] Verify the desktop shortcut\n"
    )
    plan = parse_plan(text, Path("docs/status.md"))
    assert [(s.id, s.title, s.status) for s in plan.steps] == [
        ("1", "Setup", "done"),
        ("2", "Optional Features", "in_progress"),
    ]
    # Under a section that is not one of work to come, two titles of one id are two steps.
    kept = text.replace("## 🎯 Next Steps", "## Appendix")
    assert [s.title for s in parse_plan(kept, Path("docs/status.md")).steps][
        -1
    ] == "Optional Features Testing & Fixes"
