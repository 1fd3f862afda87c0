"""Pure report building: git log entries, stepcommit's history, the plan and coverage data in; a Report out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from stepcommit.errors import StepcommitError
from stepcommit.gates.coverage import CoverageReport, FileCoverage
from stepcommit.git import LogEntry
from stepcommit.plan import Plan
from stepcommit.report.model import (
    CoverageNow,
    FileStats,
    OtherCommit,
    PackageCoverage,
    PlanProgress,
    StepRef,
    StepRow,
    Unmerged,
)

_HEADER = re.compile(r"^[A-Za-z]+(?:\([^)]*\))?!?:\s*")
# The body line `finish` writes; read only from step commits, whose layout stepcommit owns.
_TESTS_LINE = re.compile(r"^Tests: (?P<tests>.+?)\s*$", re.MULTILINE)


class BadSince(StepcommitError):
    """--since is neither a commit nor a date."""


def parse_date(text: str) -> datetime | None:
    """An ISO date or date-time; one without a zone is local time, as a person typing it means."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.astimezone()


def parse_timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return parse_date(text)


def is_step_commit(entry: LogEntry) -> bool:
    return entry.trailer("Step") is not None


def default_range(entries: Sequence[LogEntry]) -> tuple[tuple[LogEntry, ...], int]:
    """(commits from the oldest step commit on, number of older commits).

    Without --since the report covers the stepcommit era: a long history before the first
    step commit is counted, not listed. A branch with no step commit is listed whole.
    """
    steps = [i for i, e in enumerate(entries) if is_step_commit(e)]
    if not steps:
        return tuple(entries), 0
    last = steps[-1]  # newest first, so the last index is the oldest step commit
    return tuple(entries[: last + 1]), len(entries) - last - 1


def entries_since_date(entries: Sequence[LogEntry], when: datetime) -> tuple[tuple[LogEntry, ...], int]:
    selected = tuple(e for e in entries if (parse_timestamp(e.date) or when) >= when)
    return selected, len(entries) - len(selected)


def entries_in(entries: Sequence[LogEntry], commits: Iterable[str]) -> tuple[tuple[LogEntry, ...], int]:
    wanted = set(commits)
    selected = tuple(e for e in entries if e.commit in wanted)
    return selected, len(entries) - len(selected)


def title_of(entry: LogEntry) -> str:
    return _HEADER.sub("", entry.subject, count=1).strip() or entry.subject


def tests_line(entry: LogEntry) -> str | None:
    match = _TESTS_LINE.search(entry.body)
    return match.group("tests") if match else None


