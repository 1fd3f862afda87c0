"""A share before a done word (`✅ 85% Complete`, `| 60% done |`) says the work is under way, not
finished: only `100%` (or no share) is done. A tick to done writes the whole share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("PLAN.md")
NOW = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
HEADINGS = (
    "# Plan\n\n"
    "## Phase 1: Setup ✅ 100% Complete\n\nText.\n\n"
    "## Phase 2: Models ✅ 85% Complete\n\nText.\n\n"
    "## Phase 3: API\n\nText.\n"
)
TABLE = (
    "# Plan\n\n| Phase | Title | Status |\n|---|---|---|\n"
    "| 1 | Setup | Done |\n| 2 | Models | 60% done |\n| 3 | API | Not started |\n"
)


def test_a_heading_at_85_percent_complete_is_under_way_and_started_next() -> None:
    plan = parse_plan(HEADINGS, PATH)
    assert [(s.id, s.title, s.status) for s in plan.steps] == [
        ("1", "Setup", "done"),
        ("2", "Models", "in_progress"),
        ("3", "API", "todo"),
    ]
    following = next_open_step(plan)
    assert following is not None and following.id == "2"


def test_ticking_a_share_writes_all_of_it_and_reads_back_done() -> None:
    plan = parse_plan(HEADINGS, PATH)
    done = set_status(HEADINGS, PATH, plan.steps[1], "done", NOW)
    assert done.splitlines()[6] == "## Phase 2: Models ✅ 100% Complete"
    assert [s.status for s in parse_plan(done, PATH).steps] == ["done", "done", "todo"]


def test_a_table_cell_with_a_share_done_is_in_progress() -> None:
    plan = parse_plan(TABLE, PATH)
    assert [s.status for s in plan.steps] == ["done", "in_progress", "todo"]
    done = set_status(TABLE, PATH, plan.steps[1], "done", NOW)
    assert "| 2 | Models | 100% done |" in done.splitlines()
    assert [s.status for s in parse_plan(done, PATH).steps] == ["done", "done", "todo"]


def test_a_share_elsewhere_in_the_cell_is_not_read() -> None:
    text = TABLE.replace("| 1 | Setup | Done |", "| 1 | Setup | Done (coverage 85%) |")
    assert parse_plan(text, PATH).steps[0].status == "done"


def test_a_timeline_column_is_no_title_where_no_column_is_named_for_one() -> None:
    text = (
        "# Roadmap\n\n| Phase | Status | Timeline | Key Features |\n|---|---|---|---|\n"
        "| **Phase 1** | ✅ Complete | Oct-Nov 2025 | Core tracking, manual entry |\n"
        "| **Phase 2** | ✅ 85% Complete | Feb-Mar 2026 | Export, visual indicators |\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.title, s.status) for s in plan.steps] == [
        ("Core tracking, manual entry", "done"),
        ("Export, visual indicators", "in_progress"),
    ]
