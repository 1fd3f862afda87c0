"""What to test next: the files that hold the total back, and the plan step or prompt that asks for them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stepcommit.gates.coverage import CoverageReport, FileFocus, display_percent, focus_files, median_percent
from stepcommit.gates.sourcemap import missed_in

FOCUS_LIMIT = 5


@dataclass(frozen=True)
class Advice:
    total: str
    branch: bool
    median: float | None
    fail_under: float | None
    target: float
    files: tuple[FileFocus, ...]
    scopes: tuple[tuple[str, ...], ...]
    """Per focus file, the functions and classes its missed lines fall in."""
    ratchet: float | None = None
    """The base's figure the ratchet needs, when this tree falls below it."""


def target_for(median: float | None, fail_under: float | None) -> float:
    """The figure every lagging file should reach: the median file, or the floor when that is higher."""
    return max(median if median is not None else 100.0, fail_under or 0.0)


def advise(
    root: Path, report: CoverageReport, fail_under: float | None, limit: int = FOCUS_LIMIT,
    ratchet: float | None = None,
) -> Advice:  # fmt: skip
    """What to test next. ``ratchet``: the base's figure when the ratchet refused this tree: then
    the target is the figure the ratchet needs."""
    median = median_percent(report)
    target = target_for(median, fail_under)
    if ratchet is not None and ratchet > report.total:
        target = max(target, ratchet)
    files = focus_files(report, target, limit)
    scopes = []
    for focus in files:
        path = root / focus.file.path
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""  # a generated or vanished file: its line ranges still say where to look
        scopes.append(missed_in(source, focus.file.missing_lines))
    return Advice(report.display, report.branch, median, fail_under, target, files, tuple(scopes),
                  ratchet if ratchet is not None and ratchet > report.total else None)  # fmt: skip


def _scope_list(names: tuple[str, ...], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _units_word(branch: bool) -> str:
    return "statements and branches" if branch else "statements"


def step_title(focus: FileFocus, scopes: tuple[str, ...]) -> str:
    """The plan step for one file: ``Test `calc/core.py`: lines 10-20, 31 in parse(), class Reader``."""
    ranges = focus.file.missing_ranges
    where = f" in {_scope_list(scopes, 4)}" if scopes else ""
    if not ranges:  # only branches are missed: every line ran, some decision never went both ways
        return f"Test `{focus.file.path}`: untaken branches{where}"
    return f"Test `{focus.file.path}`: lines {ranges}{where}"


def prompt_text(advice: Advice) -> str:
    """A ready-to-paste instruction for the agent."""
    kind = "branch" if advice.branch else "statement"
    if not advice.files:
        return (
            f"Test coverage is {advice.total}% ({kind} coverage): no file has missed lines; nothing to add."
        )
    median = f"{display_percent(advice.median)}%" if advice.median is not None else "n/a"
    target = display_percent(advice.target)
    why = "the median file's coverage"
    if advice.fail_under is not None and advice.fail_under >= (advice.median or 0):
        why = "the project's coverage floor (fail_under)"
    if advice.ratchet is not None and advice.target == advice.ratchet:
        why = f"the figure the coverage ratchet needs: the base commit's {display_percent(advice.ratchet)}%"
    lines = [
        "Add tests so that coverage evens out across the project's modules.",
        f"Total coverage is {advice.total}% ({kind} coverage); the median file is at {median}. "
        f"Bring each file below to at least {target}% ({why}).",
        "",
        "Files to test, most urgent first:",
    ]
    for n, (focus, scopes) in enumerate(zip(advice.files, advice.scopes, strict=True), start=1):
        f = focus.file
        measured = f.statements + f.branches
        missed = f.missing + f.missing_branches
        lines.append(
            f"{n}. {f.path}: {f.display}%, {missed} of {measured} {_units_word(advice.branch)} missed "
            f"(cover at least {focus.needed} more; the file holds the total back by "
            f"{display_percent(focus.holds_back)} points)"
        )
        ranges = f.missing_ranges
        if ranges:
            lines.append(f"   Missing lines: {ranges}")
        if f.missing_branches:
            lines.append(f"   Branches never taken: {f.missing_branches} (partial: {f.partial})")
        if scopes:
            lines.append(f"   In: {_scope_list(scopes, 12)}")
    lines += [
        "",
        "Test real behaviour through the public API, one behaviour per test. Do not change production code "
        "only to make it easier to cover, and do not exclude lines from coverage (no `pragma: no cover`).",
        "Run the test suite when done; `stepcommit coverage` shows the new figures.",
    ]
    return "\n".join(lines)
