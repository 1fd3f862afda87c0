"""Per-repository state under the git directory: the active step, the finish journal, the lock."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from stepcommit.errors import LockedError, StepStateError


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def state_dir(git_dir: Path) -> Path:
    path = git_dir / "stepcommit"
    path.mkdir(exist_ok=True)
    return path


def common_dir(git_dir: Path) -> Path:
    """The git directory every worktree shares: a linked worktree's own git dir names it in `commondir`."""
    try:
        pointer = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return git_dir
    return (git_dir / pointer).resolve()


def shared_dir(git_dir: Path) -> Path:
    """State every worktree shares (history, caches); the active step, journal and lock are per worktree."""
    return state_dir(common_dir(git_dir))


class _Own:
    """A path in the checkout's own state folder, as a `StateDir` attribute."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __get__(self, folder: StateDir, owner: type | None = None) -> Path:
        return folder.own.joinpath(*self.parts)


class _Shared(_Own):
    """A path in the state folder every worktree shares."""

    def __get__(self, folder: StateDir, owner: type | None = None) -> Path:
        return folder.shared.joinpath(*self.parts)


class StateDir:
    """Every file stepcommit keeps under `.git/stepcommit/`, named in this one place.

    A checkout's own folder (a linked worktree has its own git dir) holds its step, finish journal,
    lock, last gate, progress log, agent records and run scratch; the folder every worktree shares
    (the common git dir's) holds history, the baseline cache, the per-test store and its audit."""

    def __init__(self, git_dir: Path, *, create: bool = True) -> None:
        self.git_dir = git_dir
        self.create = create
        """False to look without making the folder (another worktree's, say)."""

    @property
    def own(self) -> Path:
        return state_dir(self.git_dir) if self.create else self.git_dir / "stepcommit"

    @property
    def shared(self) -> Path:
        return shared_dir(self.git_dir)

    # This checkout's step and its finish.
    step = _Own("step.json")
    lock = _Own("lock")
    journal = _Own("finish.json")
    journal_files = _Own("finish")
    """The finish journal's files: the message, scratch copies of the plan."""
    progress = _Own("progress.jsonl")
    progress_committed = _Own("progress-committed.json")
    plan_at_base = _Own("plan-at-base")

    # This checkout's gate: its last result, the run it left, caches of the tools it runs.
    gate = _Own("gate.json")
    verdict = _Own("verdict.json")
    run = _Own("run")
    """The last test run: coverage data, JUnit report, the runner's job and results."""
    # Beside `run`, the runner's own caches and files.
    pycache = _Own("pycache")
    """Where the project's interpreters write bytecode during a run (gates/testrun.py)."""
    parse_cache = _Own("parse-cache")
    step_read = _Own("step-read.json")
    plan_read = _Own("plan-read.pickle")
    """The last plan `stepcommit plan` read, under its bytes' digest (commands/plan.py, `_load`)."""
    """The active step's to-do list and ticked plan, from the plan's bytes (commands/check.py, `step_read`)."""
    pytest_cache = _Own("pytest-cache")
    coveragerc = _Own("coveragerc")
    """The coverage settings a project without its own gets."""
    probe = _Own("probe.json")
    ruff_cache = _Own("ruff-cache")
    testmon_data = _Own("testmondata")
    run_info = _Own("testcov", "run-info.json")
    landing_run = _Own("landing-run")
    baseline_run = _Own("baseline-run")

    # What an agent's hooks record in this checkout.
    agent_seen = _Own("agent-seen.json")
    hook_errors = _Own("hook-errors.jsonl")
    agent_tasks = _Own("agent-tasks.json")
    agent_activity = _Own("agent-activity.json")
    agent_hook_lock = _Own("agent-hook.lock")

    # Shared by every worktree.
    history = _Shared("history.jsonl")
    baseline = _Shared("baseline.json")
    testcov = _Shared("testcov")
    """The per-test store (gates/incremental.py)."""
    audit_counter = _Shared("audit.json")
    """Incremental runs since the last audit, and the store data file a full run last vouched for."""
    incremental_off = _Shared("incremental-off.json")
    """Written when an audit found the store lying; its presence turns incremental off."""

    def base_lock(self, name: str) -> Path:
        return self.shared / f"base-{name}.lock"

    def scratch(self, name: str) -> Path:
        """A named scratch folder of this checkout's (a CI shard's run, say)."""
        return self.own / name


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write atomically, so a crash or a full disk never leaves half a file (nor a stray temp)."""
    # The temp's name is the writer's own: two runs writing the same cache never share one.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json(path: Path, data: Any) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StepStateError(
            f"stepcommit's state file {path} is damaged.",
            hint="Inspect it; deleting it makes stepcommit forget the active step (your files stay).",
        ) from None


def read_cache(path: Path) -> Any:
    """A cache file's JSON, or None when it is missing or unreadable: a cache is only ever a
    shortcut, so a damaged one (a kill, a full disk) is dropped and rebuilt, never an error."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        with contextlib.suppress(OSError):
            path.unlink()
        return None


@dataclass(frozen=True)
class ActiveStep:
    id: str
    title: str
    index: int
    line: int
    plan: str
    branch: str
    base_branch: str
    base_commit: str
    started_at: str
    verify: tuple[str, ...] = ()
    worktree: str = ""
    """The step's own linked worktree (`start --worktree`); empty for a step in the main checkout."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActiveStep:
        data = dict(data)
        data["verify"] = tuple(data.get("verify", ()))
        return cls(**data)


def load_active(git_dir: Path) -> ActiveStep | None:
    data = read_json(StateDir(git_dir).step)
    return ActiveStep.from_dict(data) if data else None


def save_active(git_dir: Path, step: ActiveStep) -> None:
    write_json(StateDir(git_dir).step, asdict(step))


def clear_active(git_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        StateDir(git_dir).step.unlink()


def require_active(git_dir: Path) -> ActiveStep:
    step = load_active(git_dir)
    if step is None:
        raise StepStateError(
            "No step is active in this repository.",
            hint="Start one with `stepcommit start` (the next open step) or `stepcommit start 1.3`.",
        )
    return step


def append_history(git_dir: Path, record: dict[str, Any]) -> None:
    # One short line per append (O_APPEND): finishes in several worktrees never interleave one.
    with StateDir(git_dir).history.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_history(git_dir: Path) -> list[dict[str, Any]]:
    path = StateDir(git_dir).history
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records


_LOCK_ENV = "STEPCOMMIT_LOCK_HELD"
_LOCK_TRIES = 5
"""Attempts (50 ms apart) to take a busy lock: `status` probing it holds it for a moment."""


def _lock_path(git_dir: Path) -> Path:
    return StateDir(git_dir).lock


def _read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder; garbage (a torn write, an old format) reads as {}."""
    try:
        holder = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _holder_pid(path: Path) -> int | None:
    pid = _read_holder(path).get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def _is_held(path: Path) -> bool:
    """Whether a live process holds the lock: the kernel's flock, not the file's content, decides."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's shared lock
    return False


def lock_holder(git_dir: Path) -> dict[str, Any] | None:
    """Who holds the repository's lock now (pid, command, since), or None when no live run does."""
    path = _lock_path(git_dir)
    if not _is_held(path):
        return None
    return {"pid": "?", "command": "?", "since": "?"} | _read_holder(path)


def _try_flock(path: Path) -> int | None:
    """An fd holding an exclusive flock on the file now at ``path``, or None when a live run holds it."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us unlinks the file as it lets go: a lock on that unlinked file would
        # be ours alone while the next run locks a new one. Take the lock only on the file in place.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def lock(git_dir: Path, command: str) -> Iterator[None]:
    """Hold the repository for one stepcommit run; a second run is told who holds it.

    The lock is an flock on `.git/stepcommit/lock`: the kernel drops it when its holder dies, so a
    killed run never blocks the next one and the file's content (the holder's pid, host, command
    and start, for messages) may be stale or garbage without harm.
    """
    path = _lock_path(git_dir)
    inherited = os.environ.get(_LOCK_ENV)
    if inherited and str(_holder_pid(path)) == inherited and _is_held(path):
        # A git hook run by the stepcommit that holds the lock (finish's commit): same run, go on.
        yield
        return
    fd = None
    for attempt in range(_LOCK_TRIES):
        fd = _try_flock(path)
        if fd is not None:
            break
        if attempt + 1 < _LOCK_TRIES:
            time.sleep(0.05)
    if fd is None:
        holder = _read_holder(path)
        raise LockedError(
            f"Another stepcommit run holds this repository: `stepcommit {holder.get('command', '?')}` "
            f"(pid {holder.get('pid', '?')}) on host {holder.get('host', '?')} since {holder.get('since', '?')}.",
            hint="Wait for it to end; the lock goes with its process, so there is nothing to delete.",
        )
    import socket  # here: only a lock needs it, and reading state is on every `status`

    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": now_iso()}
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(me).encode("utf-8"))
        os.environ[_LOCK_ENV] = str(me["pid"])
        yield
    finally:
        os.environ.pop(_LOCK_ENV, None)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # while still locked: see _try_flock
        os.close(fd)


_BASE_LOCK_WAIT = 300.0
"""Seconds a landing waits for another landing on the same base (each holds it for a ref move)."""


@contextlib.contextmanager
def flock_held(path: Path, wait: float, poll: float, busy: LockedError) -> Iterator[None]:
    """Hold an exclusive `flock` on ``path`` (made if missing), waiting up to ``wait`` seconds,
    then raising ``busy``. The kernel drops the lock when its holder dies, so none goes stale."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise busy from None
                time.sleep(poll)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def base_lock(git_dir: Path, branch: str) -> contextlib.AbstractContextManager[None]:
    """Hold the base branch while one finish moves it and its checkout; others wait their turn.

    Shared by every worktree (in the common git dir); the kernel drops it when its holder dies."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in branch)
    busy = LockedError(
        f"Another stepcommit finish has held the base branch {branch} for {_BASE_LOCK_WAIT:g}s.",
        hint="Run `stepcommit status --all` to see which step lands, then `stepcommit finish` again.",
    )
    return flock_held(StateDir(git_dir).base_lock(name), _BASE_LOCK_WAIT, 0.05, busy)


# The finish journal: where an interrupted `finish` stopped, so it can go on or roll back.


def journal_dir(git_dir: Path) -> Path:
    path = StateDir(git_dir).journal_files
    path.mkdir(exist_ok=True)
    return path


class Phase(StrEnum):
    """How far a `finish` got; each phase is saved before the work that follows it."""

    PREPARED = "prepared"
    """The plan is ticked and the index copied, no commit yet: an interruption rolls back."""
    COMMITTED = "committed"
    """The step's commit is on its branch; the base is not moved yet."""
    LANDING = "landing"
    """The commit the base will point at is made; the base may not hold it yet."""
    LANDED = "landed"
    """The base holds the step; the checkout may still have to follow it."""


