"""A section whose heading says its work is under way (`## v2.1.0 - IN PROGRESS (Target: Q1 2026)`,
`## 🚧 In Progress`) is where `start` begins, before the open boxes left over in sections before it
(round 19, ProjectLodestar's ROADMAP.md: `## v2.0.0-beta.2 - COMPLETE` keeps a few unticked boxes the
IN PROGRESS version below restates, and a person starts the IN PROGRESS version's first box)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("ROADMAP.md")
NOW = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
TEXT = """# Roadmap

## v1.0.0 - COMPLETE (February 2026)

- [x] Multi-provider routing
- [ ] Model recommendation engine (cheapest for task)

## v2.1.0 - IN PROGRESS (Target: Q1 2026)

### Monitoring
- [ ] GPU utilization monitoring
- [ ] Provider availability tracking

## v2.x - Medium Priority

- [ ] Web UI for configuration
"""


def _titles(text: str) -> dict[str, bool]:
    return {s.title: s.under_way for s in parse_plan(text, PATH).walk()}


def test_the_section_under_way_comes_before_leftovers_earlier_in_the_file() -> None:
    assert _titles(TEXT) == {
        "Multi-provider routing": False,
        "Model recommendation engine (cheapest for task)": False,
        "GPU utilization monitoring": True,
        "Provider availability tracking": True,
        "Web UI for configuration": False,
    }
    first = next_open_step(parse_plan(TEXT, PATH))
    assert first is not None and first.title == "GPU utilization monitoring"
    # Once the work under way is done, the rest follows in file order: the leftover box first.
    text = TEXT
    for title in ("GPU utilization monitoring", "Provider availability tracking"):
        step = next(s for s in parse_plan(text, PATH).walk() if s.title == title)
        text = set_status(text, PATH, step, "done", NOW)
    following = next_open_step(parse_plan(text, PATH))
    assert following is not None and following.title == "Model recommendation engine (cheapest for task)"


def test_a_kanban_in_progress_column_comes_before_the_todo_column() -> None:
    text = "# Board\n\n## Todo\n- [ ] Write the docs\n\n## 🚧 In Progress\n- [ ] Fix the login bug\n\n## Done\n- [x] Set up CI\n"
    first = next_open_step(parse_plan(text, PATH))
    assert first is not None and first.title == "Fix the login bug"


def test_words_that_only_mention_progress_do_not_mark_a_section() -> None:
    # "progress" as a noun, "Active" as part of a title: no section here says it is under way.
    text = (
        "# Plan\n\n## Setup\n- [ ] Install\n\n## Progress Reports\n- [ ] Weekly report\n\n"
        "## Phase 2: Active Directory sync\n- [ ] Sync users\n\n## Work in progress notes\n- [ ] Tidy notes\n"
    )
    plan = parse_plan(text, PATH)
    assert not any(s.under_way for s in plan.walk())
    first = next_open_step(plan)
    assert first is not None and first.title == "Install"


def test_an_in_progress_phase_heading_marks_its_own_boxes() -> None:
    text = (
        "# Plan\n\n### Phase 1: Setup\n- [x] Install\n- [ ] Leftover lint config\n\n"
        "### Phase 2: Models 🔄\n- [x] User model\n- [ ] Order model\n"
    )
    plan = parse_plan(text, PATH)
    first = next_open_step(plan)
    assert first is not None and first.title == "Order model"
