"""The one error family: every failure a user can act on, with its exit code and a hint."""

from __future__ import annotations


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
