"""`stepcommit doctor`: is this repository really set up? Each finding is OK, or the problem and its fix.

Every check looks at the thing itself (the hook scripts git runs, the resolver run from a shell with
no virtual environment, pytest collecting), never at what stepcommit believes it wrote.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stepcommit import git, output, proc
from stepcommit.errors import StepcommitError
from stepcommit.setup import hookspec
from stepcommit.setup.setup_report import Finding, show_findings

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


def _config_repos(root: Path) -> list[dict[str, Any]] | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = root / PRE_COMMIT_CONFIG
    if not path.is_file():
        return None
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8", errors="replace"))
    except YAMLError:
        return []
    repos = data.get("repos") if isinstance(data, dict) else None
    return [r for r in repos if isinstance(r, dict)] if isinstance(repos, list) else []


def _hooks(repos: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(r, h) for r in repos for h in r.get("hooks") or [] if isinstance(h, dict) and "id" in h]


def _entry_program(entry: str) -> str | None:
    """The program a local hook's entry runs: the resolver's target, else the entry's first word."""
    try:
        words = shlex.split(entry)
    except ValueError:
        return None
    if len(words) >= 4 and words[:2] == ["sh", "-c"] and "exec" in words[2]:
        return words[3]
    return words[0] if words else None


def check_git_hooks(repo: git.Repo) -> list[Finding]:
    from stepcommit.commands.install_git import HOOK_TYPES, hook_python

    findings = []
    hooks_dir = git.hooks_dir(repo.root)
    for hook_type in HOOK_TYPES:
        python = hook_python(hooks_dir / hook_type)
        if python is None:
            findings.append(
                Finding(f"git hook {hook_type}", False, "not installed by pre-commit", "stepcommit install")
            )
        elif not python or not Path(python).is_file():
            findings.append(
                Finding(
                    f"git hook {hook_type}",
                    False,
                    f"runs pre-commit with {python or 'no interpreter'}, which does not exist: "
                    "every commit is refused, even with --no-verify",
                    "stepcommit install  (from the project's environment: `uv run stepcommit install`)",
                )
            )
        else:
            findings.append(
                Finding(f"git hook {hook_type}", True, f"installed (pre-commit runs with {python})")
            )
    return findings


def check_hook_programs(repo: git.Repo, repos: Sequence[dict[str, Any]]) -> list[Finding]:
    """Each local hook's program, found as a shell without the virtual environment would find it."""
    findings = []
    ids = {str(h["id"]) for _, h in _hooks(repos)}
    missing = sorted(hookspec.STEPCOMMIT_HOOK_IDS - ids)
    if missing:
        findings.append(
            Finding(
                "stepcommit hooks",
                False,
                f"{', '.join(missing)} not in {PRE_COMMIT_CONFIG}",
                "stepcommit install",
            )
        )
    for repo_entry, hook in _hooks(repos):
        if repo_entry.get("repo") != "local" or hook.get("language") not in ("unsupported", "system"):
            continue
        hook_id, entry = str(hook["id"]), str(hook.get("entry", ""))
        program = _entry_program(entry)
        if program is None:
            continue
        legacy = entry == hookspec.LEGACY_ENTRIES.get(hook_id)
        fix = (
            "stepcommit install  (rewrites the entry to find it in the project's environment)"
            if legacy
            else f"uv add --dev {program}  (or give the hook's entry a path that exists)"
        )
        found = hookspec.resolve(program, repo.root) if "/" not in program else None
        if "/" in program and (repo.root / program).is_file():
            found = program
        if found is None:
            findings.append(
                Finding(
                    f"hook {hook_id}", False, f"`{program}` is not found from a shell without the venv", fix
                )
            )
        else:
            findings.append(Finding(f"hook {hook_id}", True, f"runs {found}"))
    return findings


