"""What lands is exactly what was tested: hostile tests, a moving base, resumed finishes (real git, real pytest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.finish import finish
from stepcommit.commands.log import log
from stepcommit.commands.start import start
from stepcommit.commands.status import collect
from stepcommit.errors import GateFailed, GitError, RepositoryStateError
from tests.conftest import commit_all, git, write

SUB = "def sub(a, b):\n    return a - b\n"
# The step's test also uses add(): it breaks when the base renames add().
TEST_SUB = (
    "from calc import add\nfrom calc.sub import sub\n\n\ndef test_sub():\n    assert sub(add(2, 3), 3) == 2\n"
)
# The same test without add(): passes on the step's branch and merged with the renaming base alike.
TEST_SUB_FIXED = "from calc.sub import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"


def run_cli(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def step_work(project: Path) -> None:
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})


def rename_add_on_main(project: Path) -> str:
    """A change on the base that merges cleanly with the step but breaks the step's test."""
    branch = git(project, "branch", "--show-current").strip()
    git(project, "switch", "-q", "main")
    text = (project / "calc" / "__init__.py").read_text().replace("def add(", "def plus(")
    write(project, {"calc/__init__.py": text, "tests/test_add.py": "from calc import plus\n\n\n"
                    "def test_plus():\n    assert plus(2, 3) == 5\n"})  # fmt: skip
    tip = commit_all(project, "refactor: add is now plus")
    git(project, "switch", "-q", branch)
    return tip


def test_a_test_that_deletes_and_writes_files_is_a_finding_and_the_files_are_restored(project: Path) -> None:
    start(cwd=project, query=None)
    step_work(project)
    write(project, {"NOTES.txt": "my own notes, never committed\n"})
    write(project, {"tests/test_sneaky.py": (
        "from pathlib import Path\n\nROOT = Path(__file__).resolve().parents[1]\n\n\n"
        "def test_sneaky():\n    (ROOT / 'NOTES.txt').unlink()\n    (ROOT / 'leak.txt').write_text('x')\n"
    )})  # fmt: skip
    base = git(project, "rev-parse", "main").strip()
    with pytest.raises(GateFailed) as info:
        finish(cwd=project)
    text = info.value.message
    assert "changed the work tree" in text and "NOTES.txt" in text and "leak.txt" in text
    assert (project / "NOTES.txt").read_text() == "my own notes, never committed\n"
    assert git(project, "rev-parse", "main").strip() == base
    assert git(project, "log", "-1", "--format=%s").strip() == "chore: initial"
    assert "[ ] **1.2." in (project / "PLAN.md").read_text()


def test_a_test_that_commits_is_a_finding_and_the_branch_is_put_back(project: Path) -> None:
    start(cwd=project, query=None)
    step_work(project)
    write(project, {"tests/test_commits.py": (
        "import subprocess\nfrom pathlib import Path\n\nROOT = Path(__file__).resolve().parents[1]\n\n\n"
        "def test_commits():\n    (ROOT / 'calc' / 'sub.py').write_text('broken = True\\n')\n"
        "    subprocess.run(['git', 'add', '-A'], cwd=ROOT, check=True)\n"
        "    subprocess.run(['git', 'commit', '-qm', 'sneaky', '--no-verify'], cwd=ROOT, check=True)\n"
    )})  # fmt: skip
    head = git(project, "rev-parse", "HEAD").strip()
    base = git(project, "rev-parse", "main").strip()
    with pytest.raises(GateFailed, match="committed"):
        finish(cwd=project)
    assert git(project, "rev-parse", "HEAD").strip() == head
    assert git(project, "rev-parse", "main").strip() == base
    assert (project / "calc" / "sub.py").read_text() == SUB


def test_the_base_moved_with_a_clean_merge_that_breaks_the_step(project: Path) -> None:
    # The landing gate selects from the per-test store (full_on_finish would run every test).
    write(project, {"pyproject.toml": "[tool.stepcommit]\nfull_on_finish = false\n"})
    commit_all(project, "chore: incremental at finish too")
    start(cwd=project, query=None)
    main_tip = rename_add_on_main(project)
    step_work(project)
    with pytest.raises(GateFailed) as info:
        finish(cwd=project)
    assert "test_sub" in info.value.message
    assert "main" in info.value.message
    assert git(project, "rev-parse", "main").strip() == main_tip
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
    assert git(project, "log", "-1", "--format=%s").strip() == "feat(step-1.2): Subtraction"
    assert git(project, "status", "--porcelain") == ""
    # Repaired on the branch, the next finish takes the fix into the step's commit, gates the
    # merged tree and lands it.
    write(project, {"tests/test_sub.py": TEST_SUB_FIXED})
    assert finish(cwd=project) == 0
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "rev-parse", "main~1").strip() == main_tip
    landed = git(project, "log", "-1", "--format=%B", "main")
    # The landing gate selects from the per-test store: the base changed calc/__init__.py and
    # tests/test_add.py, which only test_plus touches, so it alone reruns and the total stays exact.
    assert "Step: 1.2" in landed and "Tests: 1 passed" in landed and "(incremental: 1 of 2 tests)" in landed
    assert git(project, "show", "main:tests/test_sub.py") == TEST_SUB_FIXED
    assert "[x] **1.2." in git(project, "show", "main:PLAN.md")
    assert git(project, "status", "--porcelain") == ""


