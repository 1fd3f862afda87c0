"""Gemini CLI hooks (geminicli.com/docs/hooks/reference): AfterTool of write_todos, AfterAgent.

Every event carries session_id, transcript_path, cwd, hook_event_name and timestamp; AfterTool adds
tool_name, tool_input, tool_response; AfterAgent adds prompt, prompt_response, stop_hook_active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stepcommit.agents.model import Observed, summary_line, text_field, todo_list

TODO_TOOLS = ("write_todos",)


def parse(payload: Mapping[str, Any]) -> Observed:
    event = text_field(payload, "hook_event_name")
    base = Observed(
        agent="gemini",
        event=event,
        session=text_field(payload, "session_id"),
        cwd=text_field(payload, "cwd") or None,
    )
    if not event:
        return replace(base, problem="no hook_event_name in the payload")
    if event == "AfterTool" and payload.get("tool_name") in TODO_TOOLS:
        return replace(base, completed=todo_list(payload.get("tool_input")))
    if event == "AfterAgent" and not payload.get("stop_hook_active"):
        return replace(base, summary=summary_line(text_field(payload, "prompt_response")))
    return base
