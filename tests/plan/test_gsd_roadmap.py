"""A GSD roadmap read as a person reads it: milestones group phases, phases are the steps (round 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path(".planning/ROADMAP.md")
NOW = datetime(2026, 3, 9, 14, 5, tzinfo=UTC)

MILESTONES = """\
# Roadmap

### Milestone 1: MVP (In Progress)

- [x] **Phase 1: Foundation** - scaffolding
- [x] **Phase 1.1: Hotfix** - an inserted phase (INSERTED)
- [ ] **Phase 2: Sync** - sync

### Milestone 2: Suite (Planned)

- [ ] **Phase 3: Billing** - billing

## Phase Details

### Phase 1: Foundation

**Goal**: scaffold

### Phase 1.1: Hotfix (INSERTED)

**Goal**: fix

### Phase 2: Sync

**Goal**: sync

## Progress

| Phase | Milestone | Plans Complete | Status | Completed |
| ----- | --------- | -------------- | ------ | --------- |
| 1. Foundation | M1 | 1/1 | Complete | 2026-01-20 |
| 1.1 Hotfix | M1 | 1/1 | Complete | 2026-01-21 |
| 2. Sync | M1 | 0/2 | Not started | - |
| 3. Billing | M2 | 0/1 | Not started | - |
"""


def test_a_milestone_heading_over_phase_boxes_groups_them_and_each_phase_is_one_step() -> None:
    plan = parse_plan(MILESTONES, PATH)
    leaves = [(s.id, s.title, s.status) for s in plan.walk() if s.is_leaf]
    assert leaves == [
        ("1", "Foundation", "done"),
        ("1.1", "Hotfix (INSERTED)", "done"),  # the section heading names the phase
        ("2", "Sync", "todo"),
        ("3", "Billing", "todo"),
    ]
    assert all(s.is_leaf for s in plan.walk())  # no milestone step, no phase 1 over phase 1.1
    following = next_open_step(plan)
    assert following is not None and following.title == "Sync"


def test_ticking_a_phase_under_a_milestone_reads_back() -> None:
    plan = parse_plan(MILESTONES, PATH)
    sync = next(s for s in plan.walk() if s.title == "Sync")
    after = parse_plan(set_status(MILESTONES, PATH, sync, "done", NOW), PATH)
    assert next(s for s in after.walk() if s.title == "Sync").status == "done"


def test_a_progress_row_names_its_phase_by_the_phase_cell_not_the_milestone_column() -> None:
    text = """\
# Roadmap

## Progress

| Phase | Milestone | Plans Complete | Status | Completed |
|-------|-----------|----------------|--------|-----------|
| 4.1 API Service Testing | M1 | 3/3 | Complete | 2026-01-21 |
| 5. Folder System | M1 | 0/4 | Not started | - |
"""
    rows = [(s.id, s.title, s.status) for s in parse_plan(text, PATH).walk()]
    assert rows == [("4.1", "API Service Testing", "done"), ("5", "Folder System", "todo")]


def test_a_milestone_box_that_spans_phases_is_no_step() -> None:
    text = """\
# Roadmap

## Milestones

- [ ] **v4.3 Graph** - Phases 171-172 (active)
- [x] **v4.2 JSON** - Phase 170 (shipped 2026-06-22)

## Phases

### Phase 171: Graph Foundation

Plans:

- [x] 171-01-PLAN.md — config

### Phase 172: Read Surfaces

Plans:

- [x] 172-01-PLAN.md — reads

## Progress

