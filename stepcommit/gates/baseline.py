"""The base commit's coverage for the ratchet: its Coverage trailer, else measured once and cached."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from stepcommit import git, output, state
from stepcommit.config import Config
from stepcommit.gates.testrun import project_python, run_tests


@dataclasses.dataclass(frozen=True)
class Baseline:
    display: str | None
    """The base's total as coverage prints it at two decimals; None when it cannot be known."""
    source: str
    """`trailer`, `measured`, or why there is no figure."""


def _cache(git_dir: Path) -> Path:
    # Keyed by commit, so every worktree of the repository shares it (written atomically).
    return state.StateDir(git_dir).baseline


def base_coverage(repo: git.Repo, cfg: Config, base_commit: str, *, measure: bool = True) -> Baseline:
    trailer = git.trailer(repo.root, base_commit, "Coverage")
    if trailer:
        return Baseline(trailer, "trailer")
    cached = state.read_cache(_cache(repo.git_dir))
    cached = cached if isinstance(cached, dict) else {}
    entry = cached.get(base_commit)
    if isinstance(entry, dict):
        return Baseline(entry.get("display"), entry.get("source", "measured"))
    if not measure:
        return Baseline(None, "no Coverage trailer on the base commit")
    output.note(f"Measuring the base commit {base_commit[:10]} once for the coverage ratchet...")
    python, _ = project_python(repo.root, cfg)
    with git.temporary_worktree(repo, base_commit) as tree:
        scratch = state.StateDir(repo.git_dir).baseline_run
        scratch.mkdir(exist_ok=True)
        src = [str(tree / "src")] if (tree / "src").is_dir() else []
        run = run_tests(
            git.Repo(tree, scratch), dataclasses.replace(cfg, python=python), pythonpath=(*src, str(tree))
        )
    if run.ok and run.coverage is not None:
        result = Baseline(run.coverage.display, "measured")
    else:
        result = Baseline(None, f"the base commit's own tests do not pass ({run.problem})")
    cached[base_commit] = {"display": result.display, "source": result.source}
    state.write_json(_cache(repo.git_dir), cached)
    return result
