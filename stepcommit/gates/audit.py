"""The incremental gate's self-audit: the per-test store's union against a full run, file by file.

The incremental total is coverage.py's exact total only while the store tells the truth about what
each test runs. Something it cannot see (a test whose path depends on a file git does not track, an
edited data file) makes it lie quietly. So every `audit_every`-th incremental run, and every full
run that meets a store of the same tree and environment, compares the store's union (what the
incremental gate reports for that tree) with the full run's data, file by file: the lines, and the
arcs when the project measures branches. A difference writes `incremental-off.json` in the shared
state folder, naming the first files that differ and how; from then on runs are full (with a note
saying why) until `stepcommit check --full` finds a full run and a fresh store agreeing again.
`stepcommit doctor` reports the marker. The comparison reads the data with coverage's own
`CoverageData`, the same reader `coverage report` uses.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import git, state

if TYPE_CHECKING:
    from stepcommit.config import Config
    from stepcommit.gates.testrun import TestRun

CLEAR = "stepcommit check --full"
MOST_NAMED = 3


@dataclass(frozen=True)
class Difference:
    path: str
    """The file, relative to the repository when it lies inside it."""
    why: str


def _ranges(nums: Iterable[int]) -> str:
    """``[3, 4, 5, 9]`` as coverage prints line numbers: ``3-5, 9``."""
    runs: list[list[int]] = []
    for n in sorted(nums):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    return ", ".join(shown[:8]) + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")


def _arcs(arcs: Iterable[tuple[int, int]]) -> str:
    shown = sorted(arcs)
    text = ", ".join(f"{a}->{b}" for a, b in shown[:6])
    return text + (f" and {len(shown) - 6} more" if len(shown) > 6 else "")


def _why(kind: str, missing: str, extra: str) -> str:
    parts = []
    if missing:
        parts.append(f"the full run executed {kind} {missing} that the store's union lacks")
    if extra:
        parts.append(f"the store's union holds {kind} {extra} that the full run did not execute")
    return "; ".join(parts)


def compare(union_db: Path, full_db: Path, root: Path) -> list[Difference]:
    """Every file whose executed lines (or arcs, with branch coverage) differ between the two coverage
    data files, in path order; empty when they agree."""
    from coverage import CoverageData

    union, full = CoverageData(basename=str(union_db)), CoverageData(basename=str(full_db))
    union.read()
    full.read()
    if union.has_arcs() != full.has_arcs():
        return [Difference("(every file)", "one measured branches and the other did not")]
    real_root = os.path.realpath(root)
    found = []
    for path in sorted(set(union.measured_files()) | set(full.measured_files())):
        rel = os.path.relpath(path, real_root) if path.startswith(real_root + os.sep) else path
        ours, theirs = set(union.lines(path) or ()), set(full.lines(path) or ())
        if ours != theirs:
            found.append(Difference(rel, _why("lines", _ranges(theirs - ours), _ranges(ours - theirs))))
            continue
        if full.has_arcs():
            ours_a, theirs_a = set(union.arcs(path) or ()), set(full.arcs(path) or ())
            if ours_a != theirs_a:
                found.append(
                    Difference(rel, _why("arcs", _arcs(theirs_a - ours_a), _arcs(ours_a - theirs_a)))
                )
    return found


def marker(git_dir: Path) -> dict[str, Any] | None:
    """The marker turning incremental off (``why``, ``files``, ``tree``, ``time``), or None."""
    data = state.read_cache(state.StateDir(git_dir).incremental_off)
    return data if isinstance(data, dict) and isinstance(data.get("why"), str) else None


def _counter(git_dir: Path) -> dict[str, Any]:
    data = state.read_cache(state.StateDir(git_dir).audit_counter)
    return data if isinstance(data, dict) else {}


def _save_counter(git_dir: Path, **changes: Any) -> None:
    state.write_json(state.StateDir(git_dir).audit_counter, _counter(git_dir) | changes)


def last_audit(git_dir: Path) -> dict[str, Any]:
    """What doctor shows: ``runs`` since the last audit, ``audited`` (time) and ``result`` of the last."""
    return _counter(git_dir)


def off_note(found: dict[str, Any]) -> str:
    return (
        f"incremental gate off for this repository: {found['why']}; every run is full until "
        f"`{CLEAR}` finds a full run and a fresh per-test store agreeing"
    )


def _store(git_dir: Path) -> tuple[dict[str, Any], Path] | None:
    """The per-test store's meta and data file, when there is a usable one."""
    from stepcommit.gates.incremental import store_dir

    folder = store_dir(git_dir)
    meta = state.read_cache(folder / "meta.json")
    if not isinstance(meta, dict) or meta.get("disabled") or not meta.get("db"):
        return None
    db = folder / str(meta["db"])
    return (meta, db) if db.is_file() else None


def due_for_full(git_dir: Path) -> bool:
    """Whether a full run now would audit something: incremental is off (the marker), or the store
    holds data no full run has vouched for (an incremental run made it). `check --full` then runs the
    suite instead of answering from the verdict cache."""
    if marker(git_dir) is not None:
        return True
    found = _store(git_dir)
    return found is not None and found[0].get("db") != _counter(git_dir).get("vouched")


