"""Each agent's own hook configuration, merged into what the file already holds: pure functions.

Every function returns the new content and leaves anything it does not own untouched; run twice,
the second run returns its input unchanged, which is how `install` stays idempotent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from stepcommit.errors import StepcommitError
from stepcommit.setup.hookspec import resolver_argv, resolver_command

HOOK_TIMEOUT_SECONDS = 10
# An agent runs its hooks from its own process, seldom with the project's environment active: the
# command finds stepcommit as the git hooks do (stepcommit/setup/hookspec.py). Exit 1 when it cannot:
# the agents show a non-zero, non-2 exit as a hook error without blocking the turn.
_ARGS = ("hook", "agent", "--agent")


def hook_command(agent: str) -> str:
    return resolver_command("stepcommit", *_ARGS, agent)


def hook_argv(agent: str) -> list[str]:
    return resolver_argv("stepcommit", *_ARGS, agent)


def _legacy_command(agent: str) -> str:
    """What install wrote before the resolver; such an entry is upgraded in place, not duplicated."""
    return f"stepcommit hook agent --agent {agent}"


class AgentConfigError(StepcommitError):
    """An agent's configuration file exists but cannot be merged safely."""


def _hooks_table(data: dict[str, Any], path: str) -> dict[str, Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise AgentConfigError(
            f'"hooks" in {path} is not an object, so stepcommit cannot add its hooks to it.',
            hint="Fix the file by hand (see the agent's hooks documentation), then run install again.",
        )
    return hooks


def _has_command(groups: list[Any], command: str, legacy: str) -> bool:
    """Whether a matcher group list (Claude Code / Gemini CLI shape) already runs ``command``.

    A handler still running the ``legacy`` bare command is given ``command`` and counts.
    """
    found = False
    for group in groups:
        if isinstance(group, dict):
            for handler in group.get("hooks", []) or []:
                if isinstance(handler, dict) and handler.get("command") == legacy:
                    handler["command"] = command
                if isinstance(handler, dict) and handler.get("command") == command:
                    found = True
    return found


def _add_grouped(
    hooks: dict[str, Any], event: str, matcher: str | None, handler: dict[str, Any], path: str, legacy: str
) -> None:
    groups = hooks.setdefault(event, [])
    if not isinstance(groups, list):
        raise AgentConfigError(
            f'"hooks.{event}" in {path} is not a list.', hint="Fix it by hand, then run install again."
        )
    if _has_command(groups, handler["command"], legacy):
        return
    group: dict[str, Any] = {"matcher": matcher} if matcher is not None else {}
    group["hooks"] = [handler]
    groups.append(group)


CLAUDE_TOOL_MATCHER = "TaskCreate|TaskUpdate|TodoWrite"
"""The Task tools (Claude Code v2.1.142 and later) and TodoWrite (older releases, or tasks turned off)."""
_CLAUDE_OLD_MATCHERS = ("TodoWrite",)


def _upgrade_matcher(groups: Any, command: str, old: tuple[str, ...], wanted: str) -> None:
    """A group an older install wrote (stepcommit's handler alone, an old matcher) gets ``wanted``."""
    for group in groups if isinstance(groups, list) else []:
        handlers = group.get("hooks") if isinstance(group, dict) else None
        if (
            isinstance(handlers, list)
            and group.get("matcher") in old
            and all(isinstance(h, dict) and h.get("command") == command for h in handlers)
        ):
            group["matcher"] = wanted


def claude_settings(data: dict[str, Any]) -> dict[str, Any]:
    """`.claude/settings.json`: PostToolUse of the Task tools and TodoWrite, TaskCompleted, Stop.

    Timeouts are in seconds. TaskCompleted and Stop take no matcher.
    """
    new = copy.deepcopy(data)
    hooks = _hooks_table(new, ".claude/settings.json")
    command = hook_command("claude")
    handler = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECONDS}
    legacy = _legacy_command("claude")
    _add_grouped(hooks, "PostToolUse", CLAUDE_TOOL_MATCHER, dict(handler), ".claude/settings.json", legacy)
    _upgrade_matcher(hooks.get("PostToolUse"), command, _CLAUDE_OLD_MATCHERS, CLAUDE_TOOL_MATCHER)
    _add_grouped(hooks, "TaskCompleted", None, dict(handler), ".claude/settings.json", legacy)
    _add_grouped(hooks, "Stop", None, dict(handler), ".claude/settings.json", legacy)
    return new


def gemini_settings(data: dict[str, Any]) -> dict[str, Any]:
    """`.gemini/settings.json`: AfterTool of write_todos and AfterAgent (timeout in milliseconds)."""
    new = copy.deepcopy(data)
    hooks = _hooks_table(new, ".gemini/settings.json")
    handler = {
        "name": "stepcommit",
        "type": "command",
        "command": hook_command("gemini"),
        "timeout": HOOK_TIMEOUT_SECONDS * 1000,
        "description": "Record progress in the stepcommit step log",
    }
    legacy = _legacy_command("gemini")
    _add_grouped(hooks, "AfterTool", "write_todos", dict(handler), ".gemini/settings.json", legacy)
    _add_grouped(hooks, "AfterAgent", None, dict(handler), ".gemini/settings.json", legacy)
    _gemini_reads_agents_md(new)
    return new


