"""The gate's decision: what was gathered (test run, lint, baseline, floor, changed lines, verification,
honesty) in, the verdict (ok, problems, notes, figures) out. Pure: no git, no processes, no files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stepcommit.gates.coverage import CoverageReport, display_percent, patch_coverage

if TYPE_CHECKING:
    from stepcommit.config import Config
    from stepcommit.gates.baseline import Baseline
    from stepcommit.gates.honesty import Assessment
    from stepcommit.gates.lint import LintResult
    from stepcommit.gates.testrun import FloorSetting, TestRun


@dataclass(frozen=True)
class VerifyRun:
    """What one of the step's Verify commands did."""

    command: str
    returncode: int = 0
    timed_out: bool = False
    output: str = ""
    """Its stdout and stderr, one after the other."""
    cannot_run: str | None = None
    """Why it could not start (not found, bad quoting), when it could not."""


@dataclass(frozen=True)
class Gathered:
    """Everything the gate found out about a tree, as plain data."""

    run: TestRun
    reused: bool = False
    """The test run came from the cache (same tree)."""
    full: bool = False
    """All the tests were asked for (an incremental gate's full run)."""
    guard: tuple[str, ...] = ()
    """What the test run changed in the work tree it was testing (guard_work_tree's findings)."""
    audit_notes: tuple[str, ...] = ()
    lint: LintResult | None = None
    floor: FloorSetting | None = None
    """The floor that applies (stepcommit's `fail_under` at two decimals, else the project's own)."""
    baseline: Baseline | None = None
    """The base's figure; None without a base (or without coverage to compare)."""
    changed: Mapping[str, set[int]] | None = None
    """The lines the change touched, per file, when there is a base."""
    verify: tuple[str, ...] = ()
    """The step's Verify commands."""
    verified: tuple[VerifyRun, ...] = ()
    """What they did, when they ran."""
    honesty: Assessment | None = None
    """The honesty findings with the policy and the allow-list applied (None without a base)."""


@dataclass(frozen=True)
class Figures:
    """What the commit message and the user are told beside the verdict."""

    output_tail: str = ""
    previous: str | None = None
    lint: str | None = None
    patch: tuple[int, int] | None = None
    measured: str | None = None
    verify: str | None = None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    figures: Figures


def floor_problem(coverage: CoverageReport, floor: FloorSetting) -> str | None:
    """The floor's refusal, by coverage.py's own rule at the floor's precision, so `coverage report`
    agrees. The figure is printed at the project's precision (two decimals when it sets none), with
    more digits while fewer would round it up to the floor: 79.996 under 80 is not `80.00%`."""
    from coverage.results import should_fail_under

    if not should_fail_under(coverage.total, floor.fail_under, floor.precision):
        return None
    digits = floor.precision or 2  # 0 is coverage's default: no precision set
    shown = display_percent(coverage.total, digits)
    while float(shown) >= floor.fail_under and digits < 15:
        digits += 1
        shown = display_percent(coverage.total, digits)
    return f"coverage {shown}% is under the floor of {floor.fail_under:g}% (fail_under)"


def _early_problems(g: Gathered) -> list[str]:
    """The problems known before the base is compared: the work tree guard, the run, lint, the floor."""
    problems = list(g.guard)
    if g.run.problem:
        problems.append(g.run.problem)
    if g.lint is not None and not g.lint.ok:
        problems.extend(g.lint.problems)
    if g.run.coverage is not None and g.floor is not None:
        floor = floor_problem(g.run.coverage, g.floor)
        if floor:
            problems.append(floor)
    return problems


def base_worth_measuring(g: Gathered, cfg: Config) -> bool:
    """Whether a base without a Coverage trailer is worth a test run of its own: only for the
    ratchet, and only when nothing else has refused the change already."""
    return cfg.ratchet and not _early_problems(g) and not (g.honesty and g.honesty.refused)


