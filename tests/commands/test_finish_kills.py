"""Randomized kills through `finish`: SIGKILL and SIGINT at random moments, inside git commands that
rewrite the tree (a slow smudge filter, a slow commit hook), while the base has moved.

Each trial must end with the step landed exactly once, from a tree whose tests pass, or with the
step intact on its branch; and `status` plus `finish` (following what they print) must then finish it.
A bounded number of trials, seeded, so a failure names the seed that reproduces it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import commit_all, git, write

TRIALS = int(os.environ.get("STEPCOMMIT_KILL_TRIALS", "4"))
SUB = "def sub(a, b):\n    return a - b\n"
TEST_SUB = "from calc.sub import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=project, capture_output=True, text=True, timeout=180
    )


def prepare(project: Path) -> None:
    slow = project.parent / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 0.15\ncat\n")
    slow.chmod(0o755)
    git(project, "config", "filter.slow.smudge", str(slow))
    git(project, "config", "filter.slow.clean", "cat")
    write(project, {".gitattributes": "*.dat filter=slow\n"})
    commit_all(project, "chore: attributes")
    assert cli(project, "start").returncode == 0
    git(project, "switch", "-q", "main")
    write(project, {f"data/{n}.dat": f"{n}\n" for n in range(4)})
    commit_all(project, "chore: data on the base")
    git(project, "switch", "-q", "step/1.2-subtraction")
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB, "notes/draft.dat": "draft\n"})
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 0.4\n")
    hook.chmod(0o755)


def finish_after_interruption(project: Path) -> str:
    """Follow what status and finish say until the step is finished; returns the transcript."""
    transcript = []
    for _ in range(4):
        report = cli(project, "status", "--json")
        assert report.returncode == 0, report.stderr
        data = json.loads(report.stdout)
        transcript.append(f"status next: {data['next']}")
        if data["index_lock"]:
            assert "rm " in data["next"]
            Path(data["index_lock"]).unlink()
            continue
        if data["step"] is None:
            return "\n".join(transcript)
        done = cli(project, "finish")
        transcript.append(f"finish: {done.returncode} {done.stderr.strip()[-300:]}")
        if done.returncode == 0:
            return "\n".join(transcript)
    raise AssertionError("the step could not be finished:\n" + "\n".join(transcript))


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_random_kills_through_finish(project: Path, trial: int) -> None:
    seed = 1000 + trial
    rng = random.Random(seed)
    prepare(project)
    base_before = git(project, "rev-parse", "main").strip()
    sig = rng.choice([signal.SIGKILL, signal.SIGINT])
    delay = rng.uniform(0.3, 7.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "stepcommit", "finish"], cwd=project, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    where = f"seed {seed}: {sig.name} after {delay:.2f}s (exit {proc.returncode}); {err.strip()[-400:]}"
    assert "Traceback" not in err, where
    # Right after the interruption: landed once, or not at all and the step still on its branch.
    steps_on_main = git(project, "log", "--format=%(trailers:key=Step,valueonly)", "main").split()
    assert steps_on_main.count("1.2") <= 1, where
    if not steps_on_main:
        assert git(project, "rev-parse", "-q", "--verify", "step/1.2-subtraction", check=False).strip(), where
    time.sleep(0.05)
    where += "\n" + finish_after_interruption(project)
    # Finished: exactly one step commit on main, on top of the moved base, a clean checkout of it.
    assert git(project, "branch", "--show-current").strip() == "main", where
    assert git(project, "log", "--format=%(trailers:key=Step,valueonly)", "main").split().count("1.2") == 1, (
        where
    )
    assert git(project, "rev-parse", "main~1").strip() == base_before, where
    assert git(project, "status", "--porcelain") == "", where
    assert not git(project, "branch", "--list", "step/*").strip(), where
    plan_text = git(project, "show", "main:PLAN.md")
    assert plan_text.count("[x] **1.2.") == 1 and "[ ] **1.2." not in plan_text, where
    assert (project / "calc" / "sub.py").read_text() == SUB, where
    assert (project / "notes" / "draft.dat").read_text() == "draft\n", where
    assert (project / "data" / "3.dat").read_text() == "3\n", where
    # The landed tree is one that passes its tests.
    landed = git(project, "log", "-1", "--format=%B", "main")
    assert "Tests: 2 passed" in landed, where
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, where + run.stdout[-500:]
