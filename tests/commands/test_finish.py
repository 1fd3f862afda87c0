"""`finish` end to end: real git, real pytest, real coverage, real hooks; crashes and Ctrl-C included."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.abort import abort
from stepcommit.commands.finish import finish
from stepcommit.commands.log import log
from stepcommit.commands.start import start
from stepcommit.commands.status import collect
from stepcommit.errors import ForbiddenFilesError, GateFailed, GitError, StepStateError
from tests.conftest import commit_all, git, write

SUBTRACT = "\n\ndef subtract(a, b):\n    return a - b\n"
TEST_SUBTRACT = "from calc import subtract\n\n\ndef test_subtract():\n    assert subtract(5, 3) == 2\n"


def do_step_work(project: Path) -> None:
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write(SUBTRACT)
    write(project, {"tests/test_subtract.py": TEST_SUBTRACT})


def tree_state(project: Path) -> dict[str, str]:
    """Every file in the work tree (ignored ones too, .git aside) by content hash, plus the index."""
    files = {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }
    files["<index>"] = git(project, "ls-files", "-s") + git(project, "diff", "--cached")
    files["<HEAD>"] = git(project, "rev-parse", "HEAD")
    files["<branches>"] = git(project, "branch", "-a", "-v")
    return files


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=project, capture_output=True, text=True, timeout=120
    )


def install_hook(project: Path, name: str, body: str) -> None:
    hook = project / ".git" / "hooks" / name
    hook.write_text(f"#!/bin/sh\n{body}\n")
    hook.chmod(0o755)


KILL_STEPCOMMIT = (
    f"pid=$({sys.executable} -c \"import json;print(json.load(open('.git/stepcommit/lock'))['pid'])\")\n"
    "kill -{signal} $pid\nsleep 2\nexit 1"
)


def test_finish_squashes_one_verified_commit_onto_the_base(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    log(
        cwd=project,
        texts=[],
        stdin_text="Progress Updates\n1\nAdding subtract().\n\nFiles Edited\n__init__.py\n",
    )
    log(cwd=project, texts=["Signed-off-by:", "not a trailer"])
    base = git(project, "rev-parse", "main").strip()

    assert finish(cwd=project) == 0

    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "rev-list", "--count", f"{base}..main").strip() == "1"
    assert git(project, "rev-parse", "main~1").strip() == base
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert "step/1.2-subtraction" not in git(project, "branch")
    body = git(project, "log", "-1", "--format=%B")
    assert body.startswith(
        "feat(step-1.2): Subtraction\n\nProgress Updates\n1 Adding subtract().\n2 Signed-off-by: not a trailer\n"
    )
    assert re.search(r"^Tests: 2 passed in \d+\.\d\ds$", body, re.MULTILINE)
    assert "Files: 3 changed (+" in body
    trailers = git(project, "log", "-1", "--format=%(trailers:only,unfold)").splitlines()
    assert trailers[:2] == ["Step: 1.2", "Plan: PLAN.md"]
    cov = trailers[2].removeprefix("Coverage: ")
    # the honest figure: what coverage.py itself reports for a run of the committed tree
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    subprocess.run([sys.executable, "-m", "coverage", "run", "--source=calc", "-m", "pytest", "-q", "-p",
                    "no:cacheprovider"], cwd=project, check=True, capture_output=True, env=env)  # fmt: skip
    report = subprocess.run([sys.executable, "-m", "coverage", "report", "--precision=2"], cwd=project,
                            check=True, capture_output=True, text=True, env=env).stdout  # fmt: skip
    assert re.search(rf"^TOTAL\s.*\s{re.escape(cov)}%$", report, re.MULTILINE), (cov, report)
    # the plan diff is the one ticked line
    diff = git(project, "diff", "-U0", base, "main", "--", "PLAN.md")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        "-- [ ] **1.2. Subtraction**",
        "+- [x] **1.2. Subtraction**",
    ]
    assert state.load_active(project / ".git") is None
    assert collect(project)["progress"] == []
    history = state.read_history(project / ".git")
    assert history[-1]["step"] == "1.2" and history[-1]["commit"] == git(project, "rev-parse", "HEAD").strip()


def test_finish_reads_the_plan_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 20 MB plan costs seconds a read: finish reads its text once for the step's Verify commands,
    # its to-do list, the tick and the landing (before: three whole reads, the ticked text twice).
    from stepcommit.plan import reading

    start(cwd=project, query=None)
    do_step_work(project)
    reading._RECENT.clear()  # what start read is not finish's
    texts: list[str] = []
    real_read = reading._read

    def counted(text: str, path: Path, steps: reading.Granularity = "phase") -> reading.Parsed:
        texts.append(text)
        return real_read(text, path, steps)

    monkeypatch.setattr(reading, "_read", counted)
    assert finish(cwd=project) == 0
    assert texts == [git(project, "show", "main~1:PLAN.md")]  # the plan as it was before the tick
    assert "- [x] **1.2. Subtraction**" in (project / "PLAN.md").read_text()


def test_second_step_reports_the_coverage_change(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    finish(cwd=project)
    start(cwd=project, query=None)
    write(
        project,
        {
            "tests/test_unused.py": "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
        },
    )
    finish(cwd=project)
    body = git(project, "log", "-1", "--format=%B")
    assert body.startswith("feat(step-1.3): Multiplication")
    assert "Coverage: 100.00% (+16.67 from 83.33%)" in body


@pytest.mark.parametrize(("style", "commits", "parents"), [("ff", 1, 1), ("no-ff", 2, 2), ("none", 0, 1)])
def test_merge_styles(project: Path, style: str, commits: int, parents: int) -> None:
    base = git(project, "rev-parse", "main").strip()
    start(cwd=project, query=None)
    do_step_work(project)
    finish(cwd=project, merge_style=style)
    assert git(project, "rev-list", "--count", f"{base}..main").strip() == str(commits)
    if style == "none":
        assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
        assert git(project, "log", "-1", "--format=%(trailers:key=Step,valueonly)").strip() == "1.2"
    else:
        assert git(project, "branch", "--show-current").strip() == "main"
        assert len(git(project, "log", "-1", "--format=%P", "main").split()) == parents
        assert "step/1.2-subtraction" not in git(project, "branch")
    assert git(project, "status", "--porcelain") == ""


def test_failing_tests_leave_everything_byte_for_byte(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {"tests/test_bad.py": "def test_wrong():\n    assert 1 == 2\n"})
    git(project, "add", "tests/test_bad.py")  # a partly staged index must survive too
    before = tree_state(project)
    with pytest.raises(GateFailed, match=r"tests failed(.|\n)*tests/test_bad.py::test_wrong") as info:
        finish(cwd=project)
    assert "Nothing was committed" in info.value.hint
    assert tree_state(project) == before
    assert state.load_journal(project / ".git") is None
    assert collect(project)["last_gate"]["ok"] is False


def test_secrets_are_refused_by_name(project: Path) -> None:
    (project / ".gitignore").write_text("__pycache__/\n")
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {".env": "API_KEY=x\n", "deploy/id_rsa": "key"})
    before = tree_state(project)
    with pytest.raises(ForbiddenFilesError) as info:
        finish(cwd=project)
    assert ".env (environment file with secrets)" in info.value.message
    assert "deploy/id_rsa (private SSH key)" in info.value.message
    assert tree_state(project) == before


def test_nothing_changed_is_refused(project: Path) -> None:
    start(cwd=project, query=None)
    with pytest.raises(StepStateError, match="Nothing changed"):
        finish(cwd=project)


def test_finish_on_the_wrong_branch_is_refused(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    commit_all(project, "wip")
    git(project, "switch", "-q", "main")
    with pytest.raises(StepStateError, match="lives on branch step/1.2-subtraction"):
        finish(cwd=project)


def test_finish_without_a_step(project: Path) -> None:
    with pytest.raises(StepStateError, match="No step is active"):
        finish(cwd=project)


def test_a_failing_commit_hook_commits_nothing(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    install_hook(project, "commit-msg", "echo 'message rejected by policy' >&2\nexit 1")
    before = tree_state(project)
    with pytest.raises(GitError, match="refused by a hook|message rejected"):
        finish(cwd=project)
    assert tree_state(project) == before
    assert state.load_journal(project / ".git") is None


def test_plain_commits_during_the_step_are_squashed_into_one(project: Path) -> None:
    base = git(project, "rev-parse", "main").strip()
    start(cwd=project, query=None)
    do_step_work(project)
    commit_all(project, "wip: part one")
    write(project, {"notes.md": "more\n"})
    finish(cwd=project)
    assert git(project, "rev-list", "--count", f"{base}..main").strip() == "1"
    assert "Files: 4 changed" in git(project, "log", "-1", "--format=%B")


def test_crash_during_the_commit_then_finish_again(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    before = tree_state(project)
    install_hook(project, "pre-commit", KILL_STEPCOMMIT.format(signal=9))
    crashed = run_cli(project, "finish")
    assert crashed.returncode == -9
    report = json.loads(run_cli(project, "status", "--json").stdout)
    assert report["interrupted_finish"]["phase"] == "prepared"
    assert "completes the interrupted finish" in report["next"]
    (project / ".git" / "hooks" / "pre-commit").unlink()
    # start refuses until the interrupted finish is dealt with
    again = run_cli(project, "start", "1.3")
    assert again.returncode == 1 and "was interrupted" in again.stderr
    done = run_cli(project, "finish")
    assert done.returncode == 0, done.stderr
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "log", "-1", "--format=%s").strip() == "feat(step-1.2): Subtraction"
    assert before["calc/__init__.py"] == tree_state(project)["calc/__init__.py"]


def test_ctrl_c_during_the_commit_rolls_back(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    before = tree_state(project)
    install_hook(project, "pre-commit", KILL_STEPCOMMIT.format(signal="INT"))
    interrupted = run_cli(project, "finish")
    assert interrupted.returncode == 130, interrupted.stderr
    assert "Traceback" not in interrupted.stderr
    assert tree_state(project) == before
    assert state.load_journal(project / ".git") is None
    assert not (project / ".git" / "stepcommit" / "lock").exists()


def test_base_moved_with_a_conflict_keeps_the_step_committed(project: Path) -> None:
    start(cwd=project, query=None)
    git(project, "switch", "-q", "main")
    write(project, {"calc/__init__.py": "# rewritten on main\n"})
    commit_all(project, "chore: conflicting change")
    git(project, "switch", "-q", "step/1.2-subtraction")
    do_step_work(project)
    with pytest.raises(GitError, match="conflict in: calc/__init__.py") as info:
        finish(cwd=project)
    assert "git rebase main" in info.value.hint
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
    assert git(project, "log", "-1", "--format=%s").strip() == "feat(step-1.2): Subtraction"
    assert git(project, "status", "--porcelain") == ""
    assert collect(project)["interrupted_finish"]["phase"] == "committed"


def test_abort_parks_the_work_and_start_brings_it_back(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {"new file é.txt": "draft\n"})
    assert abort(cwd=project) == 0
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    assert not (project / "tests" / "test_subtract.py").exists()
    assert state.load_active(project / ".git") is None
    start(cwd=project, query="1.2")
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
    assert (project / "tests" / "test_subtract.py").read_text() == TEST_SUBTRACT
    assert (project / "new file é.txt").read_text() == "draft\n"
    assert git(project, "rev-parse", "HEAD").strip() == git(project, "rev-parse", "main").strip()
    finish(cwd=project)
    assert git(project, "rev-list", "--count", "main").strip() == "2"


def test_abort_without_changes_and_from_the_base(project: Path) -> None:
    start(cwd=project, query=None)
    git(project, "switch", "-q", "main")
    assert abort(cwd=project) == 0
    assert state.load_active(project / ".git") is None


def _hooked(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from stepcommit.commands.install import install

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    install(cwd=project, agents=[])
    # only the message hook: these tests are about the progress entries, not the gate
    (project / ".git" / "hooks" / "pre-commit").unlink()
    commit_all(project, "chore: hooks")


@pytest.mark.parametrize(("style", "expected"), [("squash", ["One.", "Two."]), ("ff", ["Two."])])
def test_entries_of_plain_commits_are_repeated_only_when_squashed(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, style: str, expected: list[str]
) -> None:
    _hooked(project, monkeypatch, tmp_path)
    start(cwd=project, query=None)
    log(cwd=project, texts=["One."])
    do_step_work(project)
    commit_all(project, "feat: part one")
    assert "1 One." in git(project, "log", "-1", "--format=%B")
    log(cwd=project, texts=["Two."])
    write(project, {"notes.md": "n\n"})
    finish(cwd=project, merge_style=style)
    body = git(project, "log", "-1", "--format=%B", "main")
    listed = body.split("Progress Updates\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert listed == [f"{n} {text}" for n, text in enumerate(expected, 1)]
    assert body.count("Progress Updates") == 1
    assert git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip() != ""
    assert len(git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").split()) == 1
    assert body.count("\nTests: ") == 1
