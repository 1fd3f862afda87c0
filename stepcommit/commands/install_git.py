"""The git side of `stepcommit install`: stepcommit's local hooks in .pre-commit-config.yaml, then
the git hook types they need installed through pre-commit itself."""

from __future__ import annotations

import sys

from stepcommit import git, proc
from stepcommit.precommit_config import ensure_hooks

HOOK_TYPES = ("pre-commit", "prepare-commit-msg")


def _installed(repo: git.Repo, hook_type: str) -> bool:
    path = repo.git_dir / "hooks" / hook_type
    return path.is_file() and "pre-commit" in path.read_text(encoding="utf-8", errors="replace")


def install_hook_types(repo: git.Repo, *, dry_run: bool = False) -> dict[str, str]:
    """Run `pre-commit install` for the hook types stepcommit uses (idempotent, like pre-commit)."""
    missing = [t for t in HOOK_TYPES if not _installed(repo, t)]
    if missing and not dry_run:
        argv = [sys.executable, "-m", "pre_commit", "install"]
        for hook_type in HOOK_TYPES:
            argv += ["--hook-type", hook_type]
        proc.run(argv, cwd=repo.root)
    return {f".git/hooks/{t}": "installed" if t in missing else "unchanged" for t in HOOK_TYPES}


def install_git_hooks(repo: git.Repo, *, dry_run: bool = False) -> dict[str, str]:
    """stepcommit's local hooks merged into .pre-commit-config.yaml, then the git hook types installed."""
    existed = (repo.root / ".pre-commit-config.yaml").is_file()
    changed = ensure_hooks(repo.root, dry_run=dry_run, with_ruff=False)
    results = {".pre-commit-config.yaml": ("updated" if existed else "created") if changed else "unchanged"}
    results.update(install_hook_types(repo, dry_run=dry_run))
    return results
