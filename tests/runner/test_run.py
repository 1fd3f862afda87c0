"""The runner as stepcommit starts it: by path in the project's interpreter, with a typed job file,
nothing of stepcommit importable there but the runner, and its exit codes named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from coverage.config import CoverageConfig

from stepcommit.config import Config
from stepcommit.gates.testrun import PYTEST_EXIT, RUNNER_PACKAGE, _probe_pytest_cov, _runner_main, run_tests
from stepcommit.git import find_repo
from stepcommit.runner.stepcommit_runner import run
from stepcommit.runner.stepcommit_runner.job import EXIT_RUNNER_FAILED, Job, PerTest, WorkerSettings
from tests.conftest import write

SEEN = """\
import json, os, sys


def pytest_sessionstart(session):
    seen = {
        "path0": sys.path[0],
        "cwd": os.getcwd(),
        "modules": sorted(m for m in sys.modules if m.split(".")[0].startswith("stepcommit")),
        "argv": sys.orig_argv,
    }
    with open(os.environ["SEEN_OUT"], "w") as handle:
        json.dump(seen, handle)
"""


def test_the_runner_runs_by_path_with_only_itself_importable(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_out = tmp_path / "seen.json"
    monkeypatch.setenv("SEEN_OUT", str(seen_out))
    write(project, {"conftest.py": SEEN})
    result = run_tests(find_repo(project), Config())
    assert result.ok, result.output_tail
    assert "-c" not in result.argv and result.argv[-2].endswith("stepcommit_runner/__main__.py")
    assert sum(len(a) for a in result.argv) < 1000  # paths, no source code
    seen = json.loads(seen_out.read_text())
    assert seen["path0"] == seen["cwd"] == str(project)  # as `coverage run -m pytest` has it
    assert seen["modules"] and all(m.split(".")[0] == "stepcommit_runner" for m in seen["modules"])
    assert "stepcommit_runner.results" in seen["modules"] and "-c" not in seen["argv"]
    job = Job.from_json(Path(result.argv[-1]).read_text(encoding="utf-8"))
    assert job.per_test is None and job.speedups and "--tb=short" in job.pytest_args


def test_a_broken_job_is_the_runner_failing_with_its_own_code(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"data_file": "x", "surprise": 1}))
    result = subprocess.run(
        [sys.executable, str(RUNNER_PACKAGE / "__main__.py"), str(job)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == EXIT_RUNNER_FAILED and "unknown job fields: surprise" in result.stderr
    assert "coverage runner failed" in PYTEST_EXIT[EXIT_RUNNER_FAILED]


def test_the_job_goes_through_json_unchanged() -> None:
    per_test = PerTest(
        "out.db", "info.json", select=("t::a",), known=("t::a", "t::b"), env={"pytest_args": ["-x"]},
        store="old.db", moves={"/p/m.py": [[1, 4, 0], [7, 12, 1]]}, collect=(), drop_tests=("t::c",),
    )  # fmt: skip
    job = Job("d", "", "j", "r", ("-q", "-x"), per_test, speedups=False, parse_cache="/cache")
    assert Job.from_json(job.to_json()) == job
    assert Job.from_json(Job("d", "rc", "j", "r").to_json()).per_test is None
    settings = WorkerSettings(12, "/d/.coverage", "", True)
    assert WorkerSettings.from_json(settings.to_json()) == settings


def test_the_probe_says_what_the_project_interpreter_imports(tmp_path: Path) -> None:
    assert _probe_pytest_cov([sys.executable], tmp_path, {}) is True
    missing = subprocess.run(
        [sys.executable, str(RUNNER_PACKAGE / "probe.py"), "no_such_module_here"], cwd=tmp_path
    )
    assert missing.returncode == 1


def test_the_environment_decides_between_a_selection_and_everything(tmp_path: Path) -> None:
    cov: Any = SimpleNamespace(config=CoverageConfig())  # what the runner reads of a Coverage object
    env = run._environment(cov, ["-x"])
    assert env["pytest_args"] == ["-x"] and set(env) >= {
        "python",
        "coverage",
        "pytest",
        "packages",
        "settings",
    }
    job = PerTest("out", "info", select=("t",), env=env)
    same = run._setup_per_test(job, cov, ["-x"])
    assert same["mode"] == "incremental" and same["select"] == ["t"]
    assert same["plugin"].endswith("stepcommit_runner.contexts")
    other = run._setup_per_test(job, cov, ["-q"])
    assert other["mode"] == "full" and other["reason"] == "the test environment changed (pytest_args)"
    dynamic: Any = SimpleNamespace(config=CoverageConfig())
    dynamic.config.dynamic_context = "test_function"
    off = run._setup_per_test(job, dynamic, ["-x"])
    assert off["disabled"].startswith("the project sets coverage's dynamic_context")


def test_a_project_holding_the_runner_runs_a_copy_outside_it(tmp_path: Path) -> None:
    checkout = RUNNER_PACKAGE.parents[2]  # stepcommit gating itself: the runner is the project's own file
    main = _runner_main(checkout, tmp_path / "state" / "run")
    assert main == tmp_path / "state" / "runner" / "stepcommit_runner" / "__main__.py"
    assert main.read_text() == (RUNNER_PACKAGE / "__main__.py").read_text()
    assert not list(main.parent.glob("__pycache__"))
    assert _runner_main(tmp_path, tmp_path / "run") == RUNNER_PACKAGE / "__main__.py"


LEAKS = """\
import json, os


def pytest_sessionstart(session):
    names = sorted(k for k in os.environ if k.startswith(("COVERAGE_PROCESS", "STEPCOMMIT_MEASURE")))
    with open(os.environ["SEEN_OUT"], "w") as handle:
        json.dump(names, handle)
"""


def test_a_measuring_parent_measures_the_runner_and_never_the_tests(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coverage import CoverageData

    outer = CoverageConfig()
    outer.data_file, outer.source, outer.parallel = (
        str(tmp_path / "outer.coverage"),
        [str(RUNNER_PACKAGE)],
        True,
    )
    outer.patch, outer.config_file = ["subprocess"], str(tmp_path / "outer.toml")
    monkeypatch.setenv("COVERAGE_PROCESS_CONFIG", outer.serialize())
    monkeypatch.setenv("SEEN_OUT", str(tmp_path / "seen.json"))
    write(project, {"conftest.py": LEAKS})
    result = run_tests(find_repo(project), Config())
    assert result.ok, result.output_tail
    assert json.loads((tmp_path / "seen.json").read_text()) == []  # the tests see none of it
    measured: set[str] = set()
    for path in tmp_path.glob("outer.coverage.*"):
        data = CoverageData(str(path))
        data.read()
        measured |= {Path(f).name for f in data.measured_files()}
    assert {"run.py", "job.py", "sqlite_store.py", "results.py"} <= measured
    assert result.coverage is not None and result.coverage.display == "75.00"  # the project's own figure


def test_the_results_keep_the_shape_of_results_json() -> None:
    from stepcommit.runner.stepcommit_runner.job import Results

    counts = Results(passed=2, failed=1, failures=(("t::a", "boom"),), missing=("t::b",), recorded=True)
    data = counts.to_dict()
    assert data["failures"] == [{"test": "t::a", "message": "boom"}] and data["missing"] == ["t::b"]
    assert Results.from_dict(json.loads(json.dumps(data))) == counts
    assert Results.from_dict({"passed": 1, "later": "ignored"}) == Results(passed=1)
