"""One model of a progress-tracker plan: a phase is one step wherever it shows, and moves everywhere at once."""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepcommit import config
from stepcommit.errors import ConfigError, PlanError
from stepcommit.plan import GRANULARITIES, Step, next_open_step, parse_plan, reading, select_step, set_status
from stepcommit.plan.text import line_of
from stepcommit.plan.tracker import active_value, today_like

NOW = datetime(2026, 3, 9, 14, 5, tzinfo=UTC)
TODAY = NOW.astimezone().strftime("%Y-%m-%d")
PATH = Path("PROGRESS.md")

TRACKER = """\
# Progress

**Active Phase**: Phase 1 (Core)
**Last Updated**: 2026-01-05

| Phase | Description | Status | Notes |
|-------|-------------|--------|-------|
| 1 | Core | IN PROGRESS | |
| 2 | Models | NOT STARTED | |
| 3 | API | NOT STARTED | |

### Phase 1: Core

- [x] Scaffold
- [ ] Config loader

### Phase 2: Models

- [ ] User model

### Phase 3: API

- [ ] Endpoints

| Checkpoint | Phase | Passed |
|------------|-------|--------|
| Core boots | 1 | No |
| Models load | 2 | No |
"""


def diff(old: str, new: str) -> list[str]:
    return [
        line.rstrip("\r\n")
        for line in difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def step(text: str, ident: str, steps: str = "phase") -> Step:
    return select_step(parse_plan(text, PATH, steps=steps), ident)  # type: ignore[arg-type]


def test_a_phase_is_one_step_with_its_checklist_as_the_to_do_list() -> None:
    plan = parse_plan(TRACKER, PATH)
    assert [(s.id, s.title, s.status, s.todo) for s in plan.walk()] == [
        ("1", "Core", "in_progress", ("Scaffold", "Config loader")),
        ("2", "Models", "todo", ("User model",)),
        ("3", "API", "todo", ("Endpoints",)),
    ]
    assert plan.steps[0].line == 12  # the phase's section


def test_item_steps_keep_the_checklist_items_as_steps() -> None:
    plan = parse_plan(TRACKER, PATH, steps="item")
    assert [(s.id, s.title, s.status) for s in plan.walk()] == [
        ("1", "Core", "in_progress"),
        ("1.1", "Scaffold", "done"),
        ("1.2", "Config loader", "todo"),
        ("2", "Models", "todo"),
        ("2.1", "User model", "todo"),
        ("3", "API", "todo"),
        ("3.1", "Endpoints", "todo"),
    ]
    assert config.STEP_GRANULARITIES == GRANULARITIES


def test_finishing_a_phase_edits_each_of_its_places_and_nothing_else() -> None:
    new = set_status(TRACKER, PATH, step(TRACKER, "1"), "done", NOW, verified=True)
    assert diff(TRACKER, new) == [
        "-**Active Phase**: Phase 1 (Core)",
        "-**Last Updated**: 2026-01-05",
        "+**Active Phase**: Phase 2 (Models)",
        f"+**Last Updated**: {TODAY}",
        "-| 1 | Core | IN PROGRESS | |",
        "+| 1 | Core | DONE        | |",
        "-- [ ] Config loader",
        "+- [x] Config loader",
        "-| Core boots | 1 | No |",
        "+| Core boots | 1 | Yes |",
    ]
    assert [s.status for s in parse_plan(new, PATH).walk()] == ["done", "todo", "todo"]


def test_the_checkpoint_waits_for_a_verification_that_ran() -> None:
    new = set_status(TRACKER, PATH, step(TRACKER, "1"), "done", NOW)
    assert "| Core boots | 1 | No |" in new and "| 1 | Core | DONE" in new


def test_starting_a_phase_moves_only_its_row() -> None:
    new = set_status(TRACKER, PATH, step(TRACKER, "2"), "in_progress", NOW)
    assert diff(TRACKER, new) == ["-| 2 | Models | NOT STARTED | |", "+| 2 | Models | IN PROGRESS | |"]


def test_starting_the_first_item_of_a_phase_starts_its_row_too() -> None:
    new = set_status(TRACKER, PATH, step(TRACKER, "2.1", "item"), "in_progress", NOW, steps="item")
    # Plain markdown has no in-progress checkbox mark: the item's own line stays as it was.
    assert diff(TRACKER, new) == ["-| 2 | Models | NOT STARTED | |", "+| 2 | Models | IN PROGRESS | |"]


def test_the_last_open_item_of_a_phase_rolls_it_up() -> None:
    # 1.1 is done already, so 1.2 is phase 1's last open item.
    new = set_status(TRACKER, PATH, step(TRACKER, "1.2", "item"), "done", NOW, steps="item")
    assert diff(TRACKER, new) == [
        "-**Active Phase**: Phase 1 (Core)",
        "-**Last Updated**: 2026-01-05",
        "+**Active Phase**: Phase 2 (Models)",
        f"+**Last Updated**: {TODAY}",
        "-| 1 | Core | IN PROGRESS | |",
        "+| 1 | Core | DONE        | |",
        "-- [ ] Config loader",
        "+- [x] Config loader",
    ]
    # Phase 2 finished out of order: the Active Phase line names phase 1, so it is left alone.
    other = set_status(TRACKER, PATH, step(TRACKER, "2.1", "item"), "done", NOW, steps="item")
    assert "**Active Phase**: Phase 1 (Core)" in other and "| 2 | Models | DONE        | |" in other
    # Starting an item of a phase already in progress changes nothing (no in-progress checkbox mark).
    assert (
        set_status(TRACKER, PATH, step(TRACKER, "1.2", "item"), "in_progress", NOW, steps="item") == TRACKER
    )


def test_the_roll_up_keeps_crlf_and_a_bom_byte_for_byte() -> None:
    text = "\ufeff" + TRACKER.replace("\n", "\r\n")
    new = set_status(text, PATH, step(text, "1"), "done", NOW)
    assert new.startswith("\ufeff")
    assert new.count("\r\n") == text.count("\r\n") and "\n" not in new.replace("\r\n", "")
    assert len(diff(text, new)) == 8


def test_stale_duplicate_summary_rows_move_with_the_phase() -> None:
    text = (
        "## Progress Summary\n\n| # | Phase | Status |\n|---|---|---|\n| 1 | Setup | ✅ |\n| 2 | Build | ⬜ |\n"
        "| 2 | Build | ⬜ |\n\n## Phase 1: Setup\n\n- [x] init\n\n## Phase 2: Build\n\n- [ ] compile\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.status) for s in plan.walk()] == [("1", "done"), ("2", "todo")]
    new = set_status(text, PATH, step(text, "2"), "done", NOW)
    assert diff(text, new) == [
        "-| 2 | Build | ⬜ |",
        "-| 2 | Build | ⬜ |",
        "+| 2 | Build | ✅ |",
        "+| 2 | Build | ✅ |",
        "-- [ ] compile",
        "+- [x] compile",
    ]


def test_a_row_without_a_number_joins_the_section_by_title() -> None:
    text = (
        "| Task | Status |\n|---|---|\n| Parser | TODO |\n| Writer | TODO |\n\n"
        "## Step 1: Parser\n\n- [ ] tokens\n\n## Step 2: Writer\n\n- [ ] bytes\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.title, s.todo) for s in plan.walk()] == [
        ("1", "Parser", ("tokens",)),
        ("2", "Writer", ("bytes",)),
    ]
    new = set_status(text, PATH, plan.steps[1], "done", NOW)
    assert diff(text, new) == ["-| Writer | TODO |", "+| Writer | DONE |", "-- [ ] bytes", "+- [x] bytes"]


def test_a_summary_checkbox_and_its_section_are_one_step() -> None:
    text = "## Overview\n\n- [x] Phase 1: Setup\n- [ ] Phase 2: Build\n\n## Phase 1: Setup\n\n## Phase 2: Build\n"
    plan = parse_plan(text, PATH)
    assert [(s.id, s.title, s.status) for s in plan.walk()] == [
        ("1", "Setup", "done"),
        ("2", "Build", "todo"),
    ]
    new = set_status(text, PATH, plan.steps[1], "done", NOW)
    assert diff(text, new) == ["-- [ ] Phase 2: Build", "+- [x] Phase 2: Build"]


# The shape of a real tracker (a public repository's PROGRESS file, cut short): emoji-and-word
# statuses, `✅` on finished phase headings, `### Tasks` under each phase, `**Current Phase**:`.
REAL_SHAPE = """\
# PR Dependency UI Integration - Progress Tracker

**Last Updated**: 2024-12-28
**Current Phase**: Implementation Phase 2

| Phase | Description | Status | Completion |
|-------|-------------|--------|------------|
| 1 | Move Analysis to Data Loading | ✅ Complete | 100% |
| 2 | Add Dependency Column to PR List | ⏳ Pending | 0% |
| 3 | Dependency Graph Dialog | ⏳ Pending | 0% |

## Phase 1: Move Analysis to Data Loading ✅

### Tasks

- [x] Add `rayon` to Cargo.toml

### Notes
- Analysis requires `local_repo` config to be set

## Phase 2: Add Dependency Column

### Tasks

- [ ] Update column constraints
- [ ] Add "Deps" column header

## Phase 3: Dependency Dialog

### Tasks

- [ ] Create `DependencyDialogState` struct

## Blockers & Risks

| Issue | Impact | Mitigation |
|-------|--------|------------|
| Large PR count performance | High | Use rayon |
"""


def test_a_real_trackers_phase_rolls_up_in_the_files_own_words() -> None:
    plan = parse_plan(REAL_SHAPE, PATH)
    assert [(s.id, s.status, len(s.todo)) for s in plan.walk()] == [
        ("1", "done", 1),
        ("2", "todo", 2),
        ("3", "todo", 1),
    ]
    new = set_status(REAL_SHAPE, PATH, plan.steps[1], "done", NOW)
    assert diff(REAL_SHAPE, new) == [
        "-**Last Updated**: 2024-12-28",
        "-**Current Phase**: Implementation Phase 2",
        f"+**Last Updated**: {TODAY}",
        "+**Current Phase**: Implementation Phase 3",
        "-| 2 | Add Dependency Column to PR List | ⏳ Pending | 0% |",
        "+| 2 | Add Dependency Column to PR List | ✅ Complete | 0% |",
        "-## Phase 2: Add Dependency Column",
        "+## Phase 2: Add Dependency Column ✅",
        "-- [ ] Update column constraints",
        '-- [ ] Add "Deps" column header',
        "+- [x] Update column constraints",
        '+- [x] Add "Deps" column header',
    ]
    assert [s.status for s in parse_plan(new, PATH).walk()] == ["done", "done", "todo"]


def test_a_summary_table_mirroring_the_checklist_moves_with_it() -> None:
    text = (
        "**Last Updated**: 2026-01-05\n\n## Progress Tracker\n\n| Step | Task | Status |\n|---|---|---|\n"
        "| 1.1 | Setup | DONE |\n| 1.2 | Parser | TODO |\n\n## Phase 1: Core\n\n- [x] **1.1 Setup**\n- [ ] **1.2 Parser**\n"
    )
    plan = parse_plan(text, Path("PLAN.md"))
    assert [(s.id, s.status) for s in plan.walk()] == [("1", "in_progress"), ("1.1", "done"), ("1.2", "todo")]
    new = set_status(text, Path("PLAN.md"), step(text, "1.2"), "done", NOW)
    assert diff(text, new) == [
        "-| 1.2 | Parser | TODO |",
        "+| 1.2 | Parser | DONE |",
        "-- [ ] **1.2 Parser**",
        "+- [x] **1.2 Parser**",
    ]


def test_a_milestones_table_beside_the_checklist_is_a_summary_not_steps() -> None:
    # A memory bank's progress file: the checklist is the plan; the Milestones table restates it at
    # another grain (with stale rows), and no row of it is any box.
    text = (
        "## What's Left\n\n- [x] **SC-801: Types**\n- [ ] **I18N: Localization**\n  - [ ] Create translation files\n\n"
        "## Milestones\n\n| Milestone | Target Date | Status |\n|---|---|---|\n"
        "| Foundation (Build + Basic Types) | Week 1-2 | Not Started |\n| Distribution (npm + CDN) | TBD | Not Started |\n"
    )
    plan = parse_plan(text, PATH)
    assert [s.title for s in plan.walk()] == ["Types", "I18N: Localization", "Create translation files"]
    assert select_step(plan, None).title == "Create translation files"


def test_a_milestones_table_is_the_plan_where_no_checklist_is_open() -> None:
    text = "- [x] Scaffold\n\n| Milestone | Status |\n|---|---|\n| Alpha | Done |\n| Beta | Not Started |\n"
    plan = parse_plan(text, PATH)
    assert [(s.title, s.status) for s in plan.walk()] == [
        ("Scaffold", "done"),
        ("Alpha", "done"),
        ("Beta", "todo"),
    ]


def test_a_phase_list_and_a_progress_table_are_one_step_per_phase() -> None:
    # The shape of a GSD roadmap: a `- [x] Phase N:` list, sections for the later phases only, and a
    # Progress table whose Phase cells read `1. Title`.
    text = (
        "## Phases\n\n- [x] Phase 1: Foundation\n- [ ] **Phase 2: Launch** - ship it\n\n## Phase Details\n\n"
        "### Phase 2: Launch\n\nPlans:\n- [ ] 02-01: release\n\n## Progress\n\n"
        "| Phase | Plans Complete | Status |\n|---|---|---|\n| 1. Foundation | 1/1 | Complete |\n"
        "| 2. Launch | 0/1 | Not started |\n"
    )
    plan = parse_plan(text, Path("ROADMAP.md"))
    assert [(s.id, s.title, s.status, s.todo) for s in plan.walk()] == [
        ("1", "Foundation", "done", ()),
        ("2", "Launch", "todo", ("02-01: release",)),
    ]
    new = set_status(text, Path("ROADMAP.md"), plan.steps[1], "done", NOW)
    assert diff(text, new) == [
        "-- [ ] **Phase 2: Launch** - ship it",
        "+- [x] **Phase 2: Launch** - ship it",
        "-- [ ] 02-01: release",
        "+- [x] 02-01: release",
        "-| 2. Launch | 0/1 | Not started |",
        "+| 2. Launch | 0/1 | Complete    |",
    ]


def test_a_numbered_table_about_something_else_is_not_joined() -> None:
    text = (
        "## Phase 1: Core\n\n- [ ] parser\n\n## Risks\n\n| # | Risk | Status |\n|---|---|---|\n"
        "| 1 | Vendor lock-in | OPEN |\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.title, s.todo) for s in plan.walk()] == [("Core", ()), ("parser", ()), ("Vendor lock-in", ())]


def test_a_phase_with_the_only_section_keeps_its_place_in_the_table() -> None:
    text = (
        "| Phase | Title | Status |\n|---|---|---|\n| 1 | Setup | ✅ Done |\n| 2 | Core | 🔄 In progress |\n"
        "| 3 | Bridge | ⏳ Pending |\n\n## Phase 2: Breakdown (current)\n\n| Component | Status |\n|---|---|\n| Engine | ✅ Done |\n"
        "| Runner | ⏳ Pending |\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.title, s.status, s.todo) for s in plan.walk()] == [
        ("1", "Setup", "done", ()),
        ("2", "Core", "in_progress", ("Engine", "Runner")),
        ("3", "Bridge", "todo", ()),
    ]
    assert select_step(plan, None).id == "2"
    new = set_status(text, PATH, plan.steps[1], "done", NOW)
    assert diff(text, new) == [
        "-| 2 | Core | 🔄 In progress |",
        "+| 2 | Core | ✅ Done        |",
        "-| Runner | ⏳ Pending |",
        "+| Runner | ✅ Done    |",
    ]


def test_a_plain_plan_reads_as_before() -> None:
    text = "# Plan\n\n### Phase 1: Calculator\n\n- [x] **1.1. Setup**\n- [ ] **1.2. Subtraction**\n"
    plan = parse_plan(text, Path("PLAN.md"))
    assert [(s.id, s.status, s.todo) for s in plan.walk()] == [
        ("1", "in_progress", ()),
        ("1.1", "done", ()),
        ("1.2", "todo", ()),
    ]


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("2026-01-05", TODAY),
        ("2026/01/05", TODAY.replace("-", "/")),
        ("2026-01-05 08:00", f"{TODAY} {NOW.astimezone():%H:%M}"),
        ("January 5, 2026", f"{NOW.astimezone():%B} {NOW.astimezone().day}, 2026"),
        ("05 Jan 2026", f"{NOW.astimezone():%d %b} 2026"),
        ("January 16, 2026", f"{NOW.astimezone():%B} {NOW.astimezone().day}, 2026"),
        ("2026-01-14 18:00 UTC", f"{NOW:%Y-%m-%d %H:%M} UTC"),
        ("2026-01-14T18:00Z", f"{NOW:%Y-%m-%dT%H:%M}Z"),
        ("soon", "soon"),
    ],
)
def test_last_updated_keeps_the_files_date_format(old: str, expected: str) -> None:
    assert today_like(old, NOW) == expected


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("Phase 1 (Core)", "Phase 2 (Models)"),
        ("1", "2"),
        ("Core", "Models"),
        ("Phase 3 - API", None),  # about another phase: left alone
        ("Phase 11", None),
    ],
)
def test_the_active_phase_line_moves_to_the_next_phase(old: str, expected: str | None) -> None:
    assert active_value(old, ("1", "Core"), ("2", "Models")) == expected


