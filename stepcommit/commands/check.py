"""`stepcommit check`: run the gate now, without committing; also the pre-commit hook's entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

from stepcommit import config as config_mod
from stepcommit import git, output, state
from stepcommit.errors import GateFailed
from stepcommit.gates.gate import run_gate
from stepcommit.gates.testrun import write_coverage_xml
from stepcommit.message import CoverageFigure, format_lowest


def _index_tree(repo: git.Repo) -> str:
    return git.write_index_tree(repo.root)


def check(
    *,
    cwd: Path,
    hook: bool = False,
    use_cache: bool = True,
    junit_xml: Path | None = None,
    coverage_xml: Path | None = None,
    as_json: bool = False,
    full: bool = False,
) -> int:
    """Gate the work tree (or, as a pre-commit hook, the staged tree) and report the result."""
    repo = git.find_repo(cwd)
    with state.lock(repo.git_dir, "check"):
        cfg = config_mod.load(repo.root)
        tree = _index_tree(repo) if hook else git.tree_only(repo)
        active = state.load_active(repo.git_dir)
        base = active.base_commit if active else git.head_commit(repo.root)
        result = run_gate(
            repo,
            cfg,
            tree,
            base,
            verify=active.verify if active else (),
            use_cache=use_cache and junit_xml is None and coverage_xml is None,
            junit_xml=junit_xml is not None,
            full=full,
            ignore=(active.plan,) if active else (),
            tree_is_work_tree=not hook,
        )
        run_dir = state.state_dir(repo.git_dir) / "run"
        if junit_xml is not None and (run_dir / "junit.xml").exists():
            shutil.copyfile(run_dir / "junit.xml", junit_xml)
        if coverage_xml is not None and result.coverage is not None:
            write_coverage_xml(repo, cfg, coverage_xml)
    if as_json:
        data = result.to_json()
        if result.coverage is not None:
            data["total"] = result.coverage.total
        output.emit_json(data)
        return 0 if result.ok else GateFailed.exit_code
    if not result.ok:
        raise GateFailed(
            result.explain(),
            hint="Nothing was committed. Fix it and run the check again."
            if not hook
            else "The commit was stopped; your changes are still staged. Fix it and commit again.",
        )
    tests = result.tests.summary() if result.tests else "?"
    cached = " (cached: this exact tree passed before)" if result.cached else ""
    if result.tests_reused:
        cached = " (reused: this exact tree was tested before)"
    output.say(f"Tests: {tests}{cached}")
    if result.lint:
        output.say(f"Lint: {result.lint}")
    if result.coverage is not None:
        cov = result.coverage
        figure = CoverageFigure(
            cov.total,
            cov.display,
            result.previous,
            changed_lines=result.patch_display,
            measured=result.measured,
        )
        # GitLab's coverage regex reads this line: keep it starting with "Coverage: NN.NN%".
        output.say(f"Coverage: {figure.line()}")
        if cov.lowest():
            output.say(f"Lowest: {format_lowest(cov.lowest())}")
    for note in result.notes:
        output.note(f"note: {note}")
    return 0
