"""Parallel steps on real repositories with real worktrees: `start --worktree`, `status --all`,
`plan --parallel`, and `finish` as a local merge queue (the merged tree gated before the base moves)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import replace
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.abort import abort
from stepcommit.commands.check import check
from stepcommit.commands.finish import finish, needs_landing_gate, own_gate_full
from stepcommit.commands.log import log
from stepcommit.commands.plan import plan
from stepcommit.commands.start import start
from stepcommit.commands.status import collect_all
from stepcommit.config import Config
from stepcommit.errors import GitError, PlanError, StepStateError
from tests.conftest import commit_all, git, write
from tests.test_cli import _convention_problems

COVERAGE_CONFIG = (
    '[project]\nname = "calc"\nversion = "0"\n\n[tool.coverage.run]\nsource = ["calc"]\nbranch = true\n'
)
SUB = "def sub(a, b):\n    return a - b\n"
TEST_SUB = "from calc.sub import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"
MUL = "def mul(a, b):\n    if a == 0:\n        return 0\n    return a * b\n"
TEST_MUL = (
    "from calc.mul import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n    assert mul(0, 3) == 0\n"
)


@pytest.fixture
def parallel_project(project: Path) -> Path:
    write(project, {"pyproject.toml": COVERAGE_CONFIG, ".gitignore": "__pycache__/\n.env\n.coverage\n"})
    commit_all(project, "chore: coverage settings")
    return project


def start_worktree(project: Path, step: str, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    assert start(cwd=project, query=step, worktree=True, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["step"]["id"] == step
    return Path(data["worktree"])


def cli(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=where, capture_output=True, text=True, timeout=180
    )


def full_coverage(project: Path, tmp: Path) -> str:
    """What a plain `coverage run -m pytest` of the checkout reports as its total (two decimals)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "COV_CORE_"))}
    data = f"--data-file={tmp / 'oracle.coverage'}"
    subprocess.run([sys.executable, "-m", "coverage", "run", data, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                   cwd=project, env=env, capture_output=True, check=True)  # fmt: skip
    report = subprocess.run([sys.executable, "-m", "coverage", "report", data, "--precision=2"],
                            cwd=project, env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    match = re.search(r"^TOTAL\s.*?(\d+\.\d+)%\s*$", report, re.MULTILINE)
    assert match, report
    return match.group(1)


def test_two_steps_finished_in_the_other_order_land_as_two_gated_commits(
    parallel_project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = parallel_project
    base = git(project, "rev-parse", "main").strip()
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    assert first == project.parent / f"{project.name}-step-1.2"
    assert git(first, "branch", "--show-current").strip() == "step/1.2-subtraction"
    assert git(project, "branch", "--show-current").strip() == "main"  # the main checkout stays as it was
    write(first, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    write(second, {"calc/mul.py": MUL, "tests/test_mul.py": TEST_MUL})

    listed = {s["step"]["id"]: s for s in collect_all(project)["steps"]}
    assert set(listed) == {"1.2", "1.3"}
    assert listed["1.3"]["worktree"] == str(second) and listed["1.3"]["branch"] == "step/1.3-multiplication"

    assert finish(cwd=second) == 0  # the later step lands first
    alone = full_coverage(first, tmp_path)  # step 1.2 without 1.3: not the figure that lands
    capsys.readouterr()
    assert finish(cwd=first) == 0  # the base moved: merged with it, gated again, then landed
    # One full run, on the tree that lands: the step's own gate knew the merged tree would be gated.
    assert "own gate runs incrementally" in capsys.readouterr().err

    log = git(project, "log", "--format=%H %s", f"{base}..main").splitlines()
    assert [line.split(" ", 1)[1] for line in log] == [
        "feat(step-1.2): Subtraction",
        "feat(step-1.3): Multiplication",
    ]
    plan_text = git(project, "show", "main:PLAN.md")
    assert "- [x] **1.2. Subtraction**" in plan_text and "- [x] **1.3. Multiplication**" in plan_text
    # The main checkout moved with its branch: clean, both steps' files there.
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert (project / "calc" / "sub.py").read_text() == SUB and (
        project / "calc" / "mul.py"
    ).read_text() == MUL
    # With full_on_finish (the default) the landed figures are a full run's of the merged tree.
    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Tests: 3 passed" in body and "incremental" not in body, body
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip()
    assert trailer == full_coverage(project, tmp_path) != alone
    # Both worktrees and branches are gone; the history (shared by every worktree) has both steps.
    assert not first.exists() and not second.exists()
    assert git(project, "branch", "--list", "step/*").strip() == ""
    assert [r["step"] for r in state.read_history(project / ".git")] == ["1.3", "1.2"]


def test_the_landing_gate_selects_from_the_shared_store_and_keeps_the_exact_total(
    parallel_project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = parallel_project
    settings = "\n[tool.stepcommit]\nincremental = true\nfull_on_finish = false\n"
    write(project, {"pyproject.toml": COVERAGE_CONFIG + settings})
    commit_all(project, "chore: the incremental gate, at finish too")
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    write(first, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    write(second, {"calc/mul.py": MUL, "tests/test_mul.py": TEST_MUL})
    assert finish(cwd=second) == 0

    assert finish(cwd=first) == 0  # its own gate runs all 3 tests; the merged tree's only 1.3's new one

    body = git(project, "log", "-1", "--format=%B", "main")
    assert "feat(step-1.2): Subtraction" in body
    assert "Tests: 1 passed" in body and "(incremental: 1 of 3 tests)" in body, body
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip()
    assert trailer == full_coverage(project, tmp_path)
    # The store now holds the merged tree, measured in the throw-away checkout (gone since).
    from stepcommit.gates import incremental

    meta = incremental.stored_meta(project / ".git")
    assert meta is not None and meta["tree"] == git(project, "rev-parse", "main^{tree}").strip()
    assert not Path(meta["root"]).exists()


def test_a_tree_gated_incrementally_only_is_gated_in_full_before_it_lands(
    parallel_project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = parallel_project
    assert check(cwd=project) == 0  # the shared per-test store now holds the base's tree
    where = start_worktree(project, "1.2", capsys)
    write(where, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    # The base gains the same change: it moved, yet merging it leaves the step's own tree.
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    commit_all(project, "feat: sub, on main too")
    capsys.readouterr()

    assert finish(cwd=where, merge_style="no-ff") == 0

    err = capsys.readouterr().err
    assert "own gate runs incrementally" in err and "gated incrementally only: running every test" in err
    step_body = git(project, "log", "-1", "--format=%B", "main^2")
    assert "Step: 1.2" in step_body and "(incremental: 1 of 2 tests)" in step_body, step_body
    assert git(project, "rev-parse", "main^{tree}") == git(project, "rev-parse", "main^2^{tree}")
    # The merge commit is what lands: a full run's figures of that very tree, not the incremental ones.
    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Tests: 2 passed" in body and "incremental" not in body, body
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip()
    assert trailer == full_coverage(project, tmp_path)


def test_only_a_merging_finish_of_a_moved_base_skips_the_step_s_own_full_run() -> None:
    cfg = Config()
    assert own_gate_full(cfg, "squash", base_moved=False) and own_gate_full(cfg, "no-ff", base_moved=False)
    assert not own_gate_full(cfg, "squash", base_moved=True) and not own_gate_full(
        cfg, "no-ff", base_moved=True
    )
    # A fast-forward or no landing at all: the step's own gate is the one whose figures land.
    assert own_gate_full(cfg, "ff", base_moved=True) and own_gate_full(cfg, "none", base_moved=True)
    assert not own_gate_full(replace(cfg, full_on_finish=False), "squash", base_moved=False)
    assert own_gate_full(replace(cfg, incremental=False), "squash", base_moved=True)  # every run is full


def test_a_landing_tree_is_gated_unless_a_gate_vouched_for_it_as_full_on_finish_asks() -> None:
    cfg = Config()
    fresh = state.FinishJournal(state.Phase.COMMITTED, "1.1", "PLAN.md", "squash", "h", "m")
    journal = replace(fresh, gated=["t1", "t2"], incremental_only=["t1"])
    assert needs_landing_gate(cfg, journal, "t3") and needs_landing_gate(cfg, fresh, "t3")
    assert needs_landing_gate(cfg, journal, "t1") and not needs_landing_gate(cfg, journal, "t2")
    assert not needs_landing_gate(replace(cfg, full_on_finish=False), journal, "t1")


def test_same_line_conflict_stops_with_the_step_committed_and_the_base_untouched(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    for where, body in ((first, "a + b  # one"), (second, "b + a  # two")):
        source = (where / "calc" / "__init__.py").read_text().replace("a + b", body)
        write(where, {"calc/__init__.py": source})
    assert finish(cwd=first) == 0
    landed = git(project, "rev-parse", "main").strip()

    with pytest.raises(GitError) as err:
        finish(cwd=second)

    assert "calc/__init__.py" in err.value.message and "git merge main" in (err.value.hint or "")
    assert git(project, "rev-parse", "main").strip() == landed
    assert git(second, "log", "-1", "--format=%(trailers:key=Step,valueonly)").strip() == "1.3"
    assert "b + a  # two" in (second / "calc" / "__init__.py").read_text()
    assert git(second, "status", "--porcelain") == ""
    (found,) = collect_all(project)["steps"]
    assert found["step"]["id"] == "1.3" and found["finish"]["phase"] == "committed"
    assert "stepcommit finish" in found["next"]

    # Following the hint: merge the base in the worktree, resolve, take the base's plan, commit, finish.
    git(second, "merge", "-q", "main", check=False)
    write(second, {"calc/__init__.py": (first_text := git(project, "show", "main:calc/__init__.py"))})
    git(second, "checkout", "main", "--", "PLAN.md")
    git(second, "commit", "-q", "-a", "--no-verify", "-m", "merge main into step 1.3")
    assert finish(cwd=second) == 0
    assert git(project, "rev-parse", "main~1").strip() == landed
    assert git(project, "show", "main:calc/__init__.py") == first_text
    assert "- [x] **1.3. Multiplication**" in git(project, "show", "main:PLAN.md")
    assert "- [x] **1.2. Subtraction**" in git(project, "show", "main:PLAN.md")


def test_sigkill_during_the_queued_merge_is_explained_and_finish_completes(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    write(first, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    # Slow only on the merged tree (where 1.2's module is), so the kill lands in the landing gate.
    slow = "import importlib.util\nimport time\n\nif importlib.util.find_spec('calc.sub'):\n    time.sleep(3)\n\n"
    write(second, {"calc/mul.py": MUL, "tests/test_mul.py": slow + TEST_MUL})
    assert finish(cwd=first) == 0
    landed = git(project, "rev-parse", "main").strip()

    running = subprocess.Popen([sys.executable, "-m", "stepcommit", "finish"], cwd=second,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    probe = (
        Path(git(second, "rev-parse", "--absolute-git-dir").strip()) / "stepcommit" / "finish" / "probe.txt"
    )
    deadline = time.monotonic() + 120
    while not probe.exists() and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert running.poll() is None, "the finish ended before its landing gate could be killed"
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()

    assert git(project, "rev-parse", "main").strip() == landed
    report = cli(project, "status", "--all", "--json")
    assert report.returncode == 0, report.stderr
    (found,) = json.loads(report.stdout)["steps"]
    assert found["step"]["id"] == "1.3" and found["finish"]["phase"] == "committed"
    assert found["state"].startswith("interrupted finish") and "stepcommit finish" in found["next"]
    assert "interrupted finish" in cli(project, "status", "--all").stdout

    done = cli(second, "finish")
    assert done.returncode == 0, done.stderr
    assert f"removed; the main checkout is {project}" in done.stdout
    assert git(project, "log", "-1", "--format=%s", "main").strip() == "feat(step-1.3): Multiplication"
    assert git(project, "rev-parse", "main~1").strip() == landed
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert not second.exists()


def test_abort_in_a_worktree_parks_the_work_and_removes_it_and_start_brings_it_back(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    where = start_worktree(project, "1.2", capsys)
    write(where, {"calc/sub.py": SUB})

    assert abort(cwd=where) == 0

    assert not where.exists()
    assert git(project, "show", "step/1.2-subtraction:calc/sub.py") == SUB
    assert collect_all(project)["steps"] == []
    again = start_worktree(project, "1.2", capsys)
    assert again == where and (where / "calc" / "sub.py").read_text() == SUB
    assert git(where, "log", "-1", "--format=%s").strip() == "chore: coverage settings"


def test_a_step_active_in_another_worktree_is_not_started_twice(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    start_worktree(project, "1.2", capsys)
    with pytest.raises(StepStateError, match="already active in"):
        start(cwd=project, query="1.2", worktree=True)
    # With no step named, `start` takes the next open step nobody works on yet, here in the main checkout.
    assert start(cwd=project, query=None) == 0
    assert git(project, "branch", "--show-current").strip() == "step/1.3-multiplication"
    assert {s["step"]["id"] for s in collect_all(project)["steps"]} == {"1.2", "1.3"}


def _walk(steps: list[dict]) -> list[dict]:
    return [found for s in steps for found in (s, *_walk(s["children"]))]


def test_plan_shows_a_step_active_in_another_worktree_as_active_there(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    where = start_worktree(project, "1.2", capsys)
    assert plan(cwd=project, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    steps = {s["id"]: s for s in _walk(data["steps"])}
    assert steps["1.2"]["active_in"] == str(where) and steps["1.3"]["active_in"] is None
    assert data["next"]["id"] == "1.3"  # what `start` here would begin
    assert plan(cwd=project) == 0
    shown = capsys.readouterr().out
    assert f"1.2  Subtraction  (line 6)  (active in {where})" in shown
    assert "Next: 1.3 Multiplication" in shown
    assert plan(cwd=where, as_json=True) == 0  # in its own worktree it is this checkout's step
    mine = {s["id"]: s for s in _walk(json.loads(capsys.readouterr().out)["steps"])}
    assert mine["1.2"]["active_in"] is None

    other = start_worktree(project, "1.3", capsys)
    assert plan(cwd=project, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["next"] is None and "active in another worktree" in data["next_reason"]
    assert {s["id"]: s["active_in"] for s in _walk(data["steps"])}["1.3"] == str(other)
    with pytest.raises(PlanError, match="active in another worktree already: 1.2, 1.3"):
        start(cwd=project, query=None)
    assert git(project, "branch", "--show-current").strip() == "main"


def test_worktree_dir_setting_and_keep_worktree(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    write(project, {"pyproject.toml": COVERAGE_CONFIG + '\n[tool.stepcommit]\nworktree_dir = "../trees"\n'
                    "keep_worktree = true\n"})  # fmt: skip
    commit_all(project, "chore: worktrees in ../trees, kept")
    where = start_worktree(project, "1.2", capsys)
    assert where == (project.parent / "trees" / f"{project.name}-step-1.2").resolve()
    write(where, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    assert finish(cwd=where) == 0
    assert where.is_dir() and git(project, "rev-parse", "--verify", "step/1.2-subtraction")
    assert (project / "calc" / "sub.py").read_text() == SUB


SPEC_KIT = """\
# Tasks

## Phase 1
- [x] T001 Setup project
- [ ] T002 Write the schema
- [ ] T003 [P] Add model A
- [ ] T004 [P] Add model B
- [ ] T005 Wire them
"""


def test_plan_parallel_lists_the_steps_that_can_start_beside_the_active_ones(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, {"tasks.md": SPEC_KIT, "pyproject.toml": COVERAGE_CONFIG})
    commit_all(repo, "docs: tasks")
    capsys.readouterr()
    assert plan(cwd=repo, plan_path="tasks.md", parallel=True, as_json=True) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)["startable"]] == ["T002", "T003", "T004"]

    where = start_worktree(repo, "T003", capsys)
    assert plan(cwd=repo, plan_path="tasks.md", parallel=True, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in data["startable"]] == ["T002", "T004"]
    assert data["active"] == [
        {
            "step": {"id": "T003", "title": "Add model A"},
            "worktree": str(where),
            "branch": data["active"][0]["branch"],
        }
    ]
    assert plan(cwd=repo, plan_path="tasks.md", parallel=True) == 0
    shown = capsys.readouterr().out
    assert "active  T003" in shown and "stepcommit start --worktree T004" in shown


TASK_MASTER = {
    "tasks": [
        {"id": 1, "title": "Setup", "status": "done", "dependencies": []},
        {"id": 2, "title": "Schema", "status": "pending", "dependencies": [1]},
        {"id": 3, "title": "Models", "status": "pending", "dependencies": [2]},
        {"id": 4, "title": "Docs", "status": "pending", "dependencies": [1]},
    ]
}


def test_plan_parallel_follows_dependencies(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {"tasks/tasks.json": json.dumps(TASK_MASTER, indent=2)})
    commit_all(repo, "docs: tasks")
    capsys.readouterr()
    assert plan(cwd=repo, plan_path="tasks/tasks.json", parallel=True, as_json=True) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)["startable"]] == ["2", "4"]


def test_a_dirty_main_checkout_keeps_its_changes_and_is_left_alone_when_they_are_in_the_way(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    log(cwd=first, texts=["Adding sub()."])
    write(first, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    write(second, {"calc/mul.py": MUL, "tests/test_mul.py": TEST_MUL})
    write(project, {"notes.txt": "mine\n"})  # the user's own, untouched by the step
    assert [s["progress"] for s in collect_all(project)["steps"]] == [1, 0]

    assert finish(cwd=first) == 0

    # Moved with the base, as `git switch` would: the step's files in, the user's file kept.
    assert git(project, "branch", "--show-current").strip() == "main"
    assert (project / "calc" / "sub.py").read_text() == SUB and (
        project / "notes.txt"
    ).read_text() == "mine\n"
    assert "Adding sub()." in git(project, "log", "-1", "--format=%B", "main")
    landed = git(project, "rev-parse", "main").strip()

    plan_edit = (project / "PLAN.md").read_text() + "- [ ] **1.4. Division**\n"
    write(project, {"PLAN.md": plan_edit})  # in the way: the landing ticks PLAN.md
    capsys.readouterr()
    assert finish(cwd=second) == 0

    assert git(project, "rev-parse", "main~1").strip() == landed  # the base holds the step
    assert git(project, "rev-parse", "HEAD").strip() == landed  # the checkout was left as it was,
    assert git(project, "branch", "--show-current").strip() == ""  # detached, so it does not undo the step
    assert (project / "PLAN.md").read_text() == plan_edit and not (project / "calc" / "mul.py").exists()
    assert "git stash -u && git switch main && git stash pop" in capsys.readouterr().err


def test_two_finishes_at_once_queue_on_the_base(parallel_project: Path, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:  # fmt: skip
    project = parallel_project
    first = start_worktree(project, "1.2", capsys)
    second = start_worktree(project, "1.3", capsys)
    write(first, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    write(second, {"calc/mul.py": MUL, "tests/test_mul.py": TEST_MUL})
    base = git(project, "rev-parse", "main").strip()

    runs = [subprocess.Popen([sys.executable, "-m", "stepcommit", "finish"], cwd=where, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for where in (first, second)]  # fmt: skip
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]

    assert [code for code, _, _ in results] == [0, 0], results
    subjects = git(project, "log", "--format=%s", f"{base}..main").splitlines()
    assert sorted(subjects) == ["feat(step-1.2): Subtraction", "feat(step-1.3): Multiplication"]
    plan_text = (project / "PLAN.md").read_text()
    assert "- [x] **1.2. Subtraction**" in plan_text and "- [x] **1.3. Multiplication**" in plan_text
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert (project / "calc" / "sub.py").read_text() == SUB and (
        project / "calc" / "mul.py"
    ).read_text() == MUL
    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Tests: 3 passed" in body and "incremental" not in body, body
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip()
    assert trailer == full_coverage(project, tmp_path)
    # Nothing left behind: no active step anywhere, both worktrees and their branches gone.
    report = cli(project, "status", "--all", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["steps"] == []
    shown = cli(project, "status", "--all")
    assert shown.returncode == 0 and shown.stdout.startswith(f"0 active step(s) in {project}"), shown.stdout
    assert not first.exists() and not second.exists()
    assert len(git(project, "worktree", "list").splitlines()) == 1
    assert git(project, "branch", "--list", "step/*").strip() == ""


def test_follow_base_after_a_kill_between_the_ref_move_and_the_checkout_is_repeatable(
    parallel_project: Path, tmp_path: Path
) -> None:
    from stepcommit import git as git_mod
    from stepcommit import worktrees

    project = parallel_project
    before = git(project, "rev-parse", "main").strip()
    other = tmp_path / "other"
    git(project, "worktree", "add", "-q", "-b", "side", str(other), "main")
    write(other, {"calc/sub.py": SUB})
    landed = commit_all(other, "feat: sub")
    git(project, "update-ref", "refs/heads/main", landed, before)  # the base moved; its checkout did not
    side = git_mod.find_repo(other)

    assert worktrees.follow_base(side, "main", before, landed) is None
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert (project / "calc" / "sub.py").read_text() == SUB
    assert worktrees.follow_base(side, "main", before, landed) is None  # again: nothing left to do
    assert git(project, "rev-parse", "HEAD").strip() == landed
    assert git(project, "branch", "--show-current").strip() == "main"


def test_cli_wiring_of_start_worktree_and_plan_parallel(parallel_project: Path) -> None:
    started = cli(parallel_project, "start", "--worktree", "1.3", "--json")
    assert started.returncode == 0, started.stderr
    where = Path(json.loads(started.stdout)["worktree"])
    assert git(where, "branch", "--show-current").strip() == "step/1.3-multiplication"
    listed = cli(parallel_project, "plan", "--parallel", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [s["id"] for s in data["startable"]] == ["1.2"] and data["active"][0]["step"]["id"] == "1.3"
    everything = cli(where, "status", "--all", "--json")
    assert everything.returncode == 0, everything.stderr
    for name, out in (("start", started.stdout), ("plan", listed.stdout), ("status", everything.stdout)):
        assert _convention_problems(json.loads(out), name) == []
    here = cli(parallel_project, "status")
    assert "Also active in other worktrees: 1.3 (`stepcommit status --all`)" in here.stdout
    shown = cli(where, "status", "--all")
    assert (
        "Step 1.3: Multiplication" in shown.stdout and "progress 0; no gate yet; in progress" in shown.stdout
    )


def test_an_agent_hook_in_a_worktree_logs_to_that_worktree_s_step(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stepcommit import progress

    where = start_worktree(parallel_project, "1.2", capsys)
    payloads = Path(__file__).parent.parent / "agents" / "payloads"
    payload = json.loads((payloads / "claude_todowrite_3.json").read_text(encoding="utf-8"))
    done = subprocess.run([sys.executable, "-m", "stepcommit", "hook", "agent", "--agent", "claude"], cwd=where,
                          input=json.dumps({**payload, "cwd": str(where)}), capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(progress.read(Path(git(where, "rev-parse", "--absolute-git-dir").strip()))) == 3
    assert progress.read(parallel_project / ".git") == []
    assert [s["progress"] for s in collect_all(parallel_project)["steps"]] == [3]


def test_a_step_the_committed_plan_lacks_leaves_no_worktree_behind(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    write(
        project, {"PLAN.md": (project / "PLAN.md").read_text() + "- [ ] **1.4. Division**\n"}
    )  # not committed
    with pytest.raises(PlanError, match="not in the plan PLAN.md as committed on main"):
        start(cwd=project, query="1.4", worktree=True)
    assert not (project.parent / f"{project.name}-step-1.4").exists()
    assert (
        git(project, "branch", "--list", "step/*") == ""
        and len(git(project, "worktree", "list").splitlines()) == 1
    )


def test_a_start_cut_short_in_the_new_worktree_takes_it_back(
    parallel_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = parallel_project
    hook = project / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nrm -f PLAN.md\n")  # the new worktree loses its plan before it is marked
    hook.chmod(0o755)
    with pytest.raises((PlanError, OSError)):
        start(cwd=project, query="1.2", worktree=True)
    assert not (project.parent / f"{project.name}-step-1.2").exists()
    assert (
        git(project, "branch", "--list", "step/*") == ""
        and len(git(project, "worktree", "list").splitlines()) == 1
    )
    assert collect_all(project)["steps"] == []


def test_a_src_layout_worktree_tests_its_own_code_not_the_editable_install_s(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As `uv add --dev stepcommit` in a new uv project leaves it: the package under src/, installed
    # in the main checkout's .venv in editable mode (a .pth file naming the main checkout's src/).
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "_calc_editable.pth").write_text(f"{repo / 'src'}\n", encoding="utf-8")
    (site / "_tools.pth").write_text(
        f"{sysconfig.get_paths()['purelib']}\n", encoding="utf-8"
    )  # pytest, coverage
    write(repo, {
        "PLAN.md": "# Plan\n\n- [ ] **1.1. Subtraction**\n- [ ] **1.2. Multiplication**\n",
        "src/calc/__init__.py": "def add(a, b):\n    return a + b\n",
        "tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        "pyproject.toml": f'[project]\nname = "calc"\nversion = "0"\n\n[tool.stepcommit]\npython = "{venv / "bin" / "python"}"\n',
        ".gitignore": "__pycache__/\n.coverage\n",
    })  # fmt: skip
    commit_all(repo, "chore: src layout")
    tree = start_worktree(repo, "1.2", capsys)
    write(tree, {"src/calc/mul.py": MUL, "tests/test_mul.py": TEST_MUL})
    assert finish(cwd=tree) == 0  # the worktree's src/calc/mul.py is what its tests import
    landed = git(repo, "log", "-1", "--format=%B", "main")
    assert "Tests: 2 passed" in landed and "Coverage: 100.00%" in landed, landed
    assert git(repo, "show", "main:src/calc/mul.py") == MUL
