"""Run the project's pytest suite under coverage (coverage starts first) and read the results."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import git, proc, state
from stepcommit.config import Config
from stepcommit.errors import ConfigError, ToolMissing
from stepcommit.gates.cache import GateCache
from stepcommit.gates.coverage import CoverageReport, from_json
from stepcommit.gates.results import TestResult
from stepcommit.git import Repo
from stepcommit.message import cap_failure, cap_output_lines
from stepcommit.runner import stepcommit_runner
from stepcommit.runner.stepcommit_runner.job import (
    EXIT_RERUN_ALL,
    EXIT_RUNNER_FAILED,
    MEASURE_RUNNER_ENV,
    Job,
    Results,
)
from stepcommit.state import StateDir

if TYPE_CHECKING:  # the incremental gate is imported only when a run uses it (start-up stays light)
    from stepcommit.gates.incremental import Outcome, Selection

NOT_SOURCE = {"tests", "test", "docs", "doc", "examples", "scripts", "build", "dist", "benchmarks"}

# `coverage run -m pytest` in one process that also writes the JSON report, run by path in the
# project's interpreter (see stepcommit/runner/stepcommit_runner/run.py).
RUNNER_PACKAGE = Path(stepcommit_runner.__file__).parent
_NO_COVERAGE = re.compile(r"No module named '?coverage'?")
_NO_PYTEST = re.compile(r"No module named '?pytest'?")

PYTEST_EXIT = {
    1: "tests failed",
    2: "the test run was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly (a usage error; check addopts and [tool.stepcommit] pytest_args)",
    5: "no tests were collected",
    EXIT_RUNNER_FAILED: "stepcommit's coverage runner failed (see the output below; please report it)",
}


@dataclass(frozen=True)
class Failure:
    test: str
    message: str

    def __post_init__(self) -> None:
        # Capped where it is made, so no terminal, gate record or prompt gets a 10 MB message.
        object.__setattr__(self, "test", cap_failure(self.test))
        object.__setattr__(self, "message", cap_failure(self.message))


@dataclass(frozen=True)
class TestRun:
    ok: bool
    problem: str | None
    tests: TestResult | None
    coverage: CoverageReport | None
    failures: tuple[Failure, ...]
    output_tail: str
    argv: tuple[str, ...]
    measured: Outcome | None = None
    """How the per-test store was used (incremental gate), when it was."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "output_tail", cap_output_lines(self.output_tail))


# Where coverage.py looks for its configuration, in its own order: (file name, whole file is coverage's).
COVERAGE_CONFIG_FILES = (
    (".coveragerc", True),
    (".coveragerc.toml", True),
    ("setup.cfg", False),
    ("tox.ini", False),
    ("pyproject.toml", False),
)


@dataclass(frozen=True)
class FloorSetting:
    fail_under: float
    precision: int


def project_floor(root: Path) -> FloorSetting | None:
    """The project's own `fail_under` (and report precision), read by coverage.py's own config reader."""
    from coverage.config import CoverageConfig
    from coverage.exceptions import CoverageException

    for name, ours in COVERAGE_CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        config = CoverageConfig()
        try:
            found = config.from_file(str(path), warn=lambda _msg: None, our_file=ours)
        except CoverageException as exc:
            raise ConfigError(
                f"coverage.py cannot read {path}: {exc}", hint="Fix the coverage settings there."
            ) from None
        if found:
            return (
                FloorSetting(float(config.fail_under), int(config.precision)) if config.fail_under else None
            )
    return None


def has_coverage_config(root: Path) -> bool:
    """Whether coverage.py will find a configuration of the project's own in ``root``."""
    if (root / ".coveragerc").is_file() or (root / ".coveragerc.toml").is_file():
        return True
    markers = {"setup.cfg": "[coverage:", "tox.ini": "[coverage:", "pyproject.toml": "[tool.coverage"}
    for name, marker in markers.items():
        path = root / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def default_sources(root: Path) -> tuple[list[str], list[str]]:
    """(source, omit) measuring the project's own package(s) when it configures nothing."""
    if (root / "src").is_dir():
        return ["src"], []
    packages = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir()
        and (p / "__init__.py").is_file()
        and p.name not in NOT_SOURCE
        and not p.name.startswith(".")
    )
    if packages:
        return packages, []
    return ["."], ["tests/*", "test/*", "*/tests/*", "test_*.py", "*_test.py", "conftest.py", "setup.py"]


