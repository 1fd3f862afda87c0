"""`stepcommit watch`: on each save, the tests the per-test store selects, and the exact total.

With a per-test store (made by an incremental `check`), every change of the work tree reruns the
tests it affects through the gate's own runner and prints the tests and coverage.py's exact total.
Without one yet, pytest-watcher + pytest-testmon run the project's own pytest.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit import config as config_mod
from stepcommit import git, output, proc, state
from stepcommit.gates.cache import GateCache
from stepcommit.gates.testrun import TestRun, probe_modules, project_python, run_tests

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
    gate = GateCache(git_dir).last()
    if not gate or gate.get("coverage_display") is None:
        return "stepcommit watch: no full measurement yet (`stepcommit check` makes one)."
    return (f"stepcommit watch: last full run {gate.get('time', '?')}: {gate.get('tests') or '?'}; "
            f"coverage {gate['coverage_display']}%.")  # fmt: skip


def plan_for(root: Path, git_dir: Path, pytest_args: Sequence[str], *, now: bool, clear: bool) -> WatchPlan:
    cfg = config_mod.load(root)
    python, _ = project_python(root, cfg)
    has_testmon = probe_modules(python, root, dict(os.environ), ("testmon",), state.StateDir(git_dir).probe)
    return watch_plan(
        root=root,
        python=python,
        has_testmon=has_testmon["testmon"],
        unblock_cache=blocks_cacheprovider(
            _config_texts(root), [*cfg.pytest_args, *pytest_args], os.environ.get("PYTEST_ADDOPTS", "")
        ),
        datafile=state.StateDir(git_dir).testmon_data,
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


def has_store(git_dir: Path) -> bool:
    """Whether an incremental run left a per-test store to select from."""
    from stepcommit.gates.incremental import stored_meta

    return stored_meta(git_dir) is not None


def run_line(run: TestRun) -> str:
    """One line after each run: what ran, of how many, and the exact total (or what went wrong)."""
    tests = run.tests.summary() if run.tests else "no tests counted"
    how = f" ({run.measured.describe()})" if run.measured else ""
    if not run.ok:
        first = f"; first: {run.failures[0].test}" if run.failures else ""
        return f"Tests: {tests}{how}: {run.problem}{first}"
    total = f"; coverage {run.coverage.display}% (exact total)" if run.coverage else ""
    return f"Tests: {tests}{how}{total}"


def watch_store(
    repo: git.Repo,
    cfg: config_mod.Config,
    *,
    now: bool = True,
    poll: float = 0.5,
    runs: int | None = None,
    on_idle: Callable[[], None] | None = None,
    clear: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Rerun the selected tests whenever the work tree's tree id changes (``runs``: stop after that
    many, for tests; ``on_idle``: called between polls, for tests that edit files; ``on_ready``:
    called once the tree to compare against is read, so a save after the ready line is never missed)."""
    active = state.load_active(repo.git_dir)
    ignore = (active.plan,) if active else ()
    seen = None if now else git.tree_only(repo)
    if on_ready is not None:
        on_ready()
    done = 0
    while runs is None or done < runs:
        tree = git.tree_only(repo)
        if tree == seen:
            if on_idle is not None:
                on_idle()
            time.sleep(poll)
            continue
        seen = tree
        if clear and sys.stdout.isatty():
            sys.stdout.write("\x1b[2J\x1b[H")  # as pytest-watcher's --clear does
        with state.lock(repo.git_dir, "watch"):
            run = run_tests(repo, cfg, per_test="auto", ignore=ignore, disk_tree=tree)
        output.say(run_line(run))
        done += 1
    return 0


def watch(*, cwd: Path, pytest_args: list[str], now: bool = True, clear: bool = False) -> int:
    repo = git.find_repo(cwd)
    if has_store(repo.git_dir):
        cfg = config_mod.load(repo.root)
        cfg = dataclasses.replace(cfg, pytest_args=[*cfg.pytest_args, *pytest_args])

        def ready() -> None:
            output.note(status_line(repo.git_dir))
            output.note(
                "stepcommit watch: each change reruns the tests the per-test store selects (Ctrl-C stops)."
            )

        try:
            return watch_store(repo, cfg, now=now, clear=clear, on_ready=ready)
        except KeyboardInterrupt:
            output.note("Stopped watching.")
            return 0
    output.note("stepcommit watch: no per-test store yet (an incremental `stepcommit check` makes one): "
                "pytest-testmon selects the tests until then.")  # fmt: skip
    plan = plan_for(repo.root, repo.git_dir, pytest_args, now=now, clear=clear)
    for note in plan.notes:
        output.note(note)
    output.note(status_line(repo.git_dir))
    code = proc.run_attached(plan.argv, cwd=repo.root, env={**os.environ, **dict(plan.env_overrides)})
    if code == 130:
        output.note("Stopped watching.")
        return 0
    return code