def test_a_clean_merge_that_keeps_passing_lands_with_the_merged_figures(project: Path) -> None:
    start(cwd=project, query=None)
    main_tip = rename_add_on_main(project)
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB_FIXED})
    assert finish(cwd=project) == 0
    assert git(project, "rev-parse", "main~1").strip() == main_tip
    assert "def plus(" in git(project, "show", "main:calc/__init__.py")
    assert git(project, "status", "--porcelain") == ""
    assert not git(project, "branch", "--list", "step/*").strip()


def test_a_wrong_rebase_after_a_conflict_never_lands(project: Path) -> None:
    start(cwd=project, query=None)
    git(project, "switch", "-q", "main")
    write(project, {"calc/__init__.py": "# rewritten on main\n\ndef add(a, b):\n    return a + b\n"})
    main_tip = commit_all(project, "chore: conflicting change")
    git(project, "switch", "-q", "step/1.2-subtraction")
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write("\n\ndef subtract(a, b):\n    return a - b\n")
    write(project, {"tests/test_subtract.py": "from calc import subtract\n\n\ndef test_s():\n"
                    "    assert subtract(5, 3) == 2\n"})  # fmt: skip
    with pytest.raises(GitError, match="conflict"):
        finish(cwd=project)
    assert git(project, "rev-parse", "main").strip() == main_tip
    # The user rebases and resolves the conflict wrongly: main's side only, subtract() gone.
    subprocess.run(["git", "rebase", "main"], cwd=project, capture_output=True)
    git(project, "checkout", "--ours", "calc/__init__.py")
    git(project, "add", "calc/__init__.py")
    subprocess.run(
        ["git", "-c", "core.editor=true", "rebase", "--continue"], cwd=project, capture_output=True
    )
    assert git(project, "branch", "--show-current").strip() == "step/1.2-subtraction"
    with pytest.raises(GateFailed, match="test_s"):
        finish(cwd=project)
    assert git(project, "rev-parse", "main").strip() == main_tip


def _slow_filter(project: Path, marker: Path) -> None:
    """A smudge filter that takes its time on checkout (as Git LFS does), to be killed inside."""
    script = project.parent / "slow-smudge.sh"
    # Slow only in the user's checkout (not in the throw-away one the landing gate uses).
    script.write_text(
        f'#!/bin/sh\nif [ "$(pwd -P)" = "{project.resolve()}" ]; then touch {marker}; sleep 0.5; fi\ncat\n'
    )
    script.chmod(0o755)
    git(project, "config", "filter.slow.smudge", str(script))
    git(project, "config", "filter.slow.clean", "cat")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_kill_while_the_checkout_follows_the_base_is_resumed(project: Path, sig: signal.Signals) -> None:
    write(project, {".gitattributes": "*.dat filter=slow\n"})
    commit_all(project, "chore: attributes")
    start(cwd=project, query=None)
    rename_add_on_main(project)
    # Files the switch must write through the slow filter (the base's side adds them).
    git(project, "switch", "-q", "main")
    write(project, {f"data/{n}.dat": f"{n}\n" for n in range(6)})
    main_tip = commit_all(project, "chore: data")
    git(project, "switch", "-q", "step/1.2-subtraction")
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB_FIXED})
    marker = project.parent / "smudged"
    _slow_filter(project, marker)
    proc = subprocess.Popen([sys.executable, "-m", "stepcommit", "finish"], cwd=project, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 90
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), proc.communicate()
    os.killpg(proc.pid, sig)  # as Ctrl-C does: the whole foreground group, git included
    proc.communicate(timeout=60)
    report = json.loads(run_cli(project, "status", "--json").stdout)
    assert report["interrupted_finish"] is not None
    assert "stepcommit finish" in report["next"]
    subprocess.run(["git", "config", "--unset", "filter.slow.smudge"], cwd=project)
    done = run_cli(project, "finish")
    if done.returncode != 0 and "index.lock" in done.stderr:
        # The killed git left its lock: as the message says, no git runs, so it is removed.
        assert "no git command is running" in done.stderr
        assert "index.lock" in run_cli(project, "status").stdout
        (project / ".git" / "index.lock").unlink()
        done = run_cli(project, "finish")
    assert done.returncode == 0, done.stderr
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "rev-parse", "main~1").strip() == main_tip
    assert git(project, "status", "--porcelain") == ""
    assert (project / "calc" / "sub.py").read_text() == SUB
    assert (project / "data" / "5.dat").read_text() == "5\n"
    assert state.load_journal(project / ".git") is None