def _venv_python(root: Path) -> Path | None:
    for candidate in (root / ".venv" / "bin" / "python", root / ".venv" / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def _venv_has(venv_python: Path, module: str) -> bool:
    venv = venv_python.parent.parent
    return (
        any(venv.glob(f"lib/python3*/site-packages/{module}"))
        or (venv / "Lib" / "site-packages" / module).exists()
    )


def project_python(root: Path, config: Config) -> tuple[list[str], bool | None]:
    """The command that runs the project's Python, and whether pytest-cov is there (None: unknown).

    Order: the configured command; the interpreter running stepcommit when it lives in the
    project (or the project has no .venv of its own); else the project's .venv.
    """
    if config.python:
        return list(config.python), None
    venv = _venv_python(root)
    running_inside = Path(sys.prefix).resolve().is_relative_to(root.resolve())
    if venv is None or running_inside:
        return [sys.executable], importlib.util.find_spec("pytest_cov") is not None
    for module in ("coverage", "pytest"):
        if not _venv_has(venv, module):
            raise ToolMissing(
                f"The project's environment {venv.parent.parent} has no `{module}`: the tests cannot run under coverage.",
                hint="Add it (e.g. `uv add --dev pytest coverage`), or set [tool.stepcommit] python.",
            )
    return [str(venv)], _venv_has(venv, "pytest_cov")


def environment_fingerprint(executable: str, site_dirs: list[str]) -> str:
    """What an interpreter imports can change only with these: the interpreter file itself and the
    names (and modification times) in its site-packages folders. Pure over what the disk says now."""
    import hashlib

    parts = []
    for path in [executable, *site_dirs]:
        try:
            stat = os.stat(path)
            names = sorted(os.listdir(path)) if os.path.isdir(path) else []
        except OSError:
            stat, names = None, []
        parts.append([path, stat.st_mtime_ns if stat else None, stat.st_size if stat else None, names])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def probe_modules(
    python: list[str], root: Path, env: dict[str, str], modules: tuple[str, ...], cache: Path | None = None
) -> dict[str, bool]:
    """Which of ``modules`` the project's interpreter imports. With ``cache`` (a file under
    .git/stepcommit/), the answer is kept per command and environment fingerprint: an unchanged
    environment is not probed again (each real probe counts up `probes` in the cache)."""
    key = json.dumps([python, list(modules)])
    entries = state.read_cache(cache) if cache is not None else None
    entries = entries if isinstance(entries, dict) else {}
    entry = entries.get(key)
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("found"), dict)
        and environment_fingerprint(str(entry.get("executable")), list(entry.get("site", [])))
        == entry.get("fingerprint")
    ):
        return {m: bool(entry["found"].get(m)) for m in modules}
    probe = proc.run(
        [*python, str(RUNNER_PACKAGE / "probe.py"), *modules], cwd=root, env=env, check=False, timeout=120
    )
    try:
        told = json.loads(probe.stdout.strip().splitlines()[-1])
        found = {m: bool(told["found"][m]) for m in modules}
        executable, site_dirs = str(told["executable"]), [str(p) for p in told["site"]]
    except (ValueError, IndexError, KeyError, TypeError):
        return {m: probe.returncode == 0 for m in modules}  # an odd interpreter: answer, keep nothing
    if cache is not None:
        probes = int(entry.get("probes", 0)) if isinstance(entry, dict) else 0
        entries[key] = {"executable": executable, "site": site_dirs, "found": found, "probes": probes + 1,
                        "fingerprint": environment_fingerprint(executable, site_dirs)}  # fmt: skip
        state.write_json(cache, entries)
    return found


