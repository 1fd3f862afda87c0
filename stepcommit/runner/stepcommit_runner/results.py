"""stepcommit's outcome counts: a pytest plugin (loaded with `-p`) whose counts, read by the runner
after pytest returns, decide the verdict (a conftest rewrites pytest's exit code, not these).

The runner imports it before pytest does: the marker keeps pytest from warning that it cannot
rewrite its asserts (an error under `filterwarnings = error`). PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from .job import WORKER_ENV, Results, WorkerSettings

COUNTS: dict[str, Any] = {
    "passed": 0,
    "failed": 0,
    "errors": 0,
    "skipped": 0,
    "xfailed": 0,
    "xpassed": 0,
    "rerun": 0,
}
FAILURES: list[dict[str, str]] = []
COLLECTED: list[str] = []
SEEN: dict[str, Any] = {"collection": False, "sessionfinish": False, "workers": 0, "deselected": 0}
DONE: set[str] = set()
WORKER_DATA_FILES: list[str] = []
"""The data file each pytest-xdist worker saved (its own, not its tests' subprocesses')."""
STARTED = time.perf_counter()

WORKER_CONFIG: str | None = None
"""The coverage settings pytest-xdist workers measure with (set by the runner, see `configure`)."""
SETTINGS: WorkerSettings | None = None


def configure(settings: WorkerSettings, worker_config: str | None) -> None:
    """The runner's settings, passed on to pytest-xdist workers when they start."""
    global SETTINGS, WORKER_CONFIG
    SETTINGS, WORKER_CONFIG = settings, worker_config


def _worker_settings() -> WorkerSettings | None:
    """This process's settings when it is a pytest-xdist worker of the runner, else None."""
    text = os.environ.get(WORKER_ENV)
    if not text or not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    settings = WorkerSettings.from_json(text)
    return settings if settings.runner_pid != os.getpid() else None


def _measure_worker(settings: WorkerSettings) -> Any:
    # A pytest-xdist worker's own measurement: the one coverage's start-up hook began (7.10+, from
    # COVERAGE_PROCESS_CONFIG, before anything was imported), else one started here, as early as a
    # plugin can. Each worker writes a data file of its own beside the runner's, combined afterwards.
    import coverage

    cov = coverage.Coverage.current()
    if cov is None:
        cov = coverage.Coverage(
            data_file=settings.data_file, config_file=settings.rcfile or True, data_suffix=True
        )
        for quiet in ("_warn_no_data", "_warn_unimported_source", "_warn_preimported_source"):
            setattr(cov, quiet, False)  # as coverage's own start-up hook does: a worker may run no test
        cov.start()
    if not settings.subprocesses:
        # The tests' own subprocesses stay unmeasured, as in a serial run of the same settings.
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    return cov


_WORKER_SETTINGS = _worker_settings()
WORKER = _WORKER_SETTINGS is not None
WORKER_COVERAGE = _measure_worker(_WORKER_SETTINGS) if _WORKER_SETTINGS is not None else None


def _first_line(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return (text.strip().splitlines() or [""])[0]


def _record(report: Any) -> None:
    if report.outcome == "rerun":  # pytest-rerunfailures: this attempt is tried again
        COUNTS["rerun"] += 1
        return
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            COUNTS["xfailed" if report.skipped else "xpassed"] += 1
        elif report.outcome in ("passed", "skipped"):
            COUNTS[report.outcome] += 1
        else:
            COUNTS["failed"] += 1
            FAILURES.append({"test": report.nodeid, "message": _first_line(report)})
    elif report.failed:
        COUNTS["errors"] += 1
        FAILURES.append(
            {"test": report.nodeid, "message": "error in " + report.when + ": " + _first_line(report)}
        )
    elif report.skipped and report.when == "setup":
        COUNTS["xfailed" if hasattr(report, "wasxfail") else "skipped"] += 1
    if report.when == "teardown" or report.failed:
        DONE.add(report.nodeid)


# Outermost and first: the report is read before any conftest's hook can change it.
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_logreport(report: Any) -> Any:
    if not WORKER:
        _record(report)
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collectreport(report: Any) -> Any:
    if not WORKER and report.failed:
        COUNTS["errors"] += 1
        FAILURES.append(
            {"test": report.nodeid or "<collection>", "message": "collection error: " + _first_line(report)}
        )
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_deselected(items: list[Any]) -> Any:
    SEEN["deselected"] += len(items)
    yield


# Outermost, so what it reads after the yield is what every other implementation left: the tests
# the session will run, deselections applied.
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection_finish(session: Any) -> Any:
    yield
    COLLECTED[:] = [item.nodeid for item in session.items]
    SEEN["collection"] = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    # Under pytest-xdist the controller collects nothing: each worker sends the ids it will run.
    if not SEEN["collection"]:
        COLLECTED[:] = list(ids)
        SEEN["collection"] = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: Any, specs: Any) -> None:
    # Every worker starts measuring at its interpreter's start-up (coverage 7.10+ reads this
    # variable there), as `coverage run` does for the process it starts.
    if WORKER_CONFIG and "COVERAGE_PROCESS_CONFIG" not in os.environ:
        os.environ["COVERAGE_PROCESS_CONFIG"] = WORKER_CONFIG
    if SETTINGS is not None:
        os.environ[WORKER_ENV] = SETTINGS.to_json()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    SEEN["workers"] += 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    sent = (getattr(node, "workeroutput", None) or {}).get("stepcommit_data_file")
    if sent:
        WORKER_DATA_FILES.append(str(sent))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: Any) -> None:
    SEEN["sessionfinish"] = True
    if WORKER_COVERAGE is not None:
        # Saved before the worker tells the controller it is done (xdist sends that after every
        # sessionfinish implementation), so the data is on disk when the runner combines it.
        WORKER_COVERAGE.stop()
        WORKER_COVERAGE.save()
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # the controller tells the workers' data files from any other
            workeroutput["stepcommit_data_file"] = os.path.abspath(WORKER_COVERAGE.get_data().data_filename())


def results(status: int) -> Results:
    missing = [t for t in COLLECTED if t not in DONE]
    return Results(
        **COUNTS, seconds=time.perf_counter() - STARTED,
        failures=tuple((f["test"], f["message"]) for f in FAILURES), collected=len(COLLECTED),
        missing=tuple(missing[:20]), missing_count=len(missing), exit=status, recorded=True, **SEEN,
    )  # fmt: skip