def test_the_steps_setting_is_checked() -> None:
    assert config.from_table({"steps": "item"}).steps == "item"
    with pytest.raises(ConfigError, match="steps = 'items' is not one of phase, item"):
        config.from_table({"steps": "items"})


# -- parse -> tick -> parse changes one step's status only ---------------------------------------

_ROW_WORDS = ["NOT STARTED", "IN PROGRESS", "DONE", "✅", "⬜"]


@st.composite
def tracker_plans(draw: st.DrawFn) -> str:
    phases = draw(st.integers(min_value=1, max_value=4))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    parts = []
    if draw(st.booleans()):
        parts.append(f"**Active Phase**: Phase {draw(st.integers(1, phases))}")
    if draw(st.booleans()):
        parts.append("**Last Updated**: 2025-12-31")
    if draw(st.booleans()):  # a phase checklist above the table (GSD roadmaps)
        parts += ["", "## Phases", ""]
        parts += [f"- [{draw(st.sampled_from([' ', 'x']))}] Phase {n}: p{n}" for n in range(1, phases + 1)]
    parts += ["", "| Phase | Description | Status |", "|---|---|---|"]
    titles = [
        draw(st.sampled_from(["Core", "Models", "API", "Docs", "Ship"])) + f" {n}"
        for n in range(1, phases + 1)
    ]
    for n, title in enumerate(titles, 1):
        for _ in range(draw(st.integers(1, 2))):  # stale duplicate rows
            parts.append(f"| {n} | {title} | {draw(st.sampled_from(_ROW_WORDS))} |")
    for n, title in enumerate(titles, 1):
        if draw(st.integers(0, 4)) == 0:
            continue  # a phase with no section of its own
        parts += ["", f"### Phase {n}: {title}", ""]
        for k in range(draw(st.integers(0, 3))):
            parts.append(f"- [{draw(st.sampled_from([' ', 'x']))}] item {n}.{k}")
    if draw(st.booleans()):
        parts += ["", "| Checkpoint | Phase | Passed |", "|---|---|---|"]
        parts += [
            f"| check {n} | {n} | {draw(st.sampled_from(['❌', 'No', '']))} |" for n in range(1, phases + 1)
        ]
    return end.join(parts) + end


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tracker_plans(), st.data())
def test_a_tick_changes_one_steps_status_only(text: str, data: st.DataObject) -> None:
    steps_mode = data.draw(st.sampled_from(GRANULARITIES))
    before = list(parse_plan(text, PATH, steps=steps_mode).walk())
    assert len({s.id for s in before}) == len(before)
    chosen = data.draw(st.sampled_from(before))
    status = data.draw(st.sampled_from(["todo", "in_progress", "done"]))
    try:
        new = set_status(text, PATH, chosen, status, NOW, verified=data.draw(st.booleans()), steps=steps_mode)
    except PlanError as refused:
        # A tick that would not read back as asked is refused and nothing written (two lines saying one
        # step's status in ways a tick cannot move together). Any other error is a bug.
        assert "would not read back" in refused.message
        return
    after = list(parse_plan(new, PATH, steps=steps_mode).walk())
    assert [(s.id, s.title, s.line) for s in after] == [(s.id, s.title, s.line) for s in before]
    moved = {s.index for s, t in zip(before, after, strict=True) if s.status != t.status}
    # The step itself (a group through its items), and in item mode its phase (whose status is its items').
    allowed = {s.index for s in chosen.walk()} | {
        p.index for p in parse_plan(text, PATH, steps=steps_mode).steps if chosen in p.walk()
    }
    assert moved <= allowed
    # Byte for byte, only lines that show this step's status (or the roll-up's) changed.
    parsed = reading._scan(text, PATH, steps_mode)
    shown = {parsed.markers[i].line.number for i in allowed}
    shown |= {p.marker.line.number for i in allowed for p in parsed.places[i]}
    shown |= {line_of(text, span.start) for span in (*parsed.rollup.active, *parsed.rollup.updated)}
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    assert {n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b} <= shown
    if chosen.is_leaf and status != chosen.status and (status != "in_progress" or chosen.status == "todo"):
        assert after[chosen.index].status in (status, chosen.status)


