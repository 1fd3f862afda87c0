"""`stepcommit plan`: outside a repository, plans without steps, --parallel with nothing to start, and `mark`'s no-ops."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.commands.plan import mark, plan
from stepcommit.errors import PlanError
from tests.conftest import PLAN, write

DONE = "# Plan\n\n### Phase 1: Calculator\n\n- [x] **1.1. Setup**\n- [x] **1.2. Subtraction**\n"


def test_a_plan_outside_any_repository_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"PLAN.md": PLAN})
    assert plan(cwd=tmp_path) == 0
    out = capsys.readouterr().out
    assert out.startswith("PLAN.md (") and ": 1 of 3 steps done" in out
    assert "Next: 1.2 Subtraction" in out
    assert plan(cwd=tmp_path, parallel=True) == 0
    assert "ready   1.2  Subtraction  (`stepcommit start --worktree 1.2`)" in capsys.readouterr().out


def test_a_plan_named_outside_the_repository_is_shown_by_its_path(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere" / "TODO.md"
    write(outside.parent, {"TODO.md": PLAN})
    assert plan(cwd=project, plan_path=str(outside)) == 0
    assert capsys.readouterr().out.startswith(f"{outside} (")


def test_a_plan_without_steps_says_what_steps_look_like(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"PLAN.md": "# Plan\n\nNothing yet.\n"})
    assert plan(cwd=project) == 0
    out = capsys.readouterr().out
    assert ": 0 of 0 steps done" in out and "No steps found. Steps look like `- [ ] **1.1. Title**`" in out


def test_parallel_with_every_step_done_has_nothing_to_start(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"PLAN.md": DONE})
    assert plan(cwd=project, parallel=True) == 0
    assert capsys.readouterr().out.strip() == "No step can start now beside the active ones."


def test_parallel_with_one_open_step_offers_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"PLAN.md": DONE + "- [ ] **1.3. Multiplication**\n"})
    assert plan(cwd=project, parallel=True) == 0
    assert (
        capsys.readouterr().out.strip() == "ready   1.3  Multiplication  (`stepcommit start --worktree 1.3`)"
    )


def test_mark_refuses_an_unknown_status_and_leaves_a_step_already_there_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (project / "PLAN.md").read_text()
    with pytest.raises(PlanError, match=r"Unknown status 'finished'\.") as caught:
        mark(cwd=project, step_query="1.2", status="finished")
    assert "todo, in_progress or done" in caught.value.hint
    assert mark(cwd=project, step_query="1.1", status="done") == 0
    assert (
        capsys.readouterr().out.strip()
        == "Step 1.1 (Project Structure Setup) is already done; PLAN.md unchanged."
    )
    assert (project / "PLAN.md").read_text() == before
