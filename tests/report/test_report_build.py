"""Pure report building: ranges, step rows, plan progress and coverage arithmetic over plain data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stepcommit.gates.coverage import FileCoverage
from stepcommit.git import LogEntry
from stepcommit.plan import Plan, Step
from stepcommit.report import build
from stepcommit.report.model import FileStats, PackageCoverage


def entry(
    commit: str,
    parent: str | None,
    subject: str = "chore: x",
    *,
    date: str = "2026-01-02T10:00:00+00:00",
    trailers: tuple[tuple[str, str], ...] = (),
    body: str = "",
) -> LogEntry:
    return LogEntry(commit, (parent,) if parent else (), date, subject, body or subject + "\n", trailers)


def step_entry(commit: str, parent: str, step: str, coverage: str | None, **kw: str) -> LogEntry:
    trailers = (("Step", step), ("Plan", "PLAN.md")) + ((("Coverage", coverage),) if coverage else ())
    return entry(commit, parent, f"feat(step-{step}): Title {step}", trailers=trailers, **kw)


# Newest first, as git log prints it.
LOG = (
    step_entry("e", "d", "1.4", "80.00"),
    step_entry("d", "c", "1.3", "82.50"),
    entry("c", "b", "docs: readme"),
    step_entry("b", "a", "1.2", "81.00"),
    entry("a", "0", "chore: initial"),
    entry("0", None, "chore: root"),
)


def test_default_range_starts_at_the_first_step_commit() -> None:
    selected, earlier = build.default_range(LOG)
    assert [e.commit for e in selected] == ["e", "d", "c", "b"]
    assert earlier == 2


def test_default_range_without_step_commits_is_everything() -> None:
    plain = LOG[2:3] + LOG[4:]
    assert build.default_range(plain) == (plain, 0)


def test_entries_since_date_and_in() -> None:
    log = (
        entry("n", "o", date="2026-03-01T00:00:00+00:00"),
        entry("o", None, date="2026-01-01T00:00:00+00:00"),
    )
    selected, earlier = build.entries_since_date(log, datetime(2026, 2, 1, tzinfo=UTC))
    assert ([e.commit for e in selected], earlier) == (["n"], 1)
    assert build.entries_in(log, ["o"]) == ((log[1],), 1)


def test_parse_date() -> None:
    assert build.parse_date("2026-01-31T09:00+02:00") == datetime.fromisoformat("2026-01-31T07:00+00:00")
    local = build.parse_date("2026-01-31")
    assert local is not None and local.tzinfo is not None  # a date without a zone is local time
    assert build.parse_date("last tuesday") is None
    assert build.parse_timestamp(None) is None


def test_steps_and_others_trace_every_figure() -> None:
    history = [
        {"commit": "d", "title": "Multiplication", "started_at": "2026-01-02T10:00:00+00:00",
         "finished_at": "2026-01-02T10:05:30+00:00", "tests": "3 passed in 0.10s"},
    ]  # fmt: skip
    stats = {"d": FileStats(2, 10, 1)}
    steps, others = build.steps_and_others(build.default_range(LOG)[0], LOG, history, stats)
    assert [s.step for s in steps] == ["1.2", "1.3", "1.4"]  # oldest first
    assert [o.subject for o in others] == ["docs: readme"]
    first, second, third = steps
    assert first.previous is None and first.change is None  # parent a has no Coverage trailer
    assert second.previous is None  # parent c is the readme commit: not compared with 1.2 (a guess)
    assert (second.title, second.duration, second.files) == ("Multiplication", 330.0, FileStats(2, 10, 1))
    assert (second.tests, second.tests_source) == ("3 passed in 0.10s", "history")
    assert (third.previous, third.change) == ("82.50", -2.5)
    assert (third.title, third.duration, third.tests, third.tests_source) == ("Title 1.4", None, None, None)
    assert third.files == FileStats(0, 0, 0)


def test_tests_come_from_the_commit_message_without_history() -> None:
    body = "feat(step-1.2): Sub\n\nTests: 2 passed in 0.07s\nCoverage: 83.33%\n\nStep: 1.2\nCoverage: 83.33\n"
    row = build.step_row(step_entry("x", "y", "1.2", "83.33", body=body), None, None, FileStats(1, 1, 0))
    assert (row.tests, row.tests_source) == ("2 passed in 0.07s", "commit message")


def test_step_commit_without_coverage_trailer() -> None:
    row = build.step_row(step_entry("x", "y", "1.2", None), LOG[0], None, FileStats(1, 1, 0))
    assert row.coverage is None and row.change is None


def test_duration_needs_both_ends() -> None:
    assert build.duration(None) is None
    assert build.duration({"started_at": "2026-01-01T10:00:00+00:00"}) is None
    assert (
        build.duration(
            {"started_at": "2026-01-01T10:00:00+00:00", "finished_at": "2026-01-01T11:00:00+00:00"}
        )
        == 3600
    )


def test_title_of_strips_the_conventional_header() -> None:
    assert build.title_of(entry("x", None, "feat(step-1.2)!: Subtraction")) == "Subtraction"
    assert build.title_of(entry("x", None, "Plain subject")) == "Plain subject"


def test_unmerged_steps() -> None:
    history = [
        {
            "step": "1.2",
            "title": "A",
            "commit": "b",
            "branch": "s",
            "finished_at": "2026-01-02T00:00:00+00:00",
        },
        {
            "step": "1.5",
            "title": "B",
            "commit": "z",
            "branch": "s/1.5",
            "finished_at": "2026-01-02T00:00:00+00:00",
        },
        {
            "step": "1.6",
            "title": "C",
            "commit": "y",
            "branch": "s/1.6",
            "finished_at": "2025-01-01T00:00:00+00:00",
        },
        {"step": "1.7", "title": "D"},
    ]
    found = build.unmerged_steps(history, {"b"})
    assert [u.commit for u in found] == ["z", "y"]
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert [u.commit for u in build.unmerged_steps(history, {"b"}, since)] == ["z"]


def test_plan_progress_counts_leaves_and_names_steps() -> None:
    leaves = (
        Step("1.1", "Setup", "done", 3, 1),
        Step("1.2", "Sub", "done", 4, 2),
        Step("1.3", "Mul", "in_progress", 5, 3),
        Step("1.4", "Div", "todo", 6, 4),
        Step("1.5", "Skip", "skipped", 7, 5),
    )
    plan = Plan(Path("PLAN.md"), "markdown", (Step("1", "Phase", "in_progress", 1, 0, children=leaves),))
    progress = build.plan_progress(plan, "PLAN.md", build.committed_steps(LOG))
    assert (progress.done, progress.in_progress, progress.remaining, progress.skipped, progress.total) == (
        2,
        1,
        1,
        1,
        5,
    )
    assert [s.id for s in progress.in_progress_steps] == ["1.3"]
    assert [s.title for s in progress.remaining_steps] == ["Div"]
    assert [s.id for s in progress.without_commit] == ["1.1"]


def fc(
    path: str, statements: int, missing: int, branches: int = 0, missing_branches: int = 0
) -> FileCoverage:
    possible = statements + branches
    percent = 100.0 * (possible - missing - missing_branches) / possible if possible else 100.0
    return FileCoverage(path, statements, missing, branches, 0, percent, (), missing_branches)


def test_package_coverage_sums_files_with_coverage_formula() -> None:
    files = [
        fc("pkg/a.py", 10, 2, 4, 1),
        fc("pkg/b.py", 6, 0),
        fc("pkg/sub/c.py", 5, 5),
        fc("setup.py", 2, 0),
    ]
    packages = {p.name: p for p in build.package_coverage(files)}
    assert list(packages) == ["(top level)", "pkg", "pkg/sub"]
    assert packages["pkg"] == PackageCoverage("pkg", 2, 16, 2, 4, 1)
    assert packages["pkg"].percent == pytest.approx(100 * 17 / 20)
    assert packages["pkg/sub"].display == "0.00"
    assert PackageCoverage("empty", 1, 0, 0, 0, 0).percent == 100.0


def test_weakest_matches_the_commit_lowest_order() -> None:
    files = [fc("a.py", 10, 5), fc("b.py", 4, 2), fc("c.py", 10, 0), fc("d.py", 0, 0), fc("e.py", 10, 1)]
    assert [f.path for f in build.weakest(files, 2)] == ["a.py", "b.py"]
    assert [f.path for f in build.weakest(files)] == ["a.py", "b.py", "e.py"]
