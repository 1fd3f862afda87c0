"""Per-repository state under the git directory: the active step, the finish journal, the lock."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stepcommit.errors import LockedError, StepStateError


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def state_dir(git_dir: Path) -> Path:
    path = git_dir / "stepcommit"
    path.mkdir(exist_ok=True)
    return path


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActiveStep:
        data = dict(data)
        data["verify"] = tuple(data.get("verify", ()))
        return cls(**data)


def load_active(git_dir: Path) -> ActiveStep | None:
    data = read_json(state_dir(git_dir) / "step.json")
    return ActiveStep.from_dict(data) if data else None


def save_active(git_dir: Path, step: ActiveStep) -> None:
    write_json(state_dir(git_dir) / "step.json", asdict(step))


def clear_active(git_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir(git_dir) / "step.json").unlink()


def require_active(git_dir: Path) -> ActiveStep:
    step = load_active(git_dir)
    if step is None:
        raise StepStateError(
            "No step is active in this repository.",
            hint="Start one with `stepcommit start` (the next open step) or `stepcommit start 1.3`.",
        )
    return step


def append_history(git_dir: Path, record: dict[str, Any]) -> None:
    with (state_dir(git_dir) / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_history(git_dir: Path) -> list[dict[str, Any]]:
    path = state_dir(git_dir) / "history.jsonl"
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_LOCK_ENV = "STEPCOMMIT_LOCK_HELD"


def _holder_pid(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lock_holder(git_dir: Path) -> dict[str, Any] | None:
    """Who holds the repository's lock now (pid, command, since), or None when no live run does."""
    path = state_dir(git_dir) / "lock"
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        pid = int(holder["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if holder.get("host") not in (None, socket.gethostname()) or not _alive(pid):
        return None
    return holder if isinstance(holder, dict) else None


@contextlib.contextmanager
def lock(git_dir: Path, command: str) -> Iterator[None]:
    """Hold the repository for one stepcommit run; a second run is told who holds it."""
    path = state_dir(git_dir) / "lock"
    inherited = os.environ.get(_LOCK_ENV)
    if inherited and _holder_pid(path) == int(inherited):
        # A git hook run by the stepcommit that holds the lock (finish's commit): same run, go on.
        yield
        return
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": now_iso()}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                holder = {}
            pid = int(holder.get("pid", 0) or 0)
            if holder.get("host") == me["host"] and pid and not _alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # its holder died: the lock is stale
                continue
            if not holder and time.time() - path.stat().st_mtime > 60:
                path.unlink()
                continue
            raise LockedError(
                f"Another stepcommit run holds this repository: `stepcommit {holder.get('command', '?')}` "
                f"(pid {holder.get('pid', '?')}) since {holder.get('since', '?')}.",
                hint=f"Wait for it to end. If no such process exists, delete {path}.",
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(me, handle)
        break
    else:
        raise LockedError(
            f"Could not take the lock {path}.", hint=f"Delete {path} if no stepcommit is running."
        )
    os.environ[_LOCK_ENV] = str(me["pid"])
    try:
        yield
    finally:
        os.environ.pop(_LOCK_ENV, None)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# The finish journal: where an interrupted `finish` stopped, so it can go on or roll back.


def journal_dir(git_dir: Path) -> Path:
    path = state_dir(git_dir) / "finish"
    path.mkdir(exist_ok=True)
    return path


def load_journal(git_dir: Path) -> dict[str, Any] | None:
    data = read_json(state_dir(git_dir) / "finish.json")
    return data if isinstance(data, dict) else None


def save_journal(git_dir: Path, journal: dict[str, Any]) -> None:
    write_json(state_dir(git_dir) / "finish.json", journal)


def clear_journal(git_dir: Path) -> None:
    import shutil

    with contextlib.suppress(FileNotFoundError):
        (state_dir(git_dir) / "finish.json").unlink()
    shutil.rmtree(state_dir(git_dir) / "finish", ignore_errors=True)


def refuse_if_interrupted(git_dir: Path) -> None:
    journal = load_journal(git_dir)
    if journal:
        raise StepStateError(
            f"A `stepcommit finish` of step {journal.get('step', '?')} was interrupted "
            f"(it stopped at: {journal.get('phase', '?')}).",
            hint="Run `stepcommit finish` to complete it, or `stepcommit status` to see where it stands.",
        )