REAL = Path(__file__).parent / "corpus" / "real"
REAL_EXPECTED = json.loads((REAL / "expected.json").read_text(encoding="utf-8")) if REAL.is_dir() else {}


def _markdown(name: str) -> bool:
    """Whether the Markdown reader reads the corpus file (not a Backlog.md task, a Cursor plan's
    front matter, a GSD plan's XML: their own readers tick them, tests/plan/test_real_corpus.py)."""
    from stepcommit.plan import _reader

    text = (REAL / name).read_bytes().decode("utf-8")
    return _reader(text, Path(REAL_EXPECTED[name]["path"])) == "markdown"


def _real_cases(rule: str) -> list[Any]:
    """The corpus's files the Markdown reader reads; one whose ``misses`` names ``rule`` runs as a
    strict xfail."""
    cases = []
    for name in sorted(n for n in REAL_EXPECTED if n.endswith(".md") and _markdown(n)):
        why = REAL_EXPECTED[name].get("misses", {}).get(rule)
        cases.append(pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=why)] if why else []))
    return cases


@pytest.mark.parametrize("name", _real_cases("ticking"))
def test_ticking_any_real_step_changes_only_the_lines_that_show_it(name: str) -> None:
    """The corpus's one-line rule, for a model where one step can show in several places: a tick
    changes the lines of that step's places (and a finished phase's roll-up lines), nothing else."""
    path = Path(REAL_EXPECTED[name]["path"])
    text = (REAL / name).read_bytes().decode("utf-8")
    parsed = reading._scan(text, path)
    before = list(parsed.plan.walk())
    rollup = {line_of(text, s.start) for s in (*parsed.rollup.active, *parsed.rollup.updated)}
    for leaf in (s for s in before if s.is_leaf):
        target = "todo" if leaf.status == "done" else "done"
        new = set_status(text, path, leaf, target, NOW)
        phase = next((r for r in parsed.plan.steps if leaf in r.walk()), leaf)
        around = {s.index for s in phase.walk()}
        shown = {parsed.markers[i].line.number for i in around}
        shown |= {p.marker.line.number for i in around for p in parsed.places[i]} | rollup
        old_lines, new_lines = text.splitlines(), new.splitlines()
        changed = {n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b}
        assert len(old_lines) == len(new_lines) and changed and changed <= shown, (leaf.id, changed)
        after = list(parse_plan(new, path).walk())
        assert [(s.id, s.title) for s in after] == [(s.id, s.title) for s in before]
        assert after[leaf.index].status == target, leaf.id
        moved = {s.index for s, t in zip(before, after, strict=True) if s.status != t.status}
        assert moved <= around, (leaf.id, moved)


