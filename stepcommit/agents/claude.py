"""Claude Code hooks: the Task tools (TaskCreate, TaskUpdate, TaskCompleted), TodoWrite, and Stop.

Payload shapes (code.claude.com/docs/en/hooks): every event has session_id, transcript_path, cwd and
hook_event_name. PostToolUse adds tool_name, tool_input, tool_response: TaskCreate's input is
``{subject, description, activeForm}`` and its response ``{"task": {"id", "subject"}}``; TaskUpdate's
input is ``{taskId, status?, subject?, ...}`` (status pending/in_progress/completed/deleted).
TaskCreated and TaskCompleted add task_id, task_subject, task_description (and teammate_name,
team_name in agent teams). Stop adds stop_hook_active and, in current releases,
last_assistant_message. Since Claude Code v2.1.142 sessions use the Task tools; TodoWrite only
appears with ``CLAUDE_CODE_ENABLE_TASKS=0`` or in older releases, and is still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from stepcommit.agents.model import Observed, TaskEvent, text_field, todo_list
from stepcommit.agents.payload import AgentSpec, Payload, Summary
from stepcommit.agents.payload import parse as read
from stepcommit.agents.tasks import created_id, task_id, update_event

TODO_TOOLS = ("TodoWrite",)
TASK_TOOLS = ("TaskCreate", "TaskUpdate")
EVENTS = ("PostToolUse", "Stop", "TaskCompleted", "TaskCreated")


def _tool(base: Observed, payload: Payload, event: str) -> Observed:
    tool = payload.get("tool_name")
    given = payload.get("tool_input")
    if tool not in (*TODO_TOOLS, *TASK_TOOLS):
        return base  # a matcher wider than stepcommit's: not ours to read
    if not isinstance(given, Mapping):
        return replace(base, problem=f"{tool} without a tool_input object")
    if tool in TODO_TOOLS:
        return replace(base, completed=todo_list(given))
    if tool == "TaskCreate":
        subject = given.get("subject")
        if not isinstance(subject, str) or not subject.strip():
            return replace(base, problem="TaskCreate without a subject in tool_input")
        found = created_id(payload.get("tool_response"))
        if not found:
            return replace(base, problem="TaskCreate's tool_response carries no task.id")
        return replace(base, tasks=(TaskEvent("create", found, subject.strip()),))
    task = update_event(given)
    if not task.task_id:
        return replace(base, problem="TaskUpdate without a taskId in tool_input")
    return replace(base, tasks=(task,))


def _task_hook(base: Observed, payload: Payload, event: str) -> Observed:
    key = task_id(payload.get("task_id"))
    subject = text_field(payload, "task_subject").strip()
    if not key:
        return replace(base, problem=f"{event} without a task_id")
    if event == "TaskCreated":
        return replace(base, tasks=(TaskEvent("create", key, subject),))
    return replace(base, tasks=(TaskEvent("update", key, subject, "completed"),))


SPEC = AgentSpec(
    name="claude",
    version_keys=("version", "claude_code_version"),
    events=EVENTS,
    summaries={"Stop": Summary(("last_assistant_message",))},
    transcript_events=("Stop",),
    handlers={"PostToolUse": _tool, "TaskCompleted": _task_hook, "TaskCreated": _task_hook},
)


def parse(payload: Payload) -> Observed:
    return read(SPEC, payload)
