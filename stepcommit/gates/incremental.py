"""The fast gate: rerun only the tests a change affects, and still report coverage's exact total.

The per-test store lives in the git directory every worktree shares (`.git/stepcommit/testcov/`): a
coverage data file in which every test's lines (and arcs, when the project measures branches) are
recorded under the test's node id as coverage context, and the import-time lines under the empty
context, plus `meta.json` naming the work tree it measured (a git tree id, so every file's blob is
known), the checkout it was measured in (`root`: the data's paths are under it, the meta's are
relative to it), the collected tests, the failing ones and the test environment. A store measured in
one worktree serves every other (and the re-gate of a merged tree in a throw-away checkout): its
paths are moved to the checkout that reads it, in a copy of its own.

Several runs may use the store at once, so nothing is ever written in place: each run writes its own
data file, holds a pin (`run-<id>.lock`, an flock) naming the files it reads and writes while it
runs, and publishes by replacing `meta.json` atomically under the short `store.lock`; a data file is
deleted only when no meta names it and no live run's pin does. What a run did (`run-info.json`) is
the worktree's own, under its own state folder.

A gate after an edit diffs that tree against the work tree now and chooses:
- a full run (which rebuilds the store) when it cannot be exact: no store yet, a changed `conftest.py`
  or non-Python file, a changed environment (Python, packages, coverage settings, pytest arguments);
- otherwise the tests to rerun: every test that executed a changed function body, or any line of a
  file whose import-time code changed or that was deleted, the last failures, and every test the
  store has not seen. When no changed line ran at import time, only the test modules involved are
  collected and the stored import-time context stays (the new run's is a subset of it); otherwise the
  whole suite is collected (so import-time coverage is complete) and the others deselected. The
  rerun's data replaces theirs, kept lines of edited files move with the edit (see blocks.py), and
  coverage's own report of the merged data gives the total: the same figure a full
  `coverage run -m pytest` would.

`watch` can use the same store: a selection is a list of node ids for any pytest run.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import git, state
from stepcommit.errors import LockedError
from stepcommit.gates import blocks, forbidden

if TYPE_CHECKING:
    from stepcommit.runner.stepcommit_runner.job import PerTest

STORE_VERSION = 2
"""2: shared by every worktree; `root` recorded, the meta's paths relative to it."""

_STORE_LOCK_WAIT = 60.0
"""Seconds a run waits for `store.lock`, which each holder keeps for a file listing or a rename."""

# Files a run leaves behind that no test reads (an untracked .coverage from `pytest --cov`, say).
_NOT_READ_BY_TESTS = {
    "coverage data", "pytest-testmon data", "compiled Python cache", "Python cache", "pytest cache",
    "mypy cache", "ruff cache", "coverage HTML report",
}  # fmt: skip


@dataclass
class Pin:
    """A live run's hold on the store's data files it reads and writes: an flock on `run-<id>.lock`,
    which names them. The kernel drops it when the run dies; the next sweep then deletes both."""

    path: Path
    fd: int


@dataclass(frozen=True)
class Selection:
    """What the next test run does: everything (``select`` None, with the reason) or a selection."""

    reason: str | None
    select: tuple[str, ...] | None = None
    job: dict[str, Any] = field(default_factory=dict)
    pin: Pin | None = None
    """Held from `plan` until `release` (testrun.run_tests releases it in a `finally`)."""
    base: dict[str, Any] | None = None
    """The store's meta the run started from, its paths made absolute for this checkout."""


def store_dir(git_dir: Path) -> Path:
    """The per-test store, in the state every worktree of the repository shares."""
    return state.StateDir(git_dir).testcov


def run_info_path(git_dir: Path) -> Path:
    """What the last run of this checkout did (the runner writes it): the checkout's own."""
    return state.StateDir(git_dir).run_info


def _meta_in(folder: Path) -> dict[str, Any] | None:
    data = state.read_cache(folder / "meta.json")
    return data if isinstance(data, dict) and data.get("version") == STORE_VERSION else None


def stored_meta(git_dir: Path) -> dict[str, Any] | None:
    """The store's meta as published now (its paths relative to its `root`), or None."""
    return _meta_in(store_dir(git_dir))


def _store_lock(folder: Path) -> contextlib.AbstractContextManager[None]:
    """The short lock around reading the meta and taking a pin, publishing, and sweeping."""
    busy = LockedError(
        f"Another stepcommit run has held the per-test store {folder} for {_STORE_LOCK_WAIT:g}s.",
        hint="A run stopped (not killed) with the lock? Let it go on or end it, then run again.",
    )
    return state.flock_held(folder / "store.lock", _STORE_LOCK_WAIT, 0.02, busy)


