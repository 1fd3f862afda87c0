"""No input crashes the reader: a plan is read, or refused with a PlanError; a tick stays one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepcommit.errors import PlanError
from stepcommit.plan import STATUSES, Plan, parse_plan
from stepcommit.plan import set_status as set_plan_status

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)

FRAGMENTS = [
    "- [ ] ",
    "- [x] ",
    "* [X] ",
    "+ [/] ",
    "1. [-] ",
    "  - [ ]* ",
    "\t- [~] ",
    "- ✅ ",
    "- ⬜ ",
    "- ✔️ ",
    "**1.1. ",
    "**",
    "T001 [P] [US1] ",
    "P0-1: ",
    "6.5 ",
    "19.2b ",
    "Step 3: ",
    "(2025-11-25 15:08Z) ",
    "## Phase 2: ",
    "### Step 6.1: ",
    "## 1. ",
    "## Progress",
    "## Decision Log",
    "# ",
    "✅ COMPLETED",
    "(DONE)",
    "| # | Name | Status |",
    "|---|---|---|",
    "| 1 | A | DONE |",
    "| 2 | B |  |",
    "| x | YES |",
    "|",
    "```",
    "~~~",
    "    ",
    "<!--",
    "-->",
    "<!-- id: 4 -->",
    "<details>",
    "Verify: `pytest`",
    "_Requirements: 1.1_",
    "日本語",
    "é",
    "\ufe0f",
    "\t",
    " ",
    "\\|",
    "[",
    "]",
    "`",
    "Title",
]
LINE_ENDS = ["\n", "\r\n", "\r", ""]

markdown_lines = st.lists(
    st.tuples(
        st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=5).map("".join),
        st.sampled_from(LINE_ENDS),
    ),
    max_size=25,
).map(lambda lines: "".join(body + end for body, end in lines))


def _read(text: str, name: str) -> Plan | None:
    try:
        return parse_plan(text, Path(name))
    except PlanError:
        return None


@FAST
@given(st.text())
def test_any_text_reads_or_is_refused(text: str) -> None:
    _read(text, "PLAN.md")
    _read(text, "tasks.json")


@FAST
@given(st.one_of(markdown_lines, markdown_lines.map(lambda t: "\ufeff" + t)))
def test_markdown_like_text_reads_or_is_refused(text: str) -> None:
    plan = _read(text, "PLAN.md")
    if plan is not None:
        for step in plan.walk():
            assert step.line >= 1
            assert step.status in STATUSES


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["tasks", "master", "id", "title", "status", "subtasks", "dependencies", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@FAST
@given(json_values, st.sampled_from([None, 0, 2, "\t"]), st.integers(min_value=0, max_value=40))
def test_json_like_text_reads_or_is_refused(value: object, indent: int | str | None, cut: int) -> None:
    text = json.dumps({"tasks": value} if not isinstance(value, dict) else value, indent=indent)
    _read(text, "tasks.json")
    _read(text[:-cut] if cut else text, "tasks.json")


@FAST
@given(
    markdown_lines, st.integers(min_value=0, max_value=50), st.sampled_from(["todo", "in_progress", "done"])
)
def test_a_tick_changes_at_most_the_steps_own_line(text: str, pick: int, status: str) -> None:
    plan = _read(text, "PLAN.md")
    if plan is None:
        return
    steps = list(plan.walk())
    if not steps:
        return
    step = steps[pick % len(steps)]
    if not step.is_leaf:
        return
    try:
        new = set_plan_status(text, Path("PLAN.md"), step, status, NOW)  # type: ignore[arg-type]
    except PlanError:
        return
    old_lines, new_lines = text.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(changed) <= 1
    again = parse_plan(new, Path("PLAN.md"))
    assert [(s.id, s.title) for s in again.walk()] == [(s.id, s.title) for s in steps]
