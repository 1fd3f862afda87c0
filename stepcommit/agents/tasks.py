"""Claude Code's Task tools: which tasks turned completed, by name, once each; and the transcript.

A session's tasks are kept as a small book (task id -> subject, ids already logged, ids deleted):
a TaskUpdate carries only ``taskId``, so the subject comes from the TaskCreate seen earlier, or
from a later TaskUpdate that renamed it. Deciding is pure (``apply``); reading the transcript at
a turn's end (``read_transcript``) is the one I/O here, and it never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stepcommit.agents.model import TaskEvent, completed_todos

TRANSCRIPT_LIMIT = 32 * 1024 * 1024
"""Bytes of a transcript read at a turn's end; a longer one is read from its tail only."""
VERSION_PROBE = 64 * 1024
_CREATED_TEXT = re.compile(r"Task #(\w+) created")
# Lines that cannot hold a task or todo change are skipped before the JSON parse: a long
# session's transcript is mostly tool output. (A TaskCreate's result line carries `"task":` in its
# toolUseResult and `Task #N created` in its text.)
_INTERESTING = (b'"TaskCreate"', b'"TaskUpdate"', b'"TodoWrite"', b'"task":', b"Task #")


@dataclass(frozen=True)
class TaskBook:
    """One session's tasks, as far as stepcommit has seen them."""

    subjects: Mapping[str, str] = field(default_factory=dict)
    done: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"subjects": dict(self.subjects), "done": list(self.done), "deleted": list(self.deleted)}

    @classmethod
    def from_json(cls, data: Any) -> TaskBook:
        if not isinstance(data, Mapping):
            return cls()
        subjects = data.get("subjects")
        return cls(
            subjects={str(k): str(v) for k, v in subjects.items()} if isinstance(subjects, Mapping) else {},
            done=tuple(str(x) for x in data.get("done", ()) if isinstance(x, str | int)),
            deleted=tuple(str(x) for x in data.get("deleted", ()) if isinstance(x, str | int)),
        )


def apply(book: TaskBook, events: Iterable[TaskEvent]) -> tuple[TaskBook, list[str]]:
    """``book`` after ``events``, and the subjects of the tasks that turned completed, in order.

    A task is logged once, under its subject at the time it completed; a deleted task never is.
    A completion for a task whose subject is unknown is not logged (nor marked done): the
    transcript read at the turn's end names it.
    """
    subjects = dict(book.subjects)
    done = list(book.done)
    deleted = set(book.deleted)
    logged: list[str] = []
    for event in events:
        key = event.task_id
        if event.kind == "create":
            if key and event.subject:
                subjects[key] = event.subject
            continue
        if not key:
            continue
        if event.subject:
            subjects[key] = event.subject
        if event.status == "deleted":
            deleted.add(key)
        elif event.status == "completed" and key not in deleted and key not in done and subjects.get(key):
            done.append(key)
            logged.append(subjects[key])
    return TaskBook(subjects, tuple(done), tuple(sorted(deleted))), logged


def task_id(value: Any) -> str:
    """A task id as text: Claude Code writes ``"3"``; an agent may send ``3``."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def created_id(response: Any) -> str:
    """The new task's id from TaskCreate's result: ``{"task": {"id": "1", "subject": ...}}``, or
    the text ``Task #1 created successfully: ...`` when only that is at hand."""
    if isinstance(response, Mapping):
        task = response.get("task")
        if isinstance(task, Mapping):
            return task_id(task.get("id"))
        return ""
    if isinstance(response, str):
        match = _CREATED_TEXT.search(response)
        return match.group(1) if match else ""
    if isinstance(response, list):  # content blocks: [{"type": "text", "text": "..."}]
        for block in response:
            if isinstance(block, Mapping) and isinstance(block.get("text"), str):
                found = created_id(block["text"])
                if found:
                    return found
    return ""


def update_event(tool_input: Mapping[str, Any]) -> TaskEvent:
    subject = tool_input.get("subject")
    status = tool_input.get("status")
    return TaskEvent(
        "update",
        task_id(tool_input.get("taskId")),
        subject.strip() if isinstance(subject, str) else "",
        status if isinstance(status, str) else "",
    )


@dataclass(frozen=True)
class TranscriptFindings:
    tasks: tuple[TaskEvent, ...] = ()
    todos: tuple[str, ...] = ()
    """Completed TodoWrite items, in the order they first showed as completed."""
    problem: str | None = None


def _lines(path: Path) -> tuple[list[bytes], str | None]:
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        start = max(0, size - TRANSCRIPT_LIMIT)
        handle.seek(start)
        data = handle.read(TRANSCRIPT_LIMIT)
    lines = data.split(b"\n")
    note = None
    if start:
        lines = lines[1:]  # the first line read is cut
        note = f"the transcript is {size} bytes: only its last {TRANSCRIPT_LIMIT} were read"
    return lines, note


def parse_transcript_lines(lines: Iterable[bytes]) -> TranscriptFindings:
    """The task changes and completed todos in a Claude Code transcript's JSON lines, in order.

    Shapes (Claude Code's session files): an assistant line holds ``tool_use`` blocks
    (``name`` TaskCreate/TaskUpdate/TodoWrite, ``input``); the user line after it holds the
    ``tool_result`` (``tool_use_id``) and, for TaskCreate, ``toolUseResult.task.id``.
    """
    creates: dict[str, str] = {}  # tool_use id -> subject, until its result names the task id
    events: list[TaskEvent] = []
    todos: list[str] = []
    for raw in lines:
        if not any(mark in raw for mark in _INTERESTING):
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a torn or foreign line: the rest still counts
        if not isinstance(line, Mapping):
            continue
        message = line.get("message")
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, Mapping):
                continue
            if block.get("type") == "tool_use" and isinstance(block.get("input"), Mapping):
                name, given = block.get("name"), block["input"]
                if name == "TaskCreate" and isinstance(given.get("subject"), str):
                    creates[str(block.get("id", ""))] = given["subject"].strip()
                elif name == "TaskUpdate":
                    events.append(update_event(given))
                elif name == "TodoWrite":
                    todos.extend(t for t in completed_todos(given.get("todos")) if t not in todos)
            elif block.get("type") == "tool_result" and str(block.get("tool_use_id", "")) in creates:
                subject = creates.pop(str(block["tool_use_id"]))
                found = created_id(line.get("toolUseResult")) or created_id(block.get("content"))
                if found:
                    events.append(TaskEvent("create", found, subject))
    return TranscriptFindings(tuple(events), tuple(todos))


def read_transcript(path: str | None) -> TranscriptFindings:
    """What the transcript at ``path`` shows; a missing, unreadable or odd file gives nothing."""
    if not path:
        return TranscriptFindings()
    try:
        lines, note = _lines(Path(path))
    except FileNotFoundError:
        return TranscriptFindings()  # not written yet, or a session kept in memory: nothing to add
    except OSError as exc:
        return TranscriptFindings(problem=f"the transcript {path} could not be read ({exc.strerror or exc})")
    found = parse_transcript_lines(lines)
    return replace(found, problem=note) if note else found


_VERSION = re.compile(rb'"version"\s*:\s*"([0-9][^"]{0,40})"')


def transcript_version(path: str | None) -> str | None:
    """Claude Code's version as its transcript records it on each line (the first one found)."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(VERSION_PROBE)
    except OSError:
        return None
    match = _VERSION.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None