def _take_pin(folder: Path, run_id: str, files: Iterable[str]) -> Pin:
    """Pin ``files`` (names in ``folder``) for this run; called under `store.lock`, so a sweep
    never sees a pin without its list."""
    import fcntl

    path = folder / f"run-{run_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({"pid": os.getpid(), "files": sorted(set(files))}).encode("utf-8"))
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return Pin(path, fd)


def _pinned(folder: Path) -> set[str] | None:
    """The files live runs' pins name (stale pins, of runs that died, are deleted); None when a live
    pin cannot be read, so nothing may be deleted. Called under `store.lock`."""
    import fcntl

    names: set[str] = set()
    for lock in folder.glob("run-*.lock"):
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # a live run holds it
                try:
                    listed = json.loads(lock.read_bytes().decode("utf-8"))["files"]
                except (OSError, ValueError, KeyError, TypeError):
                    return None
                names.update(str(n) for n in listed)
                continue
            lock.unlink(missing_ok=True)  # its run is gone
        finally:
            os.close(fd)
    return names


def _sweep(folder: Path) -> None:
    """Delete the data files nothing needs: not the published one, not one a live run pinned."""
    keep = _pinned(folder)
    if keep is None:
        return
    meta = state.read_cache(folder / "meta.json")
    if isinstance(meta, dict) and meta.get("db"):
        keep.add(str(meta["db"]))
    for old in folder.glob("coverage-*.db"):
        if old.name not in keep:
            old.unlink(missing_ok=True)


def release(selection: Selection | None) -> None:
    """Let go of the run's pin and delete what nobody needs any more (its data file, when it was
    not published; a copy it read). Safe to call twice."""
    pin = selection.pin if selection is not None else None
    if pin is None or pin.fd < 0:
        return
    folder = pin.path.parent
    try:
        with _store_lock(folder):
            pin.path.unlink(missing_ok=True)  # while still locked: a sweep never sees it stale
            os.close(pin.fd)
            pin.fd = -1
            _sweep(folder)
    finally:
        if pin.fd >= 0:
            os.close(pin.fd)
            pin.fd = -1


def _relative(paths: Iterable[str], root: str) -> list[str]:
    """Paths under ``root`` (a real path) relative to it, as the meta keeps them; others as they are."""
    prefix = root + os.sep
    return [p[len(prefix) :] if p.startswith(prefix) else p for p in paths]


def _absolute(paths: Iterable[str], root: str) -> list[str]:
    return [p if os.path.isabs(p) else os.path.join(root, p) for p in paths]


def _for_checkout(meta: dict[str, Any], root: str) -> dict[str, Any]:
    """``meta`` with its paths made absolute for the checkout at ``root``."""
    files: dict[str, list[str]] = meta.get("test_files", {})
    return meta | {
        "test_files": dict(zip(_absolute(files, root), files.values(), strict=True)),
        "loaded": _absolute(meta.get("loaded", ()), root),
    }


def _real(root: Path, rel: str) -> str:
    return os.path.realpath(root / rel)


def _runs_by_file(db: Path, paths: dict[str, str]) -> dict[str, dict[str, set[int]]]:
    """For each of ``paths`` (stored path -> repository path): context -> lines it executed there."""
    from coverage.numbits import numbits_to_nums

    found: dict[str, dict[str, set[int]]] = {rel: {} for rel in paths.values()}
    if not paths:
        return found
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(paths))
        query = (
            "select f.path, c.context, {cols} from {table} t join file f on f.id = t.file_id "
            f"join context c on c.id = t.context_id where f.path in ({marks})"
        )
        for path, ctx, numbits in con.execute(query.format(cols="t.numbits", table="line_bits"), list(paths)):
            found[paths[path]].setdefault(ctx, set()).update(numbits_to_nums(numbits))
        for path, ctx, a, b in con.execute(query.format(cols="t.fromno, t.tono", table="arc"), list(paths)):
            found[paths[path]].setdefault(ctx, set()).update(n for n in (a, b) if n > 0)
    finally:
        con.close()
    return found


def _measured_files(db: Path) -> set[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("select path from file")}
    finally:
        con.close()


def _custom_test_patterns(root: Path) -> bool:
    """Whether the project names its test files its own way (pytest's `python_files`)."""
    for name in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        path = root / name
        if path.is_file() and "python_files" in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def _test_of(context: str, static: str) -> str | None:
    """The node id a stored context belongs to; None for the import-time context."""
    if static:
        return context.split("|", 1)[1] if context.startswith(static + "|") else None
    return context or None


