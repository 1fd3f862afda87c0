"""The lint gate: the project's own pre-commit hooks on the changed files, else `ruff check`; never a write."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit import git, proc
from stepcommit.hookspec import LOCAL_HOOKS
from stepcommit.state import state_dir

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


@dataclass(frozen=True)
class LintResult:
    ok: bool
    tool: str
    """What ran: `pre-commit`, `ruff`, or `none` (with the reason in ``summary``)."""
    summary: str
    """For the commit message: `passed (ruff)`, `skipped (no changed Python files)`..."""
    problems: tuple[str, ...] = ()
    output_tail: str = ""
    modified: tuple[str, ...] = ()


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _ruff_command(python: Sequence[str]) -> list[str] | None:
    """The project's ruff when its environment has one, else the one installed with stepcommit."""
    if python and Path(python[0]).is_absolute():
        beside = Path(python[0]).parent / "ruff"
        if beside.exists():
            return [str(beside)]
    try:
        from ruff.__main__ import find_ruff_bin

        return [os.fspath(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        return [found] if found else None


def run_ruff(repo: git.Repo, python: Sequence[str], paths: Sequence[str]) -> LintResult:
    files = [p for p in paths if p.endswith((".py", ".pyi"))]
    if not files:
        return LintResult(True, "none", "skipped (no changed Python files)")
    ruff = _ruff_command(python)
    if ruff is None:
        return LintResult(True, "none", "skipped (ruff is not installed)")
    cache = state_dir(repo.git_dir) / "ruff-cache"
    # --no-fix: the gate reports, it never rewrites a file, whatever `fix = true` the project sets.
    argv = [
        *ruff,
        "check",
        "--no-fix",
        "--force-exclude",
        "--output-format=concise",
        f"--cache-dir={cache}",
        "--",
        *files,
    ]
    result = proc.run(argv, cwd=repo.root, check=False, timeout=600)
    if result.returncode == 0:
        return LintResult(True, "ruff", "passed (ruff)")
    return LintResult(
        False, "ruff", "failed (ruff)", ("ruff found problems",), _tail(result.stdout + result.stderr)
    )


def run_pre_commit(repo: git.Repo, paths: Sequence[str], deleted: Sequence[str]) -> LintResult:
    """Run the project's pre-commit hooks on a throw-away checkout holding the changed files.

    The user's files are never touched; a hook that would modify files fails the gate and the
    change it wanted is reported instead of kept.
    """
    if not paths:
        return LintResult(True, "none", "skipped (no changed files)")
    head = git.head_commit(repo.root)
    assert head is not None
    with git.temporary_worktree(repo, head) as tree:
        for path in paths:
            target = tree / path
            target.parent.mkdir(parents=True, exist_ok=True)
            source = repo.root / path
            if source.is_symlink():
                if target.exists() or target.is_symlink():
                    target.unlink()
                target.symlink_to(os.readlink(source))
            else:
                shutil.copy2(source, target)
        for path in deleted:
            (tree / path).unlink(missing_ok=True)
        git.stage_all(tree)
        skip = [h["id"] for h in LOCAL_HOOKS]
        if os.environ.get("SKIP"):
            skip.append(os.environ["SKIP"])
        env = {**os.environ, "SKIP": ",".join(skip), "PRE_COMMIT_COLOR": "never"}
        for name in ("GIT_INDEX_FILE", "GIT_DIR", "GIT_WORK_TREE", "GIT_PREFIX"):
            env.pop(name, None)  # set by git for hooks; they would point pre-commit at the user's repository
        argv = [sys.executable, "-m", "pre_commit", "run", "--files", *paths]
        result = proc.run(argv, cwd=tree, env=env, check=False, timeout=1800)
        modified = git.modified_files(tree)
        diff = git.diff_text(tree) if modified else ""
    names = ", ".join(modified)
    if result.returncode == 0 and not modified:
        return LintResult(True, "pre-commit", "passed (pre-commit)")
    problems = ["pre-commit hooks failed"]
    if modified:
        problems.append(f"hooks would change {names} (nothing was changed in your files)")
    output = _tail(result.stdout + result.stderr) + (f"\n{_tail(diff, 60)}" if diff else "")
    return LintResult(
        False, "pre-commit", "failed (pre-commit)", tuple(problems), output.strip(), tuple(modified)
    )


def run_lint(
    repo: git.Repo, python: Sequence[str], paths: Sequence[str], deleted: Sequence[str] = ()
) -> LintResult:
    if (repo.root / PRE_COMMIT_CONFIG).is_file():
        return run_pre_commit(repo, paths, deleted)
    return run_ruff(repo, python, paths)
