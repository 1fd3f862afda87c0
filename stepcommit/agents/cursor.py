"""Cursor hooks (cursor.com/docs/agent/hooks): afterAgentResponse, afterFileEdit, postToolUse.

Every event carries conversation_id, generation_id, hook_event_name and workspace_roots;
afterAgentResponse adds the assistant's ``text``; afterFileEdit adds file_path and edits;
postToolUse adds tool_name and tool_input. ``stop`` only says how the loop ended: nothing to log.
"""

from __future__ import annotations

from stepcommit.agents.model import Observed, text_field
from stepcommit.agents.payload import AgentSpec, Payload, Summary
from stepcommit.agents.payload import parse as read


def _cwd(payload: Payload) -> str | None:
    roots = payload.get("workspace_roots")
    if isinstance(roots, list) and roots and isinstance(roots[0], str):
        return roots[0]
    return text_field(payload, "cwd") or None


SPEC = AgentSpec(
    name="cursor",
    session_keys=("conversation_id", "session_id"),
    version_keys=("cursor_version",),
    cwd=_cwd,
    todos={"postToolUse": None},
    summaries={"afterAgentResponse": Summary(("text",), once=False)},
    edits={"afterFileEdit": "file_path"},
    json_reply=True,
)


def parse(payload: Payload) -> Observed:
    return read(SPEC, payload)
