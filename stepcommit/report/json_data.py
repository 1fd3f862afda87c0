"""The report as plain JSON-ready data, for agents: every figure, its source, nothing rendered."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stepcommit.gates.coverage import FileCoverage
from stepcommit.output import figure_json, step_json
from stepcommit.report.model import Report, StepRow


def _step(row: StepRow) -> dict[str, Any]:
    return {
        "step": step_json(row.step, row.title),
        "plan": row.plan,
        "commit": row.commit,
        "date": row.date,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "duration_seconds": row.duration,
        "files": asdict(row.files),
        "tests": row.tests,
        "tests_source": row.tests_source,
        **figure_json("coverage", row.coverage),
        **figure_json("previous_coverage", row.previous),
        "coverage_change": row.change,
        "allowed": list(row.allowed),
    }


def _file(f: FileCoverage) -> dict[str, Any]:
    return {
        "path": f.path,
        "statements": f.statements,
        "missing": f.missing,
        "branches": f.branches,
        "missing_branches": f.missing_branches,
        "coverage": f.percent,
        "coverage_display": f.display,
        "missing_lines": list(f.missing_lines),
        "missing_ranges": f.missing_ranges,
    }


def to_data(report: Report) -> dict[str, Any]:
    plan = report.plan
    cov = report.coverage
    return {
        "repository": report.repository,
        "branch": report.branch,
        "head": report.head,
        "generated_at": report.generated_at,
        "range": asdict(report.range),
        "plan": None
        if plan is None
        else {
            "path": plan.path,
            "total": plan.total,
            "done": plan.done,
            "in_progress": plan.in_progress,
            "remaining": plan.remaining,
            "skipped": plan.skipped,
            "in_progress_steps": [asdict(s) for s in plan.in_progress_steps],
            "remaining_steps": [asdict(s) for s in plan.remaining_steps],
            "done_without_step_commit": [asdict(s) for s in plan.without_commit],
        },
        "plan_problem": report.plan_problem,
        "steps": [_step(s) for s in report.steps],
        "commits_without_trailers": [asdict(c) for c in report.other_commits if c.coverage is None],
        "gated_commits": [asdict(c) for c in report.other_commits if c.coverage is not None],
        "steps_not_on_branch": [asdict(u) for u in report.unmerged],
        "coverage": None
        if cov is None
        else {
            "source": cov.source,
            "tree": cov.tree,
            "on_head": cov.on_head,
            "total": cov.total,
            "total_display": cov.display,
            "branch": cov.branch,
            "tests": cov.tests,
            "packages": [
                {**asdict(p), "coverage": p.percent, "coverage_display": p.display} for p in cov.packages
            ],
            "files": [_file(f) for f in cov.files],
            "weakest": [f.path for f in cov.weakest],
        },
        "coverage_problem": report.coverage_problem,
    }