ROW_AND_CHECKPOINT = (
    "\n| Phase | Description | Status |\n|---|---|---|\n| 1 | Core 1 | NOT STARTED |\n"
    "| 2 | Core 2 | NOT STARTED |\n\n### Phase 2: Core 2\n\n"
    "| Checkpoint | Phase | Passed |\n|---|---|---|\n| check 1 | 1 | ❌ |\n| check 2 | 2 | ❌ |\n"
)


@pytest.mark.parametrize("steps_mode", ["phase", "item"])
def test_a_section_holding_only_its_checkpoint_table_ticks_by_its_row(steps_mode: str) -> None:
    # Found by the tick property: in item mode the checkpoint rows under the section were its only
    # children, so the phase read its status from nowhere and a tick to done read back as todo.
    before = parse_plan(ROW_AND_CHECKPOINT, PATH, steps=steps_mode)  # type: ignore[arg-type]
    phase = next(s for s in before.walk() if s.id == "2")
    new = set_status(ROW_AND_CHECKPOINT, PATH, phase, "done", NOW, steps=steps_mode)  # type: ignore[arg-type]
    assert "| 2 | Core 2 | DONE        |" in new
    after = parse_plan(new, PATH, steps=steps_mode)  # type: ignore[arg-type]
    assert [(s.id, s.status) for s in after.walk()] == [("1", "todo"), ("2", "done")]