def _probe_pytest_cov(python: list[str], root: Path, env: dict[str, str], cache: Path | None = None) -> bool:
    return probe_modules(python, root, env, ("pytest_cov",), cache)["pytest_cov"]


# The interpreter writes its bytecode cache itself (not atomically enough: a short write on a
# full disk, or a kill, leaves a .pyc whose header is valid and whose code is cut), and CPython
# then fails every import of that module with these errors instead of recompiling it.
_BAD_PYCACHE = re.compile(r"marshal data too short|bad marshal data|EOF read where object expected")


def _damaged_pycache(run: TestRun) -> bool:
    texts = [run.output_tail, *(f.message for f in run.failures)]
    return not run.ok and any(_BAD_PYCACHE.search(t) for t in texts)


def _run_once_fresh_pycache(
    repo: Repo, config: Config, pythonpath: tuple[str, ...], junit_xml: bool, selection: Selection | None
) -> TestRun:
    """One run; when it failed on a damaged bytecode cache, the cache is deleted and the run made
    again, once: the cache is only a speed-up, and the second run's verdict is the one that counts."""
    run = _run_once(repo, config, pythonpath, junit_xml, selection)
    if _damaged_pycache(run):
        from stepcommit import output

        used = run_env_pycache(repo)
        pycache = StateDir(repo.git_dir).pycache
        if Path(used) == pycache:
            output.note(
                f"The bytecode cache {pycache} was damaged (a kill or a full disk?): cleared, running again."
            )
        else:  # the user's own cache is theirs to clear: run again on a fresh one of stepcommit's
            output.note(
                f"The bytecode cache {used} (PYTHONPYCACHEPREFIX) holds a damaged file (a kill or a full "
                f"disk?): running again with a fresh cache in {pycache}. Delete {used} to repair it."
            )
        shutil.rmtree(pycache, ignore_errors=True)
        run = _run_once(repo, config, pythonpath, junit_xml, selection, own_pycache=True)
    return run


def run_env_pycache(repo: Repo) -> str:
    """The bytecode cache a run of this repository's tests uses (see `_pycache_prefix`)."""
    return _pycache_prefix(repo.root, StateDir(repo.git_dir).pycache)


def _pycache_prefix(root: Path, pycache: Path, *, own: bool = False) -> str:
    """Where the project's interpreters write bytecode during a run: never into the work tree, which
    the run must leave as it found it. The user's own PYTHONPYCACHEPREFIX when it is an absolute path
    outside the tree (it already keeps bytecode out of every checkout, and a new repository or
    worktree then does not compile pytest and coverage again), else stepcommit's own cache."""
    theirs = os.environ.get("PYTHONPYCACHEPREFIX", "")
    if not own and os.path.isabs(theirs) and not Path(theirs).resolve().is_relative_to(root.resolve()):
        return theirs
    return str(pycache)