def plan(repo: git.Repo, tree: str, *, ignore: tuple[str, ...] = ()) -> Selection:
    """Choose between a full run and a selection for the work tree ``tree`` (see the module doc).

    ``ignore``: repository paths whose change no test can notice (the plan file stepcommit ticks).
    The selection holds a pin on the store's files it names: `release` it when the run is over.
    """
    folder = store_dir(repo.git_dir)
    folder.mkdir(parents=True, exist_ok=True)
    info = run_info_path(repo.git_dir)
    info.parent.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:12]
    out = folder / f"coverage-{run_id}.db"
    moved = folder / f"coverage-{run_id}-moved.db"
    job: dict[str, Any] = {"out": str(out), "info": str(info), "select": None}
    with _store_lock(folder):
        meta = _meta_in(folder)
        stored = [str(meta["db"])] if meta and meta.get("db") else []
        pin = _take_pin(folder, run_id, [out.name, moved.name, *stored])
    try:
        chosen = _choose(repo, tree, ignore, folder, meta, job, moved)
    except BaseException:
        release(Selection(None, pin=pin))
        raise
    return replace(chosen, pin=pin)


def _choose(
    repo: git.Repo, tree: str, ignore: tuple[str, ...], folder: Path, meta: dict[str, Any] | None,
    job: dict[str, Any], moved: Path,
) -> Selection:  # fmt: skip
    """`plan`'s decision, from the store's meta as it was when the run pinned it."""
    if meta is None:
        return Selection("no per-test coverage is stored yet", job=job | {"reason": "first run"})
    if meta.get("disabled"):
        return Selection(str(meta["disabled"]), job=job | {"reason": meta["disabled"]})
    db = folder / str(meta.get("db"))
    old_tree = str(meta.get("tree"))
    if not db.is_file() or not git.object_exists(repo.root, old_tree):
        return Selection("the per-test store is incomplete", job=job | {"reason": "store incomplete"})

    def full(reason: str) -> Selection:
        return Selection(reason, job=job | {"reason": reason})

    here = os.path.realpath(repo.root)
    if str(meta.get("root")) != here:
        # Measured in another checkout (worktree): its data's paths moved here, in this run's own copy.
        from stepcommit.runner.stepcommit_runner import sqlite_store

        try:
            sqlite_store.move_root(str(db), str(moved), str(meta.get("root")), here)
        except sqlite3.Error as exc:
            return full(f"the per-test store could not be moved to this checkout ({exc})")
        db = moved
    base = _for_checkout(meta, here)
    changes = git.raw_diff(repo.root, old_tree, tree) if old_tree != tree else []
    measured = _measured_files(db)
    test_files: dict[str, list[str]] = base["test_files"]
    loaded = set(base["loaded"])
    select: set[str] = set(meta.get("failed", ()))
    whole: list[str] = []
    parts: dict[str, blocks.Change] = {}
    deleted: list[str] = []
    # Whether collecting only the test files involved is enough: true while no import-time code
    # (what collection runs) can have changed.
    fast = True
    collect: set[str] = set()
    recollect: set[str] = set()
    gone_tests: set[str] = set()
    custom_patterns = _custom_test_patterns(repo.root)
    for status, path, old_blob, new_blob in changes:
        name = path.rsplit("/", 1)[-1]
        real = _real(repo.root, path)
        if path in ignore or forbidden.why_forbidden(path) in _NOT_READ_BY_TESTS:
            continue
        if name == "conftest.py":
            return full(f"{path} changed (fixtures and hooks reach every test)")
        if not path.endswith(".py"):
            return full(f"{path} changed (a file that is not Python source: the tests may read it)")
        if status == "A":
            # Nothing ran it yet: whatever imports it changed too. A new test module is collected.
            if custom_patterns:
                fast = False
            elif name.startswith("test_") or name.endswith("_test.py"):
                collect.add(real)
            continue
        tests_here = test_files.get(real, ())
        if status == "D":
            deleted.append(path)
            gone_tests.update(tests_here)
        elif tests_here:
            recollect.add(real)
        if real not in measured:
            if tests_here:
                select.update(tests_here)  # a test module coverage does not measure: all its tests
            elif real in loaded:
                return full(
                    f"{path} changed (imported by the tests but not measured, so not traceable per test)"
                )
            continue  # no test imported it
        if status == "D":
            whole.append(path)
            continue
        change = blocks.compare(git.blob_text(repo.root, old_blob), git.blob_text(repo.root, new_blob))
        if change.whole_file:
            whole.append(path)
            select.update(tests_here)
        else:
            parts[path] = change
    stored = {_real(repo.root, p): p for p in (*whole, *parts)}
    runs = _runs_by_file(db, stored)
    static = str(meta.get("static", ""))
    for path in whole:
        select.update(t for t in map(lambda c: _test_of(c, static), runs[path]) if t)
        fast = fast and not any(_test_of(c, static) is None for c in runs[path])
    for path, change in parts.items():
        for ctx, lines in runs[path].items():
            if any(start <= n <= end for n in lines for start, end in change.changed):
                test = _test_of(ctx, static)
                if test is None:
                    fast = False  # a changed function ran at import time (a decorator, a constant)
                else:
                    select.add(test)
    select -= gone_tests
    job |= {
        "select": sorted(select),
        "known": list(meta.get("collected", ())),
        "env": meta.get("env"),
        "store": str(db),
        "deleted": [_real(repo.root, p) for p in deleted],
        "moves": {_real(repo.root, p): [list(m) for m in c.moves] for p, c in parts.items()},
    }
    if fast:
        file_of = {test: where for where, tests in test_files.items() for test in tests}
        collect.update(file_of[t] for t in select if t in file_of)
        collect.update(recollect)
        job |= {
            "collect": sorted(collect),
            "recollect_old": sorted(t for f in collect for t in test_files.get(f, ())),
            "drop_tests": sorted(gone_tests),
        }
    return Selection(None, tuple(sorted(select)), job, base=base)


