"""Gemini CLI hooks (geminicli.com/docs/hooks/reference): AfterTool of write_todos, AfterAgent.

Every event carries session_id, transcript_path, cwd, hook_event_name and timestamp; AfterTool adds
tool_name, tool_input, tool_response; AfterAgent adds prompt, prompt_response, stop_hook_active.
"""

from __future__ import annotations

from stepcommit.agents.model import Observed
from stepcommit.agents.payload import AgentSpec, Payload, Summary
from stepcommit.agents.payload import parse as read

TODO_TOOLS = ("write_todos",)

SPEC = AgentSpec(
    name="gemini",
    todos={"AfterTool": TODO_TOOLS},
    summaries={"AfterAgent": Summary(("prompt_response",))},
    json_reply=True,
)


def parse(payload: Payload) -> Observed:
    return read(SPEC, payload)
