"""Coverage figures read from coverage.py's own JSON report: pure arithmetic, no terminal scraping."""

from __future__ import annotations

import math
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


def statement_ranges(missing: Sequence[int], executed: Sequence[int]) -> str:
    """Missed lines as `coverage report -m` prints them: a range runs on over lines that are no statement.

    `1-14` rather than `1-2, 4-7, 10-14` when lines 3, 8 and 9 are blank or comments: the
    statements are the executed and the missed lines, and only an executed one ends a range.
    """
    missed_set = set(missing)
    ranges: list[str] = []
    start: int | None = None
    end: int | None = None
    for line in sorted(set(executed) | missed_set):
        if line in missed_set:
            start = line if start is None else start
            end = line
        elif start is not None:
            ranges.append(f"{start}" if start == end else f"{start}-{end}")
            start = None
    if start is not None:
        ranges.append(f"{start}" if start == end else f"{start}-{end}")
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
    branch_arcs: tuple[tuple[int, int, bool], ...] = ()
    """Each branch as (source line, destination, taken), when branch coverage is on."""

    @property
    def display(self) -> str:
        return display_percent(self.percent)

    @property
    def missing_ranges(self) -> str:
        return statement_ranges(self.missing_lines, self.executed_lines)


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


def _arcs(entry: dict[str, Any]) -> tuple[tuple[int, int, bool], ...]:
    arcs = [(int(a), int(b), True) for a, b in entry.get("executed_branches", ())]
    arcs += [(int(a), int(b), False) for a, b in entry.get("missing_branches", ())]
    return tuple(sorted(arcs))


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
                branch_arcs=_arcs(entry),
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
    """(covered, measured) statements among the changed lines, like diff-cover, plus the branches
    that start on a changed line when the project measures branches (coverage.py's own units).

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
        for source, _dest, taken in entry.branch_arcs:
            if source in lines:
                measured += 1
                covered += taken
    return covered, measured


# What to test next: the files whose missed lines cost the total most and lag furthest behind the rest.


def units(f: FileCoverage) -> tuple[int, int]:
    """(measured, missed) units of a file: statements, plus branches when branch coverage is on.

    coverage.py's percentage is (executed statements + taken branches) / (statements + branches),
    so these are the units a file's own figure, and its share of the total, are made of.
    """
    return f.statements + f.branches, f.missing + f.missing_branches


def median_percent(report: CoverageReport) -> float | None:
    """The median file's coverage, over the files that have anything to measure."""
    values = sorted(f.percent for f in report.files if units(f)[0])
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


@dataclass(frozen=True)
class FileFocus:
    """One file worth testing next, and why."""

    file: FileCoverage
    holds_back: float
    """Points of the total this file's missed units cost: what covering it fully would add."""
    gap: float
    """How far the file is below the target, in percentage points (never negative)."""
    needed: int
    """Units (statements, branches) to cover to bring this file up to the target."""


def focus_files(report: CoverageReport, target: float, limit: int = 5) -> tuple[FileFocus, ...]:
    """The files to test next, most urgent first, at most ``limit``.

    Files below ``target`` rank by the units they need to reach it: that product of missed
    weight and gap favours a big file far behind over a tiny one at 0% or a big one nearly
    there, so coverage evens out while the total rises fastest. When no file is below the
    target (all files level), files under 100% rank by their missed units instead.
    Ties go to the larger gap, then the path, so the order never depends on dict order.
    """
    all_units = sum(units(f)[0] for f in report.files)
    if not all_units:
        return ()
    ranked: list[tuple[tuple[float, float, str], FileFocus]] = []
    behind = [f for f in report.files if f.percent < target and units(f)[1]]
    pool = behind or [f for f in report.files if f.percent < 100 and units(f)[1]]
    for f in pool:
        measured, missed = units(f)
        gap = max(0.0, target - f.percent)
        # Round up: reaching the target needs whole statements, and a file just under it needs at least one.
        needed = min(missed, max(1, math.ceil(measured * gap / 100 - 1e-9))) if behind else missed
        focus = FileFocus(f, 100.0 * missed / all_units, gap, needed)
        ranked.append(((-needed, -gap, f.path), focus))
    ranked.sort(key=lambda item: item[0])
    return tuple(focus for _, focus in ranked[:limit])
