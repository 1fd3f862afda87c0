"""The git side of `stepcommit install`: stepcommit's local hooks in .pre-commit-config.yaml, then
the git hook types they need installed through pre-commit itself."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from stepcommit import git, proc
from stepcommit.setup import hookspec
from stepcommit.setup.precommit_config import ensure_hooks

HOOK_TYPES = ("pre-commit", "prepare-commit-msg")
_INSTALL_PYTHON = re.compile(r"^INSTALL_PYTHON=['\"]?(?P<python>[^'\"\n]*)", re.MULTILINE)


def hook_python(path: Path) -> str | None:
    """The interpreter a pre-commit git hook script runs pre-commit with (None: not pre-commit's)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "pre-commit" not in text:
        return None
    found = _INSTALL_PYTHON.search(text)
    return found["python"] if found else ""


def _runs_pre_commit(python: str) -> bool:
    if not python or not Path(python).is_file():
        return False
    from stepcommit.gates.testrun import probe_modules

    return probe_modules([python], Path.cwd(), dict(os.environ), ("pre_commit",))["pre_commit"]


def _installed(repo: git.Repo, hook_type: str) -> bool:
    # A hook whose interpreter is gone (an ephemeral `uvx` environment, a deleted .venv) falls back to
    # `pre-commit` on PATH, which a bare shell lacks: git then refuses every commit, --no-verify or not.
    python = hook_python(git.hooks_dir(repo.root) / hook_type)
    return python is not None and _runs_pre_commit(python)


def installer_python(root: Path) -> str:
    """The interpreter the git hooks will run pre-commit with: the project's own when it has pre-commit.

    The running interpreter may be a throw-away one (`uvx stepcommit install`); the project's
    `.venv` lives as long as the project does.
    """
    for candidate in (root / ".venv" / "bin" / "python", root / ".venv" / "Scripts" / "python.exe"):
        if candidate.is_file() and _runs_pre_commit(str(candidate)):
            return str(candidate)
    return sys.executable


def install_hook_types(repo: git.Repo, *, dry_run: bool = False) -> dict[str, str]:
    """Run `pre-commit install` for the hook types stepcommit uses (idempotent, like pre-commit)."""
    missing = [t for t in HOOK_TYPES if not _installed(repo, t)]
    if missing and not dry_run:
        argv = [installer_python(repo.root), "-m", "pre_commit", "install"]
        for hook_type in HOOK_TYPES:
            argv += ["--hook-type", hook_type]
        proc.run(argv, cwd=repo.root)
    return {f".git/hooks/{t}": "installed" if t in missing else "unchanged" for t in HOOK_TYPES}


def install_git_hooks(repo: git.Repo, *, dry_run: bool = False) -> dict[str, str]:
    """stepcommit's local hooks merged into .pre-commit-config.yaml, then the git hook types installed.

    The project's ruff goes in as local hooks (unless the config lints Python already) only when a
    hook can find it; a hook that cannot would refuse every commit.
    """
    existed = (repo.root / ".pre-commit-config.yaml").is_file()
    with_ruff = hookspec.resolve("ruff", repo.root) is not None
    changed = ensure_hooks(repo.root, dry_run=dry_run, with_ruff=with_ruff)
    results = {".pre-commit-config.yaml": ("updated" if existed else "created") if changed else "unchanged"}
    results.update(install_hook_types(repo, dry_run=dry_run))
    return results