def test_a_status_column_that_grades_its_rows_lists_findings_not_steps() -> None:
    text = """\
# Test Coverage Plan

| Category | Status | Notes |
|----------|--------|-------|
| ViewModels | ⚠️ Partial | some tested |
| Models | ✅ Good | solid |
| Parsers | ✅ Good | solid |

## High Priority

- [ ] **`PlayerService+Library` unit tests** — untested
- [ ] **`RadioQueueParser` unit tests** — untested
"""
    plan = parse_plan(text, Path("COVERAGE_PLAN.md"))
    assert [s.title for s in plan.walk()] == [
        "`PlayerService+Library` unit tests",
        "`RadioQueueParser` unit tests",
    ]


def test_a_status_column_of_progress_words_still_lists_steps() -> None:
    text = "| Phase | Status |\n|---|---|\n| Core | ✅ Done |\n| API | ⚠️ Partial |\n| UI | Not started |\n"
    assert [(s.title, s.status) for s in parse_plan(text, PATH).walk()] == [
        ("Core", "done"),
        ("API", "in_progress"),
        ("UI", "todo"),
    ]


SPRINTS = """\
# Progress Tracker

## Roadmap Progress

| Sprint | Description | Status | Completion |
|--------|-------------|--------|------------|
| **Sprint 1** | Smart Contracts | ✅ Complete | 100% |
| **Sprint 2** | Workers & Advanced Features | ⏳ Planned | 0% |

## Component Status

### Workers (33%)

| Worker | Status | Progress | Notes |
|--------|--------|----------|-------|
| Sync Worker | ✅ Complete | 100% | done |
| Price Crawler | 🔴 Not Started | 0% | Go |

## Next Sprint Planning

### Sprint 2: Workers & Real-time Features

1. Price Crawler Worker
"""


