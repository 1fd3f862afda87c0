"""`status` tells the truth: which tree the last gate measured, a running finish, hook errors (real git, pytest)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stepcommit.agents.capture import record_hook_error
from stepcommit.commands.check import check
from stepcommit.commands.finish import finish
from stepcommit.commands.start import start
from stepcommit.commands.status import collect, status
from stepcommit.errors import GateFailed
from tests.conftest import write


def test_a_failed_gate_prints_no_none(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start(cwd=project, query=None)
    write(project, {"tests/test_broken.py": "import no_such_module\n"})
    with pytest.raises(GateFailed):
        check(cwd=project)
    capsys.readouterr()
    status(cwd=project)
    out = capsys.readouterr().out
    assert "FAILED" in out and "None" not in out
    assert "the work as it is now" in out


def test_the_gate_says_whether_it_measured_the_work_as_it_is(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start(cwd=project, query=None)
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    assert check(cwd=project) == 0
    assert collect(project)["last_gate"]["current"] is True
    write(project, {"calc/more.py": "X = 2\n"})
    gate = collect(project)["last_gate"]
    assert gate["current"] is False and gate["ok"] is True
    capsys.readouterr()
    status(cwd=project)
    assert "an earlier state of the work" in capsys.readouterr().out


def test_right_after_start_the_previous_step_gate_is_not_this_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start(cwd=project, query=None)
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    assert finish(cwd=project) == 0
    time.sleep(1.1)  # the next step starts in a later second than the last gate ran
    start(cwd=project, query=None)
    data = collect(project)
    assert data["last_gate"]["this_step"] is False
    assert data["next"] == "work on the step, then: stepcommit finish"
    capsys.readouterr()
    status(cwd=project)
    assert "none in this step yet" in capsys.readouterr().out


def test_a_running_finish_is_running_not_interrupted(project: Path) -> None:
    start(cwd=project, query=None)
    marker = project.parent / "in-tests"
    write(project, {"tests/test_slow.py": (
        "import time\nfrom pathlib import Path\n\n\ndef test_slow():\n"
        f"    Path({str(marker)!r}).touch()\n    time.sleep(4)\n"
    )})  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "stepcommit", "finish"], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        report = subprocess.run([sys.executable, "-m", "stepcommit", "status", "--json"], cwd=project,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        data = json.loads(report.stdout)
        assert data["running"] == "finish"
        assert data["interrupted_finish"]["running"] is True
        assert data["next"].startswith("wait")
    finally:
        proc.communicate(timeout=120)
    assert proc.returncode == 0


def test_hook_errors_show_their_time_and_can_be_cleared(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_hook_error(project / ".git", "claude", "payload of an unknown shape")
    status(cwd=project)
    out = capsys.readouterr().out
    assert "payload of an unknown shape" in out and "--clear-errors" in out
    status(cwd=project, clear_errors=True)
    assert "payload of an unknown shape" not in capsys.readouterr().out
    assert collect(project)["hook_errors"] == []


def test_status_during_a_step_runs_seven_git_processes_and_keeps_its_gate_verdict(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(cwd=project, query=None)
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    assert check(cwd=project) == 0
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    data = collect(project)
    assert data["last_gate"]["current"] is True  # the gated tree is the ticked one: still found
    calls = [line.split("trace: built-in: ", 1)[1] for line in trace.read_text().splitlines()
             if "trace: built-in: " in line]  # fmt: skip
    assert sum("HEAD^{commit}" in c for c in calls) == 1  # HEAD looked up once, with the repository
    assert not any("--numstat" in c or "read-tree" in c for c in calls)
    assert len(calls) == 7, calls