def test_a_ctrl_c_right_after_the_step_commit_keeps_it_and_the_finish_goes_on(project: Path) -> None:
    start(cwd=project, query=None)
    step_work(project)
    # The hook runs once git made the commit: it interrupts stepcommit (git's parent) as Ctrl-C would.
    hook = project / ".git" / "hooks" / "post-commit"
    hook.write_text('#!/bin/sh\nrm "$0"\nkill -INT "$(awk \'/^PPid:/ {print $2}\' /proc/$PPID/status)"\n')
    hook.chmod(0o755)
    done = run_cli(project, "finish")
    assert not hook.exists()  # the hook ran, so the interruption came
    assert done.returncode == 0, done.stderr
    assert "Finished step 1.2" in done.stdout
    assert git(project, "log", "-1", "--format=%(trailers:key=Step,valueonly)", "main").strip() == "1.2"
    assert "[x] **1.2." in (project / "PLAN.md").read_text()
    assert git(project, "status", "--porcelain") == ""
    assert state.load_journal(project / ".git") is None


def test_a_leftover_index_lock_is_explained(project: Path) -> None:
    start(cwd=project, query=None)
    step_work(project)
    (project / ".git" / "index.lock").write_text("")
    with pytest.raises(RepositoryStateError) as info:
        finish(cwd=project)
    assert "index.lock" in info.value.message
    assert "rm" in info.value.hint or "delete" in info.value.hint.lower()
    assert "[ ] **1.2." in (project / "PLAN.md").read_text()


def test_an_entry_logged_while_finish_runs_is_kept_for_the_next_commit(project: Path) -> None:
    start(cwd=project, query=None)
    step_work(project)
    log(cwd=project, texts=["Adding sub()."])
    # A hook that logs after the step's message is written: the entry belongs to the next commit.
    hook = project / ".git" / "hooks" / "post-commit"
    hook.write_text(f"#!/bin/sh\n{sys.executable} -m stepcommit log 'Logged during finish.'\n")
    hook.chmod(0o755)
    done = run_cli(project, "finish")
    assert done.returncode == 0, done.stderr
    landed = git(project, "log", "-1", "--format=%B", "main")
    assert "Adding sub()." in landed and "Logged during finish." not in landed
    assert collect(project)["progress"][0]["text"] == "Logged during finish."


def test_a_fast_forward_after_a_rebase_lands_the_figures_of_the_rebased_tree(project: Path) -> None:
    start(cwd=project, query=None)
    git(project, "switch", "-q", "main")
    write(
        project,
        {"tests/test_more.py": "from calc import add\n\n\ndef test_more():\n    assert add(1, 1) == 2\n"},
    )
    main_tip = commit_all(project, "test: one more")
    git(project, "switch", "-q", "step/1.2-subtraction")
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB_FIXED})
    with pytest.raises(GitError, match="fast-forward"):
        finish(cwd=project, merge_style="ff")
    assert "Tests: 2 passed" in git(project, "log", "-1", "--format=%B")  # the step's own gate
    assert git(project, "rev-parse", "main").strip() == main_tip
    git(project, "rebase", "-q", "main")  # as the message advises
    assert finish(cwd=project, merge_style="ff") == 0
    landed = git(project, "log", "-1", "--format=%B", "main")
    # The commit that lands carries the gate of the tree it holds: three tests, not the two before.
    assert "Tests: 3 passed" in landed and "Tests: 2 passed" not in landed, landed
    assert git(project, "rev-parse", "main~1").strip() == main_tip
    assert git(project, "show", "main:tests/test_more.py").startswith("from calc import add")
    assert "[x] **1.2." in git(project, "show", "main:PLAN.md")
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "branch", "--show-current").strip() == "main"
    assert not git(project, "branch", "--list", "step/*").strip()  # it landed: the branch goes


FORGER = """\
import json
import subprocess
from pathlib import Path


def test_forges_the_gate_s_records():
    git_dir = Path(subprocess.run(["git", "rev-parse", "--absolute-git-dir"], capture_output=True,
                                  text=True, check=True).stdout.strip())
    (git_dir / "stepcommit" / "gate.json").write_text(json.dumps({"ok": True, "tree": "forged"}))
    (git_dir / "stepcommit" / "verdict.json").write_text(json.dumps({"tree": "forged"}))
"""


def test_a_test_that_writes_stepcommit_s_own_records_is_a_finding_and_they_are_put_back(
    project: Path,
) -> None:
    # The gate's verdict is stepcommit's to write: a test that forges it (to have a later check or
    # finish replay a pass for a tree no gate ran) fails the gate, and the records are as they were.
    from stepcommit.commands.check import check
    from stepcommit.gates.cache import GateCache

    assert check(cwd=project) == 0
    git_dir = project / ".git" / "stepcommit"
    before = {name: (git_dir / name).read_bytes() for name in ("gate.json", "verdict.json")}
    write(project, {"tests/test_forger.py": FORGER})
    with pytest.raises(GateFailed) as info:
        check(cwd=project)
    assert "stepcommit's own records" in info.value.message and "gate.json" in info.value.message
    assert (git_dir / "verdict.json").read_bytes() == before["verdict.json"]
    last = GateCache(project / ".git").last()
    assert last is not None and last.get("tree") != "forged" and last.get("ok") is False