def test_in_a_sprint_tracker_the_sprints_are_the_steps_not_a_components_rows() -> None:
    plan = parse_plan(SPRINTS, PATH)
    assert [(s.id, s.status) for s in plan.walk() if s.is_leaf] == [("1", "done"), ("2", "todo")]
    following = select_step(plan, None)
    assert "Workers" in following.title
    ticked = set_status(SPRINTS, PATH, following, "done", NOW)
    assert [s.status for s in parse_plan(ticked, PATH).walk() if s.is_leaf] == ["done", "done"]
    assert "| Price Crawler | 🔴 Not Started |" in ticked  # the component table is left as it is


MILESTONES = """\
# Progress

| Milestone | Status |
|---|---|
| **M0: Foundation** | COMPLETE |
| **M1: Deploy** | COMPLETE |

## M0: Foundation (COMPLETE)

- [x] Monorepo
- [x] CI

## M1: Deploy (COMPLETE)

- [x] Production deploy

### Remaining (Post-Deploy)

- [ ] Onboard publishers
- [ ] Load test
"""


def test_a_milestone_row_named_like_its_section_joins_it() -> None:
    # rfp-hub: `| **M0: Foundation** |` has its id as the `## M0: Foundation` heading has it.
    plan = parse_plan(MILESTONES.split("### Remaining")[0], Path("PROGRESS.md"))
    assert [(s.id, s.title, s.status, s.todo) for s in plan.walk()] == [
        ("M0", "Foundation", "done", ("Monorepo", "CI")),
        ("M1", "Deploy", "done", ("Production deploy",)),
    ]