def _keep(db: Path) -> Path:
    """A second name for the store's data file, which the next run's record deletes."""
    kept = db.with_name(f"audit-{uuid.uuid4().hex[:12]}.db")
    try:
        os.link(db, kept)
    except OSError:
        shutil.copyfile(db, kept)
    return kept


def _reason(run: TestRun, reason: str) -> TestRun:
    """``run`` with its measured outcome saying why it ran in full."""
    if run.measured is None:
        return run
    return dataclasses.replace(run, measured=dataclasses.replace(run.measured, reason=reason))


def gated_run(
    repo: git.Repo,
    cfg: Config,
    *,
    full: bool,
    disk_tree: str | None,
    run: Callable[[str, str | None], TestRun],
    any_tree: bool = False,
) -> tuple[TestRun, list[str]]:
    """The gate's test run with `incremental` configured, and the notes it leaves.

    ``run(per_test, disk_tree)`` runs the suite (``per_test``: `off`, `auto` or `full`). Without an
    audit due this is one run: `auto`, or `off` while the marker says the store lied. An audit (``full``,
    or the `audit_every`-th incremental run) runs everything and compares it with the store. When the
    store measured another tree, an incremental run brings it to this one first (the union to audit):
    for the `audit_every`-th run, while the marker is set, and with ``any_tree`` (`check --full`); a
    full run of `finish` audits only a store of its own tree, so that it costs one run."""
    git_dir = repo.git_dir
    off = marker(git_dir)
    notes = [off_note(off)] if off else []
    count = int(_counter(git_dir).get("runs", 0))
    due = not full and not off and cfg.audit_every > 0 and count + 1 >= cfg.audit_every
    if not (full or due):
        if off:
            return run("off", disk_tree), notes
        result = run("auto", disk_tree)
        if result.measured is not None and result.measured.mode == "incremental":
            _save_counter(git_dir, runs=count + 1)
        elif result.measured is not None and result.problem is None:
            _save_counter(git_dir, runs=0, vouched=_vouched(git_dir))  # a full run rebuilt the store
        return result, notes
    why = f"the self-audit of the per-test store (due every {cfg.audit_every} incremental runs)"
    tree = disk_tree or git.tree_only(repo)
    stored = _store(git_dir)
    if stored is not None and stored[0].get("tree") != tree and not (due or off or any_tree):
        stored = None  # a store of another tree, and no incremental run asked for to bring it here
    if stored is not None and stored[0].get("tree") != tree:
        first = run("auto", tree)  # the union the incremental gate reports for this tree
        was_full = first.measured is not None and first.measured.mode == "full"
        if was_full and first.problem is None and not off:
            # The store could not be used for this tree, so that run was full already: nothing to audit.
            _save_counter(git_dir, runs=0, vouched=_vouched(git_dir))
            return (_reason(first, why) if due else first), notes
        stored = _store(git_dir) if first.problem is None and not was_full else None
    kept = _keep(stored[1]) if stored else None
    try:
        result = run("full", tree)
        after = _store(git_dir)
        if (
            stored is None or kept is None or after is None or result.problem is not None
            or after[0].get("tree") != stored[0].get("tree") or after[0].get("env") != stored[0].get("env")
        ):  # fmt: skip
            if off:
                notes.append(
                    f"incremental stays off: no per-test store of this tree to audit yet (`{CLEAR}` again compares)"
                )
            if result.problem is None:
                _save_counter(git_dir, runs=0, vouched=_vouched(git_dir))
            return (_reason(result, why) if due else result), notes
        differences = compare(kept, state.StateDir(git_dir).run / ".coverage", repo.root)
    finally:
        if kept is not None:
            kept.unlink(missing_ok=True)
    _settle(tree, git_dir, differences, off, notes)
    return (_reason(result, why) if due else result), notes


def _vouched(git_dir: Path) -> str | None:
    found = _store(git_dir)
    return str(found[0].get("db")) if found else None


def _settle(
    tree: str, git_dir: Path, differences: list[Difference], off: dict[str, Any] | None, notes: list[str]
) -> None:
    """Record the audit's verdict: the marker written (a difference) or cleared (an agreement)."""
    path = state.StateDir(git_dir).incremental_off
    result = "agreed" if not differences else "differed"
    _save_counter(git_dir, runs=0, vouched=_vouched(git_dir), audited=state.now_iso(), result=result)
    if differences:
        named = "; ".join(f"{d.path}: {d.why}" for d in differences[:MOST_NAMED])
        more = len(differences) - MOST_NAMED
        why = (
            f"the per-test store's union differed from a full run of tree {tree[:10]} in {named}"
            + (f" (and {more} more files)" if more > 0 else "")
            + " (something the tests depend on is invisible to the store: an untracked or ignored file, "
            "the environment, the network?)"
        )
        data = {"why": why, "files": [dataclasses.asdict(d) for d in differences[:20]], "tree": tree,
                "time": state.now_iso()}  # fmt: skip
        state.write_json(path, data)
        notes[:] = [n for n in notes if not n.startswith("incremental gate off")]
        notes.append(off_note(data) + " (this run's figures come from the full run)")
    elif off:
        path.unlink(missing_ok=True)
        notes[:] = [n for n in notes if not n.startswith("incremental gate off")]
        notes.append("incremental gate back on: a full run and the fresh per-test store agree, file by file")
