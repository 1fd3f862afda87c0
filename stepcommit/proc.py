"""The one way stepcommit runs another program: argv lists, never a shell, errors that show everything."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit.errors import StepcommitError, ToolMissing


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


class CalledProcessError(StepcommitError):
    """A program exited non-zero where success was required."""

    def __init__(self, result: Completed) -> None:
        shown = " ".join(result.argv)
        detail = "\n".join(
            part
            for part in (
                f"command: {shown}",
                f"exit code: {result.returncode}",
                f"stdout: {result.stdout.strip()}" if result.stdout.strip() else "",
                f"stderr: {result.stderr.strip()}" if result.stderr.strip() else "",
            )
            if part
        )
        super().__init__(f"`{result.argv[0]}` failed.\n{detail}")
        self.result = result


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
) -> Completed:
    """Run ``argv`` and capture its output as text.

    A timeout kills the whole process group (pytest's workers included) and returns
    ``timed_out=True`` instead of raising, so a gate can report a hanging test.
    """
    args = tuple(os.fspath(a) for a in argv)
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=timeout is not None,
        )
    except FileNotFoundError:
        raise ToolMissing(
            f"Cannot run `{args[0]}`: no such program.",
            hint="Install it or fix the command in [tool.stepcommit] of pyproject.toml.",
        ) from None
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Completed(args, -9, out, err, timed_out=True)
    except BaseException:
        # Ctrl-C: do not leave the child running behind us.
        proc.kill()
        proc.wait()
        raise
    result = Completed(args, proc.returncode, out, err)
    if check and result.returncode != 0:
        raise CalledProcessError(result)
    return result


def run_attached(
    argv: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> int:
    """Run ``argv`` on the user's terminal (a long-running, interactive tool); returns its exit code.

    Ctrl-C reaches the child too (same process group); we wait for it to finish its own cleanup
    (terminal modes) and report 130, the shell's code for an interrupt.
    """
    args = tuple(os.fspath(a) for a in argv)
    try:
        child = subprocess.Popen(args, cwd=cwd, env=dict(env) if env is not None else None)
    except FileNotFoundError:
        raise ToolMissing(f"Cannot run `{args[0]}`: no such program.") from None
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 130
