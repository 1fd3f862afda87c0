"""`stepcommit report`: what was done, step by step, with the coverage trend; markdown, JSON or one HTML page.

This module gathers (git, stepcommit's state, the plan, coverage data); stepcommit.report builds and renders.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from stepcommit import config as config_mod
from stepcommit import git, output, plan, state
from stepcommit.errors import PlanError, RepositoryStateError
from stepcommit.gates.gate import measure_now
from stepcommit.report import build, html, json_data, markdown
from stepcommit.report.model import CoverageNow, FileStats, PlanProgress, Report, ReportRange


def _select(
    repo: git.Repo, entries: tuple[git.LogEntry, ...], since: str | None
) -> tuple[tuple[git.LogEntry, ...], ReportRange, datetime | None]:
    if since is None:
        selected, earlier = build.default_range(entries)
        if earlier:
            description = (
                f"from the first step commit {selected[-1].commit[:10]} on "
                f"({earlier} older commit(s) not listed; --since REF|DATE lists them)"
            )
        else:
            description = "the whole history of the branch"
        return selected, ReportRange("default", None, description, earlier), None
    commit = git.rev_parse(repo.root, since)
    if commit is not None:
        selected, earlier = build.entries_in(entries, git.first_parent_range(repo.root, commit))
        description = f"commits after {since} ({commit[:10]})"
        return selected, ReportRange("ref", since, description, earlier), None
    when = build.parse_date(since)
    if when is None:
        raise build.BadSince(
            f"--since {since!r} is neither a commit git knows nor a date.",
            hint="Give a branch, tag or commit (--since v1.0), or an ISO date (--since 2026-01-31 or 2026-01-31T09:00).",
        )
    selected, earlier = build.entries_since_date(entries, when)
    return selected, ReportRange("date", since, f"commits since {when.isoformat()}", earlier), when


def _plan(
    repo: git.Repo, cfg: config_mod.Config, plan_path: str | None, entries: tuple[git.LogEntry, ...]
) -> tuple[PlanProgress | None, str | None]:
    try:
        plan_file = plan.find_plan(repo.root, plan_path or cfg.plan)
        the_plan = plan.load_plan(plan_file)
    except PlanError as exc:
        return None, exc.message
    rel = plan_file.resolve().relative_to(repo.root.resolve()).as_posix()
    return build.plan_progress(the_plan, rel, build.committed_steps(entries)), None


def _coverage(repo: git.Repo, cfg: config_mod.Config) -> tuple[CoverageNow | None, str | None]:
    """Coverage of the tree as it is now: the last gate's data when it measured this very tree, else a run."""
    now = measure_now(
        repo,
        cfg,
        command="report",
        note="No coverage data for this tree yet: running the tests under coverage...",
    )
    on_head = now.tree == git.tree_of(repo.root, "HEAD")
    if now.coverage is None:
        if now.gate is None:  # that gate already failed on this very tree
            return None, (
                f"the last gate on this tree measured no coverage ({now.problems}); "
                "fix it and run `stepcommit check`, then report again"
            )
        return None, "the test run measured nothing: " + "; ".join(now.gate.problems)
    return build.coverage_now(
        now.coverage, source=now.source, tree=now.tree, on_head=on_head, tests=now.tests
    ), None


def collect(cwd: Path, *, since: str | None = None, plan_path: str | None = None) -> Report:
    repo = git.find_repo(cwd)
    head = git.head_commit(repo.root)
    if head is None:
        raise RepositoryStateError(
            "This branch has no commits yet, so there is nothing to report.",
            hint="Finish a step first (`stepcommit start`, then `stepcommit finish`).",
        )
    cfg = config_mod.load(repo.root)
    entries = git.first_parent_log(repo.root)
    history = state.read_history(repo.git_dir)
    selected, the_range, since_date = _select(repo, entries, since)
    stats = {
        e.commit: FileStats(
            *git.diff_summary(repo.root, e.parents[0] if e.parents else git.EMPTY_TREE, e.commit)
        )
        for e in selected
        if build.is_step_commit(e)
    }
    steps, others = build.steps_and_others(selected, entries, history, stats)
    progress, plan_problem = _plan(repo, cfg, plan_path, entries)
    coverage, coverage_problem = _coverage(repo, cfg)
    return Report(
        repository=repo.root.name,
        branch=git.current_branch(repo.root),
        head=head,
        generated_at=state.now_iso(),
        range=the_range,
        plan=progress,
        plan_problem=plan_problem,
        steps=steps,
        other_commits=others,
        unmerged=build.unmerged_steps(history, {e.commit for e in entries}, since_date),
        coverage=coverage,
        coverage_problem=coverage_problem,
    )


def report(
    *,
    cwd: Path,
    since: str | None = None,
    as_json: bool = False,
    html_path: Path | None = None,
    plan_path: str | None = None,
) -> int:
    data = collect(cwd, since=since, plan_path=plan_path)
    if html_path is not None:
        target = html_path if html_path.is_absolute() else cwd / html_path
        target.write_text(html.render(data), encoding="utf-8")
        output.note(f"Wrote the HTML report to {target}.")
    if as_json:
        output.emit_json(json_data.to_data(data))
    else:
        output.say(markdown.render(data).rstrip("\n"))
    return 0
