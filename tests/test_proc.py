"""`stepcommit.proc`: real child processes, their failures shown in full, Ctrl-C passed on."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from stepcommit.errors import StepcommitError, ToolMissing
from stepcommit.proc import CalledProcessError, run, run_attached

FAIL = "import sys; print('to out'); print('to err', file=sys.stderr); sys.exit(3)"


def test_a_failure_shows_command_exit_code_and_both_streams() -> None:
    with pytest.raises(CalledProcessError) as caught:
        run([sys.executable, "-c", FAIL])
    message = str(caught.value)
    assert isinstance(caught.value, StepcommitError)
    assert message.startswith(f"`{sys.executable}` failed.\ncommand: {sys.executable} -c ")
    assert "\nexit code: 3\nstdout: to out\nstderr: to err" in message
    assert caught.value.result.returncode == 3


def test_a_silent_failure_shows_no_empty_streams() -> None:
    with pytest.raises(CalledProcessError) as caught:
        run([sys.executable, "-c", "raise SystemExit(5)"])
    assert str(caught.value).endswith("exit code: 5")
    assert "stdout" not in str(caught.value) and "stderr" not in str(caught.value)


def test_unchecked_failure_returns_and_input_reaches_the_child(tmp_path: Path) -> None:
    done = run([sys.executable, "-c", "import sys; print(sys.stdin.read().upper()); sys.exit(1)"],
               cwd=tmp_path, check=False, input="hello")  # fmt: skip
    assert (done.returncode, done.stdout.strip(), done.timed_out) == (1, "HELLO", False)


def test_a_timeout_kills_the_process_group_and_reports_it(tmp_path: Path) -> None:
    # The child starts a grandchild that would outlive it; killing the group ends both.
    marker = tmp_path / "grandchild.pid"
    code = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
            f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(30)")  # fmt: skip
    started = time.monotonic()
    done = run([sys.executable, "-c", code], timeout=1.5)
    assert done.timed_out and done.returncode == -9
    assert time.monotonic() - started < 10
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of a dead parent may linger as a zombie until init reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("runner", [run, run_attached])
def test_a_missing_program_is_a_tool_missing_error(runner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ToolMissing, match=r"Cannot run `no-such-program-x1`: no such program\."):
        runner(["no-such-program-x1"])


def test_attached_returns_the_child_exit_code(tmp_path: Path) -> None:
    assert (
        run_attached([sys.executable, "-c", "raise SystemExit(4)"], cwd=tmp_path, env=dict(os.environ)) == 4
    )


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main thread"
)
def test_attached_ctrl_c_waits_for_the_child_and_reports_130(tmp_path: Path) -> None:
    # Ctrl-C reaches stepcommit while the child is still running: run_attached lets the child end
    # (here it finishes its own work, writing a file) and answers 130.
    done = tmp_path / "done"
    code = f"import time; time.sleep(0.8); open({str(done)!r}, 'w').write('ok')"
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        assert run_attached([sys.executable, "-c", code]) == 130
    finally:
        timer.cancel()
    assert done.read_text() == "ok"
