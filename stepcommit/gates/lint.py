"""The lint gate: the project's own pre-commit hooks on the changed files, else `ruff check`; never a write.

A verdict names only what really ran: `passed (X)` means X ran on at least one changed file. A
pre-commit config holding only stepcommit's own hooks (which the gate skips) lints nothing, so ruff
runs as it would without a config; a config whose hooks do not lint Python gets ruff on the Python
files too; with no linter at all the verdict is `none configured`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit import git, proc
from stepcommit.setup.hookspec import STEPCOMMIT_HOOK_IDS
from stepcommit.state import StateDir

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
    ran: tuple[str, ...] = ()
    """The linters (pre-commit hook ids, `ruff`) that ran on at least one changed file."""


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
        return LintResult(True, "none", "none configured (no pre-commit lint hook, ruff not installed)")
    cache = StateDir(repo.git_dir).ruff_cache
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
        return LintResult(True, "ruff", "passed (ruff)", ran=("ruff",))
    return LintResult(
        False,
        "ruff",
        "failed (ruff)",
        ("ruff found problems",),
        _tail(result.stdout + result.stderr),
        ran=("ruff",),
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
        skip = sorted(STEPCOMMIT_HOOK_IDS)
        if os.environ.get("SKIP"):
            skip.append(os.environ["SKIP"])
        # Without git's hook variables: they would point pre-commit at the user's repository.
        env = {**git.without_hook_env(os.environ), "SKIP": ",".join(skip), "PRE_COMMIT_COLOR": "never"}
        # --verbose: pre-commit then prints a duration under each hook that really ran (see _ran).
        argv = [sys.executable, "-m", "pre_commit", "run", "--verbose", "--files", *paths]
        result = proc.run(argv, cwd=tree, env=env, check=False, timeout=1800)
        modified = git.modified_files(tree)
        diff = git.diff_text(tree) if modified else ""
    names = ", ".join(modified)
    if result.returncode == 0 and not modified:
        ran = _ran(result.stdout)
        if not ran:
            return LintResult(True, "none", "skipped (no pre-commit hook matched the changed files)")
        return LintResult(True, "pre-commit", f"passed ({', '.join(ran)})", ran=tuple(ran))
    problems = ["pre-commit hooks failed"]
    if modified:
        problems.append(f"hooks would change {names} (nothing was changed in your files)")
    output = _tail(result.stdout + result.stderr) + (f"\n{_tail(diff, 60)}" if diff else "")
    ran = _ran(result.stdout)
    return LintResult(
        False,
        "pre-commit",
        f"failed ({', '.join(ran) or 'pre-commit'})",
        tuple(problems),
        output.strip(),
        tuple(modified),
        tuple(ran),
    )


_RAN = re.compile(r"^- hook id: (?P<id>\S+)\n- duration: ", re.MULTILINE)


def _ran(output: str) -> list[str]:
    """Ids of the hooks that ran, from `pre-commit run --verbose` (a skipped hook shows no duration)."""
    return list(dict.fromkeys(m["id"] for m in _RAN.finditer(output.replace("\r\n", "\n"))))


@dataclass(frozen=True)
class ConfigHooks:
    """What the project's pre-commit config holds besides stepcommit's own hooks."""

    own: tuple[str, ...]
    lints_python: bool


def config_hooks(text: str) -> ConfigHooks | None:
    """The config's own hooks, minus stepcommit's and those in $SKIP; None when it cannot be read."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from stepcommit.setup.precommit_config import lints_python

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("repos") or [], list):
        return None
    skipped = STEPCOMMIT_HOOK_IDS | {s.strip() for s in os.environ.get("SKIP", "").split(",")}
    repos = [
        {
            **repo,
            "hooks": [
                h for h in repo.get("hooks") or [] if isinstance(h, dict) and h.get("id") not in skipped
            ],
        }
        for repo in data.get("repos") or []
        if isinstance(repo, dict)
    ]
    own = tuple(str(h["id"]) for repo in repos for h in repo["hooks"] if "id" in h)
    return ConfigHooks(own, lints_python(repos))


def _combined(first: LintResult, second: LintResult) -> LintResult:
    """Both results in one: it passes when both do, and names every linter that ran."""
    ran = (*first.ran, *second.ran)
    if not ran:
        return first
    ok = first.ok and second.ok
    return LintResult(
        ok,
        "+".join(dict.fromkeys(r.tool for r in (first, second) if r.ran)),
        f"{'passed' if ok else 'failed'} ({', '.join(ran)})",
        first.problems + second.problems,
        "\n".join(r.output_tail for r in (first, second) if r.output_tail),
        first.modified + second.modified,
        ran,
    )


def run_lint(
    repo: git.Repo, python: Sequence[str], paths: Sequence[str], deleted: Sequence[str] = ()
) -> LintResult:
    config = repo.root / PRE_COMMIT_CONFIG
    if not config.is_file():
        return run_ruff(repo, python, paths)
    hooks = config_hooks(config.read_text(encoding="utf-8", errors="replace"))
    if hooks is not None and not hooks.own:
        # Only stepcommit's hooks, which the gate itself is: lint as if there were no config.
        return run_ruff(repo, python, paths)
    result = run_pre_commit(repo, paths, deleted)
    if hooks is not None and not hooks.lints_python:
        return _combined(result, run_ruff(repo, python, paths))
    return result
