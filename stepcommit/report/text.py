"""Wording shared by every renderer, so markdown, HTML and JSON say the same thing the same way."""

from __future__ import annotations

from stepcommit.report.model import CoverageNow, FileStats, StepRow


def short(commit: str) -> str:
    return commit[:10]


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def files_text(files: FileStats) -> str:
    return f"{files.changed} (+{files.added} -{files.deleted})"


def coverage_text(row: StepRow) -> str:
    return f"{row.coverage}%" if row.coverage is not None else "not recorded"


def change_text(row: StepRow) -> str:
    change = row.change
    if change is not None:
        return f"{change:+.2f} from {row.previous}%"
    if row.coverage is None:
        return "unknown"
    return "n/a (parent has no Coverage trailer)"


def tests_text(row: StepRow) -> str:
    return row.tests or "not recorded"


def coverage_source(cov: CoverageNow) -> str:
    where = "HEAD" if cov.on_head else "the work tree (it has uncommitted changes)"
    how = "the last gate's coverage data" if cov.source == "last gate" else "a test run made for this report"
    return f"measured on {where} (tree {short(cov.tree)}), from {how}"