def _clean_env(pycache: Path, root: Path, *, own_pycache: bool = False) -> dict[str, str]:
    # Coverage here is stepcommit's alone: a measuring parent (our own test suite, a CI
    # wrapper) must not leak its coverage or pytest-cov settings into the project's run.
    # Nor an outer pytest-xdist worker's identity: the project's tests would think they run in one.
    # Nor git's hook variables (the gate as a pre-commit hook): a test that runs git in a repository
    # of its own would write into the index of the commit being made.
    env = {
        k: v
        for k, v in git.without_hook_env(os.environ).items()
        if not k.startswith(("COVERAGE_", "COV_CORE_", "PYTEST_XDIST_"))
    }
    env["PYTHONPYCACHEPREFIX"] = _pycache_prefix(root, pycache, own=own_pycache)
    if parent := os.environ.get("COVERAGE_PROCESS_CONFIG"):
        env[MEASURE_RUNNER_ENV] = parent  # the runner's own process, never the project's tests
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _read_results(path: Path) -> dict[str, Any] | None:
    """What the runner wrote of its results plugin's counts; None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def counted_problem(returncode: int, data: dict[str, Any] | None) -> str | None:
    """The verdict from stepcommit's own counts (see the runner's results plugin, results.py),
    whatever pytest's exit code says: a conftest can rewrite that code, not the counts the runner read
    after pytest returned. None when every collected test reported an outcome and none failed or errored."""
    if data is None or not data.get("recorded"):
        return (
            "stepcommit recorded no test outcomes: the test process ended before its runner could write "
            "them (a test or conftest calling os._exit, or a crash)"
        )
    if not data.get("collection"):
        return (
            "stepcommit's pytest plugin saw no test collection (a conftest unregistered or bypassed it), "
            "so the run's outcome is unknown"
        )
    failed, errors = int(data.get("failed", 0)), int(data.get("errors", 0))
    if failed or errors:
        if returncode == 1:
            return PYTEST_EXIT[1]
        counts = " and ".join(
            f"{n} {what}"
            for n, what in ((failed, "failed"), (errors, "error" if errors == 1 else "errors"))
            if n
        )
        return f"{PYTEST_EXIT[1]} (pytest exited {returncode}, but stepcommit counted {counts})"
    missing = int(data.get("missing_count", 0))
    if missing:
        first = (data.get("missing") or ["?"])[0]
        return (
            f"{missing} of {int(data.get('collected', 0))} collected tests reported no outcome "
            f"(first: {first}): the run ended early or a conftest skipped them"
        )
    return None


def _results(path: Path) -> tuple[TestResult | None, tuple[Failure, ...]]:
    """Counts and failures as the runner's results plugin recorded them."""
    data = _read_results(path)
    if data is None:
        return None, ()
    counts = Results.from_dict(data)
    result = TestResult(
        counts.passed + counts.xpassed,
        counts.failed,
        counts.errors,
        counts.skipped + counts.xfailed,
        float(counts.seconds),
    )
    return result, tuple(Failure(test, message) for test, message in counts.failures)


@dataclass(frozen=True)
class Runner:
    """How to run coverage for this project: its interpreter, coverage options, environment."""

    python: list[str]
    cov_args: list[str]
    env: dict[str, str]
    work: Path
    has_pytest_cov: bool

    @property
    def data_file(self) -> Path:
        return self.work / ".coverage"


def runner(repo: Repo, config: Config, *, own_pycache: bool = False) -> Runner:
    work = GateCache(repo.git_dir).run_dir
    where = StateDir(repo.git_dir)
    env = _clean_env(where.pycache, repo.root, own_pycache=own_pycache)
    python, has_pytest_cov = project_python(repo.root, config)
    if has_pytest_cov is None:
        has_pytest_cov = _probe_pytest_cov(python, repo.root, env, where.probe)
    cov_args = [f"--data-file={work / '.coverage'}"]
    if not has_coverage_config(repo.root):
        cov_args.append(f"--rcfile={where.coveragerc}")
    return Runner(python, cov_args, env, work, has_pytest_cov)


def _write_default_rcfile(root: Path, path: Path) -> None:
    source, omit = default_sources(root)
    rc_lines = ["[run]", f"source = {', '.join(source)}"]
    if omit:
        rc_lines.append(f"omit = {', '.join(omit)}")
    path.write_text("\n".join(rc_lines) + "\n", encoding="utf-8")


def write_coverage_xml(repo: Repo, config: Config, dest: Path) -> None:
    """A Cobertura report of the last run's data, for CI systems."""
    run = runner(repo, config)
    proc.run(
        [*run.python, "-m", "coverage", "xml", "-q", *run.cov_args, "-o", str(dest.resolve()), "--fail-under=0"],
        cwd=repo.root, env=run.env, check=False, timeout=600,
    )  # fmt: skip