def test_leftover_work_after_a_finished_phase_stays_steps() -> None:
    # The row says M1 is complete; the boxes of its `### Remaining (Post-Deploy)` subsection are work
    # after it, each a step (ticked or not, so a tick moves no step), and the first is next.
    plan = parse_plan(MILESTONES, Path("PROGRESS.md"))
    m1 = select_step(plan, "M1")
    assert [(s.title, s.status) for s in m1.children] == [
        ("Onboard publishers", "todo"),
        ("Load test", "todo"),
    ]
    assert m1.todo == ("Production deploy",)
    assert next_open_step(plan).title == "Onboard publishers"
    ticked = set_status(MILESTONES, Path("PROGRESS.md"), m1.children[0], "done", NOW)
    assert [line for line in ticked.splitlines() if "Onboard" in line] == ["- [x] Onboard publishers"]
    again = select_step(parse_plan(ticked, Path("PROGRESS.md")), "M1")
    assert [(s.title, s.status) for s in again.children] == [
        ("Onboard publishers", "done"),
        ("Load test", "todo"),
    ]
    # Where the row does not call the phase done, its boxes are its to-do list, as before.
    open_row = MILESTONES.replace("| **M1: Deploy** | COMPLETE |", "| **M1: Deploy** | IN PROGRESS |")
    m1_open = select_step(parse_plan(open_row, Path("PROGRESS.md")), "M1")
    assert not m1_open.children and m1_open.todo == ("Production deploy", "Onboard publishers", "Load test")


