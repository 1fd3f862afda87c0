"""Work in a section of later work (`## Future Enhancements`, `### Nice to have`) comes after the open
work elsewhere, wherever it sits in the file (round 13, cookiecutter-ai-conventions' TODO.md: its
`## Immediate Tasks` come last in the file, after three groups of future enhancements)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("TODO.md")
NOW = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
TEXT = """# TODO

## 1.0 Roadmap ✅

- [x] CLI architecture

## Future Enhancements

### TUI Improvements
- [ ] Add a configuration editor

### General
- [ ] Create a demo GIF

## Immediate Tasks

- [ ] Update the README
- [ ] Tag the 1.0 release
"""


def test_the_open_work_outside_a_later_section_comes_first() -> None:
    plan = parse_plan(TEXT, PATH)
    later = {s.title: s.later for s in plan.walk()}
    assert later == {
        "Roadmap": False,
        "CLI architecture": False,
        "Add a configuration editor": True,
        "Create a demo GIF": True,
        "Update the README": False,
        "Tag the 1.0 release": False,
    }
    first = next_open_step(plan)
    assert first is not None and first.title == "Update the README"
    # Once the immediate work is done, the later work is next, in file order.
    text = TEXT
    for title in ("Update the README", "Tag the 1.0 release"):
        step = next(s for s in parse_plan(text, PATH).walk() if s.title == title)
        text = set_status(text, PATH, step, "done", NOW)
    following = next_open_step(parse_plan(text, PATH))
    assert following is not None and following.title == "Add a configuration editor"


def test_a_later_section_inside_a_phase_orders_only_its_siblings() -> None:
    text = (
        "# Plan\n\n## Phase 1: Core\n\n### Nice to have\n- [ ] Colours\n\n### Tasks\n- [ ] Parser\n\n"
        "## Phase 2: Ship\n- [ ] Release\n"
    )
    plan = parse_plan(text, Path("PLAN.md"))
    first = next_open_step(plan)
    assert first is not None and first.title == "Parser"
    done = set_status(text, Path("PLAN.md"), first, "done", NOW)
    following = next_open_step(parse_plan(done, Path("PLAN.md")))
    # Phase 1's later work still comes before Phase 2: the order is among siblings only.
    assert following is not None and following.title == "Colours"


def test_a_plan_of_later_work_only_keeps_its_order() -> None:
    text = "# Ideas\n\n## Future work\n- [ ] One\n- [ ] Two\n"
    first = next_open_step(parse_plan(text, PATH))
    assert first is not None and first.title == "One"
