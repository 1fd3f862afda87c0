"""The runner's pytest plugins on real pytest sessions: results.py's counts equal pytest's own outcome
counts (in-process), and contexts.py runs the selection, every new test, and nothing else."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from stepcommit.runner.stepcommit_runner import results
from stepcommit.runner.stepcommit_runner.job import WORKER_ENV

pytest_plugins = ["pytester"]

OUTCOMES = """\
import pytest


def test_pass():
    pass


def test_fail():
    assert 1 + 1 == 3, "arithmetic"


@pytest.mark.skip(reason="not today")
def test_skip():
    pass


@pytest.mark.xfail
def test_xfail():
    assert 0


@pytest.mark.xfail
def test_xpass():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


def test_error(broken):
    pass
"""


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The results plugin with fresh counts, as a runner's (not an xdist worker's) process has it."""
    monkeypatch.delenv(WORKER_ENV, raising=False)
    yield importlib.reload(results)
    importlib.reload(results)


def test_the_counts_are_pytests_own(pytester: pytest.Pytester, counted: Any) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES, test_broken="import no_such_module_anywhere\n")
    run = pytester.runpytest_inprocess(
        "-p", counted.__name__, "-p", "no:cacheprovider", "--continue-on-collection-errors"
    )
    outcomes = run.parseoutcomes()
    data = counted.results(int(run.ret)).to_dict()  # as results.json has it
    assert (data["passed"], data["failed"], data["skipped"]) == (1, 1, 1) == (
        outcomes["passed"], outcomes["failed"], outcomes["skipped"]
    )  # fmt: skip
    assert (data["xfailed"], data["xpassed"]) == (outcomes["xfailed"], outcomes["xpassed"]) == (1, 1)
    assert data["errors"] == outcomes["errors"] == 2  # the fixture and the module that cannot import
    messages = {f["test"]: f["message"] for f in data["failures"]}
    assert "arithmetic" in messages["test_outcomes.py::test_fail"]
    assert messages["test_outcomes.py::test_error"].startswith("error in setup: RuntimeError: fixture broke")
    assert messages["test_broken.py"].startswith("collection error: ")
    assert data["collection"] and data["sessionfinish"] and data["recorded"] and data["exit"] == int(run.ret)
    assert data["collected"] == 6 and data["missing_count"] == 0


