"""Coverage figures read from coverage.py's own JSON report: pure arithmetic, no terminal scraping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def display_percent(pc: float, precision: int = 2) -> str:
    """The percentage exactly as `coverage report --precision=N` prints it.

    Same rule as coverage.results.display_covered: rounding never shows 0 or 100 for a
    figure that is not exactly 0 or 100.
    """
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def line_ranges(lines: Sequence[int]) -> str:
    """`1-3, 7, 9-10` from a list of line numbers."""
    ordered = sorted(set(lines))
    ranges: list[str] = []
    start = prev = None
    for n in ordered:
        if start is None:
            start = prev = n
        elif n == prev + 1:  # type: ignore[operator]
            prev = n
        else:
            ranges.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        ranges.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(ranges)


@dataclass(frozen=True)
class FileCoverage:
    path: str
    statements: int
    missing: int
    branches: int
    partial: int
    percent: float
    missing_lines: tuple[int, ...]
    missing_branches: int = 0
    """Branches never taken; with ``statements``, ``missing`` and ``branches`` it gives coverage's own percentage."""
    executed_lines: tuple[int, ...] = ()

    @property
    def display(self) -> str:
        return display_percent(self.percent)


@dataclass(frozen=True)
class CoverageReport:
    total: float
    branch: bool
    files: tuple[FileCoverage, ...]
    statements: int
    missing: int

    @property
    def display(self) -> str:
        return display_percent(self.total)

    def lowest(self, count: int = 3) -> tuple[tuple[str, str], ...]:
        """The weakest files under 100%, lowest first (ties: most missed statements first)."""
        weak = sorted(
            (f for f in self.files if f.percent < 100 and (f.statements or f.branches)),
            key=lambda f: (f.percent, -f.missing, f.path),
        )
        return tuple((f.path, display_percent(f.percent, 0)) for f in weak[:count])


def from_json(data: dict[str, Any]) -> CoverageReport:
    """Build the report from `coverage json` output."""
    files = []
    for path, entry in sorted(data.get("files", {}).items()):
        summary = entry["summary"]
        files.append(
            FileCoverage(
                path=path,
                statements=int(summary.get("num_statements", 0)),
                missing=int(summary.get("missing_lines", 0)),
                branches=int(summary.get("num_branches", 0)),
                partial=int(summary.get("num_partial_branches", 0)),
                percent=float(summary.get("percent_covered", 100.0)),
                missing_lines=tuple(entry.get("missing_lines", ())),
                missing_branches=int(summary.get("missing_branches", 0)),
                executed_lines=tuple(entry.get("executed_lines", ())),
            )
        )
    totals = data["totals"]
    return CoverageReport(
        total=float(totals["percent_covered"]),
        branch=bool(data.get("meta", {}).get("branch_coverage", False)),
        files=tuple(files),
        statements=int(totals.get("num_statements", 0)),
        missing=int(totals.get("missing_lines", 0)),
    )


def patch_coverage(report: CoverageReport, changed: dict[str, set[int]]) -> tuple[int, int]:
    """(covered, measured) statements among the changed lines, like diff-cover.

    Only lines coverage.py counts as statements of a measured file take part: comments, blank
    lines and files outside the measured source do not.
    """
    covered = measured = 0
    by_path = {f.path: f for f in report.files}
    for path, lines in changed.items():
        entry = by_path.get(path)
        if entry is None:
            continue
        executed = set(entry.executed_lines)
        missing = set(entry.missing_lines)
        covered += len(lines & executed)
        measured += len(lines & (executed | missing))
    return covered, measured
