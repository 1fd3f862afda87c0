"""What stepcommit takes from one agent hook call, whatever the agent: plain data, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Agents write Markdown; the commit message wants the words, not the list or heading markers.
_MARKDOWN_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|>\s*|\d{1,3}[.)]\s+)*")
_EMPHASIS = re.compile(r"(\*\*|`)")
SUMMARY_LIMIT = 200


@dataclass(frozen=True)
class TaskEvent:
    """One change to a task of Claude Code's Task tools, in the order the session made it.

    ``kind`` is "create" (``subject`` set; ``task_id`` when the tool's result carried it) or
    "update" (``task_id`` set; ``status`` and ``subject`` only when the update changed them).
    """

    kind: str
    task_id: str = ""
    subject: str = ""
    status: str = ""


@dataclass(frozen=True)
class Observed:
    """The progress one hook call carries.

    ``completed`` holds every todo item the payload shows as completed, in list order (the agent
    resends its whole list each time; deciding which are new is the caller's job, with its
    seen-set). ``summary`` is the one line that sums up a finished turn, when the event has one.
    """

    agent: str
    event: str
    session: str = ""
    cwd: str | None = None
    completed: tuple[str, ...] = ()
    summary: str | None = None
    edited: tuple[str, ...] = ()
    tasks: tuple[TaskEvent, ...] = ()
    transcript: str | None = None
    """The session's transcript (JSON lines) to read for what the hooks missed, at a turn's end."""
    problem: str | None = None
    """What was wrong with the payload's shape, when it was not what the agent documents."""
    version: str | None = None
    """The agent's version, when the payload says it."""


def text_field(payload: Mapping[str, Any], *keys: str) -> str:
    """The first of ``keys`` holding a non-empty string ('' when none does)."""
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def summary_line(text: str | None, limit: int = SUMMARY_LIMIT) -> str | None:
    """The first line of an assistant message that says something, without Markdown decoration."""
    if not text:
        return None
    lines = [raw for raw in text.splitlines() if raw.strip() and not raw.strip().startswith("```")]
    # A heading ("## Summary") names the section; the line under it says what happened.
    prose = [raw for raw in lines if not raw.lstrip().startswith("#")] or lines
    for raw in prose:
        line = _EMPHASIS.sub("", _MARKDOWN_LEAD.sub("", raw)).strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return None


def completed_todos(items: Any) -> tuple[str, ...]:
    """The completed items of a todo list in any of the agents' shapes.

    Claude Code's TodoWrite: ``{"content", "status", "activeForm"}``; Gemini CLI's write_todos:
    ``{"description", "status"}``; Codex's update_plan: ``{"step", "status"}``.
    """
    if not isinstance(items, Sequence) or isinstance(items, str):
        return ()
    done: list[str] = []
    for item in items:
        if not isinstance(item, Mapping) or item.get("status") != "completed":
            continue
        text = text_field(item, "content", "description", "step", "title")
        if text.strip():
            done.append(text.strip())
    return tuple(done)


def todo_list(tool_input: Any) -> tuple[str, ...]:
    """The completed items of a todo-writing tool's input (``todos`` or Codex's ``plan``)."""
    if not isinstance(tool_input, Mapping):
        return ()
    return completed_todos(tool_input.get("todos", tool_input.get("plan")))
