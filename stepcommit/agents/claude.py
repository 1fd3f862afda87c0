"""Claude Code hooks: PostToolUse of TodoWrite (completed todos) and Stop (the turn's last message).

Payload shapes (code.claude.com/docs/en/hooks): every event has session_id, transcript_path, cwd and
hook_event_name; PostToolUse adds tool_name, tool_input, tool_response; Stop adds stop_hook_active
and, in current releases, last_assistant_message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stepcommit.agents.model import Observed, summary_line, text_field, todo_list

TODO_TOOLS = ("TodoWrite",)


def parse(payload: Mapping[str, Any]) -> Observed:
    event = text_field(payload, "hook_event_name")
    base = Observed(
        agent="claude",
        event=event,
        session=text_field(payload, "session_id"),
        cwd=text_field(payload, "cwd") or None,
    )
    if event == "PostToolUse" and payload.get("tool_name") in TODO_TOOLS:
        return replace(base, completed=todo_list(payload.get("tool_input")))
    if event == "Stop" and not payload.get("stop_hook_active"):
        # A Stop re-fired by a blocking Stop hook repeats the same turn: record it once.
        return replace(base, summary=summary_line(text_field(payload, "last_assistant_message")))
    return base
