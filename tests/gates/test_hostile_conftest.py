"""A conftest that rewrites pytest's verdict cannot land a failing step: the gate's verdict comes from
stepcommit's own counts (its pytest plugin in the runner, results.py), not from pytest's exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.finish import finish
from stepcommit.commands.start import start
from stepcommit.config import Config
from stepcommit.errors import GateFailed
from stepcommit.gates.testrun import counted_problem, run_tests
from stepcommit.git import find_repo
from tests.conftest import git, write

FAILING_TEST = "def test_wrong():\n    assert 1 + 1 == 3\n"

# Each rewrites what pytest reports so that its exit code says the run passed.
HOSTILE = {
    "exitstatus rewritten": "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n",
    "SystemExit(0) in unconfigure": "def pytest_unconfigure(config):\n    raise SystemExit(0)\n",
    "os._exit(0) at exit": "import atexit, os\n\natexit.register(lambda: os._exit(0))\n",
    "os._exit(0) in unconfigure": "import os\n\n\ndef pytest_unconfigure(config):\n    os._exit(0)\n",
    "os._exit(0) before the session ends": (
        "import os\nimport pytest\n\n\n@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_sessionfinish(session):\n    os._exit(0)\n"
    ),
    "reports rewritten to passed": (
        "def pytest_runtest_logreport(report):\n    if report.failed:\n        report.outcome = 'passed'\n"
    ),
    "failures forgotten": (
        "import pytest\n\n\n@pytest.hookimpl(trylast=True)\n"
        "def pytest_runtest_logreport(report):\n    pass\n\n\n"
        "def pytest_sessionfinish(session):\n    session.testsfailed = 0\n    session.exitstatus = 0\n"
    ),
}

# Each runs fewer tests than it collected, and pytest still exits 0.
VANISHING = {
    "no test loop": "def pytest_runtestloop(session):\n    return True\n",
    "a test loop that stops early": (
        "def pytest_runtestloop(session):\n"
        "    item = session.items[0]\n"
        "    item.config.hook.pytest_runtest_protocol(item=item, nextitem=None)\n"
        "    return True\n"
    ),
}


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=project, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("conftest", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_conftest_cannot_turn_a_failure_into_a_pass(project: Path, conftest: str) -> None:
    write(project, {"conftest.py": conftest, "tests/test_bad.py": FAILING_TEST})
    run = run_tests(find_repo(project), Config())
    assert not run.ok, run.output_tail
    assert run.problem is not None
    if run.tests is not None:  # the counts were recorded: they name the failure
        assert run.problem.startswith("tests failed"), run.problem
        assert [f.test for f in run.failures] == ["tests/test_bad.py::test_wrong"]
    else:
        assert "stepcommit recorded no test outcomes" in run.problem, run.problem


@pytest.mark.parametrize("conftest", VANISHING.values(), ids=VANISHING.keys())
def test_tests_that_never_report_fail_the_run(project: Path, conftest: str) -> None:
    write(project, {"conftest.py": conftest, "tests/test_more.py": "def test_two():\n    pass\n"})
    run = run_tests(find_repo(project), Config())
    assert not run.ok
    assert run.problem is not None and "collected tests reported no outcome" in run.problem, run.problem


def test_a_conftest_that_unregisters_stepcommit_plugin_fails_the_run(project: Path) -> None:
    write(
        project,
        {
            "conftest.py": (
                "def pytest_configure(config):\n"
                "    config.pluginmanager.unregister(name='stepcommit_runner.results')\n"
            ),
            "tests/test_bad.py": FAILING_TEST,
        },
    )
    run = run_tests(find_repo(project), Config())
    assert not run.ok
    assert run.problem is not None and "stepcommit" in run.problem, run.problem


def test_a_deselecting_conftest_is_counted_against_what_it_kept(project: Path) -> None:
    write(
        project,
        {
            "conftest.py": (
                "def pytest_collection_modifyitems(config, items):\n"
                "    drop = [i for i in items if i.name == 'test_wrong']\n"
                "    config.hook.pytest_deselected(items=drop)\n"
                "    items[:] = [i for i in items if i not in drop]\n"
            ),
            "tests/test_bad.py": FAILING_TEST,
        },
    )
    run = run_tests(find_repo(project), Config())
    assert run.ok, (run.problem, run.output_tail)
    assert run.tests is not None and (run.tests.passed, run.tests.failed) == (1, 0)


def test_rerun_attempts_are_not_failures(project: Path) -> None:
    # pytest-rerunfailures' report outcome for a failed attempt that is tried again.
    write(
        project,
        {
            "conftest.py": (
                "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
                "def pytest_runtest_makereport(item, call):\n"
                "    outcome = yield\n    report = outcome.get_result()\n"
                "    if report.when == 'call' and item.name == 'test_add' and not hasattr(item, 'again'):\n"
                "        item.again = True\n        report.outcome = 'rerun'\n"
                "        item.ihook.pytest_runtest_logreport(report=report)\n"
                "        report.outcome = 'passed'\n"
            ),
        },
    )
    run = run_tests(find_repo(project), Config())
    assert run.ok, (run.problem, run.output_tail)
    assert run.tests is not None and (run.tests.passed, run.tests.failed) == (1, 0)


@pytest.mark.parametrize("name", ["exitstatus rewritten", "os._exit(0) at exit"])
def test_check_refuses_a_rewritten_exit_code(project: Path, name: str) -> None:
    write(project, {"conftest.py": HOSTILE[name], "tests/test_bad.py": FAILING_TEST})
    result = run_cli(project, "check", "--json")
    assert result.returncode != 0, result.stdout
    verdict = json.loads(result.stdout)
    assert not verdict["ok"]
    assert any(p.startswith("tests failed") for p in verdict["problems"]), verdict["problems"]
    assert verdict["failures"][0]["test"] == "tests/test_bad.py::test_wrong"


@pytest.mark.parametrize("name", ["exitstatus rewritten", "SystemExit(0) in unconfigure"])
def test_finish_refuses_a_rewritten_exit_code_and_commits_nothing(project: Path, name: str) -> None:
    start(cwd=project, query=None)
    write(project, {"conftest.py": HOSTILE[name], "tests/test_bad.py": FAILING_TEST})
    base = git(project, "rev-parse", "main").strip()
    branch_tip = git(project, "rev-parse", "HEAD").strip()
    with pytest.raises(GateFailed, match=r"tests failed(.|\n)*tests/test_bad.py::test_wrong") as info:
        finish(cwd=project)
    assert "Nothing was committed" in info.value.hint
    assert git(project, "rev-parse", "main").strip() == base
    assert git(project, "rev-parse", "HEAD").strip() == branch_tip
    assert state.load_journal(project / ".git") is None


def test_the_counts_decide_whatever_the_exit_code_says() -> None:
    clean = {"recorded": True, "collection": True, "passed": 2, "collected": 2, "missing_count": 0}
    assert counted_problem(0, clean) is None
    assert counted_problem(0, None) is not None and "recorded no test outcomes" in str(
        counted_problem(0, None)
    )
    assert "saw no test collection" in str(counted_problem(0, clean | {"collection": False}))
    assert counted_problem(1, clean | {"failed": 1}) == "tests failed"
    assert counted_problem(0, clean | {"failed": 1, "errors": 2}) == (
        "tests failed (pytest exited 0, but stepcommit counted 1 failed and 2 errors)"
    )
    missing = counted_problem(0, clean | {"missing_count": 1, "missing": ["t::b"]})
    assert missing == (
        "1 of 2 collected tests reported no outcome (first: t::b): the run ended early or a conftest skipped them"
    )


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({"tests/test_broken.py": "import nonexistent_module\n"}, "collection error"),
        (
            {
                "tests/test_teardown.py": (
                    "import pytest\n\n\n@pytest.fixture\ndef leaky():\n    yield\n    raise RuntimeError('teardown broke')\n\n\n"
                    "def test_t(leaky):\n    pass\n"
                )
            },
            "error in teardown",
        ),
    ],
    ids=["collection error", "teardown error"],
)
def test_errors_fail_the_run_whatever_the_exit_code(project: Path, files: dict[str, str], error: str) -> None:
    write(project, {"conftest.py": HOSTILE["exitstatus rewritten"], **files})
    run = run_tests(find_repo(project), Config(pytest_args=["--continue-on-collection-errors"]))
    assert not run.ok
    assert run.problem is not None and run.problem.startswith("tests failed"), run.problem
    assert any(f.message.startswith(error) for f in run.failures), run.failures
