"""Per-test coverage contexts: a pytest plugin (loaded with `-p`) that records each test's lines under
its node id and, for an incremental run, keeps only the selection (see stepcommit/gates/incremental.py).

The runner configures it before pytest imports it. PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import coverage
import pytest

from .job import EXIT_RERUN_ALL

SELECT: set[str] | None = None
"""The tests to rerun; None: every test."""
KNOWN: set[str] = set()
"""The tests the store has seen: any other test runs too (new or renamed tests)."""
COLLECTED: list[str] = []
RAN: list[str] = []
TEST_FILES: dict[str, list[str]] = {}
XDIST: list[bool] = []


def configure(select: Iterable[str] | None, known: Iterable[str]) -> None:
    global SELECT, KNOWN
    SELECT = None if select is None else set(select)
    KNOWN = set(known)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: Any) -> None:
    # Under pytest-xdist each worker has its own coverage data, so no per-test store: a selection
    # cannot be measured exactly, and the runner is asked to run everything instead (before any
    # worker starts).
    if session.config.pluginmanager.has_plugin("dsession"):
        XDIST.append(True)
        if SELECT is not None:
            pytest.exit("stepcommit: a selection cannot run under pytest-xdist", returncode=EXIT_RERUN_ALL)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: everything runs, no contexts
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
    cov = None if hasattr(item.config, "workerinput") else coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    try:
        yield
    finally:
        if cov is not None:
            cov.switch_context("")
