"""A heading's status tail with the day it was done (`### M0 — Walking skeleton — ✅ DONE 2026-07-09`,
round 16's agentflow roadmap), and a status in words no marker holds: a tick either changes the plan
and reads back, or is refused; it never passes while changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stepcommit.errors import PlanError
from stepcommit.plan import parse_plan, set_status

PATH = Path("ROADMAP.md")
NOW = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
TEXT = "# Roadmap\n\n### M0 — Walking skeleton — ✅ DONE 2026-07-09\n\nText.\n\n### M4 — Guarded\n\nText.\n"


def test_a_done_tail_with_its_day_unticks_whole_and_ticks_in_the_file_s_words() -> None:
    plan = parse_plan(TEXT, PATH)
    assert [(s.id, s.title, s.status) for s in plan.steps] == [
        ("M0", "Walking skeleton", "done"),
        ("M4", "Guarded", "todo"),
    ]
    undone = set_status(TEXT, PATH, plan.steps[0], "todo", NOW)
    assert undone.splitlines()[2] == "### M0 — Walking skeleton"
    done = set_status(TEXT, PATH, plan.steps[1], "done", NOW)
    assert done.splitlines()[6] == "### M4 — Guarded — ✅ DONE"
    assert [s.status for s in parse_plan(done, PATH).steps] == ["done", "done"]


@pytest.mark.parametrize(
    "heading", ["### Phase 1: Setup (DONE) for real", "### Phase 1: Setup — DONE, shipped v0"]
)
def test_a_status_in_words_no_marker_holds_is_refused_not_passed_over(heading: str) -> None:
    text = f"# Roadmap\n\n{heading}\n\nText.\n\n### Phase 2: Build\n\nText.\n"
    first = parse_plan(text, PATH).steps[0]
    assert first.status == "done"
    with pytest.raises(PlanError, match="cannot rewrite"):
        set_status(text, PATH, first, "todo", NOW)
