"""The test gate against real pytest and real coverage.py runs in real repositories."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.config import Config
from stepcommit.errors import ToolMissing
from stepcommit.gates.testrun import default_sources, has_coverage_config, run_tests
from stepcommit.git import find_repo
from tests.conftest import git, write


def coverage_report_total(project: Path, *extra: str) -> str:
    """The TOTAL figure `coverage report --precision=2` prints for the data stepcommit's run left."""
    out = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "--precision=2",
         f"--data-file={project / '.git' / 'stepcommit' / 'run' / '.coverage'}", *extra],
        cwd=project, capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
    ).stdout  # fmt: skip
    match = re.search(r"^TOTAL\s.*?(\d+\.\d+)%\s*$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


def test_figure_equals_coverage_report_and_work_tree_gets_no_files(project: Path) -> None:
    before = set(git(project, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines())
    run = run_tests(find_repo(project), Config())
    assert run.ok, run.output_tail
    assert run.tests is not None and run.tests.passed == 1
    assert run.coverage is not None
    rc = project / ".git" / "stepcommit" / "coveragerc"
    assert run.coverage.display == coverage_report_total(project, f"--rcfile={rc}")
    assert run.coverage.display == "75.00"  # add() covered, unused() not: 3 of 4 statements
    assert [f.path for f in run.coverage.files] == ["calc/__init__.py"]
    after = set(git(project, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines())
    assert after == before


def test_project_coverage_config_is_honoured_branch_and_omit(project: Path) -> None:
    write(
        project,
        {
            "calc/extra.py": "def branchy(x):\n    if x:\n        return 1\n    return 2\n",
            "calc/skipped.py": "def never():\n    return 0\n",
            "tests/test_extra.py": "from calc.extra import branchy\n\n\ndef test_b():\n    assert branchy(1) == 1\n",
            "pyproject.toml": '[tool.coverage.run]\nsource = ["calc"]\nbranch = true\nomit = ["calc/skipped.py"]\n',
        },
    )
    run = run_tests(find_repo(project), Config())
    assert run.ok, run.output_tail
    assert run.coverage is not None and run.coverage.branch
    assert "calc/skipped.py" not in [f.path for f in run.coverage.files]
    assert run.coverage.display == coverage_report_total(project)


def test_parallel_mode_data_is_combined(project: Path) -> None:
    write(project, {".coveragerc": "[run]\nsource = calc\nparallel = true\n"})
    run = run_tests(find_repo(project), Config())
    assert run.ok, run.output_tail
    assert run.coverage is not None and run.coverage.display == "75.00"


def test_pytest_cov_in_addopts_does_not_fight_coverage(project: Path) -> None:
    write(
        project, {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=calc --cov-report=term"\n'}
    )
    run = run_tests(find_repo(project), Config())
    assert run.ok, run.output_tail
    assert run.coverage is not None and run.coverage.display == "75.00"
    assert not (project / ".coverage").exists()


def test_failing_test_is_named(project: Path) -> None:
    write(project, {"tests/test_bad.py": "def test_wrong():\n    assert 1 + 1 == 3\n"})
    run = run_tests(find_repo(project), Config())
    assert not run.ok
    assert run.problem == "tests failed"
    assert [f.test for f in run.failures] == ["tests/test_bad.py::test_wrong"]
    assert "assert (1 + 1) == 3" in run.failures[0].message


def test_collection_error_fails(project: Path) -> None:
    write(project, {"tests/test_broken.py": "import nonexistent_module\n"})
    run = run_tests(find_repo(project), Config())
    assert not run.ok
    assert run.problem in ("tests failed", "the test run was interrupted")


def test_no_tests_collected_fails(project: Path) -> None:
    git(project, "rm", "-q", "tests/test_add.py")
    run = run_tests(find_repo(project), Config())
    assert not run.ok and run.problem == "no tests were collected"


def test_tests_that_measure_no_code_are_refused_with_what_to_do(project: Path) -> None:
    # The tests pass, yet coverage measured nothing of what its source names: no figure to claim.
    write(project, {"pyproject.toml": '[tool.coverage.run]\nsource = ["nothing_here"]\n'})
    run = run_tests(find_repo(project), Config())
    assert not run.ok and run.coverage is None
    assert run.problem is not None and "imported none of the code" in run.problem
    assert "point source at it" in run.problem


def test_a_hanging_test_times_out(project: Path) -> None:
    write(project, {"tests/test_hang.py": "import time\n\n\ndef test_hang():\n    time.sleep(60)\n"})
    run = run_tests(find_repo(project), Config(test_timeout=3))
    assert not run.ok
    assert run.problem is not None and "longer than 3s" in run.problem


def test_missing_configured_interpreter_is_a_clear_error(project: Path) -> None:
    with pytest.raises(ToolMissing, match="no such program"):
        run_tests(find_repo(project), Config(python=["/nonexistent/python3"]))


def test_project_venv_without_coverage_is_refused(project: Path, tmp_path: Path) -> None:
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    with pytest.raises(ToolMissing, match="has no `coverage`"):
        run_tests(find_repo(project), Config())


def test_default_sources(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert default_sources(tmp_path) == (["src"], [])
    other = tmp_path / "flat"
    (other / "pkg").mkdir(parents=True)
    (other / "pkg" / "__init__.py").write_text("")
    (other / "tests").mkdir()
    (other / "tests" / "__init__.py").write_text("")
    assert default_sources(other) == (["pkg"], [])
    lone = tmp_path / "lone"
    lone.mkdir()
    assert default_sources(lone)[0] == ["."]


def test_has_coverage_config(tmp_path: Path) -> None:
    assert not has_coverage_config(tmp_path)
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n")
    assert not has_coverage_config(tmp_path)
    (tmp_path / "tox.ini").write_text("[coverage:run]\nbranch = true\n")
    assert has_coverage_config(tmp_path)


def test_outcomes_are_counted_like_pytest(project: Path) -> None:
    write(
        project,
        {
            "tests/test_mixed.py": (
                "import pytest\n\n\n@pytest.mark.skip\ndef test_s():\n    pass\n\n\n"
                "@pytest.mark.xfail\ndef test_xf():\n    assert 0\n\n\n"
                "@pytest.fixture\ndef broken():\n    raise RuntimeError('fixture broke')\n\n\n"
                "def test_e(broken):\n    pass\n"
            )
        },
    )
    run = run_tests(find_repo(project), Config())
    assert not run.ok
    assert run.tests is not None
    assert (run.tests.passed, run.tests.failed, run.tests.errors, run.tests.skipped) == (1, 0, 1, 2)
    assert run.failures[0].test == "tests/test_mixed.py::test_e"
    assert "error in setup: RuntimeError: fixture broke" in run.failures[0].message


def test_junit_report_on_request(project: Path) -> None:
    run_tests(find_repo(project), Config(), junit_xml=True)
    assert "<testcase" in (project / ".git" / "stepcommit" / "run" / "junit.xml").read_text()


def test_a_second_report_reuses_coverage_own_parse_and_agrees(project: Path) -> None:
    write(
        project,
        {
            "calc/extra.py": "def branchy(x):\n    if x:\n        return 1\n    return 2\n",
            "tests/test_extra.py": "from calc.extra import branchy\n\n\ndef test_b():\n    assert branchy(1) == 1\n",
            "pyproject.toml": '[tool.coverage.run]\nsource = ["calc"]\nbranch = true\n',
        },
    )
    first = run_tests(find_repo(project), Config())
    cache = project / ".git" / "stepcommit" / "parse-cache"
    stored = sorted(p.name for p in cache.iterdir())
    assert len(stored) == 2  # one parse per measured file version
    second = run_tests(find_repo(project), Config())
    assert sorted(p.name for p in cache.iterdir()) == stored
    assert first.coverage is not None and second.coverage is not None
    assert second.coverage == first.coverage
    assert second.coverage.display == coverage_report_total(project)
    write(project, {"calc/extra.py": "def branchy(x):\n    if x:\n        return 1\n    return 3\n"})
    third = run_tests(find_repo(project), Config())
    assert len(list(cache.iterdir())) == 3  # the edited file parsed anew, beside the old version
    assert third.coverage is not None and third.coverage.display == coverage_report_total(project)


XDIST_TESTS = {
    "calc/extra.py": "def branchy(x):\n    if x:\n        return 1\n    return 2\n\n\ndef other():\n    return 3\n",
    "tests/test_extra.py": (
        "from calc.extra import branchy, other\n\n\ndef test_b():\n    assert branchy(1) == 1\n\n\n"
        "def test_o():\n    assert other() == 3\n"
    ),
    "tests/test_more.py": "from calc.extra import branchy\n\n\ndef test_c():\n    assert branchy(0) == 2\n",
}


@pytest.mark.parametrize(
    "how", ["addopts", "pytest_args"], ids=["-n 2 in addopts", "-n 2 in [tool.stepcommit] pytest_args"]
)
def test_xdist_workers_are_measured_and_combined(project: Path, how: str) -> None:
    write(
        project, {**XDIST_TESTS, "pyproject.toml": '[tool.coverage.run]\nsource = ["calc"]\nbranch = true\n'}
    )
    serial = run_tests(find_repo(project), Config())
    assert serial.ok and serial.coverage is not None, serial.output_tail
    if how == "addopts":
        with (project / "pyproject.toml").open("a") as handle:
            handle.write('[tool.pytest.ini_options]\naddopts = "-n 2"\n')
        config = Config()
    else:
        config = Config(pytest_args=["-n", "2"])
    run = run_tests(find_repo(project), config)
    assert run.ok, (run.problem, run.output_tail)
    results = json.loads((project / ".git" / "stepcommit" / "run" / "results.json").read_text())
    assert results["workers"] == 2  # the tests did run in two pytest-xdist workers
    assert run.coverage is not None
    assert run.coverage.display == serial.coverage.display
    assert run.coverage.files == serial.coverage.files
    assert run.tests is not None and run.tests.passed == 4
    assert not list((project / ".git" / "stepcommit" / "run").glob(".coverage.*"))  # combined


def test_xdist_failures_are_counted_in_the_controller(project: Path) -> None:
    write(
        project,
        {
            **XDIST_TESTS,
            "tests/test_bad.py": "def test_wrong():\n    assert 1 + 1 == 3\n",
            "conftest.py": "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n",
        },
    )
    run = run_tests(find_repo(project), Config(pytest_args=["-n", "2"]))
    assert not run.ok
    assert run.problem is not None and run.problem.startswith("tests failed"), run.problem
    assert run.tests is not None and (run.tests.passed, run.tests.failed) == (4, 1)
    assert [f.test for f in run.failures] == ["tests/test_bad.py::test_wrong"]


def test_an_xdist_worker_that_dies_fails_the_run(project: Path) -> None:
    write(
        project,
        {
            **XDIST_TESTS,
            "tests/test_die.py": "import os\n\n\ndef test_die():\n    os._exit(0)\n",
            "conftest.py": "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n",
        },
    )
    run = run_tests(find_repo(project), Config(pytest_args=["-n", "2", "--max-worker-restart=1"]))
    assert not run.ok
    assert run.problem is not None and run.problem.startswith("tests failed"), run.problem
    assert any(f.test == "tests/test_die.py::test_die" for f in run.failures), run.failures


def test_a_project_that_turns_warnings_into_errors_still_runs(project: Path) -> None:
    # stepcommit's results plugin is imported before pytest sees it: pytest must not warn about it.
    write(project, {"pyproject.toml": '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n'})
    run = run_tests(find_repo(project), Config())
    assert run.ok, (run.problem, run.output_tail)
    assert run.tests is not None and run.tests.passed == 1