| Phase | Milestone | Plans Complete | Status | Completed |
|-------|-----------|----------------|--------|-----------|
| 172. Read Surfaces | v4.3 | 1/1 | Complete | 2026-06-24 |
| 171. Graph Foundation | v4.3 | 1/1 | Complete | 2026-06-23 |
| 170. JSON Validation | v4.2 | 4/4 | Complete | 2026-06-22 |
"""
    plan = parse_plan(text, PATH)
    titles = [s.title for s in plan.walk() if s.is_leaf]
    assert "v4.3 Graph" not in titles and "v4.2 JSON" not in titles
    assert next_open_step(plan) is None  # every phase is complete: nothing is left to start


def test_a_task_box_numbered_in_a_task_box_still_nests_under_it() -> None:
    text = "# Tasks\n\n- [ ] Task 1: Build\n- [ ] Task 1.1: Scaffold\n- [ ] Task 1.2: Wire\n"
    plan = parse_plan(text, Path("TODO.md"))
    assert [(s.title, [c.title for c in s.children]) for s in plan.steps] == [("Build", ["Scaffold", "Wire"])]


def test_an_inserted_phase_row_is_open_work() -> None:
    # ebind (round 15): GSD writes `Inserted` in the Status cell of a phase added after planning; the
    # phase is not started, and start begins it. In a title or heading the word names no status.
    text = (
        "# Roadmap\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n"
        "|-------|-----------|---------------|--------|-----------|\n"
        "| 1. State Machine | v1.0 | 1/1 | Complete | 2026-06-03 |\n"
        "| 2. PR Review Fixes | v1.0 | 0/0 | Inserted | — |\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.status) for s in plan.walk()] == [("1", "done"), ("2", "todo")]
    following = next_open_step(plan)
    assert following is not None and following.id == "2"
    done = set_status(text, PATH, following, "done", NOW)
    assert "| 2. PR Review Fixes | v1.0 | 0/0 | Complete | — |" in done.splitlines()
    heading = "# Roadmap\n\n### Phase 1.1: Hotfix (INSERTED)\n\n- [ ] Patch it\n"
    assert [s.title for s in parse_plan(heading, PATH).walk()] == ["Hotfix (INSERTED)", "Patch it"]


def test_the_execution_order_line_orders_the_phases() -> None:
    # cipher-box (round 8): GSD's `**Execution Order:**` line says which phase comes next; a phase it
    # leaves out (to run in parallel) comes after the ones it lists.
    text = (
        "# Roadmap\n\n## Phases\n\n- [x] **Phase 10: Export** - vault export\n"
        "- [ ] **Phase 11: Desktop** - can run in parallel\n- [x] **Phase 12: Identity** - Core Kit\n"
        "- [ ] **Phase 14: Sharing** - links\n- [ ] **Phase 13: Versioning** - history\n\n"
        "## Progress\n\n**Execution Order:**\n\nSequential order: 12 -> 13 -> 14\n"
    )
    plan = parse_plan(text, PATH)
    order = []
    while (following := next_open_step(plan)) is not None:
        order.append(following.id)
        text = set_status(text, PATH, following, "done", NOW)
        plan = parse_plan(text, PATH)
    assert order == ["13", "14", "11"]


def test_an_order_in_a_spec_kit_section_is_not_read_as_gsd_s() -> None:
    # Only GSD's `**Execution Order:**` label orders phases: a heading that names an order does not.
    text = (
        "# Tasks\n\n## Phase 1: Setup\n\n- [ ] T001 Init\n\n## Phase 3: Story\n\n- [ ] T002 Build\n\n"
        "## Dependencies & Execution Order\n\n3 -> 4 can run once the story is ready\n"
    )
    following = next_open_step(parse_plan(text, Path("specs/001-x/tasks.md")))
    assert following is not None and following.id == "T001"


def test_a_requirement_row_naming_a_phase_does_not_rename_it() -> None:
    # anya-ra (round 18): `| LLM-MULTI-01 | Multi-Provider LLM | Phase 9 | Planned |` traces a
    # requirement to Phase 9; the phase keeps the name its heading gives it.
    text = (
        "# Roadmap\n\n## Phases\n\n- [x] **Phase 8: Guardrails** - done\n"
        "- [ ] **Phase 9: Conservative Inline Suggestions** - next\n\n### Phase 9: Conservative Inline Suggestions\n\n"
        "Plans:\n- [ ] 09-01: suggest\n\n## Requirement Traceability\n\n| REQ-ID | Category | Phase | Status |\n"
        "|---|---|---|---|\n| LLM-MULTI-01 | Multi-Provider LLM | Phase 9 | Planned |\n"
    )
    following = next_open_step(parse_plan(text, PATH))
    assert following is not None and (following.id, following.title) == (
        "9",
        "Conservative Inline Suggestions",
    )


ABANDONED = """\
# Roadmap

## Phases

- [x] **Phase 1: Foundation** - scaffolding
- [ ] ~~**Phase 2: Graph DSL**~~ - ABANDONED - overly complex approach
- [x] **Phase 3: Simplify the board** - text openings (INSERTED)
- [ ] **Phase 4: Seed Data** - seed the database

## Phase Details

### Phase 1: Foundation

**Goal**: scaffold

### Phase 2: Graph DSL (ABANDONED)

**Status**: ABANDONED - replaced by Phase 3.

### Phase 3: Simplify the board

**Goal**: simplify

### Phase 4: Seed Data

**Goal**: seed

## Progress

| Phase                 | Plans Complete | Status    | Completed  |
| --------------------- | -------------- | --------- | ---------- |
| 1. Foundation         | 2/2            | Complete  | 2026-01-25 |
| ~~2. Graph DSL~~      | 6/10           | Abandoned | -          |
| 3. Simplify the board | 3/3            | Complete  | 2026-01-28 |
| 4. Seed Data          | 0/TBD          | On Hold   | -          |
"""


def test_a_struck_phase_is_one_dropped_step_and_an_on_hold_row_pauses_its_phase() -> None:
    # round 18, the-dahan-codex: the struck box was a second step 2, the `0/TBD` count became phase 4's
    # title, and On Hold did not reach the phase its row joins.
    plan = parse_plan(ABANDONED, PATH)
    assert [(s.id, s.title, s.status, s.deferred) for s in plan.walk()] == [
        ("1", "Foundation", "done", False),
        ("2", "Graph DSL", "skipped", False),
        ("3", "Simplify the board", "done", False),
        ("4", "Seed Data", "todo", True),
    ]
    assert next_open_step(plan) is None
