"""The plan package's entry points: finding the file, choosing a step, finding it again after edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.errors import PlanError
from stepcommit.plan import Plan, Step, find_plan, load_plan, mark_step, next_open_step, select_step

PLAN = """\
# Plan

## Phase 1: Setup

- [x] **1.1. Project Structure Setup**
- [ ] **1.2. Subtraction**
- [ ] **1.3. Multiplication**
- [ ] Write the changelog
- [ ] Write the changelog
"""


def _saved(step: Step) -> Step:
    """The step as `finish` rebuilds it from saved state: no children, status in progress."""
    return Step(step.id, step.title, "in_progress", step.line, step.index)


def test_finish_ticks_the_started_step_after_the_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text(PLAN)
    started = select_step(load_plan(path), "1.3")
    saved = _saved(started)
    # Meanwhile: a step added above, another renumbered.
    path.write_text(
        PLAN.replace("- [ ] **1.2. Subtraction**", "- [ ] **1.2. Subtraction**\n- [ ] **1.2b. Division**")
    )
    marked = mark_step(path, saved, "done")
    assert marked.id == "1.3" and marked.status == "done"
    assert "- [x] **1.3. Multiplication**" in path.read_text()
    assert path.read_text().count("[x]") == 2


def test_a_renumbered_step_is_found_by_title(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text(PLAN)
    saved = _saved(select_step(load_plan(path), "1.3"))
    path.write_text(PLAN.replace("1.3. Multiplication", "1.4. Multiplication"))
    assert mark_step(path, saved, "done").id == "1.4"


def test_a_retitled_step_is_found_by_its_own_id(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text(PLAN)
    saved = _saved(select_step(load_plan(path), "1.3"))
    path.write_text(PLAN.replace("Multiplication", "Multiplication and powers"))
    assert mark_step(path, saved, "done").title == "Multiplication and powers"


def test_a_vanished_step_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text(PLAN)
    saved = _saved(select_step(load_plan(path), "1.3"))
    edited = PLAN.replace("- [ ] **1.3. Multiplication**\n", "")
    path.write_text(edited)
    with pytest.raises(PlanError, match="no longer"):
        mark_step(path, saved, "done")
    assert path.read_text() == edited


def test_duplicate_titles_are_addressed_by_place(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text(PLAN)
    plan = load_plan(path)
    with pytest.raises(PlanError, match="several steps"):
        select_step(plan, "Write the changelog")
    second = select_step(plan, "#6")
    assert second.line == 9
    mark_step(path, second, "done")
    assert path.read_text().endswith("- [ ] Write the changelog\n- [x] Write the changelog\n")
    with pytest.raises(PlanError, match="no step #99"):
        select_step(plan, "#99")


def test_repeated_ids_are_made_unique_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text("- [ ] 1.1 One\n- [ ] 1.1 Again\n")
    plan = load_plan(path)
    assert [(s.id, s.title) for s in plan.walk()] == [("1.1", "One"), ("1.1-2", "Again")]
    assert select_step(plan, "1.1-2").title == "Again"


def test_duplicate_ids_name_their_places() -> None:
    # A plan read some other way may still repeat an id: the refusal names each place.
    steps = (Step("1.1", "One", "todo", 1, 0), Step("1.1", "Again", "todo", 2, 1))
    with pytest.raises(PlanError, match="#1 at line 1, #2 at line 2"):
        select_step(Plan(Path("PLAN.md"), "markdown", steps), "1.1")


def test_optional_steps_are_passed_over(tmp_path: Path) -> None:
    path = tmp_path / "tasks.md"
    path.write_text("- [ ]* 1. Optional\n- [ ] 2. Needed\n")
    step = next_open_step(load_plan(path))
    assert step is not None and step.id == "2"


def test_all_done_says_so(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text("- [x] 1.1 One\n")
    with pytest.raises(PlanError, match="Every step"):
        select_step(load_plan(path), None)


def test_skipped_needs_a_mark_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_text("- [ ] 1.1 One\n")
    with pytest.raises(PlanError, match="skipped"):
        mark_step(path, select_step(load_plan(path), "1.1"), "skipped")
    path.write_text("- [~] 1.1 One\n- [ ] 1.2 Two\n")
    mark_step(path, select_step(load_plan(path), "1.2"), "skipped")
    assert path.read_text() == "- [~] 1.1 One\n- [~] 1.2 Two\n"


def test_unreadable_files_are_plan_errors(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    path.write_bytes(b"- [ ] caf\xe9\n")
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(path)
    with pytest.raises(PlanError, match="Cannot read"):
        load_plan(tmp_path / "missing.md")


def test_find_plan_looks_in_the_tools_own_places(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="No plan file"):
        find_plan(tmp_path)
    specs = tmp_path / "specs"
    for name in ("001-auth", "002-search"):
        (specs / name).mkdir(parents=True)
        (specs / name / "tasks.md").write_text("- [ ] T001 Do\n")
    assert find_plan(tmp_path) == specs / "002-search" / "tasks.md"
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "tasks.json").write_text('{"tasks": []}')
    assert find_plan(tmp_path) == tmp_path / "tasks" / "tasks.json"
    (tmp_path / ".taskmaster" / "tasks").mkdir(parents=True)
    (tmp_path / ".taskmaster" / "tasks" / "tasks.json").write_text('{"master": {"tasks": []}}')
    assert find_plan(tmp_path) == tmp_path / ".taskmaster" / "tasks" / "tasks.json"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "PLAN.md").write_text("- [ ] 1 x\n")
    assert find_plan(tmp_path) == tmp_path / "docs" / "PLAN.md"
    assert find_plan(tmp_path, "tasks/tasks.json") == tmp_path / "tasks" / "tasks.json"
    with pytest.raises(PlanError, match="does not exist"):
        find_plan(tmp_path, "NOPE.md")


def test_a_big_plan_reads_whole_and_marks_one_byte(tmp_path: Path) -> None:
    """The shape of benchmarks/plan_read.py (its timing lives there, not in a test)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from plan_read import big_plan

    path = tmp_path / "PLAN.md"
    text = big_plan(0.1)
    path.write_text(text, encoding="utf-8")
    loaded = load_plan(path)
    leaves = [s for top in loaded.steps for s in top.walk() if s.is_leaf]
    assert len(leaves) == text.count("- [ ] **") and leaves[-1].title == f"Step number {len(leaves)}"
    assert [s.id for s in leaves[:3]] == ["1", "2", "3"] and len({s.id for s in leaves}) == len(leaves)
    last = leaves[-1]
    mark_step(path, last, "done")
    after = path.read_text(encoding="utf-8")
    assert len(after) == len(text) and sum(a != b for a, b in zip(after, text, strict=True)) == 1
