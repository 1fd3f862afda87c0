from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.start import branch_name, slugify, start
from stepcommit.errors import PlanError, RepositoryStateError, StepStateError
from stepcommit.plan import Step
from tests.conftest import commit_all, git, write


def test_start_takes_the_next_open_step(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert start(cwd=project, query=None) == 0
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
    active = state.load_active(project / ".git")
    assert active is not None
    assert (active.id, active.title, active.base_branch, active.plan) == (
        "1.2",
        "Subtraction",
        "main",
        "PLAN.md",
    )
    assert active.base_commit == git(project, "rev-parse", "main").strip()
    assert "Started step 1.2: Subtraction" in capsys.readouterr().out


def test_start_by_id_and_by_title_words(project: Path) -> None:
    start(cwd=project, query="1.3")
    assert git(project, "branch", "--show-current").strip() == "step/1.3-multiplication"
    git(project, "switch", "-q", "main")
    state.clear_active(project / ".git")
    start(cwd=project, query="subtraction")
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"


def test_uncommitted_changes_come_along_and_it_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"notes.txt": "wip\n"})
    start(cwd=project, query=None, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["carried"] == ["notes.txt"]
    assert (project / "notes.txt").read_text() == "wip\n"


def test_a_second_start_is_refused_while_a_step_is_active(project: Path) -> None:
    start(cwd=project, query=None)
    with pytest.raises(StepStateError, match=r"Step 1\.2 \(Subtraction\) is already active"):
        start(cwd=project, query="1.3")


def test_a_done_step_is_refused(project: Path) -> None:
    with pytest.raises(PlanError, match="already done"):
        start(cwd=project, query="1.1")


def test_no_open_step(project: Path) -> None:
    write(project, {"PLAN.md": "- [x] **1.1. Done**\n- [X] **1.2. Also done**\n"})
    commit_all(project)
    with pytest.raises(PlanError, match="no open step"):
        start(cwd=project, query=None)


def test_missing_plan(project: Path) -> None:
    git(project, "rm", "-q", "PLAN.md")
    commit_all(project)
    with pytest.raises(PlanError, match="No plan file found"):
        start(cwd=project, query=None)
    with pytest.raises(PlanError, match="does not exist"):
        start(cwd=project, query=None, plan_path="nope.md")


def test_unknown_step(project: Path) -> None:
    with pytest.raises(PlanError, match="No step in PLAN.md matches"):
        start(cwd=project, query="9.9")


def test_plan_in_docs_with_heading_steps(project: Path) -> None:
    git(project, "rm", "-q", "PLAN.md")
    write(
        project,
        {"docs/ROADMAP.md": "### Phase 2: Pydantic Models\n\n- [ ] Define User\n- [ ] Define Order\n"},
    )
    commit_all(project)
    start(cwd=project, query=None)
    active = state.load_active(project / ".git")
    assert active is not None and active.plan == "docs/ROADMAP.md"
    assert (active.id, active.title) == ("2.1", "Define User")


def test_detached_head_and_unborn_branch_are_refused(project: Path, repo: Path) -> None:
    git(project, "checkout", "-q", "--detach")
    with pytest.raises(RepositoryStateError, match="detached"):
        start(cwd=project, query=None)


def test_unborn_branch_is_refused(repo: Path) -> None:
    write(repo, {"PLAN.md": "- [ ] **1.1. First**\n"})
    with pytest.raises(RepositoryStateError, match="no commits yet"):
        start(cwd=repo, query=None)


@pytest.mark.parametrize(
    "title",
    ["Ünïcödé — Ärger", "日本語のタイトル", "a..b ~^:?*[ \\ lock.lock", "   ", "x" * 200, "@{weird}/..//"],
)
def test_branch_names_are_valid_refs_whatever_the_title(project: Path, title: str) -> None:
    name = branch_name(project, "step/{id}-{slug}", Step("1.2", title, "todo", 1, 0))
    assert git(project, "check-ref-format", "--branch", name, check=False).strip() == name
    assert name.startswith("step/1.2")


def test_slugify() -> None:
    assert slugify("Database Infrastructure (SurrealDB)") == "database-infrastructure-surrealdb"
    assert slugify("Ünïcödé") == "unicode"
    assert len(slugify("word " * 30)) <= 40