def verdict(g: Gathered, cfg: Config) -> Verdict:
    """The gate's verdict on what was gathered, under the settings ``cfg``."""
    run = g.run
    notes = list(g.audit_notes)
    how = None
    if run.measured is not None and run.measured.mode == "incremental":
        how = run.measured.describe()
    elif run.measured is not None and not g.full:
        notes.append(f"incremental gate: {run.measured.describe()}")
    if run.measured is not None and run.measured.serial:
        notes.append(f"incremental gate: {run.measured.serial}")
    problems = _early_problems(g)
    # The output is worth showing only when the test run or lint itself failed.
    tail = run.output_tail if run.problem else ""
    if g.lint is not None and not g.lint.ok:
        tail = "\n".join(filter(None, [tail, g.lint.output_tail]))
    previous = None
    patch = None
    if run.coverage is not None and g.baseline is not None:
        previous = g.baseline.display
        if cfg.ratchet and previous is not None:
            if float(run.coverage.display) < float(previous) - cfg.ratchet_tolerance:
                problems.append(f"coverage fell from {previous}% to {run.coverage.display}% (ratchet)")
        elif cfg.ratchet:
            notes.append(f"ratchet not applied: {g.baseline.source}")
        changed = dict(g.changed or {})
        covered, measured = patch_coverage(run.coverage, changed)
        patch = (covered, measured) if measured else None
        fell = [p for p in problems if p.endswith("(ratchet)")]
        if fell or (cfg.fail_under_changed is not None and measured):
            left = _uncovered_changed(run.coverage, changed)
            if fell:
                problems[problems.index(fell[0])] = fell[0] + _ratchet_detail(run.coverage, left)
            if cfg.fail_under_changed is not None and measured:
                share = 100.0 * covered / measured
                units = "statements and branches" if run.coverage.branch else "statements"
                if share < cfg.fail_under_changed:
                    problems.append(
                        f"changed lines {display_percent(share)}% covered ({covered} of {measured} {units}), "
                        f"under fail_under_changed = {cfg.fail_under_changed:g}%; not run: {_lines_text(left)}"
                    )
    verified = None
    if g.verify:
        if cfg.run_verify:
            failed, verified = _verify_verdict(g.verify, g.verified, cfg.test_timeout)
            problems.extend(failed)
        else:
            notes.append("the step's Verify commands were not run (set run_verify = true to run them)")
    if g.honesty is not None:
        problems.extend(g.honesty.problems())  # a refused finding fails the gate
    figures = Figures(tail, previous, g.lint.summary if g.lint else None, patch, how, verified)
    return Verdict(not problems, tuple(problems), tuple(notes), figures)


def _verify_verdict(
    commands: tuple[str, ...], runs: tuple[VerifyRun, ...], timeout: float
) -> tuple[list[str], str]:
    """(problems, verdict) of the step's Verify commands; a failure shows the end of its output."""
    problems = []
    for result in runs:
        command = result.command
        if result.cannot_run is not None:
            problems.append(f"verification `{command}` cannot run ({result.cannot_run})")
            continue
        if result.timed_out or result.returncode != 0:
            tail = "\n".join(result.output.strip().splitlines()[-15:])
            why = f"timed out after {timeout:g}s" if result.timed_out else f"exit {result.returncode}"
            problems.append(f"verification `{command}` failed ({why})" + (f":\n{tail}" if tail else ""))
    listed = ", ".join(f"`{c}`" for c in commands)
    return problems, ("failed" if problems else "passed") + f" ({listed})"


def _uncovered_changed(report: CoverageReport, changed: dict[str, set[int]]) -> dict[str, str]:
    """The changed lines no test ran, per file, as coverage prints line ranges."""
    from coverage.results import format_lines

    by_path = {f.path: f for f in report.files}
    left = {}
    for path, lines in sorted(changed.items()):
        entry = by_path.get(path)
        if entry is not None and (missing := sorted(lines & set(entry.missing_lines))):
            left[path] = format_lines([*entry.executed_lines, *entry.missing_lines], missing)
    return left


def _lines_text(left: dict[str, str], most: int = 8) -> str:
    shown = [f"{path}:{lines}" for path, lines in list(left.items())[:most]]
    return ", ".join(shown) + (f" and {len(left) - most} more files" if len(left) > most else "") or "none"


def _ratchet_detail(report: CoverageReport, left: dict[str, str]) -> str:
    """What the ratchet failure comes from: the least covered files and the changed lines left
    uncovered, and where to look next."""
    low = sorted(report.files, key=lambda f: f.percent)[:3]
    files = ", ".join(f"{f.path} {f.display}%" for f in low if f.missing or f.missing_branches)
    return (
        (f"; changed lines not run: {_lines_text(left)}" if left else "")
        + (f"; least covered: {files}" if files else "")
        + "; `stepcommit coverage --prompt` says what to test next"
    )
