"""Cursor hooks (cursor.com/docs/agent/hooks): afterAgentResponse, afterFileEdit, postToolUse.

Every event carries conversation_id, generation_id, hook_event_name and workspace_roots;
afterAgentResponse adds the assistant's ``text``; afterFileEdit adds file_path and edits;
postToolUse adds tool_name and tool_input. ``stop`` only says how the loop ended: nothing to log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stepcommit.agents.model import Observed, summary_line, text_field, todo_list


def _cwd(payload: Mapping[str, Any]) -> str | None:
    roots = payload.get("workspace_roots")
    if isinstance(roots, list) and roots and isinstance(roots[0], str):
        return roots[0]
    return text_field(payload, "cwd") or None


def parse(payload: Mapping[str, Any]) -> Observed:
    event = text_field(payload, "hook_event_name")
    base = Observed(
        agent="cursor",
        event=event,
        session=text_field(payload, "conversation_id", "session_id"),
        cwd=_cwd(payload),
        version=text_field(payload, "cursor_version") or None,
    )
    if not event:
        return replace(base, problem="no hook_event_name in the payload")
    if event == "afterAgentResponse":
        return replace(base, summary=summary_line(text_field(payload, "text")))
    if event == "afterFileEdit":
        path = text_field(payload, "file_path")
        return replace(base, edited=(path,) if path else ())
    if event == "postToolUse":
        return replace(base, completed=todo_list(payload.get("tool_input")))
    return base
