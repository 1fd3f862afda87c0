"""Codex: the `notify` program (JSON as the last argument) and Codex's own hooks (JSON on stdin).

notify (developers.openai.com/codex/config-advanced#notifications) sends
``{"type": "agent-turn-complete", "thread-id", "turn-id", "cwd", "input-messages",
"last-assistant-message"}``; the hooks (developers.openai.com/codex/hooks) send Claude-like
snake_case payloads: Stop with last_assistant_message, PostToolUse with tool_name and tool_input.
Codex's plan tool (update_plan) emits no PostToolUse (only shell, apply_patch and MCP tools do), so
its items are read only if a later release sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stepcommit.agents.model import Observed, summary_line, text_field, todo_list

TODO_TOOLS = ("update_plan",)


def parse(payload: Mapping[str, Any]) -> Observed:
    if payload.get("type") == "agent-turn-complete":
        return Observed(
            agent="codex",
            event="agent-turn-complete",
            session=text_field(payload, "thread-id", "thread_id"),
            cwd=text_field(payload, "cwd") or None,
            summary=summary_line(text_field(payload, "last-assistant-message", "last_assistant_message")),
        )
    event = text_field(payload, "hook_event_name", "type")
    base = Observed(
        agent="codex",
        event=event,
        session=text_field(payload, "session_id"),
        cwd=text_field(payload, "cwd") or None,
    )
    if not event:
        return replace(base, problem="neither a notify type nor a hook_event_name")
    if event == "PostToolUse" and payload.get("tool_name") in TODO_TOOLS:
        return replace(base, completed=todo_list(payload.get("tool_input")))
    if event == "Stop" and not payload.get("stop_hook_active"):
        return replace(base, summary=summary_line(text_field(payload, "last_assistant_message")))
    return base
