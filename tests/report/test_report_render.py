"""Rendering a Report: markdown, HTML with its SVG chart, JSON; the wording shared by all three."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from stepcommit.gates.coverage import FileCoverage
from stepcommit.report import chart, html, json_data, markdown, text
from stepcommit.report.model import (
    CoverageNow,
    FileStats,
    OtherCommit,
    PackageCoverage,
    PlanProgress,
    Report,
    ReportRange,
    StepRef,
    StepRow,
    Unmerged,
)


def row(step: str, coverage: str | None, previous: str | None = None, **kw: object) -> StepRow:
    base = StepRow(
        step=step, title=f"Title {step}", plan="PLAN.md", commit=f"{step:0<40}", date="2026-01-02T10:00:00+00:00",
        files=FileStats(2, 13, 1), started_at=None, finished_at=None, duration=None, tests="2 passed in 0.07s",
        tests_source="history", coverage=coverage, previous=previous,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


FILE = FileCoverage("calc/ops/divide.py", 4, 1, 2, 1, 66.666, (3,), 1)
REPORT = Report(
    repository="calc",
    branch="main",
    head="a" * 40,
    generated_at="2026-01-02T12:00:00+00:00",
    range=ReportRange("default", None, "the whole history of the branch", 0),
    plan=PlanProgress(
        "PLAN.md",
        2,
        1,
        1,
        0,
        (StepRef("1.3", "Mul"),),
        (StepRef("1.4", "Div <b>"),),
        (StepRef("1.1", "Setup"),),
    ),
    plan_problem=None,
    steps=(
        row("1.1", "80.00", duration=65.0),
        row("1.2", "82.50", "80.00", title="A | pipe <script>alert(1)</script>"),
    ),
    other_commits=(OtherCommit("c" * 40, "2026-01-02T11:00:00+00:00", "docs: readme"),),
    unmerged=(Unmerged("1.9", "Elsewhere", "d" * 40, "step/1.9", "2026-01-02T11:30:00+00:00"),),
    coverage=CoverageNow(
        "test run",
        "t" * 40,
        False,
        75.0,
        True,
        "4 passed in 0.16s",
        (PackageCoverage("calc/ops", 1, 4, 1, 2, 1),),
        (FILE,),
        (FILE,),
    ),
    coverage_problem=None,
)


def test_wording() -> None:
    assert [text.duration_text(s) for s in (None, 4.4, 192, 3725)] == ["unknown", "4s", "3m 12s", "1h 02m"]
    assert text.change_text(row("1", "82.50", "80.00")) == "+2.50 from 80.00%"
    assert text.change_text(row("1", "80.00", None)) == "n/a (parent has no Coverage trailer)"
    assert text.change_text(row("1", None, "80.00")) == "unknown"
    assert text.coverage_text(row("1", None)) == "not recorded"
    assert text.tests_text(row("1", None, tests=None)) == "not recorded"
    assert "uncommitted changes" in text.coverage_source(REPORT.coverage)  # type: ignore[arg-type]


def test_markdown() -> None:
    md = markdown.render(REPORT)
    assert "PLAN.md: 2 of 4 steps done, 1 in progress, 1 remaining." in md
    assert "- 1.4 Div <b>" in md and "- 1.1 Setup" in md
    assert "| 1.1 | Title 1.1 | 1.10000000 | 1m 05s | 2 (+13 -1) | 2 passed in 0.07s | 80.00% |" in md
    assert "A \\| pipe" in md  # a pipe in a title stays inside its cell
    assert "Duration unknown" in md
    assert "- cccccccccc 2026-01-02 docs: readme" in md
    assert "## Finished steps not on this branch" in md
    assert "| calc/ops | 1 | 4 | 1 | 2 | 1 | 66.67% |" in md
    assert "| calc/ops/divide.py | 66.67% | 3 |" in md


def test_markdown_without_plan_steps_or_coverage() -> None:
    bare = replace(
        REPORT, plan=None, plan_problem="no plan file", steps=(), other_commits=(), unmerged=(), coverage=None,
        coverage_problem="tests failed",
    )  # fmt: skip
    md = markdown.render(bare)
    assert "No plan: no plan file" in md
    assert "No step commits in this range." in md
    assert "Not available: tests failed" in md
    full = replace(REPORT.coverage, weakest=())  # type: ignore[type-var]
    assert "Every measured file is fully covered." in markdown.render(replace(REPORT, coverage=full))


def test_html_escapes_and_stays_self_contained() -> None:
    page = html.render(REPORT)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Div &lt;b&gt;" in page
    assert page.count("<svg") == 1
    assert not re.search(r"(?i)https?:|<link|src=|url\(", page)
    assert 'class="up"' in page  # +2.50


def test_html_without_plan_steps_or_coverage() -> None:
    bare = replace(
        REPORT, plan=None, plan_problem="no plan", steps=(), other_commits=(), unmerged=(), coverage=None,
        coverage_problem="tests failed",
    )  # fmt: skip
    page = html.render(bare)
    assert "No step commits in this range." in page and "Not available: tests failed" in page
    assert "records a coverage figure" in page


def test_chart_points_and_axis() -> None:
    svg = chart.coverage_chart([row("1.1", "80.00"), row("1.2", None), row("1.3", "82.50")])
    assert svg.count("<circle") == 2  # a step without a figure is left out, not drawn as 0
    assert "<polyline" in svg
    assert chart.y_axis([80.0, 82.5]) == (79.0, 84.0, 1.0)
    assert chart.y_axis([10.0, 99.5]) == (0.0, 100.0, 20.0)
    single = chart.coverage_chart([row("1.1", "100.00")])
    assert single.count("<circle") == 1 and "<polyline" not in single
    assert chart.y_axis([100.0]) == (99.0, 100.0, 1.0)


def test_json_shape() -> None:
    data = json.loads(json.dumps(json_data.to_data(REPORT)))
    assert set(data) == {
        "repository", "branch", "head", "generated_at", "range", "plan", "plan_problem", "steps",
        "commits_without_trailers", "gated_commits", "steps_not_on_branch", "coverage", "coverage_problem",
    }  # fmt: skip
    assert data["plan"]["done_without_step_commit"] == [{"id": "1.1", "title": "Setup"}]
    step = data["steps"][1]
    assert (step["coverage"], step["previous_coverage"], step["coverage_change"]) == (82.5, 80.0, 2.5)
    assert (step["coverage_display"], step["previous_coverage_display"]) == ("82.50", "80.00")
    assert step["files"] == {"changed": 2, "added": 13, "deleted": 1}
    cov = data["coverage"]
    assert (cov["source"], cov["on_head"], cov["total_display"], cov["weakest"]) == (
        "test run", False, "75.00", ["calc/ops/divide.py"],
    )  # fmt: skip
    assert cov["packages"][0]["coverage_display"] == "66.67"
    assert cov["files"][0]["missing_lines"] == [3]
    assert json_data.to_data(replace(REPORT, plan=None, coverage=None))["coverage"] is None