def _pre_commit_cache() -> Path:
    if os.environ.get("PRE_COMMIT_HOME"):
        return Path(os.environ["PRE_COMMIT_HOME"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pre-commit"


def _cached_repos() -> set[tuple[str, str]]:
    db = _pre_commit_cache() / "db.db"
    if not db.is_file():
        return set()
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT repo, ref, path FROM repos").fetchall()
    except sqlite3.Error:
        return set()
    return {(str(r), str(ref)) for r, ref, path in rows if Path(path).is_dir()}


def check_hook_repositories(repos: Sequence[dict[str, Any]]) -> list[Finding]:
    """Hook repositories pre-commit would have to download: on a machine offline, every commit fails."""
    remote = [r for r in repos if str(r.get("repo", "")) not in ("local", "meta")]
    if not remote:
        return [Finding("hook repositories", True, "none to download (local hooks only)")]
    cached = _cached_repos()
    findings = []
    for repo_entry in remote:
        url, rev = str(repo_entry.get("repo", "")), str(repo_entry.get("rev", ""))
        if (url, rev) in cached:
            findings.append(Finding(f"hook repository {url}", True, f"{rev} is in pre-commit's cache"))
            continue
        fix = "pre-commit install-hooks  (once, with network)"
        if url.rstrip("/").endswith("/ruff-pre-commit"):
            fix = (
                f"remove the {url} repo from {PRE_COMMIT_CONFIG}, then `stepcommit install` "
                "(adds the project's own ruff as local hooks)"
            )
        findings.append(
            Finding(
                f"hook repository {url}",
                False,
                f"{rev} is not in pre-commit's cache: without network every commit fails",
                fix,
            )
        )
    return findings


def check_linters(repo: git.Repo, repos: list[dict[str, Any]] | None) -> Finding:
    from stepcommit.gates.lint import _ruff_command, config_hooks

    ruff = _ruff_command([])
    if repos is not None:
        text = (repo.root / PRE_COMMIT_CONFIG).read_text(encoding="utf-8", errors="replace")
        hooks = config_hooks(text)
        if hooks is not None and hooks.own:
            extra = "" if hooks.lints_python else (" + ruff (no hook lints Python)" if ruff else "")
            if not hooks.lints_python and not ruff:
                return Finding(
                    "lint",
                    False,
                    f"pre-commit hooks {', '.join(hooks.own)}; none lints Python and ruff is not installed",
                    "uv add --dev ruff && stepcommit install",
                )
            return Finding("lint", True, f"pre-commit hooks {', '.join(hooks.own)}{extra}")
    if ruff:
        return Finding("lint", True, f"ruff ({ruff[0]}): no lint hook in {PRE_COMMIT_CONFIG}")
    return Finding(
        "lint", False, "none configured: no lint hook and no ruff", "uv add --dev ruff && stepcommit install"
    )


def check_plan(root: Path) -> Finding:
    from stepcommit import config as config_module
    from stepcommit import plan as plan_module

    try:
        cfg = config_module.load(root)
        path = plan_module.find_plan(root, cfg.plan)
        loaded = plan_module.load_plan(path, steps="item" if cfg.steps == "item" else "phase")
    except StepcommitError as exc:
        return Finding("plan", False, str(exc).splitlines()[0], exc.hint or "")
    # Counted as `stepcommit plan` counts them: the steps a person works through (a group heading
    # over its items is not one more), with the plan's own granularity.
    steps = [step for step in loaded.walk() if step.is_leaf]
    done = sum(1 for step in steps if step.status in ("done", "skipped"))
    if not steps:
        return Finding(
            "plan", False, f"{path.relative_to(root)} has no steps", "add `- [ ] **1.1. First step**` lines"
        )
    following = plan_module.next_open_step(loaded)
    after = f"; next: {following.id} {following.title}" if following else "; every step is done"
    return Finding(
        "plan",
        True,
        f"{path.relative_to(root).as_posix()}: {len(steps)} step{'' if len(steps) == 1 else 's'}, {done} done{after}",
    )


def check_tests_collect(root: Path) -> Finding:
    from stepcommit import config as config_module
    from stepcommit.gates.testrun import project_python

    try:
        cfg = config_module.load(root)
        python, _ = project_python(root, cfg)
    except StepcommitError as exc:
        return Finding("tests", False, str(exc).splitlines()[0], exc.hint or "")
    argv = [*python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *cfg.pytest_args]
    try:
        result = proc.run(argv, cwd=root, check=False, timeout=300)
    except StepcommitError as exc:
        return Finding("tests", False, str(exc).splitlines()[0], exc.hint or "")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    last = lines[-1] if lines else (result.stderr.strip().splitlines() or ["no output"])[-1]
    if result.timed_out:
        return Finding("tests", False, "collecting the tests took over 300 s", "run `pytest --collect-only`")
    if result.returncode == 5:
        return Finding("tests", False, "pytest collects no test", "add tests under tests/ (test_*.py)")
    if result.returncode != 0:
        return Finding(
            "tests", False, f"pytest cannot collect the tests: {last}", "run `pytest --collect-only`"
        )
    return Finding("tests", True, f"{last} ({' '.join(python)})")


def check_env_ignored(root: Path) -> Finding:
    if git.ignored(root, [".env"]):
        return Finding(".env", True, "ignored by git")
    if git.is_tracked(root, ".env"):
        return Finding(".env", False, "tracked by git", "git rm --cached .env && stepcommit init")
    return Finding(".env", False, "not ignored by git", "stepcommit init  (adds .env to .gitignore)")


def check_agent_capture(repo: git.Repo) -> list[Finding]:
    """A finding per agent whose hooks ran in the active step without capturing an entry."""
    from stepcommit import state
    from stepcommit.agents.capture import SILENT
    from stepcommit.commands.status import silent_in_step

    silent = silent_in_step(repo, state.load_active(repo.git_dir))
    return [
        Finding(
            f"{agent} hooks",
            False,
            SILENT,
            f"`stepcommit status` shows the hook errors; `stepcommit install --agent {agent}` updates its hooks",
        )
        for agent in silent
    ]


def check_incremental(repo: git.Repo) -> Finding:
    """Whether the incremental gate is on, and what its last self-audit found (see gates/audit.py)."""
    from stepcommit import config as config_mod
    from stepcommit.gates import audit

    try:
        cfg = config_mod.load(repo.root)
    except StepcommitError as exc:
        return Finding("incremental gate", False, f"the settings cannot be read: {exc}", "fix pyproject.toml")
    if not cfg.incremental:
        return Finding("incremental gate", True, "off (incremental = false): every run is full")
    off = audit.marker(repo.git_dir)
    if off is not None:
        return Finding(
            "incremental gate",
            False,
            f"turned off by its self-audit: {off['why']}",
            f"find what the tests depend on that git does not hold, then `{audit.CLEAR}`",
        )
    last = audit.last_audit(repo.git_dir)
    every = f"every {cfg.audit_every} incremental runs" if cfg.audit_every else "off (audit_every = 0)"
    when = f"; last audit {last['result']} at {last['audited']}" if last.get("audited") else ""
    return Finding("incremental gate", True, f"on; self-audit {every}{when}")


def findings(repo: git.Repo) -> list[Finding]:
    repos = _config_repos(repo.root)
    found = check_git_hooks(repo)
    if repos is None:
        found.append(Finding("stepcommit hooks", False, f"no {PRE_COMMIT_CONFIG}", "stepcommit install"))
    else:
        found += check_hook_programs(repo, repos)
        found += check_hook_repositories(repos)
    found.append(check_linters(repo, repos))
    found.append(check_plan(repo.root))
    found.append(check_tests_collect(repo.root))
    found.append(check_env_ignored(repo.root))
    found += check_agent_capture(repo)
    found.append(check_incremental(repo))
    return found


def show(found: Sequence[Finding], *, as_json: bool) -> None:
    if as_json:
        output.emit_json({"ok": all(f.ok for f in found), "findings": [asdict(f) for f in found]})
        return
    show_findings(found)


def doctor(*, cwd: Path, as_json: bool = False) -> int:
    repo = git.find_repo(cwd)
    found = findings(repo)
    show(found, as_json=as_json)
    return 0 if all(f.ok for f in found) else 1
