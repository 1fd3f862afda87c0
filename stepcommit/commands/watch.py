"""`stepcommit watch`: pytest-watcher + pytest-testmon on the project's own pytest, affected tests per save."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit import config as config_mod
from stepcommit import git, output, proc, state
from stepcommit.gates.gate import last_result
from stepcommit.gates.testrun import PROBE_CACHE, probe_modules, project_python

WATCH_PATTERNS = "*.py,**/*.py"

PYTEST_CONFIGS = ("pyproject.toml", "pytest.ini", ".pytest.ini", "setup.cfg", "tox.ini")

# pytest-watcher lets a Ctrl-C escape as a traceback; it runs through this file, which ends quietly.
PTW_QUIET = Path(__file__).resolve().parent.parent / "scripts" / "ptw_quiet.py"


@dataclass(frozen=True)
class WatchPlan:
    argv: tuple[str, ...]
    env_overrides: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    """Why a feature is off or changed, for the user."""


def blocks_cacheprovider(
    config_texts: Sequence[str], pytest_args: Sequence[str], addopts_env: str = ""
) -> bool:
    """Whether pytest runs with ``-p no:cacheprovider``, under which pytest-testmon crashes."""
    # Both spellings, "-p no:cacheprovider" and "-pno:cacheprovider", contain this.
    return any("no:cacheprovider" in text for text in (*config_texts, *pytest_args, addopts_env))


def watch_plan(
    *,
    root: Path,
    python: Sequence[str],
    has_testmon: bool,
    unblock_cache: bool,
    datafile: Path,
    pytest_args: Sequence[str] = (),
    now: bool = True,
    clear: bool = False,
    set_patterns: bool = True,
) -> WatchPlan:
    """The pytest-watcher command for this project, as plain data.

    pytest-watcher's ``--runner`` takes one bare executable, so the project's interpreter is the
    runner and everything after it (``-m pytest --testmon``) goes in as runner arguments;
    ``--delay`` is not passed, since current releases ignore it.
    """
    notes: list[str] = []
    runner_args = [*python[1:], "-m", "pytest"]
    env: list[tuple[str, str]] = []
    if has_testmon:
        runner_args.append("--testmon")
        # testmon's database would sit in the work tree; the git directory keeps it out of commits.
        env.append(("TESTMON_DATAFILE", str(datafile)))
        if unblock_cache:
            runner_args += ["-p", "cacheprovider"]
            notes.append("The project disables pytest's cacheprovider, under which pytest-testmon crashes: "
                         "re-enabled for watch mode only.")  # fmt: skip
    else:
        notes.append("pytest-testmon is not installed in the project's environment, so every save reruns "
                     "the whole suite (add it: `uv add --dev pytest-testmon`).")  # fmt: skip
    flags = [*(["--now"] if now else []), *(["--clear"] if clear else [])]
    if set_patterns:
        # pytest-watcher's default `*.py` matches whole paths since watchdog 7, so only files at the
        # top of the project: name the nested ones too.
        flags += ["--patterns", WATCH_PATTERNS]
    argv = (sys.executable, str(PTW_QUIET), str(root), *flags, "--runner", python[0], *runner_args,
            *pytest_args)  # fmt: skip
    return WatchPlan(argv, tuple(env), tuple(notes))


def _config_texts(root: Path) -> list[str]:
    texts = []
    for name in PYTEST_CONFIGS:
        path = root / name
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


def status_line(git_dir: Path) -> str:
    """The last full measurement, so a watch session starts with the figure it should not lose."""
    gate = last_result(git_dir)
    if not gate or gate.get("coverage_display") is None:
        return "stepcommit watch: no full measurement yet (`stepcommit check` makes one)."
    return (f"stepcommit watch: last full run {gate.get('time', '?')}: {gate.get('tests') or '?'}; "
            f"coverage {gate['coverage_display']}%.")  # fmt: skip


def plan_for(root: Path, git_dir: Path, pytest_args: Sequence[str], *, now: bool, clear: bool) -> WatchPlan:
    cfg = config_mod.load(root)
    python, _ = project_python(root, cfg)
    has_testmon = probe_modules(
        python, root, dict(os.environ), ("testmon",), state.state_dir(git_dir) / PROBE_CACHE
    )
    return watch_plan(
        root=root,
        python=python,
        has_testmon=has_testmon["testmon"],
        unblock_cache=blocks_cacheprovider(
            _config_texts(root), [*cfg.pytest_args, *pytest_args], os.environ.get("PYTEST_ADDOPTS", "")
        ),
        datafile=state.state_dir(git_dir) / "testmondata",
        pytest_args=[*cfg.pytest_args, *pytest_args],
        now=now,
        clear=clear,
        set_patterns=not _own_patterns(root),
    )


def _own_patterns(root: Path) -> bool:
    """Whether the project configures pytest-watcher's patterns itself (then they are left alone)."""
    import tomllib

    try:
        with (root / "pyproject.toml").open("rb") as handle:
            table = tomllib.load(handle).get("tool", {}).get("pytest-watcher", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(table, dict) and "patterns" in table


def watch(*, cwd: Path, pytest_args: list[str], now: bool = True, clear: bool = False) -> int:
    repo = git.find_repo(cwd)
    plan = plan_for(repo.root, repo.git_dir, pytest_args, now=now, clear=clear)
    for note in plan.notes:
        output.note(note)
    output.note(status_line(repo.git_dir))
    code = proc.run_attached(plan.argv, cwd=repo.root, env={**os.environ, **dict(plan.env_overrides)})
    if code == 130:
        output.note("Stopped watching.")
        return 0
    return code
