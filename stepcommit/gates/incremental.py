"""The fast gate: rerun only the tests a change affects, and still report coverage's exact total.

The per-test store lives under the git directory (`.git/stepcommit/testcov/`): a coverage data file
in which every test's lines (and arcs, when the project measures branches) are recorded under the
test's node id as coverage context, and the import-time lines under the empty context, plus
`meta.json` naming the work tree it measured (a git tree id, so every file's blob is known), the
collected tests, the failing ones and the test environment.

A gate after an edit diffs that tree against the work tree now and chooses:
- a full run (which rebuilds the store) when it cannot be exact: no store yet, a changed `conftest.py`
  or non-Python file, a changed environment (Python, packages, coverage settings, pytest arguments);
- otherwise the tests to rerun: every test that executed a changed function body, or any line of a
  file whose import-time code changed or that was deleted, the last failures, and every test the
  store has not seen. The whole suite is still collected (so import-time coverage is complete) and
  the others deselected; the rerun's data replaces theirs and the import-time context in the store,
  kept lines of edited files move with the edit (see blocks.py), and coverage's own report of the
  merged data gives the total: the same figure a full `coverage run -m pytest` would.

`watch` can use the same store: a selection is a list of node ids for any pytest run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepcommit import git, state
from stepcommit.gates import blocks

STORE_VERSION = 1


@dataclass(frozen=True)
class Selection:
    """What the next test run does: everything (``select`` None, with the reason) or a selection."""

    reason: str | None
    select: tuple[str, ...] | None = None
    job: dict[str, Any] = field(default_factory=dict)


def store_dir(git_dir: Path) -> Path:
    return state.state_dir(git_dir) / "testcov"


def _meta(git_dir: Path) -> dict[str, Any] | None:
    data = state.read_json(store_dir(git_dir) / "meta.json")
    return data if isinstance(data, dict) and data.get("version") == STORE_VERSION else None


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


def _test_of(context: str, static: str) -> str | None:
    """The node id a stored context belongs to; None for the import-time context."""
    if static:
        return context.split("|", 1)[1] if context.startswith(static + "|") else None
    return context or None


def plan(repo: git.Repo, tree: str, *, ignore: tuple[str, ...] = ()) -> Selection:
    """Choose between a full run and a selection for the work tree ``tree`` (see the module doc).

    ``ignore``: repository paths whose change no test can notice (the plan file stepcommit ticks).
    """
    folder = store_dir(repo.git_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"coverage-{uuid.uuid4().hex[:12]}.db"
    job: dict[str, Any] = {"out": str(out), "info": str(folder / "run-info.json"), "select": None}
    meta = _meta(repo.git_dir)
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

    changes = git.raw_diff(repo.root, old_tree, tree) if old_tree != tree else []
    measured = _measured_files(db)
    test_files: dict[str, list[str]] = meta.get("test_files", {})
    loaded = set(meta.get("loaded", ()))
    select: set[str] = set(meta.get("failed", ()))
    whole: list[str] = []
    parts: dict[str, blocks.Change] = {}
    deleted: list[str] = []
    for status, path, old_blob, new_blob in changes:
        name = path.rsplit("/", 1)[-1]
        real = _real(repo.root, path)
        if path in ignore:
            continue
        if name == "conftest.py":
            return full(f"{path} changed (fixtures and hooks reach every test)")
        if not path.endswith(".py"):
            return full(f"{path} changed (a file that is not Python source: the tests may read it)")
        if status == "A":
            continue  # nothing ran it yet; whatever imports it changed too, or is a new test
        if status == "D":
            deleted.append(path)
        tests_here = test_files.get(real, ())
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
    for path, change in parts.items():
        for ctx, lines in runs[path].items():
            test = _test_of(ctx, static)
            if test and any(start <= n <= end for n in lines for start, end in change.changed):
                select.add(test)
    job |= {
        "select": sorted(select),
        "known": list(meta.get("collected", ())),
        "env": meta.get("env"),
        "store": str(db),
        "deleted": [_real(repo.root, p) for p in deleted],
        "moves": {_real(repo.root, p): [list(m) for m in c.moves] for p, c in parts.items()},
    }
    return Selection(None, tuple(sorted(select)), job)


def write_job(selection: Selection, where: Path) -> Path:
    path = where / "per-test.json"
    Path(selection.job["info"]).unlink(missing_ok=True)
    path.write_text(json.dumps(selection.job), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Outcome:
    mode: str
    """`incremental` or `full`."""
    ran: int
    collected: int
    reason: str | None

    def describe(self) -> str:
        if self.mode == "incremental":
            return f"incremental: {self.ran:,} of {self.collected:,} tests"
        return "full run" + (f": {self.reason}" if self.reason else "")


def record(
    repo: git.Repo, tree: str, selection: Selection, failed: list[str], *, completed: bool
) -> Outcome | None:
    """Make the run's per-test data the store (when the run completed) and say what was done."""
    folder = store_dir(repo.git_dir)
    info = state.read_json(Path(selection.job["info"]))
    out = Path(selection.job["out"])
    if not isinstance(info, dict):
        out.unlink(missing_ok=True)
        return None
    outcome = Outcome(
        str(info.get("mode", "full")), len(info.get("ran", ())), len(info.get("collected", ())),
        info.get("reason") or info.get("disabled"),
    )  # fmt: skip
    if not completed:
        out.unlink(missing_ok=True)
        return outcome
    meta: dict[str, Any] = {
        "version": STORE_VERSION,
        "tree": tree,
        "env": info.get("env"),
        "static": info.get("static", ""),
        "collected": info.get("collected", []),
        "test_files": info.get("test_files", {}),
        "loaded": info.get("loaded", []),
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
    state.write_json(folder / "meta.json", meta)  # atomically names the new data file
    for old in folder.glob("coverage-*.db"):
        if old.name != meta.get("db"):
            old.unlink(missing_ok=True)
    return outcome


def forget(git_dir: Path) -> None:
    """Drop the store (e.g. `check --full`): the next run measures everything again."""
    shutil.rmtree(store_dir(git_dir), ignore_errors=True)