@dataclass(frozen=True)
class FinishJournal:
    """Where a `finish` stands (`.git/stepcommit/finish.json`), so an interrupted one can go on or
    roll back. Each phase makes a new record (`dataclasses.replace`) and saves it before going on."""

    phase: Phase
    step: str
    plan: str
    style: str
    """How the step lands: squash, ff, no-ff or none."""
    head_before: str
    """The step branch's commit before `finish` committed anything."""
    message_file: str
    allow: tuple[tuple[str, str], ...] = ()
    """Honesty findings let through, as (finding, reason) pairs; saved as a JSON object."""
    tree: str | None = None
    """The tree the step's own gate passed (and its commit records)."""
    commit: str | None = None
    gated: tuple[str, ...] = ()
    """Every tree a gate of this finish passed."""
    incremental_only: tuple[str, ...] = ()
    """The trees among them gated incrementally only."""
    progress_total: int | None = None
    """Progress entries at the time the message was written: later ones go to the next commit."""
    progress_texts: tuple[str, ...] = ()
    coverage: str | None = None
    tests: str | None = None
    honesty: tuple[str, ...] = ()
    allowed: tuple[tuple[str, str], ...] = ()
    """The findings the last gate let through, as (kind, reason) pairs; saved as objects."""
    base_before: str | None = None
    landed: str | None = None
    """The commit the base is moved to."""
    landed_from: str | None = None
    """The step branch's tip that commit was made from."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinishJournal:
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in known}
        lists = {name: tuple(kept[name]) for name in _JOURNAL_LISTS if name in kept}
        pairs = {
            "allow": tuple(dict(kept.get("allow", {})).items()),
            "allowed": tuple((a["kind"], a["reason"]) for a in kept.get("allowed", ())),
        }
        return cls(**{**kept, **lists, **pairs, "phase": Phase(kept["phase"])})

    def to_dict(self) -> dict[str, Any]:
        """The JSON `finish.json` holds: lists, `allow` an object, `allowed` a list of objects."""
        return {
            **asdict(self),
            **{name: list(getattr(self, name)) for name in _JOURNAL_LISTS},
            "allow": dict(self.allow),
            "allowed": [{"kind": kind, "reason": reason} for kind, reason in self.allowed],
        }


_JOURNAL_LISTS = ("gated", "incremental_only", "progress_texts", "honesty")


def load_journal(git_dir: Path) -> FinishJournal | None:
    path = StateDir(git_dir).journal
    data = read_json(path)
    if data is None:
        return None
    try:
        return FinishJournal.from_dict(data)
    except (TypeError, ValueError, KeyError):
        raise StepStateError(
            f"stepcommit's finish journal {path} is damaged.",
            hint="Inspect it: `git log` and `git status` show what the finish did; deleting the file makes "
            "stepcommit forget the interrupted finish (your files and commits stay).",
        ) from None


def save_journal(git_dir: Path, journal: FinishJournal) -> None:
    write_json(StateDir(git_dir).journal, journal.to_dict())


def clear_journal(git_dir: Path) -> None:
    import shutil

    with contextlib.suppress(FileNotFoundError):
        StateDir(git_dir).journal.unlink()
    shutil.rmtree(StateDir(git_dir).journal_files, ignore_errors=True)


def refuse_if_interrupted(git_dir: Path) -> None:
    journal = load_journal(git_dir)
    if journal:
        raise StepStateError(
            f"A `stepcommit finish` of step {journal.step} was interrupted (it stopped at: {journal.phase}).",
            hint="Run `stepcommit finish` to complete it, or `stepcommit status` to see where it stands.",
        )
