"""`find_plan`: the configured path, the usual names, then each tool's own place, in a documented order."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.errors import PlanError
from stepcommit.plan import find_plan, load_plan, next_open_step
from tests.conftest import write

CURSOR_OPEN = "---\nname: A\ntodos:\n  - id: a\n    content: Do a\n    status: pending\n---\n"
CURSOR_BEGUN = (
    "---\nname: B\ntodos:\n  - id: b1\n    content: Did b1\n    status: completed\n"
    "  - id: b2\n    content: Do b2\n    status: pending\n---\n"
)
CURSOR_DONE = "---\ntodos:\n  - id: c\n    content: Did c\n    status: completed\n---\n"

# GSD's roadmap as its template lays it out: the phase checklist, phase details with their plans,
# and the progress table.
GSD_ROADMAP = """\
# Roadmap: Ledger Sync

## Overview

From a local prototype to a synced multi-device ledger.

## Phases

- [x] **Phase 1: Storage Foundation** - SQLite schema and migrations
- [ ] **Phase 2: Sync Engine** - Push/pull with conflict handling
- [ ] **Phase 3: Device Pairing** - QR pairing and key exchange

## Phase Details

### Phase 1: Storage Foundation
**Goal**: The ledger persists locally
**Depends on**: Nothing (first phase)
**Plans**: 2 plans

Plans:
- [x] 01-01: Schema and migration runner
- [x] 01-02: Repository layer

### Phase 2: Sync Engine
**Goal**: Two devices converge
**Depends on**: Phase 1
**Plans**: 2 plans

Plans:
- [ ] 02-01: Change log and vector clocks
- [ ] 02-02: Conflict resolution

## Progress

