"""The job stepcommit hands the runner and the runner's exit codes: one module both sides import (stdlib only)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

EXIT_RERUN_ALL = 97
"""The stored per-test data cannot be used exactly (a merge failed): stepcommit runs everything again.
A code pytest never uses."""

EXIT_RUNNER_FAILED = 98
"""The runner's own failure, not the tests': a code pytest never uses."""

EXIT_NO_TESTS_COLLECTED = 5
"""pytest's own code (`ExitCode.NO_TESTS_COLLECTED`)."""

MEASURE_RUNNER_ENV = "STEPCOMMIT_MEASURE_RUNNER"
"""A measuring parent's coverage settings (its COVERAGE_PROCESS_CONFIG), for the runner's own process
only: coverage.py never auto-measures a process that makes a Coverage object of its own, so the runner
measures itself with them, outside the project's measurement, and removes them before the tests start."""

WORKER_ENV = "STEPCOMMIT_RUNNER_WORKER"
"""Set for pytest-xdist workers only (as COVERAGE_PROCESS_CONFIG is): the results plugin's settings there."""


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class PerTest:
    """Per-test coverage (see stepcommit/gates/incremental.py): each test's lines recorded under its node
    id as coverage context, optionally only ``select`` rerun and merged into the stored data of the others."""

    out: str
    """The per-test data file this run writes."""
    info: str
    """Where the runner writes what it did (mode, collected and rerun tests, ...), as JSON."""
    select: tuple[str, ...] | None = None
    """The tests to rerun; None: everything."""
    reason: str | None = None
    """Why everything runs, when it does."""
    known: tuple[str, ...] = ()
    """The tests the store has seen: any other collected test runs too."""
    env: dict[str, Any] | None = None
    """The stored run's test environment: a change means a full run."""
    store: str | None = None
    """The stored per-test data file."""
    deleted: tuple[str, ...] = ()
    moves: dict[str, list[list[int]]] = field(default_factory=dict)
    """Per edited file: (old_start, old_end, shift) ranges of the lines kept."""
    collect: tuple[str, ...] | None = None
    """Only these test files are collected (None: the whole suite)."""
    recollect_old: tuple[str, ...] = ()
    drop_tests: tuple[str, ...] = ()
    serial_below: int = 0
    """A selection of fewer tests runs in one process, whatever `-n` the project gives pytest-xdist."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerTest:
        def maybe(key: str) -> tuple[str, ...] | None:
            return None if data.get(key) is None else _tuple(data[key])

        return cls(
            out=str(data["out"]),
            info=str(data["info"]),
            select=maybe("select"),
            reason=data.get("reason"),
            known=_tuple(data.get("known") or ()),
            env=data.get("env"),
            store=data.get("store"),
            deleted=_tuple(data.get("deleted") or ()),
            moves={str(k): [list(m) for m in v] for k, v in (data.get("moves") or {}).items()},
            collect=maybe("collect"),
            recollect_old=_tuple(data.get("recollect_old") or ()),
            drop_tests=_tuple(data.get("drop_tests") or ()),
            serial_below=int(data.get("serial_below") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Job:
    """One run: `coverage run -m pytest` with these files and arguments, then coverage's JSON report."""

    data_file: str
    rcfile: str
    """Coverage's settings file; "" lets coverage find the project's own, as `coverage run` does."""
    json_out: str
    results_out: str
    """Where the results plugin's counts go (see results.py)."""
    pytest_args: tuple[str, ...] = ()
    per_test: PerTest | None = None
    speedups: bool = True
    """The patches of coverage's internals (see speedups.py); off, coverage runs as shipped."""
    parse_cache: str | None = None
    """Where speedups.py keeps coverage's parse of each file version; None: no cache."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown job fields: {', '.join(unknown)}")
        per_test = data.pop("per_test", None)
        data["pytest_args"] = _tuple(data.get("pytest_args", ()))
        return cls(**data, per_test=None if per_test is None else PerTest.from_dict(per_test))


@dataclass(frozen=True)
class WorkerSettings:
    """What a pytest-xdist worker's results plugin needs from the runner that started it."""

    runner_pid: int
    data_file: str
    rcfile: str
    subprocesses: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerSettings:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Results:
    """The results plugin's counts, written by the runner after pytest returns (`results.json`): what
    the verdict comes from, whatever pytest's exit code says."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    rerun: int = 0
    seconds: float = 0.0
    failures: tuple[tuple[str, str], ...] = ()
    """(node id, first line of the message) of each failure and error."""
    collected: int = 0
    missing: tuple[str, ...] = ()
    """The first tests collected that reported no outcome."""
    missing_count: int = 0
    exit: int = 0
    recorded: bool = False
    collection: bool = False
    sessionfinish: bool = False
    workers: int = 0
    deselected: int = 0
    skipped_run: bool = False
    """Nothing the change affects, nothing new to collect: no pytest session ran."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = [{"test": test, "message": message} for test, message in self.failures]
        data["missing"] = list(self.missing)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["failures"] = tuple((str(f["test"]), str(f["message"])) for f in data.get("failures", ()))
        values["missing"] = _tuple(data.get("missing", ()))
        return cls(**values)
