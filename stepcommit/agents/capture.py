"""Turn an agent's hook call into progress entries, once each; record the hook's own failures.

The agents resend their whole todo list on every call and may fire the same turn-end twice, so a
small seen-set per agent session (under the git directory) decides what is new; Claude Code's Task
tools add a task book per session (stepcommit/agents/tasks.py), and at a turn's end the transcript
is read for what the hooks missed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from stepcommit import progress, state
from stepcommit.agents import tasks
from stepcommit.agents.model import Observed
from stepcommit.redact import redact_all
from stepcommit.sanitize import clean_line

SEEN_SESSIONS = 20
"""Sessions remembered; older ones are dropped so the file stays small."""


def _seen_path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).agent_seen


def _errors_path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).hook_errors


def _tasks_path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).agent_tasks


def _activity_path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).agent_activity


def _lock_path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).agent_hook_lock


@contextlib.contextmanager
def _hook_lock(git_dir: Path) -> Iterator[None]:
    """One hook call at a time reads and writes the seen-set: an agent runs the hooks of parallel
    tool calls at once, and two TaskCreates must not each drop the other's subject."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): a lost update can at worst repeat or miss one entry
        yield
        return
    fd = os.open(_lock_path(git_dir), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def new_entries(observed: Observed, seen: Mapping[str, list[str]], root: Path | None = None) -> list[str]:
    """The entries ``observed`` adds that its session has not logged yet, in order."""
    key = f"{observed.agent}:{observed.session}"
    already = set(seen.get(key, []))
    found: list[str] = list(observed.completed)
    for path in observed.edited:
        shown = path
        if root is not None and os.path.isabs(path):
            try:
                shown = Path(path).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                shown = path
        found.append(f"Edited {shown}")
    if observed.summary:
        found.append(observed.summary)
    fresh: list[str] = []
    cleaned = [c for c in (progress.cap_entry(clean_line(text)) for text in found) if c and c not in already]
    # The seen-set holds what the log holds, redacted text: an entry with a token is not new again
    # on the next call, and the set never stores the token.
    for text in redact_all(cleaned):
        if text not in already:
            already.add(text)
            fresh.append(text)
    return fresh


def remember(seen: Mapping[str, list[str]], observed: Observed, texts: list[str]) -> dict[str, list[str]]:
    """``seen`` with ``texts`` added to the session's set; the session moves to the newest place."""
    key = f"{observed.agent}:{observed.session}"
    updated = {k: list(v) for k, v in seen.items() if k != key}
    updated[key] = [*seen.get(key, []), *texts]
    while len(updated) > SEEN_SESSIONS:
        updated.pop(next(iter(updated)))
    return updated


def _load_seen(git_dir: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(_seen_path(git_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a lost seen-set can at worst repeat an entry, never block the agent
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(t) for t in v] for k, v in data.items() if isinstance(v, list)}


def _load_books(git_dir: Path) -> dict[str, dict[str, Any]]:
    data = state.read_cache(_tasks_path(git_dir))
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def _with_tasks(
    git_dir: Path, observed: Observed, findings: tasks.TranscriptFindings
) -> tuple[Observed, dict[str, dict[str, Any]] | None]:
    """``observed`` with the subjects of tasks that turned completed (and the transcript's completed
    todos) put first among its completed items; the task books to store, None when unchanged."""
    events = (*findings.tasks, *observed.tasks)
    if not events and not findings.todos:
        return observed, None
    key = f"{observed.agent}:{observed.session}"
    books = _load_books(git_dir)
    before = tasks.TaskBook.from_json(books.get(key))
    after, subjects = tasks.apply(before, events)
    completed = (*subjects, *findings.todos, *observed.completed)
    if after == before:
        return replace(observed, completed=completed), None
    updated = {k: v for k, v in books.items() if k != key}
    updated[key] = after.to_json()
    while len(updated) > SEEN_SESSIONS:
        updated.pop(next(iter(updated)))
    return replace(observed, completed=completed), updated


def note_activity(git_dir: Path, observed: Observed) -> None:
    """Remember when each agent's hooks last ran, so `status` can tell silence from capture."""
    data = state.read_cache(_activity_path(git_dir))
    activity = dict(data) if isinstance(data, dict) else {}
    activity[observed.agent] = {"time": state.now_iso(), "event": observed.event}
    state.write_json(_activity_path(git_dir), activity)


def read_activity(git_dir: Path) -> dict[str, dict[str, Any]]:
    """Per agent, the time and event of its last hook call in this repository."""
    path = state.StateDir(git_dir, create=False).agent_activity
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def capture(git_dir: Path, root: Path, observed: Observed) -> list[progress.Entry]:
    """Append what ``observed`` adds to the progress log (source = the agent) and remember it."""
    findings = (
        tasks.read_transcript(observed.transcript) if observed.transcript else tasks.TranscriptFindings()
    )
    if findings.problem:
        record_hook_error(
            git_dir, observed.agent, f"At {observed.event}: {findings.problem}.", observed.version
        )
    with _hook_lock(git_dir):
        note_activity(git_dir, observed)
        observed, books = _with_tasks(git_dir, observed, findings)
        seen = _load_seen(git_dir)
        texts = new_entries(observed, seen, root)
        entries = progress.append(git_dir, texts, observed.agent) if texts else []
        if books is not None:
            state.write_json(_tasks_path(git_dir), books)
        if entries:
            state.write_json(_seen_path(git_dir), remember(seen, observed, [e.text for e in entries]))
    return entries


def record_hook_error(git_dir: Path, agent: str, error: str, version: str | None = None) -> None:
    """Note a hook's failure where `stepcommit status` shows it; the agent itself never sees it."""
    line: dict[str, Any] = {"time": state.now_iso(), "agent": agent, "error": error}
    if version:
        line["agent_version"] = version
    with _errors_path(git_dir).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_hook_errors(git_dir: Path) -> list[dict[str, Any]]:
    """The recorded hook failures, oldest first (torn lines skipped)."""
    path = state.StateDir(git_dir, create=False).hook_errors
    if not path.exists():
        return []
    errors: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            errors.append(data)
    return errors


def clear_hook_errors(git_dir: Path) -> None:
    path = state.StateDir(git_dir, create=False).hook_errors
    if path.exists():
        path.unlink()


SILENT = "agent hooks installed but no entry captured in this step"


def silent_agents(
    activity: Mapping[str, Mapping[str, Any]], installed: set[str], started_at: str, sources: set[str]
) -> list[str]:
    """The agents whose installed hooks ran during the step that started at ``started_at`` and
    captured nothing in it: a payload shape stepcommit no longer reads, or events not hooked."""
    return sorted(
        agent
        for agent, seen in activity.items()
        if agent in installed and str(seen.get("time", "")) >= started_at and agent not in sources
    )
