"""Report value objects: everything a renderer needs, already decided; no I/O and no formatting here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stepcommit.gates.coverage import FileCoverage, display_percent

RangeKind = Literal["default", "ref", "date"]


@dataclass(frozen=True)
class StepRef:
    id: str
    title: str


@dataclass(frozen=True)
class PlanProgress:
    path: str
    done: int
    in_progress: int
    remaining: int
    skipped: int
    in_progress_steps: tuple[StepRef, ...]
    remaining_steps: tuple[StepRef, ...]
    without_commit: tuple[StepRef, ...]
    """Steps the plan marks done that no step commit on this branch finished: done before stepcommit."""

    @property
    def total(self) -> int:
        return self.done + self.in_progress + self.remaining + self.skipped


@dataclass(frozen=True)
class FileStats:
    changed: int
    added: int
    deleted: int


@dataclass(frozen=True)
class StepRow:
    """One step commit, with every figure traced to where it came from."""

    step: str
    title: str
    plan: str | None
    commit: str
    date: str
    files: FileStats
    started_at: str | None
    finished_at: str | None
    duration: float | None
    """Seconds from `start` to `finish`; None when stepcommit's history has no record of this commit."""
    tests: str | None
    tests_source: Literal["history", "commit message"] | None
    coverage: str | None
    """The commit's Coverage trailer, as written."""
    previous: str | None
    """The first parent's Coverage trailer: the figure this step is compared with."""
    allowed: tuple[str, ...] = ()
    """The commit's `Allowed:` trailers (`removed-tests: <reason>`): weakenings let through, and why."""

    @property
    def change(self) -> float | None:
        if self.coverage is None or self.previous is None:
            return None
        # The same arithmetic as the commit message's "(+1.10 from 82.23%)", on the same strings.
        return round(float(self.coverage) - float(self.previous), 2)


@dataclass(frozen=True)
class OtherCommit:
    """A commit that is not a step: listed as it is, never counted as a step. An ordinary commit the
    pre-commit hook gated carries stepcommit's Coverage trailer (``coverage``); others carry none."""

    commit: str
    date: str
    subject: str
    coverage: str | None = None


@dataclass(frozen=True)
class Unmerged:
    """A step stepcommit's history recorded whose commit is not on this branch (merge `none`, a rebase...)."""

    step: str
    title: str
    commit: str
    branch: str
    finished_at: str


@dataclass(frozen=True)
class PackageCoverage:
    name: str
    files: int
    statements: int
    missing: int
    branches: int
    missing_branches: int

    @property
    def percent(self) -> float:
        # coverage.py's own formula (Numbers.pc_covered): executed lines and taken branches over all.
        possible = self.statements + self.branches
        if not possible:
            return 100.0
        return 100.0 * (possible - self.missing - self.missing_branches) / possible

    @property
    def display(self) -> str:
        return display_percent(self.percent)


@dataclass(frozen=True)
class CoverageNow:
    source: Literal["last gate", "test run"]
    tree: str
    on_head: bool
    """Whether the measured tree is HEAD's; False: the work tree had uncommitted changes."""
    total: float
    branch: bool
    tests: str | None
    packages: tuple[PackageCoverage, ...]
    files: tuple[FileCoverage, ...]
    weakest: tuple[FileCoverage, ...]

    @property
    def display(self) -> str:
        return display_percent(self.total)


@dataclass(frozen=True)
class ReportRange:
    kind: RangeKind
    since: str | None
    description: str
    earlier: int
    """Commits on the branch before the range, counted but not listed."""


@dataclass(frozen=True)
class Report:
    repository: str
    branch: str | None
    head: str
    generated_at: str
    range: ReportRange
    plan: PlanProgress | None
    plan_problem: str | None
    steps: tuple[StepRow, ...]
    """Oldest first."""
    other_commits: tuple[OtherCommit, ...]
    unmerged: tuple[Unmerged, ...]
    coverage: CoverageNow | None
    coverage_problem: str | None