def test_a_test_that_reports_no_outcome_is_missing(pytester: pytest.Pytester, counted: Any) -> None:
    pytester.makeconftest(
        "import pytest\n\n\n@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_runtest_protocol(item, nextitem):\n    return True if item.name == 'test_b' else None\n"
    )
    pytester.makepyfile("def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    run = pytester.runpytest_inprocess("-p", counted.__name__, "-p", "no:cacheprovider")
    data = counted.results(int(run.ret)).to_dict()  # as results.json has it
    assert data["collected"] == 2 and data["missing"] == [
        "test_a_test_that_reports_no_outcome_is_missing.py::test_b"
    ]
    assert data["passed"] == 1 and data["missing_count"] == 1


SELECTING = """\
import json, os

from stepcommit.runner.stepcommit_runner import contexts

contexts.configure({select}, {known})


def pytest_sessionfinish(session):
    seen = {{"collected": contexts.COLLECTED, "ran": contexts.RAN, "files": sorted(contexts.TEST_FILES)}}
    with open("seen.json", "w") as handle:
        json.dump(seen, handle)
"""

TESTS = "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n\n\ndef test_new():\n    pass\n"


def _selecting(pytester: pytest.Pytester, select: object, *args: str) -> tuple[Any, dict[str, Any]]:
    # In a process of its own: the plugin switches the coverage context of whatever Coverage is current.
    known = {"test_t.py::test_a", "test_t.py::test_b"}
    pytester.makeconftest(SELECTING.format(select=select, known=known))
    pytester.makepyfile(test_t=TESTS)
    run = pytester.runpytest_subprocess("-p", "stepcommit.runner.stepcommit_runner.contexts", *args)
    seen_file = Path(str(pytester.path)) / "seen.json"
    return run, json.loads(seen_file.read_text()) if seen_file.exists() else {}


def test_a_selection_runs_its_tests_and_every_new_one(pytester: pytest.Pytester) -> None:
    run, seen = _selecting(pytester, {"test_t.py::test_a"})
    run.assert_outcomes(passed=2, deselected=1)
    assert seen["ran"] == ["test_t.py::test_a", "test_t.py::test_new"]
    assert len(seen["collected"]) == 3 and seen["files"] == [str(pytester.path / "test_t.py")]


def test_no_selection_runs_everything(pytester: pytest.Pytester) -> None:
    run, seen = _selecting(pytester, None)
    run.assert_outcomes(passed=3)
    assert seen["ran"] == seen["collected"]


XDIST_SELECTING = """\
import json, os

import coverage

from stepcommit.runner.stepcommit_runner import contexts

if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller, as the runner configures it
    contexts.configure({select}, {known})
elif coverage.Coverage.current() is None:  # a worker measures, as coverage's start-up hook has it
    coverage.Coverage(data_file=None).start()


def pytest_sessionfinish(session):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        collected, ran, files, loaded = contexts.from_workers(len(contexts.WORKERS))
        seen = {{"collected": collected, "ran": ran, "files": sorted(files), "workers": len(contexts.WORKERS)}}
        with open("seen.json", "w") as handle:
            json.dump(seen, handle)
"""


def test_under_xdist_every_worker_runs_the_selection_and_reports_what_it_collected(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run by this suite's own pytest-xdist worker, the project's controller must not inherit its name.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    known = {"test_t.py::test_a", "test_t.py::test_b"}
    pytester.makeconftest(XDIST_SELECTING.format(select={"test_t.py::test_a"}, known=known))
    pytester.makepyfile(test_t=TESTS)
    run = pytester.runpytest_subprocess("-p", "stepcommit.runner.stepcommit_runner.contexts", "-n", "2")
    run.assert_outcomes(passed=2)
    seen = json.loads((Path(str(pytester.path)) / "seen.json").read_text())
    assert seen["workers"] == 2
    assert seen["ran"] == ["test_t.py::test_a", "test_t.py::test_new"]
    assert len(seen["collected"]) == 3 and seen["files"] == [str(pytester.path / "test_t.py")]


def test_a_worker_that_sent_nothing_makes_the_workers_data_incomplete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stepcommit.runner.stepcommit_runner import contexts

    sent = {
        "collected": ["t::a"],
        "ran": ["t::a"],
        "test_files": {"/r/t.py": ["t::a"]},
        "loaded": ["/r/m.py"],
    }
    monkeypatch.setattr(contexts, "WORKERS", [sent, {**sent, "loaded": ["/r/n.py"]}])
    assert contexts.from_workers(2) == (["t::a"], ["t::a"], {"/r/t.py": ["t::a"]}, ["/r/m.py", "/r/n.py"])
    with pytest.raises(contexts.WorkersIncomplete, match="1 of 3 pytest-xdist workers sent no per-test data"):
        contexts.from_workers(3)
    monkeypatch.setattr(contexts, "WORKERS", [sent, {**sent, "unmeasured": 1}])
    with pytest.raises(
        contexts.WorkersIncomplete, match="1 tests ran in a pytest-xdist worker that measured no"
    ):
        contexts.from_workers(2)


def test_only_an_xdist_worker_of_another_runner_process_reads_the_worker_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from stepcommit.runner.stepcommit_runner.job import WorkerSettings

    theirs = WorkerSettings(os.getpid() + 1, "/d/.coverage", "", False)
    monkeypatch.setenv(WORKER_ENV, theirs.to_json())
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert results._worker_settings() == theirs
    monkeypatch.setenv(WORKER_ENV, WorkerSettings(os.getpid(), "/d", "", False).to_json())
    assert results._worker_settings() is None  # the runner itself
    monkeypatch.setenv(WORKER_ENV, theirs.to_json())
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert results._worker_settings() is None  # a process the tests started, not a worker