def _runner_main(root: Path, work: Path) -> Path:
    """The runner's `__main__.py`, run by path. When the runner's own files lie inside the project
    (stepcommit gating itself), a copy outside it runs, so the project's coverage never measures
    the runner that measures it."""
    if not RUNNER_PACKAGE.resolve().is_relative_to(root.resolve()):
        return RUNNER_PACKAGE / "__main__.py"
    copy = work.parent / "runner" / RUNNER_PACKAGE.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(RUNNER_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy / "__main__.py"


def run_tests(
    repo: Repo,
    config: Config,
    *,
    pythonpath: tuple[str, ...] = (),
    junit_xml: bool = False,
    per_test: str = "off",
    ignore: tuple[str, ...] = (),
    disk_tree: str | None = None,
) -> TestRun:
    """Run the suite on the work tree as it is, coverage data and caches kept under the git dir.

    ``pythonpath`` goes in front of PYTHONPATH: a checkout of another commit uses it so that its
    own sources are imported, not the ones an editable install points at.
    ``per_test``: `off`; `auto` reruns only the tests a change affects when the per-test store allows
    it (incremental.py), else everything; `full` runs everything and rebuilds the store.
    ``ignore``: paths whose change no test notices (the plan file), for the selection.
    ``disk_tree``: the tree id of the work tree as it is, when the caller has it already.
    """
    if per_test == "off":
        return _run_once_fresh_pycache(repo, config, pythonpath, junit_xml, None)
    from stepcommit.gates import incremental  # only here: start-up stays light

    disk_tree = disk_tree or git.tree_only(repo)  # what the tests will see, untracked files included
    selection = incremental.plan(repo, disk_tree, ignore=ignore)
    try:  # the selection pins the store's files it uses: let go whatever happens
        if per_test == "full":
            selection = dataclasses.replace(
                selection, reason="asked for",
                select=None, job=selection.job | {"select": None, "reason": "a full run was asked for"},
            )  # fmt: skip
        run = _run_once_fresh_pycache(repo, config, pythonpath, junit_xml, selection)
        if run.problem == "merge failed":
            info = state.read_cache(Path(selection.job["info"])) or {}
            reason = info.get("rerun_reason") or (
                f"the stored per-test data could not be merged ({info.get('merge_error', '?')})"
            )
            Path(selection.job["out"]).unlink(missing_ok=True)
            selection = dataclasses.replace(
                selection, reason=reason, select=None, job=selection.job | {"select": None, "reason": reason}
            )
            run = _run_once_fresh_pycache(repo, config, pythonpath, junit_xml, selection)
        failed = [f.test for f in run.failures]
        completed = run.problem is None or run.problem == PYTEST_EXIT[1]
        outcome = incremental.record(repo, disk_tree, selection, failed, completed=completed)
    finally:
        incremental.release(selection)
    return dataclasses.replace(run, measured=outcome)


def worktree_sources(repo: Repo) -> tuple[str, ...]:
    """A linked worktree's own ``src/``, to go first on the path of its test run. The worktree shares
    the main checkout's interpreter, where the project is installed in editable mode from the main
    checkout's ``src/``: without this its tests would import the main checkout's code, not the
    step's. (A flat layout needs nothing: the working directory comes first on the path already.)"""
    if state.common_dir(repo.git_dir) == repo.git_dir or not (repo.root / "src").is_dir():
        return ()
    return (str(repo.root / "src"),)


def _run_once(
    repo: Repo, config: Config, pythonpath: tuple[str, ...], junit_xml: bool, selection: Selection | None,
    *, own_pycache: bool = False,
) -> TestRun:  # fmt: skip
    root = repo.root
    where = StateDir(repo.git_dir)
    run = runner(repo, config, own_pycache=own_pycache)
    work, env, python, cov_args, data_file = run.work, run.env, run.python, run.cov_args, run.data_file
    pythonpath = (*pythonpath, *(p for p in worktree_sources(repo) if p not in pythonpath))
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*pythonpath, *filter(None, [env.get("PYTHONPATH")])])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if any(a.startswith("--rcfile=") for a in cov_args):
        _write_default_rcfile(root, where.coveragerc)
    has_pytest_cov = run.has_pytest_cov

    junit = work / "junit.xml"
    results = work / "results.json"
    json_out = work / "coverage.json"
    rcfile = next((a.removeprefix("--rcfile=") for a in cov_args if a.startswith("--rcfile=")), "")
    per_test = None
    if selection is not None:
        from stepcommit.gates import incremental

        per_test = dataclasses.replace(
            incremental.runner_job(selection), serial_below=config.xdist_serial_below
        )
        env["COVERAGE_CORE"] = "ctrace"  # sys.monitoring records a line once, not once per test
    job = Job(
        data_file=str(data_file), rcfile=rcfile, json_out=str(json_out), results_out=str(results),
        pytest_args=(
            "-o", f"cache_dir={where.pytest_cache}", "--tb=short", "-q",
            *([f"--junitxml={junit}"] if junit_xml else []),
            *(["--no-cov"] if has_pytest_cov else []),
            *config.pytest_args,
        ),
        per_test=per_test,
        speedups=os.environ.get("STEPCOMMIT_SPEEDUPS", "1") != "0",
        parse_cache=str(where.parse_cache),
    )  # fmt: skip
    job_file = work / "job.json"
    job_file.write_text(job.to_json(), encoding="utf-8")
    argv = [*python, str(_runner_main(root, work)), str(job_file)]
    result = proc.run(argv, cwd=root, env=env, check=False, timeout=config.test_timeout)
    output = (result.stdout + result.stderr).strip()
    if os.environ.get("STEPCOMMIT_TIMING"):
        timings = [line for line in result.stderr.splitlines() if line.startswith("stepcommit-timing ")]
        print("\n".join(timings), file=sys.stderr)
    tail = "\n".join(output.splitlines()[-40:])
    tests, failures = _results(results)

    problem: str | None = None
    if result.timed_out:
        problem = f"the test run took longer than {config.test_timeout:g}s and was stopped (test_timeout)"
    elif _NO_COVERAGE.search(output) and not data_file.exists():
        raise ToolMissing(
            f"`{' '.join(python)}` has no coverage.py, so the tests cannot run under coverage.",
            hint="Install it in the project's environment (e.g. `uv add --dev coverage`).",
        )
    elif result.returncode == EXIT_RERUN_ALL and selection is not None:
        problem = "merge failed"
    elif result.returncode not in (0, 1):
        problem = PYTEST_EXIT.get(result.returncode, f"the test command exited with {result.returncode}")
        if _NO_PYTEST.search(output):
            raise ToolMissing(
                f"`{' '.join(python)}` cannot run pytest (No module named pytest).",
                hint="Install pytest in the project's environment, or set [tool.stepcommit] python.",
            )
    else:
        # pytest's 0 or 1 is only a claim: the counts decide, and an exit 1 fails whatever they say.
        problem = counted_problem(result.returncode, _read_results(results))
        if problem is None and result.returncode == 1:
            problem = PYTEST_EXIT[1]
        elif problem is None and tests is not None and tests.passed + tests.skipped == 0:
            problem = None if _deselected_all(selection) else "no tests were collected"

    coverage = None
    if not problem and json_out.exists():
        coverage = from_json(json.loads(json_out.read_text(encoding="utf-8")))
    if coverage is None and problem is None:
        problem = (
            "coverage measured no files of the project: the tests ran but imported none of the code"
            " [tool.coverage.run] source names (or it names none). Import the code under test in the"
            " tests, or point source at it"
        )
    return TestRun(problem is None, problem, tests, coverage, failures, tail, tuple(argv))


def _deselected_all(selection: Selection | None) -> bool:
    """A partial run whose selection was empty: the suite was collected, nothing needed to run."""
    if selection is None or selection.select is None:
        return False
    info = state.read_cache(Path(selection.job["info"]))
    return (
        isinstance(info, dict)
        and info.get("mode") == "incremental"
        and (bool(info.get("collected")) or selection.job.get("collect") is not None)
    )
