"""The one error family: every failure a user can act on, with its exit code and a hint."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


class StepcommitError(Exception):
    """A failure the user can act on; the CLI prints the message and the hint, never a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotARepository(StepcommitError):
    """Not inside a git work tree."""


class RepositoryStateError(StepcommitError):
    """Detached HEAD, an operation in progress, an unborn branch: git is not ready for a step."""


class GitError(StepcommitError):
    """A git command failed."""


class PlanError(StepcommitError):
    """The plan is missing, unreadable, or has no such step."""


class StepStateError(StepcommitError):
    """No step is active, or one already is."""


class LockedError(StepcommitError):
    """Another stepcommit run holds the repository."""


class ForbiddenFilesError(StepcommitError):
    """Files that must never be committed are among the changes."""


class GateFailed(StepcommitError):
    """A gate (tests, lint, coverage) did not pass; nothing was committed."""

    exit_code = 2


class ToolMissing(StepcommitError):
    """A program stepcommit needs (the test runner, git) cannot be run."""


class ConfigError(StepcommitError):
    """The [tool.stepcommit] configuration is invalid."""


class ProjectFileError(StepcommitError):
    """A project file stepcommit has to edit (pyproject.toml, .env.example, a YAML config) cannot be read."""


class WouldOverwrite(StepcommitError):
    """A file the user wrote is in the way of one stepcommit generates; only `--force` replaces it."""


class EnvironmentProblem(StepcommitError):
    """The machine refused a file operation: a full disk, a read-only file system, no permission."""


def _os_advice(errno_value: int | None) -> str:
    import errno

    advice = {
        errno.ENOSPC: "The disk is full: free some space, then run the command again.",
        errno.EDQUOT: "Your disk quota is used up: free some space, then run the command again.",
        errno.EROFS: "That file system is mounted read-only: remount it read-write, or work in a writable clone.",
        errno.EACCES: "You lack the permission: give your user write access (e.g. `chmod -R u+w` on the "
        "folder), or run stepcommit as the user who owns the repository.",
        errno.EPERM: "The operation is not permitted there: check the folder's owner and attributes.",
        errno.ENOTDIR: "A file stands where a folder is needed: move that file aside, then run again.",
        errno.EISDIR: "A folder stands where a file is needed: move that folder aside, then run again.",
        errno.EEXIST: "Something of the wrong kind is in the way (a file for a folder?): move it aside.",
    }
    return advice.get(errno_value or 0, "Check that path and free space, then run the command again.")


def from_os_error(exc: OSError) -> EnvironmentProblem:
    """The one-paragraph message for a refused file operation: the path, what the OS said, what to do."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    said = f"{exc.strerror or exc}{f' ({name})' if name else ''}"
    # A write on an open file carries no path: then the OS's words are all there is.
    text = (
        f"Cannot use {exc.filename}: {said}."
        if exc.filename is not None
        else f"A file operation failed: {said}."
    )
    return EnvironmentProblem(text, hint=_os_advice(exc.errno))


@contextlib.contextmanager
def never_blocking(report: Callable[[str], None]) -> Iterator[None]:
    """For hooks only: any error in the block becomes ``report(detail)``, never an exit code.

    A git or agent hook that fails for stepcommit's own fault must still let the commit or the
    agent go on; the caller records the detail for `stepcommit status`. Ctrl-C still stops it.
    """
    try:
        yield
    except Exception as exc:  # the one place a broad catch is right (see the docstring)
        report(exc.message if isinstance(exc, StepcommitError) else f"{type(exc).__name__}: {exc}")
