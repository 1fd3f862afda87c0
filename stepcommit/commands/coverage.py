"""`stepcommit coverage`: per-file coverage of the tree as it is, what to test next, and the trend over commits."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, output, plan, state
from stepcommit.errors import GateFailed, RepositoryStateError, StepcommitError
from stepcommit.gates.coverage import (
    CoverageReport,
    FileCoverage,
    FileFocus,
    display_percent,
    focus_files,
    median_percent,
)
from stepcommit.gates.gate import last_result, run_gate
from stepcommit.gates.sourcemap import missed_in
from stepcommit.gates.testrun import load_previous, project_floor
from stepcommit.report.chart import y_axis

FOCUS_LIMIT = 5
HISTORY_LIMIT = 50


class CoverageUsageError(StepcommitError):
    """Options that do not go together."""

    exit_code = 2


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    report: CoverageReport
    tree: str
    source: str
    """``last gate`` when the stored gate data was for this very tree, else ``test run``."""


def measure(repo: git.Repo, cfg: config_mod.Config, *, fresh: bool = False) -> Measured:
    """Coverage of the work tree as it would be committed: the last gate's data for this tree, else a run."""
    from stepcommit.commands.check import trees_now

    tree = git.snapshot(repo).tree
    last = last_result(repo.git_dir)
    if not fresh and last and last.get("tree") in trees_now(repo, tree):
        _, data = load_previous(repo)
        if data is not None:
            return Measured(data, tree, "last gate")
        # That gate already failed on this very tree: running the same suite again would only repeat it.
        problems = "; ".join(last.get("problems") or []) or "it left no coverage data"
        raise GateFailed(
            f"The last gate on this tree measured no coverage: {problems}.",
            hint="Fix the tests and run `stepcommit coverage` again (or `--fresh` to rerun them as they are).",
        )
    with state.lock(repo.git_dir, "coverage"):
        output.note("Running the tests under coverage...")
        # Through the gate, not the bare test run: the gate stores the result against this tree,
        # so `check`/`finish` of the same tree reuse it, and a cached gate result for another tree
        # is never left pointing at coverage data this run replaced.
        gate = run_gate(repo, cfg, tree, None, use_cache=not fresh)
    if gate.coverage is None:
        raise GateFailed(gate.explain(), hint="Fix the failing tests, then run `stepcommit coverage` again.")
    return Measured(gate.coverage, tree, "test run")


# --- the table and its JSON ----------------------------------------------------------------------


def file_json(f: FileCoverage) -> dict[str, Any]:
    return {
        "path": f.path,
        "statements": f.statements,
        "missing": f.missing,
        "branches": f.branches,
        "partial": f.partial,
        "coverage": f.percent,
        "coverage_display": f.display,
        "missing_lines": list(f.missing_lines),
        "missing_ranges": f.missing_ranges,
    }


def to_json(measured: Measured) -> dict[str, Any]:
    report = measured.report
    return {
        "coverage": report.total,
        "coverage_display": report.display,
        "branch": report.branch,
        "tree": measured.tree,
        "source": measured.source,
        "statements": report.statements,
        "missing": report.missing,
        "files": [file_json(f) for f in report.files],
    }


def table_rows(report: CoverageReport) -> tuple[list[str], list[list[str]]]:
    """Headers and rows as `coverage report -m` lays them out; branch columns only when branches were measured."""
    headers = ["File", "Stmts", "Miss"]
    if report.branch:
        headers += ["Branch", "BrPart"]
    headers += ["Cover", "Missing"]
    rows: list[list[str]] = []
    for f in report.files:
        row = [f.path, str(f.statements), str(f.missing)]
        if report.branch:
            row += [str(f.branches), str(f.partial)]
        rows.append([*row, f"{f.display}%", f.missing_ranges])
    total = ["TOTAL", str(report.statements), str(report.missing)]
    if report.branch:
        total += [str(sum(f.branches for f in report.files)), str(sum(f.partial for f in report.files))]
    rows.append([*total, f"{report.display}%", ""])
    return headers, rows


# --- what to test next -------------------------------------------------------------------------


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