| Phase | Plans Complete | Status | Completed |
|-------|----------------|--------|-----------|
| 1. Storage Foundation | 2/2 | Complete | 2026-01-10 |
| 2. Sync Engine | 0/2 | Not started | - |
"""

OPENSPEC_TASKS = "## 1. Implementation\n- [x] 1.1 Add the schema\n- [ ] 1.2 Wire the endpoint\n"


def test_nothing_found_lists_every_place(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as caught:
        find_plan(tmp_path)
    for place in (
        "PLAN.md",
        ".taskmaster/tasks/tasks.json",
        "specs/*/tasks.md",
        ".cursor/plans/*.plan.md",
        "openspec/changes/*/tasks.md",
        ".planning/ROADMAP.md",
        "docs/superpowers/plans/*.md",
        "docs/plans/*.md",
        "backlog/tasks/*.md",
    ):
        assert place in str(caught.value)


def test_the_search_order(tmp_path: Path) -> None:
    """Each place is found, and each earlier place wins over the later ones."""
    layers = [
        ("backlog/tasks/task-1 - Init.md", "---\nid: task-1\ntitle: Init\nstatus: To Do\n---\n"),
        ("docs/plans/2026-01-02-search.md", "- [ ] **Step 1: Write the failing test**\n"),
        ("docs/superpowers/plans/2026-01-05-auth.md", "### Task 1: Login\n- [ ] **Step 1: Test**\n"),
        (".planning/ROADMAP.md", GSD_ROADMAP),
        ("openspec/changes/add-export/tasks.md", OPENSPEC_TASKS),
        (".cursor/plans/launcher_1a2b.plan.md", CURSOR_OPEN),
        ("specs/001-auth/tasks.md", "- [ ] T001 Do\n"),
        ("tasks/tasks.json", '{"tasks": []}'),
        ("docs/TODO.md", "- [ ] 1. x\n"),
        ("PLAN.md", "- [ ] 1. x\n"),
    ]
    for name, text in layers:
        write(tmp_path, {name: text})
        expected = tmp_path / name
        assert find_plan(tmp_path) == (expected.parent if name.startswith("backlog/") else expected), name
    assert find_plan(tmp_path, ".planning/ROADMAP.md") == tmp_path / ".planning" / "ROADMAP.md"


def test_of_several_the_one_in_progress(tmp_path: Path) -> None:
    plans = tmp_path / ".cursor" / "plans"
    write(tmp_path, {".cursor/plans/c_done.plan.md": CURSOR_DONE})
    assert find_plan(tmp_path) == plans / "c_done.plan.md"  # the only one: shown, even if all done
    write(
        tmp_path, {".cursor/plans/b_begun.plan.md": CURSOR_BEGUN, ".cursor/plans/a_open.plan.md": CURSOR_OPEN}
    )
    assert find_plan(tmp_path) == plans / "b_begun.plan.md"
    (plans / "b_begun.plan.md").unlink()
    assert find_plan(tmp_path) == plans / "a_open.plan.md"
    # Not a plan-mode file (no .plan.md): not looked at.
    write(tmp_path, {".cursor/plans/README.md": "# Cursor plans\n- [ ] x\n"})
    assert find_plan(tmp_path) == plans / "a_open.plan.md"


def test_openspec_takes_the_change_in_progress_never_the_archive(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "openspec/changes/archive/2025-12-01-old/tasks.md": "- [ ] 1.1 Old\n",
            "openspec/changes/add-auth/tasks.md": "## 1. Auth\n- [x] 1.1 Done\n",
            "openspec/changes/add-search/tasks.md": "## 1. Search\n- [ ] 1.1 Index\n",
            "openspec/changes/add-export/tasks.md": OPENSPEC_TASKS,
        },
    )
    found = find_plan(tmp_path)
    assert found == tmp_path / "openspec/changes/add-export/tasks.md"
    step = next_open_step(load_plan(found))
    assert step is not None and (step.id, step.title) == ("1.2", "Wire the endpoint")
    (found).unlink()
    assert find_plan(tmp_path) == tmp_path / "openspec/changes/add-search/tasks.md"


def test_superpowers_newest_dated_plan_with_open_steps(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "docs/superpowers/plans/2026-01-05-auth.md": "### Task 1: Login\n- [ ] **Step 1: Test**\n",
            "docs/superpowers/plans/2026-02-11-export.md": "### Task 1: CSV\n- [ ] **Step 1: Test**\n",
            "docs/superpowers/plans/2025-12-30-setup.md": "### Task 1: Repo\n- [x] **Step 1: Init**\n",
        },
    )
    assert find_plan(tmp_path) == tmp_path / "docs/superpowers/plans/2026-02-11-export.md"


def test_gsd_roadmap_next_is_the_first_open_phase(tmp_path: Path) -> None:
    write(tmp_path, {".planning/ROADMAP.md": GSD_ROADMAP, ".planning/STATE.md": "# State\n"})
    found = find_plan(tmp_path)
    assert found == tmp_path / ".planning" / "ROADMAP.md"
    step = next_open_step(load_plan(found))
    assert step is not None and "Sync Engine" in step.title


def test_a_configured_folder_must_hold_backlog_tasks(tmp_path: Path) -> None:
    write(tmp_path, {"backlog/tasks/readme.md": "# Tasks\n"})
    with pytest.raises(PlanError, match="folder without Backlog.md task files"):
        find_plan(tmp_path, "backlog")
    with pytest.raises(PlanError, match="No plan file"):
        find_plan(tmp_path)  # an empty backlog is no plan
    write(tmp_path, {"backlog/tasks/task-1 - A.md": "---\nid: task-1\ntitle: A\nstatus: To Do\n---\n"})
    assert find_plan(tmp_path, "backlog/tasks") == tmp_path / "backlog" / "tasks"
    assert find_plan(tmp_path) == tmp_path / "backlog" / "tasks"


def test_a_change_archive_is_never_the_plan(tmp_path: Path) -> None:
    write(tmp_path, {"openspec/changes/archive/tasks.md": "- [ ] 1.1 Old\n"})
    with pytest.raises(PlanError, match="No plan file"):
        find_plan(tmp_path)