def runner_job(selection: Selection) -> PerTest:
    """The selection as the runner reads it (its job's `per_test`); what the last run wrote is cleared."""
    from stepcommit.runner.stepcommit_runner.job import PerTest

    Path(selection.job["info"]).unlink(missing_ok=True)
    return PerTest.from_dict(selection.job)


@dataclass(frozen=True)
class Outcome:
    mode: str
    """`incremental` or `full`."""
    ran: int
    collected: int
    reason: str | None
    serial: str | None = None
    """Why a selection ran in one process although the project runs pytest-xdist, when it did."""

    def describe(self) -> str:
        if self.mode == "incremental":
            return f"incremental: {self.ran:,} of {self.collected:,} tests"
        return "full run" + (f": {self.reason}" if self.reason else "")


def record(
    repo: git.Repo, tree: str, selection: Selection, failed: list[str], *, completed: bool
) -> Outcome | None:
    """Make the run's per-test data the store (when the run completed) and say what was done."""
    folder = store_dir(repo.git_dir)
    here = os.path.realpath(repo.root)
    info = state.read_cache(Path(selection.job["info"]))
    out = Path(selection.job["out"])
    if not isinstance(info, dict):
        out.unlink(missing_ok=True)
        return None
    collected: list[str] = info.get("collected", [])
    test_files: dict[str, list[str]] = info.get("test_files", {})
    loaded: list[str] = info.get("loaded", [])
    job = selection.job
    previous = selection.base  # the store this run started from, not what another run published since
    if info.get("mode") == "incremental" and job.get("collect") is not None and previous:
        # Only some test files were collected: the rest of the suite is as the store knew it.
        now = set(collected)
        gone = set(job.get("drop_tests", ())) | (set(job.get("recollect_old", ())) - now)
        kept = [t for t in previous.get("collected", ()) if t not in gone]
        known = set(kept)
        collected = kept + [t for t in collected if t not in known]
        test_files = {
            f: tests for f, tests in previous.get("test_files", {}).items() if f not in test_files
        } | test_files
        test_files = {f: [t for t in tests if t not in gone] for f, tests in test_files.items()}
        test_files = {f: tests for f, tests in test_files.items() if tests}
        loaded = sorted(set(previous.get("loaded", ())) | set(loaded))
    outcome = Outcome(
        str(info.get("mode", "full")), len(info.get("ran", ())), len(collected),
        info.get("reason") or info.get("disabled"), info.get("serial"),
    )  # fmt: skip
    if not completed:
        out.unlink(missing_ok=True)
        return outcome
    meta: dict[str, Any] = {
        "version": STORE_VERSION,
        "root": here,
        "tree": tree,
        "env": info.get("env"),
        "static": info.get("static", ""),
        "collected": collected,
        "test_files": dict(zip(_relative(test_files, here), test_files.values(), strict=True)),
        "loaded": _relative(loaded, here),
        "failed": failed,
        "time": state.now_iso(),
    }
    if info.get("disabled"):
        meta["disabled"] = info["disabled"]
    elif info.get("store") and out.is_file():
        meta["db"] = out.name
    else:
        out.unlink(missing_ok=True)
        return outcome
    with _store_lock(folder):
        state.write_json(folder / "meta.json", meta)  # atomically names the new data file
    return outcome  # the data file it replaced goes with the sweep of `release`, once no run reads it
