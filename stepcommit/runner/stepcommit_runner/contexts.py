"""Per-test coverage contexts: a pytest plugin (loaded with `-p`) that records each test's lines under
its node id and, for an incremental run, keeps only the selection (see stepcommit/gates/incremental.py).

Under pytest-xdist the controller hands the selection to every worker (`workerinput`); each worker
selects, records its tests under their node ids in its own parallel data file, and sends back what it
collected (`workeroutput`); the runner combines the data files as `coverage combine` does.

The runner configures it before pytest imports it. PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

import coverage
import pytest

SELECT: set[str] | None = None
"""The tests to rerun; None: every test."""
KNOWN: set[str] = set()
"""The tests the store has seen: any other test runs too (new or renamed tests)."""
SERIAL = False
"""Run in one process even when the project's arguments ask pytest-xdist for workers (a small selection)."""
ACTIVE = False
"""Whether this process records contexts: the runner's (configured) or a worker of it (told so)."""
ROOT = os.path.realpath(os.getcwd())
"""The runner's working directory: the imported files under it are reported."""
COLLECTED: list[str] = []
RAN: list[str] = []
TEST_FILES: dict[str, list[str]] = {}
XDIST: list[bool] = []
SERIALIZED: list[object] = []
"""The number of workers the project's arguments asked for, when SERIAL ran the tests in one process."""
UNMEASURED: list[str] = []
"""Tests that ran with no coverage measurement current, whose contexts are missing."""
WORKERS: list[dict[str, Any]] = []
"""What each pytest-xdist worker sent back (see `worker_report`)."""

_KEY = "stepcommit_contexts"


def configure(select: Iterable[str] | None, known: Iterable[str], *, serial: bool = False) -> None:
    global SELECT, KNOWN, SERIAL, ACTIVE
    SELECT = None if select is None else set(select)
    KNOWN = set(known)
    SERIAL = serial
    ACTIVE = True


def loaded_files(root: str) -> list[str]:
    """The files under ``root`` this process imported (what the tests import, for the selection)."""
    loaded = {
        os.path.realpath(f)
        for m in list(sys.modules.values())
        if isinstance(f := getattr(m, "__file__", None), str)
    }
    return sorted(f for f in loaded if f.startswith(root + os.sep))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    global ROOT
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # a pytest-xdist worker: the controller's selection, if it sent one
        sent = workerinput.get(_KEY)
        if sent is not None:
            configure(sent["select"], sent["known"])
            ROOT = sent["root"]
        return
    option = config.option
    if SERIAL and ACTIVE and getattr(option, "dist", "no") != "no" and getattr(option, "tx", None):
        # What `-n 0` does (xdist's own pytest_cmdline_main), before xdist's pytest_configure
        # (trylast) starts its distributed session.
        SERIALIZED.append(getattr(option, "numprocesses", None) or len(option.tx))
        option.numprocesses, option.dist, option.tx = 0, "no", []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: Any) -> None:
    if session.config.pluginmanager.has_plugin("dsession"):
        XDIST.append(True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    if ACTIVE:
        select = None if SELECT is None else sorted(SELECT)
        node.workerinput[_KEY] = {"select": select, "known": sorted(KNOWN), "root": ROOT}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    sent = (getattr(node, "workeroutput", None) or {}).get(_KEY)
    if sent is not None:
        WORKERS.append(sent)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    if not ACTIVE:
        return
    COLLECTED[:] = [item.nodeid for item in items]
    for item in items:
        where = getattr(item, "path", None) or getattr(item, "fspath", None)
        if where is not None:
            TEST_FILES.setdefault(os.path.realpath(str(where)), []).append(item.nodeid)
    if SELECT is None:
        RAN[:] = COLLECTED
        return
    keep: list[Any] = []
    drop: list[Any] = []
    for item in items:
        # The selection, plus every test the store has never seen (new or renamed tests).
        (keep if item.nodeid in SELECT or item.nodeid not in KNOWN else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    RAN[:] = [item.nodeid for item in keep]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    # A worker switches the contexts of its own measurement (coverage's start-up hook, or the results
    # plugin's), as the runner does of its own in a serial run.
    cov = coverage.Coverage.current() if ACTIVE else None
    if ACTIVE and cov is None:
        UNMEASURED.append(item.nodeid)
    if cov is not None:
        cov.switch_context(item.nodeid)
    try:
        yield
    finally:
        if cov is not None:
            cov.switch_context("")


def pytest_sessionfinish(session: Any) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if ACTIVE and workeroutput is not None:
        workeroutput[_KEY] = worker_report()


def worker_report() -> dict[str, Any]:
    """What a worker sends the controller: the tests it collected and selected, the test files, and
    the files it imported (the controller imports none of the tests')."""
    return {
        "collected": list(COLLECTED),
        "ran": list(RAN),
        "test_files": TEST_FILES,
        "loaded": loaded_files(ROOT),
        "unmeasured": len(UNMEASURED),
    }


class WorkersIncomplete(Exception):
    """Not every pytest-xdist worker reported its per-test data (one crashed, or none started)."""


def from_workers(started: int) -> tuple[list[str], list[str], dict[str, list[str]], list[str]]:
    """The controller's view of a run under pytest-xdist, from what its ``started`` workers sent:
    (collected, ran, test files, loaded files). Every worker collects and selects the same tests (xdist
    checks it), so the first report's lists stand for all; the files imported are their union."""
    if not WORKERS or len(WORKERS) < started:
        raise WorkersIncomplete(
            f"{started - len(WORKERS)} of {started} pytest-xdist workers sent no per-test data (a worker crashed?)"
        )
    unmeasured = sum(int(sent.get("unmeasured", 0)) for sent in WORKERS)
    if unmeasured:
        raise WorkersIncomplete(f"{unmeasured} tests ran in a pytest-xdist worker that measured no coverage")
    first = WORKERS[0]
    loaded = sorted({f for sent in WORKERS for f in sent["loaded"]})
    return list(first["collected"]), list(first["ran"]), dict(first["test_files"]), loaded