def advice_json(advice: Advice) -> dict[str, Any]:
    return {
        "coverage": advice.total,
        "branch": advice.branch,
        "median": advice.median,
        "fail_under": advice.fail_under,
        "target": advice.target,
        "ratchet": advice.ratchet,
        "files": [
            {
                **file_json(focus.file),
                "needed": focus.needed,
                "holds_back": focus.holds_back,
                "gap": focus.gap,
                "scopes": list(scopes),
                "step_title": step_title(focus, scopes),
            }
            for focus, scopes in zip(advice.files, advice.scopes, strict=True)
        ],
        "prompt": prompt_text(advice),
    }


def _has_open_step(the_plan: plan.Plan, path: str) -> bool:
    """Whether an open step already asks for tests of ``path`` (one stepcommit added, or one written alike)."""
    wanted = re.compile(rf"^Test `?{re.escape(path)}`?:")
    return any(s.status in ("todo", "in_progress") and wanted.match(s.title) for s in the_plan.walk())


def add_to_plan(plan_file: Path, advice: Advice) -> tuple[list[plan.Step], list[str]]:
    """Append one open step per focus file not already asked for; returns (added, skipped paths)."""
    the_plan = plan.load_plan(plan_file)
    titles: list[str] = []
    skipped: list[str] = []
    for focus, scopes in zip(advice.files, advice.scopes, strict=True):
        if _has_open_step(the_plan, focus.file.path):
            skipped.append(focus.file.path)
        else:
            titles.append(step_title(focus, scopes))
    return list(plan.append_steps(plan_file, titles)), skipped


# --- history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    commit: str
    date: str
    subject: str
    step: str | None
    raw: str | None
    """The Coverage trailer as written; None when the commit has none."""
    coverage: float | None
    """The trailer's figure; None when there is no trailer or it is not a number (never guessed)."""