def _gemini_reads_agents_md(data: dict[str, Any]) -> None:
    """Gemini CLI reads GEMINI.md unless ``context.fileName`` names others: AGENTS.md, where
    `install` writes the loop, is added to it (GEMINI.md kept when it was the default)."""
    context = data.setdefault("context", {})
    if not isinstance(context, dict):
        return  # not an object: the user's own shape, left alone
    names = context.get("fileName", "GEMINI.md")
    listed = [names] if isinstance(names, str) else names
    if isinstance(listed, list) and "AGENTS.md" not in listed:
        context["fileName"] = ["AGENTS.md", *listed]


def cursor_hooks(data: dict[str, Any]) -> dict[str, Any]:
    """`.cursor/hooks.json` (version 1): afterAgentResponse and afterFileEdit."""
    new = copy.deepcopy(data)
    new.setdefault("version", 1)
    hooks = _hooks_table(new, ".cursor/hooks.json")
    command = hook_command("cursor")
    for event in ("afterAgentResponse", "afterFileEdit"):
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise AgentConfigError(
                f'"hooks.{event}" in .cursor/hooks.json is not a list.',
                hint="Fix it by hand, then run install again.",
            )
        for entry in entries:
            if isinstance(entry, dict) and entry.get("command") == _legacy_command("cursor"):
                entry["command"] = command
        if not any(isinstance(e, dict) and e.get("command") == command for e in entries):
            entries.append({"command": command, "timeout": HOOK_TIMEOUT_SECONDS})
    return new


def codex_config(text: str) -> str:
    """`.codex/config.toml`: ``notify`` runs stepcommit at each turn's end; comments and order kept.

    Codex runs a single notify program, so one that is already set to something else is not
    replaced: the user decides which one stays.
    """
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:
        raise AgentConfigError(
            f".codex/config.toml is not valid TOML: {exc}.", hint="Fix it, then run install again."
        ) from None
    wanted = hook_argv("codex")
    current = doc.get("notify")
    if current is not None and list(current) == _legacy_command("codex").split():
        current = None  # written by an older install: replaced by the resolving one
        del doc["notify"]
    if current is not None:
        if list(current) == wanted:
            return text
        raise AgentConfigError(
            f".codex/config.toml already sets notify = {list(current)!r}; Codex runs only one notify program.",
            hint=f"Make that program also run `{' '.join(wanted)} <payload>`, or replace it by hand.",
        )
    notify = tomlkit.array()
    notify.extend(wanted)
    # tomlkit puts a plain value above the first [table]; anywhere else TOML would file it there.
    doc.add("notify", notify)
    return tomlkit.dumps(doc)


@dataclass(frozen=True)
class AgentFile:
    path: str
    """Relative to the repository root."""
    kind: str
    """"json" or "toml"."""
    merge: Callable[[Any], Any]


AGENT_FILES: dict[str, AgentFile] = {
    "claude": AgentFile(".claude/settings.json", "json", claude_settings),
    "gemini": AgentFile(".gemini/settings.json", "json", gemini_settings),
    "cursor": AgentFile(".cursor/hooks.json", "json", cursor_hooks),
    "codex": AgentFile(".codex/config.toml", "toml", codex_config),
}


def merged_text(agent: str, existing: str | None) -> str:
    """The file's new text for ``agent``; equal to ``existing`` when nothing needs to change."""
    spec = AGENT_FILES[agent]
    if spec.kind == "toml":
        result: str = spec.merge(existing or "")
        return result
    data: Any = {}
    if existing is not None and existing.strip():
        try:
            data = json.loads(existing)
        except ValueError as exc:
            raise AgentConfigError(
                f"{spec.path} is not valid JSON ({exc}); stepcommit will not overwrite it.",
                hint="Fix the file (comments are not allowed in it), then run install again.",
            ) from None
        if not isinstance(data, dict):
            raise AgentConfigError(
                f"{spec.path} does not hold a JSON object.", hint="Fix it, then run install again."
            )
    new = spec.merge(data)
    if existing is not None and new == data:
        return existing
    return json.dumps(new, indent=2, ensure_ascii=False) + "\n"


def installed_agents(root: Path) -> set[str]:
    """The agents whose hook file in ``root`` runs `stepcommit hook agent` for them."""
    found: set[str] = set()
    for agent, spec in AGENT_FILES.items():
        try:
            text = (root / spec.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if f"hook agent --agent {agent}" in text or f'"hook", "agent", "--agent", "{agent}"' in text:
            found.add(agent)
    return found
