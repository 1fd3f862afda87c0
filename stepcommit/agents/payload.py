"""One reader for every agent's hook payload, driven by a table per agent (``AgentSpec``).

Each agent module (claude, codex, cursor, gemini) documents its payload shapes and gives its
table: where the event, session, working directory and version are; which events carry a todo
list, a turn's summary or an edited file; and, for what no table says (Claude Code's Task tools,
Codex's notify program), a handler of its own. Pure: plain data in, ``Observed`` out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from stepcommit.agents.model import Observed, summary_line, text_field, todo_list

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class Summary:
    """The event's field (first non-empty of ``keys``) holding the assistant's last message."""

    keys: tuple[str, ...]
    once: bool = True
    """Skip a repeat: a Stop re-fired by a blocking Stop hook (``stop_hook_active``) is the same turn."""


def _cwd_field(payload: Payload) -> str | None:
    return text_field(payload, "cwd") or None


@dataclass(frozen=True)
class AgentSpec:
    name: str
    session_keys: tuple[str, ...] = ("session_id",)
    event_keys: tuple[str, ...] = ("hook_event_name",)
    version_keys: tuple[str, ...] = ()
    cwd: Callable[[Payload], str | None] = _cwd_field
    no_event: str = "no hook_event_name in the payload"
    """The problem recorded when the payload names no event."""
    events: tuple[str, ...] | None = None
    """The events stepcommit reads, when the agent's hooks may send others (a problem then)."""
    todos: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    """Event -> the todo-writing tools whose ``tool_input`` lists completed items (None: any tool)."""
    summaries: Mapping[str, Summary] = field(default_factory=dict)
    edits: Mapping[str, str] = field(default_factory=dict)
    """Event -> the field naming the file the agent edited."""
    transcript_events: tuple[str, ...] = ()
    """Events whose ``transcript_path`` is read for what the hooks missed."""
    before: Callable[[Payload], Observed | None] | None = None
    """A payload that is not a hook event at all (Codex's notify), read before the table."""
    handlers: Mapping[str, Callable[[Observed, Payload, str], Observed]] = field(default_factory=dict)
    """Event -> a reader of the agent's own, for what the table cannot say."""
    json_reply: bool = False
    """The agent parses the hook's stdout as JSON: an empty object means "carry on"."""


def _read(spec: AgentSpec, base: Observed, payload: Payload, event: str) -> Observed:
    handler = spec.handlers.get(event)
    if handler is not None:
        return handler(base, payload, event)
    if event in spec.todos:
        tools = spec.todos[event]
        if tools is None or payload.get("tool_name") in tools:
            return replace(base, completed=todo_list(payload.get("tool_input")))
    summary = spec.summaries.get(event)
    if summary is not None and not (summary.once and payload.get("stop_hook_active")):
        return replace(base, summary=summary_line(text_field(payload, *summary.keys)))
    if event in spec.edits:
        path = text_field(payload, spec.edits[event])
        return replace(base, edited=(path,) if path else ())
    return base


def parse(spec: AgentSpec, payload: Payload) -> Observed:
    """What one hook call of ``spec``'s agent carries."""
    if spec.before is not None:
        early = spec.before(payload)
        if early is not None:
            return early
    event = text_field(payload, *spec.event_keys)
    base = Observed(
        agent=spec.name,
        event=event,
        session=text_field(payload, *spec.session_keys),
        cwd=spec.cwd(payload),
        version=text_field(payload, *spec.version_keys) or None,
    )
    if not event:
        return replace(base, problem=spec.no_event)
    if spec.events is not None and event not in spec.events:
        return replace(base, problem=f"event {event!r} is not one stepcommit reads")
    observed = _read(spec, base, payload, event)
    if event in spec.transcript_events:
        observed = replace(observed, transcript=text_field(payload, "transcript_path") or None)
    return observed
