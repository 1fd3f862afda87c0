"""`stepcommit start` refusals a user can meet, each before any change, and the worktree's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.commands.start import branch_name, plan_in_repository, start
from stepcommit.errors import PlanError, RepositoryStateError, StepStateError
from stepcommit.plan import load_plan, select_step
from tests.conftest import PLAN, commit_all, git, write

BRANCH = "step/1.2-subtraction"


def _state(repo: Path) -> tuple[str, str, str]:
    """Branch, HEAD and status: what a refusal must leave as it was."""
    return (git(repo, "branch", "--show-current"), git(repo, "rev-parse", "HEAD"),
            git(repo, "status", "--porcelain", "--untracked-files=all"))  # fmt: skip


def test_a_pattern_giving_an_invalid_branch_name_falls_back_to_the_step_id(project: Path) -> None:
    step = select_step(load_plan(project / "PLAN.md"), "1.2")
    assert branch_name(project, "{slug}", step) == "subtraction"
    assert branch_name(project, "feat:{id}?", step) == "step/1.2"


def test_a_plan_reached_through_a_link_to_the_repository_is_inside_it(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-repo"
    link.symlink_to(project)
    assert plan_in_repository(project, link / "PLAN.md") == "PLAN.md"
    (tmp_path / "outside.md").write_text(PLAN)
    with pytest.raises(PlanError, match="is outside the repository"):
        plan_in_repository(project, tmp_path / "outside.md")


def test_being_on_the_step_s_branch_with_no_step_active_is_refused(project: Path) -> None:
    git(project, "switch", "-q", "-c", BRANCH)
    before = _state(project)
    with pytest.raises(
        RepositoryStateError, match=f"already on {BRANCH}, the branch of step 1.2, but no step"
    ):
        start(cwd=project, query="1.2")
    assert _state(project) == before


def test_a_configured_base_branch_that_does_not_exist_is_refused(project: Path) -> None:
    write(project, {"pyproject.toml": '[tool.stepcommit]\nbase = "develop"\n'})
    before = _state(project)
    with pytest.raises(RepositoryStateError, match="The base branch 'develop' does not exist."):
        start(cwd=project, query="1.2")
    assert _state(project) == before


def test_resuming_a_branch_with_uncommitted_changes_here_is_refused(project: Path) -> None:
    git(project, "branch", BRANCH)  # the step's branch holds earlier work
    write(project, {"notes.txt": "unsaved\n"})
    before = _state(project)
    with pytest.raises(RepositoryStateError, match=f"Branch {BRANCH} already holds work of step 1.2"):
        start(cwd=project, query="1.2")
    assert _state(project) == before and (project / "notes.txt").read_text() == "unsaved\n"


def test_worktree_start_prints_where_and_refuses_the_step_active_here_and_a_taken_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert start(cwd=project, query="1.2", worktree=True) == 0
    out = capsys.readouterr().out
    tree = project.parent / "repo-step-1.2"
    assert out.splitlines() == [
        "Started step 1.2: Subtraction",
        f"Worktree {tree} on branch {BRANCH} (base main at {git(project, 'rev-parse', 'main')[:10]}).",
        f'Next: `cd {tree}`, work, `stepcommit log "..."`, then `stepcommit finish` there.',
    ]
    # Step 1.3 in a worktree: its folder is already taken by something else.
    (project.parent / "repo-step-1.3").mkdir()
    with pytest.raises(
        RepositoryStateError, match="repo-step-1.3 already exists, so the worktree of step 1.3"
    ):
        start(cwd=project, query="1.3", worktree=True)
    assert git(project, "branch", "--list", "step/1.3*") == ""


def test_worktree_start_of_the_step_active_here_is_refused(project: Path) -> None:
    assert start(cwd=project, query="1.2") == 0
    with pytest.raises(StepStateError, match=r"Step 1.2 \(Subtraction\) is already active here, on branch "):
        start(cwd=project, query="1.2", worktree=True)


def test_worktree_start_needs_a_base_and_the_plan_committed_on_it(project: Path) -> None:
    write(project, {"pyproject.toml": '[tool.stepcommit]\nbase = "develop"\n'})
    with pytest.raises(RepositoryStateError, match="The base branch develop does not exist."):
        start(cwd=project, query="1.2", worktree=True)
    write(project, {"pyproject.toml": "", "TODO.md": PLAN})
    commit_all(project, "chore: config")
    write(project, {"TODO.md": PLAN.replace("Multiplication", "Multiplication\n- [ ] **1.4. Division**")})
    with pytest.raises(PlanError, match="Step 1.4 is not in the plan TODO.md as committed on main"):
        start(cwd=project, query="1.4", plan_path="TODO.md", worktree=True)
    git(project, "rm", "-q", "--cached", "TODO.md")
    git(project, "commit", "-q", "-m", "chore: untrack the plan")  # the file stays, untracked
    with pytest.raises(PlanError, match="Step 1.2 is not in the plan TODO.md as committed on main"):
        start(cwd=project, query="1.2", plan_path="TODO.md", worktree=True)
    assert not (project.parent / "repo-step-1.2").exists()
