"""`stepcommit watch`: the command itself, with and without a per-test store, and its Ctrl-C."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from stepcommit import git as git_mod
from stepcommit.commands import watch as watch_mod
from stepcommit.commands.check import check
from stepcommit.commands.watch import run_line, status_line, watch, watch_store
from stepcommit.config import load
from stepcommit.gates.testrun import run_tests
from tests.conftest import write

INCREMENTAL = "[tool.stepcommit]\nincremental = true\n"


def _ctrl_c(_seconds: float) -> None:
    raise KeyboardInterrupt  # the user's Ctrl-C while watch waits between polls


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_with_a_store_watch_shows_the_last_figure_clears_a_terminal_and_stops_quietly_on_ctrl_c(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # End to end (about 6 s, one incremental check): the store and the measurement it leaves are
    # what the three behaviours read, and one check serves all three.
    write(project, {"pyproject.toml": INCREMENTAL})
    assert check(cwd=project) == 0  # builds the store and records the full measurement
    line = status_line(project / ".git")
    assert line.startswith("stepcommit watch: last full run ") and line.endswith("%.")
    assert ": 1 passed" in line and "; coverage " in line

    capsys.readouterr()
    with monkeypatch.context() as patched:  # `time` is one module for all: patch it for this call only
        patched.setattr(watch_mod.time, "sleep", _ctrl_c)
        assert watch(cwd=project, pytest_args=[], now=False) == 0
    err = capsys.readouterr().err
    assert line in err and "each change reruns the tests the per-test store selects" in err
    assert err.rstrip().endswith("Stopped watching.")

    screen = _Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    assert watch_store(git_mod.find_repo(project), load(project), now=True, runs=1, clear=True) == 0
    # Nothing changed since the check: no test is selected, and the exact total is shown.
    assert screen.getvalue().startswith("\x1b[2J\x1b[HTests: 0 passed")
    assert "(incremental: 0 of 1 tests); coverage " in screen.getvalue()


def test_a_failing_run_names_the_problem_and_the_first_failure(project: Path) -> None:
    write(
        project,
        {"tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 6\n"},
    )
    repo = git_mod.find_repo(project)
    line = run_line(run_tests(repo, load(project), per_test="off"))
    assert line.startswith("Tests: 0 passed, 1 failed in ")
    assert line.endswith(": tests failed; first: tests/test_add.py::test_add"), line


# A test in the watched project that presses Ctrl-C on pytest-watcher, its parent, as a user would.
CTRL_C_TEST = """\
import os
import signal


def test_press_ctrl_c():
    os.kill(os.getppid(), signal.SIGINT)
"""


def test_without_a_store_pytest_watcher_runs_and_ctrl_c_stops_it_quietly(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"tests/test_ctrl_c.py": CTRL_C_TEST})
    assert watch(cwd=project, pytest_args=["-q"], now=True) == 0
    err = capsys.readouterr().err
    assert "no per-test store yet" in err and "no full measurement yet" in err
    assert err.rstrip().endswith("Stopped watching.")


def test_without_a_store_pytest_watcher_s_own_error_is_its_exit_code(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--delay` is pytest-watcher's own option; a bad value ends it at once with argparse's code 2.
    assert watch(cwd=project, pytest_args=["--delay", "soon"], now=True) == 2
    assert "Stopped watching." not in capsys.readouterr().err


def test_cli_wiring_of_watch_passes_pytest_arguments_through(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from stepcommit.cli import app

    monkeypatch.chdir(project)
    # Everything after `--` goes to pytest-watcher's command line; a bad `--delay` ends it at once.
    result = CliRunner().invoke(app, ["watch", "--no-now", "--", "--delay", "soon"])
    assert result.exit_code == 2, result.output
    assert "no per-test store yet" in result.output


def test_a_save_right_after_the_ready_line_is_not_missed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The ready line used to come before watch read the tree it compares against, so with --no-now
    # a save made on seeing it could become that baseline and never run (a script that edits on the
    # ready line hit it). Now the line comes once the baseline is read: the save right after runs.
    write(project, {"pyproject.toml": INCREMENTAL})
    assert check(cwd=project) == 0
    source = project / "calc" / "__init__.py"
    capsys.readouterr()

    def save() -> None:
        source.write_text(source.read_text() + "\n\ndef added():\n    return 1\n")

    assert (
        watch_store(git_mod.find_repo(project), load(project), now=False, poll=0.05, runs=1, on_ready=save)
        == 0
    )
    line = capsys.readouterr().out.strip()
    assert line.startswith("Tests: ") and "(incremental: " in line and "(exact total)" in line, line


def test_the_real_command_reruns_on_a_save_and_ends_cleanly_on_sigint(project: Path) -> None:
    import os
    import signal
    import subprocess

    write(project, {"pyproject.toml": INCREMENTAL})
    assert check(cwd=project) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    watch_proc = subprocess.Popen([sys.executable, "-m", "stepcommit", "watch", "--no-now"], cwd=project, env=env,
                                  text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert watch_proc.stdout is not None
        lines = [watch_proc.stdout.readline() for _ in range(2)]
        assert "each change reruns" in lines[1], lines
        source = project / "calc" / "__init__.py"
        source.write_text(source.read_text() + "\n\ndef added():\n    return 1\n")
        line = watch_proc.stdout.readline()
        assert line.startswith("Tests: ") and "(exact total)" in line, line
        watch_proc.send_signal(signal.SIGINT)
        rest = watch_proc.communicate(timeout=30)[0]
    finally:
        if watch_proc.poll() is None:
            watch_proc.kill()
    assert watch_proc.returncode == 0 and rest.rstrip().endswith("Stopped watching."), rest