def history_by_commit(history: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Finished-step records by commit id; a step finished twice on one commit keeps its last record."""
    return {str(r["commit"]): r for r in history if r.get("commit")}


def duration(record: Mapping[str, Any] | None) -> float | None:
    if record is None:
        return None
    start = parse_timestamp(record.get("started_at"))
    end = parse_timestamp(record.get("finished_at"))
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def step_row(
    entry: LogEntry,
    parent: LogEntry | None,
    record: Mapping[str, Any] | None,
    files: FileStats,
) -> StepRow:
    step = entry.trailer("Step")
    assert step is not None
    recorded_tests = record.get("tests") if record else None
    message_tests = tests_line(entry)
    return StepRow(
        step=step,
        title=str(record["title"]) if record and record.get("title") else title_of(entry),
        plan=entry.trailer("Plan"),
        commit=entry.commit,
        date=entry.date,
        files=files,
        started_at=record.get("started_at") if record else None,
        finished_at=record.get("finished_at") if record else None,
        duration=duration(record),
        tests=recorded_tests or message_tests,
        tests_source="history" if recorded_tests else ("commit message" if message_tests else None),
        coverage=entry.trailer("Coverage"),
        previous=parent.trailer("Coverage") if parent else None,
        allowed=tuple(v for k, v in entry.trailers if k.lower() == "allowed"),
    )


def steps_and_others(
    selected: Sequence[LogEntry],
    all_entries: Sequence[LogEntry],
    history: Iterable[Mapping[str, Any]],
    stats: Mapping[str, FileStats],
) -> tuple[tuple[StepRow, ...], tuple[OtherCommit, ...]]:
    """Step rows and the other commits in ``selected``, both oldest first."""
    by_commit = {e.commit: e for e in all_entries}
    records = history_by_commit(history)
    steps: list[StepRow] = []
    others: list[OtherCommit] = []
    for entry in reversed(selected):
        if is_step_commit(entry):
            parent = by_commit.get(entry.parents[0]) if entry.parents else None
            files = stats.get(entry.commit, FileStats(0, 0, 0))
            steps.append(step_row(entry, parent, records.get(entry.commit), files))
        else:
            others.append(OtherCommit(entry.commit, entry.date, entry.subject, entry.trailer("Coverage")))
    return tuple(steps), tuple(others)


def unmerged_steps(
    history: Iterable[Mapping[str, Any]], on_branch: set[str], since: datetime | None = None
) -> tuple[Unmerged, ...]:
    """History records whose commit this branch does not have."""
    found: dict[str, Unmerged] = {}
    for record in history:
        commit = str(record.get("commit") or "")
        if not commit or commit in on_branch:
            continue
        finished = parse_timestamp(record.get("finished_at"))
        if since is not None and (finished is None or finished < since):
            continue
        found[commit] = Unmerged(
            step=str(record.get("step", "?")),
            title=str(record.get("title", "")),
            commit=commit,
            branch=str(record.get("branch", "")),
            finished_at=str(record.get("finished_at", "")),
        )
    return tuple(found.values())


def committed_steps(entries: Iterable[LogEntry]) -> set[tuple[str | None, str]]:
    """(plan, step id) of every step commit; plan is None for a commit without a Plan trailer."""
    return {(e.trailer("Plan"), e.trailer("Step") or "") for e in entries if is_step_commit(e)}


def plan_progress(plan: Plan, rel_path: str, committed: set[tuple[str | None, str]]) -> PlanProgress:
    """Counts over the plan's leaf steps: the units of work `start` hands out."""
    leaves = [s for s in plan.walk() if s.is_leaf]
    by_status: dict[str, list[StepRef]] = {"todo": [], "in_progress": [], "done": [], "skipped": []}
    without: list[StepRef] = []
    # A Backlog.md folder plan's commits name the task file inside it.
    inside = {(rel_path, i) for p, i in committed if p is not None and p.startswith(rel_path + "/")}
    for step in leaves:
        ref = StepRef(step.id, step.title)
        by_status[step.status].append(ref)
        if (
            step.status == "done"
            and (rel_path, step.id) not in committed | inside
            and (None, step.id) not in committed
        ):
            without.append(ref)
    return PlanProgress(
        path=rel_path,
        done=len(by_status["done"]),
        in_progress=len(by_status["in_progress"]),
        remaining=len(by_status["todo"]),
        skipped=len(by_status["skipped"]),
        in_progress_steps=tuple(by_status["in_progress"]),
        remaining_steps=tuple(by_status["todo"]),
        without_commit=tuple(without),
    )


def package_of(path: str) -> str:
    parent = PurePosixPath(path.replace("\\", "/")).parent.as_posix()
    return parent if parent != "." else "(top level)"


def package_coverage(files: Iterable[FileCoverage]) -> tuple[PackageCoverage, ...]:
    """Coverage summed per directory (a package, or a plain folder of modules), by name."""
    sums: dict[str, list[int]] = {}
    for f in files:
        acc = sums.setdefault(package_of(f.path), [0, 0, 0, 0, 0])
        for i, value in enumerate((1, f.statements, f.missing, f.branches, f.missing_branches)):
            acc[i] += value
    return tuple(PackageCoverage(name, *acc) for name, acc in sorted(sums.items()))


def weakest(files: Iterable[FileCoverage], count: int = 5) -> tuple[FileCoverage, ...]:
    """The files under 100%, lowest first; the same order as CoverageReport.lowest (the commit's Lowest line)."""
    weak = sorted(
        (f for f in files if f.percent < 100 and (f.statements or f.branches)),
        key=lambda f: (f.percent, -f.missing, f.path),
    )
    return tuple(weak[:count])


def coverage_now(
    report: CoverageReport,
    *,
    source: str,
    tree: str,
    on_head: bool,
    tests: str | None,
    weakest_count: int = 5,
) -> CoverageNow:
    return CoverageNow(
        source="last gate" if source == "last gate" else "test run",
        tree=tree,
        on_head=on_head,
        total=report.total,
        branch=report.branch,
        tests=tests,
        packages=package_coverage(report.files),
        files=report.files,
        weakest=weakest(report.files, weakest_count),
    )