VERSIONS = """\
# Roadmap

## Current state

| Capability | Version | Status |
|---|---|---|
| Expand CLI | v0.1.1 | ✅ Shipped |
| Streaming output | v0.1.2 | ✅ Shipped |

## v0.1 — Basics (shipped)

- [x] Expand CLI
- [x] Streaming output

## v0.2 — Next

- [ ] `tool --version`
- [ ] Release workflow
"""


@pytest.mark.parametrize("header", ["Version", "版本对应", "Milestone"])
def test_a_version_table_over_version_sections_restates_them(header: str) -> None:
    # jianwu: a status table naming each row's version, all shipped, over version sections whose boxes
    # are the work: the table restates the plan at another grain, its rows are no steps of their own.
    text = VERSIONS.replace("| Capability | Version | Status |", f"| Capability | {header} | Status |")
    steps = [(s.title, s.status) for s in parse_plan(text, Path("ROADMAP.md")).walk() if s.is_leaf]
    assert steps == [
        ("Expand CLI", "done"), ("Streaming output", "done"), ("`tool --version`", "todo"), ("Release workflow", "todo"),
    ]  # fmt: skip
    # A table with no such column keeps its rows as steps, as before.
    plain = VERSIONS.replace("| Capability | Version | Status |", "| Capability | Notes | Status |")
    assert len([s for s in parse_plan(plain, Path("ROADMAP.md")).walk() if s.is_leaf]) == 6


def test_a_done_status_table_without_ids_in_a_checklist_plan_is_an_inventory() -> None:
    # FishUI's TODO.md (round 17): `## Current Controls (Implemented)` lists what was built.
    text = (
        "# TODO\n\n## Current Controls (Implemented)\n\n| Control | Status | Theme |\n|---|---|---|\n"
        "| Button | ✅ Complete | ✅ Atlas |\n| CheckBox | ✅ Complete | ✅ Atlas |\n| Slider | ✅ Complete | - |\n\n"
        "## Phase 7: Editors\n\n- [x] 7.0 Grid\n- [ ] 7.1 PropertyGrid collections\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.status) for s in plan.walk()] == [("7", "in_progress"), ("7.0", "done"), ("7.1", "todo")]
    # Ticking the last open box does not bring the rows back as steps.
    done = set_status(text, PATH, plan.steps[0].children[1], "done", NOW)
    assert [(s.id, s.status) for s in parse_plan(done, PATH).walk()] == [
        ("7", "done"),
        ("7.0", "done"),
        ("7.1", "done"),
    ]
    # A table with an open row, or ids of its own, stays steps.
    open_row = text.replace("| Slider | ✅ Complete | - |", "| Slider | Planned | - |")
    assert "Slider" in [s.title for s in parse_plan(open_row, PATH).walk()]
