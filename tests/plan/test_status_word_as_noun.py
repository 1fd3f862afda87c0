"""A capital status word that ends a title after a preposition or article names something (a board's
column, a state) and says no status: `- [x] pre-archive complete items in WIP` (round 21, etherops'
TO_s_DO_pid.todo.md, a board with a `# WIP` column) is a done box whose title ends in "WIP", and
unticking it gives an open box, not one read back as in progress. `- [ ] Setup DONE` still reads done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stepcommit.plan import parse_plan, set_status

PATH = Path("TODO.md")
NOW = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "title",
    [
        "pre-archive ghost-archive complete items in WIP",
        "Move the finished cards to DONE",
        "Show a badge on the BLOCKED",
        "Rename the column from WIP",
    ],
)
def test_a_status_word_after_a_preposition_is_part_of_the_title(title: str) -> None:
    text = f"# Board\n\n* [x] {title}\n* [ ] Next thing\n"
    plan = parse_plan(text, PATH)
    assert [(s.title, s.status) for s in plan.walk()] == [(title, "done"), ("Next thing", "todo")]
    undone = set_status(text, PATH, plan.steps[0], "todo", NOW)
    assert undone.splitlines()[2] == f"* [ ] {title}"
    assert next((s.title, s.status) for s in parse_plan(undone, PATH).walk()) == (title, "todo")


def test_a_status_word_after_the_title_s_own_words_still_says_the_status() -> None:
    plan = parse_plan("# Plan\n\n- [ ] Setup DONE\n- [ ] Parser WIP\n- [ ] Docs\n", PATH)
    assert [(s.title, s.status) for s in plan.walk()] == [
        ("Setup", "done"),
        ("Parser", "in_progress"),
        ("Docs", "todo"),
    ]