def _figure(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


def history_points(entries: tuple[git.LogEntry, ...]) -> tuple[HistoryPoint, ...]:
    """Newest-first log entries as points, oldest first."""
    return tuple(
        HistoryPoint(
            e.commit,
            e.date,
            e.subject,
            e.trailer("Step"),
            e.trailer("Coverage"),
            _figure(e.trailer("Coverage")),
        )
        for e in reversed(entries)
    )


_BLOCKS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"


def _bar(value: float, low: float, high: float, width: int, ascii_only: bool) -> str:
    share = 0.0 if high <= low else (value - low) / (high - low)
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    if ascii_only:
        return "#" * round(eighths / 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def sparkline(points: tuple[HistoryPoint, ...], *, ascii_only: bool = False) -> str:
    values = [p.coverage for p in points if p.coverage is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    marks = "_.-=*#" if ascii_only else _SPARKS
    out = []
    for p in points:
        if p.coverage is None:
            out.append(" " if ascii_only else "·")
            continue
        share = 0.5 if high == low else (p.coverage - low) / (high - low)
        out.append(marks[round(share * (len(marks) - 1))])
    return "".join(out)


def history_chart(points: tuple[HistoryPoint, ...], *, width: int = 30, ascii_only: bool = False) -> str:
    """One row per commit, oldest first: id, figure, change, a bar on a zoomed scale, subject."""
    values = [p.coverage for p in points if p.coverage is not None]
    # Zoomed to the figures, as the report's chart is: a change of a point must show.
    low, high, _ = y_axis(values) if values else (0.0, 100.0, 10.0)
    dash = "-" if ascii_only else "—"
    scale = f"{f'{low:g}%':<{width // 2}}{f'{high:g}%':>{width - width // 2}}"
    rows = [f"{'commit':<10} {'coverage':>8} {'change':>7}  {scale}  subject"]
    previous: float | None = None
    for p in points:
        if p.coverage is None:
            figure = "?" if p.raw is not None else dash
            note = f"unreadable trailer {p.raw!r}" if p.raw is not None else "no Coverage trailer"
            rows.append(f"{p.commit[:10]:<10} {figure:>8} {'':>7}  {note:<{width}}  {p.subject}")
            continue
        change = "" if previous is None else f"{p.coverage - previous:+.2f}"
        bar = _bar(p.coverage, low, high, width, ascii_only)
        rows.append(f"{p.commit[:10]:<10} {p.coverage:>7.2f}% {change:>7}  {bar:<{width}}  {p.subject}")
        previous = p.coverage
    if not values:
        return "\n".join([*rows, "", "No commit here has a Coverage trailer yet."])
    spark = sparkline(points, ascii_only=ascii_only)
    return "\n".join([*rows, "", f"trend: {spark}  ({min(values):.2f}% to {max(values):.2f}%, oldest first)"])


def history_json(points: tuple[HistoryPoint, ...], branch: str | None, older: int) -> dict[str, Any]:
    return {
        "branch": branch,
        "older": older,
        "commits": [
            {
                "commit": p.commit,
                "date": p.date,
                "subject": p.subject,
                "step": output.step_json(p.step, None),
                "coverage": p.coverage,
                "trailer": p.raw,
            }
            for p in points
        ],
    }


def _stdout_takes_blocks() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "█·—▏".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def show_history(repo: git.Repo, *, as_json: bool, limit: int) -> int:
    if git.head_commit(repo.root) is None:
        raise RepositoryStateError(
            "This branch has no commits yet, so there is no coverage history.",
            hint="Commit first; `stepcommit finish` and the commit hook record the figure in a Coverage trailer.",
        )
    points = history_points(git.first_parent_log(repo.root))
    older = max(0, len(points) - limit) if limit > 0 else 0
    points = points[older:]
    branch = git.current_branch(repo.root)
    if as_json:
        output.emit_json(history_json(points, branch, older))
        return 0
    where = f"on {branch}" if branch else "at the detached HEAD"
    more = f"; {older} older not shown (--limit 0 shows all)" if older else ""
    output.say(
        f"Coverage {where}, first-parent history, oldest first ({len(points)} commit{'' if len(points) == 1 else 's'}{more})"
    )
    output.say()
    output.say(history_chart(points, ascii_only=not _stdout_takes_blocks()))
    return 0


# --- the command -------------------------------------------------------------------------------


def _ratchet_needs(repo: git.Repo, measured: Measured) -> float | None:
    """The base's figure when the last gate on this tree was refused by the ratchet."""
    last = last_result(repo.git_dir)
    if measured.source != "last gate" or not last or last.get("previous_coverage") is None:  # a number
        return None
    if not any(str(p).startswith("coverage fell from") for p in last.get("problems") or ()):
        return None
    return float(last["previous_coverage"])


def coverage(
    *,
    cwd: Path,
    as_json: bool = False,
    prompt: bool = False,
    to_plan: bool = False,
    history: bool = False,
    fresh: bool = False,
    plan_path: str | None = None,
    limit: int | None = None,
) -> int:
    repo = git.find_repo(cwd)
    if history:
        if prompt or to_plan or fresh:
            raise CoverageUsageError(
                "--history reads the figures recorded in commits; it does not go with --prompt, --to-plan or --fresh."
            )
        return show_history(repo, as_json=as_json, limit=HISTORY_LIMIT if limit is None else limit)
    cfg = config_mod.load(repo.root)
    measured = measure(repo, cfg, fresh=fresh)
    if not (prompt or to_plan):
        if as_json:
            output.emit_json(to_json(measured))
            return 0
        headers, rows = table_rows(measured.report)
        output.table(headers, rows)
        origin = "the last gate on this tree" if measured.source == "last gate" else "a test run just now"
        output.note(f"({'branch' if measured.report.branch else 'statement'} coverage, from {origin})")
        return 0

    floor = cfg.fail_under
    if floor is None:
        project = project_floor(repo.root)
        floor = project.fail_under if project else None
    advice = advise(repo.root, measured.report, floor, FOCUS_LIMIT if limit is None else limit,
                    ratchet=_ratchet_needs(repo, measured))  # fmt: skip
    added: list[plan.Step] = []
    skipped: list[str] = []
    plan_file: Path | None = None
    if to_plan:
        plan_file = plan.find_plan(repo.root, plan_path or cfg.plan)
        with state.lock(repo.git_dir, "coverage"):
            added, skipped = add_to_plan(plan_file, advice)
    if as_json:
        data = advice_json(advice)
        if plan_file is not None:
            data["plan"] = plan_file.resolve().relative_to(repo.root.resolve()).as_posix()
            data["added"] = [{"id": s.id, "title": s.title, "line": s.line} for s in added]
            data["already_planned"] = skipped
        output.emit_json(data)
        return 0
    if prompt:
        output.say(prompt_text(advice))
    if plan_file is not None:
        if prompt:
            output.say()
        name = plan_file.name
        for step in added:
            output.say(f"Added step {step.id} to {name} (line {step.line}): {step.title}")
        for path in skipped:
            output.say(f"Already planned: an open step in {name} asks for tests of {path}.")
        if not added and not skipped:
            output.say(f"Nothing to add to {name}: no file has missed lines.")
    return 0
