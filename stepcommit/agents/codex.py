"""Codex: the `notify` program (JSON as the last argument) and Codex's own hooks (JSON on stdin).

notify (developers.openai.com/codex/config-advanced#notifications) sends
``{"type": "agent-turn-complete", "thread-id", "turn-id", "cwd", "input-messages",
"last-assistant-message"}``; the hooks (developers.openai.com/codex/hooks) send Claude-like
snake_case payloads: Stop with last_assistant_message, PostToolUse with tool_name and tool_input.
Codex's plan tool (update_plan) emits no PostToolUse (only shell, apply_patch and MCP tools do), so
its items are read only if a later release sends them.
"""

from __future__ import annotations

from stepcommit.agents.model import Observed, summary_line, text_field
from stepcommit.agents.payload import AgentSpec, Payload, Summary
from stepcommit.agents.payload import parse as read

TODO_TOOLS = ("update_plan",)


def _notify(payload: Payload) -> Observed | None:
    if payload.get("type") != "agent-turn-complete":
        return None
    return Observed(
        agent="codex",
        event="agent-turn-complete",
        session=text_field(payload, "thread-id", "thread_id"),
        cwd=text_field(payload, "cwd") or None,
        summary=summary_line(text_field(payload, "last-assistant-message", "last_assistant_message")),
    )


SPEC = AgentSpec(
    name="codex",
    event_keys=("hook_event_name", "type"),
    no_event="neither a notify type nor a hook_event_name",
    todos={"PostToolUse": TODO_TOOLS},
    summaries={"Stop": Summary(("last_assistant_message",))},
    before=_notify,
)


def parse(payload: Payload) -> Observed:
    return read(SPEC, payload)
