"""`stepcommit coverage`: per-file coverage of the tree as it is; `coverage prompt`: what to test next;
`coverage history`: the trend over commits. The advice is `stepcommit.gates.advice`, the chart
`stepcommit.report.history`."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, output, plan, state
from stepcommit.errors import GateFailed, RepositoryStateError, StepcommitError
from stepcommit.gates.advice import FOCUS_LIMIT, Advice, advise, prompt_text, step_title
from stepcommit.gates.cache import GateCache
from stepcommit.gates.coverage import CoverageReport, FileCoverage
from stepcommit.gates.gate import measure_now
from stepcommit.gates.testrun import project_floor
from stepcommit.report.history import HistoryPoint, history_chart, history_points

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

    now = measure_now(
        repo, cfg, command="coverage", note="Running the tests under coverage...", fresh=fresh,
        current=lambda tree: trees_now(repo, tree),
    )  # fmt: skip
    if now.coverage is None:
        if now.gate is None:  # that gate already failed on this very tree
            raise GateFailed(
                f"The last gate on this tree measured no coverage: {now.problems}.",
                hint="Fix the tests and run `stepcommit coverage` again (or `--fresh` to rerun them as they are).",
            )
        raise GateFailed(
            now.gate.explain(), hint="Fix the failing tests, then run `stepcommit coverage` again."
        )
    return Measured(now.coverage, now.tree, now.source)


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
    last = GateCache(repo.git_dir).last()
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
    """`stepcommit coverage` with its flags: the table; ``prompt``/``to_plan`` as `coverage prompt`,
    ``history`` as `coverage history` (the flags the sub-commands replaced)."""
    if history:
        if prompt or to_plan or fresh:
            raise CoverageUsageError(
                "--history reads the figures recorded in commits; it does not go with --prompt, --to-plan or --fresh."
            )
        return coverage_history(cwd=cwd, as_json=as_json, limit=limit)
    if prompt or to_plan:
        return coverage_prompt(
            cwd=cwd, as_json=as_json, show_prompt=prompt, to_plan=to_plan, fresh=fresh, plan_path=plan_path,
            limit=limit,
        )  # fmt: skip
    repo = git.find_repo(cwd)
    measured = measure(repo, config_mod.load(repo.root), fresh=fresh)
    if as_json:
        output.emit_json(to_json(measured))
        return 0
    headers, rows = table_rows(measured.report)
    output.table(headers, rows)
    origin = "the last gate on this tree" if measured.source == "last gate" else "a test run just now"
    output.note(f"({'branch' if measured.report.branch else 'statement'} coverage, from {origin})")
    return 0


def coverage_history(*, cwd: Path, as_json: bool = False, limit: int | None = None) -> int:
    """`stepcommit coverage history`: the figure per commit, from Coverage trailers."""
    return show_history(git.find_repo(cwd), as_json=as_json, limit=HISTORY_LIMIT if limit is None else limit)


def coverage_prompt(
    *,
    cwd: Path,
    as_json: bool = False,
    show_prompt: bool = True,
    to_plan: bool = False,
    fresh: bool = False,
    plan_path: str | None = None,
    limit: int | None = None,
) -> int:
    """`stepcommit coverage prompt [--to-plan]`: what to test next, printed and/or added to the plan."""
    repo = git.find_repo(cwd)
    cfg = config_mod.load(repo.root)
    measured = measure(repo, cfg, fresh=fresh)
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
    if show_prompt:
        output.say(prompt_text(advice))
    if plan_file is not None:
        if show_prompt:
            output.say()
        name = plan_file.name
        for step in added:
            output.say(f"Added step {step.id} to {name} (line {step.line}): {step.title}")
        for path in skipped:
            output.say(f"Already planned: an open step in {name} asks for tests of {path}.")
        if not added and not skipped:
            output.say(f"Nothing to add to {name}: no file has missed lines.")
    return 0
