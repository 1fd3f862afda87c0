"""The agents' hook payloads (real-shaped samples in payloads/) turned into progress, once each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepcommit.agents import AGENTS, claude, codex, cursor, gemini
from stepcommit.agents.capture import capture, new_entries, read_hook_errors, remember
from stepcommit.agents.model import Observed, summary_line
from stepcommit.commands.hook_agent import hook_agent
from stepcommit.progress import read

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_claude_todowrite_lists_completed_items_in_order() -> None:
    assert claude.parse(load("claude_todowrite_1.json")).completed == ()
    third = claude.parse(load("claude_todowrite_3.json"))
    assert third.completed == (
        "Create docker-compose.yml for SurrealDB",
        "Add surrealdb dependency and .env settings",
        "Implement SurrealDB client in src/db/session.py",
    )
    assert third.session == "9f2c1a7e-3b4d-4e8f-a1b2-c3d4e5f60718"
    assert third.cwd == "/home/dev/calc"


def test_claude_stop_gives_the_first_line_without_markdown() -> None:
    observed = claude.parse(load("claude_stop.json"))
    assert observed.summary == (
        "SurrealDB client wired in: src/db/session.py connects on startup and the tests pass."
    )
    again = claude.parse({**load("claude_stop.json"), "stop_hook_active": True})
    assert again.summary is None


def test_claude_other_tools_are_ignored() -> None:
    observed = claude.parse({**load("claude_todowrite_3.json"), "tool_name": "Edit"})
    assert observed.completed == () and observed.summary is None


def test_codex_notify_and_codex_stop_hook() -> None:
    notify = codex.parse(load("codex_notify.json"))
    assert notify.summary == (
        "Added the SurrealDB client in src/db/session.py and a docker-compose.yml; all 22 tests pass."
    )
    assert notify.session == "0199a213-81c0-7800-8aa1-bbab2a035a53"
    assert (
        codex.parse(load("codex_stop_hook.json")).summary == "Wired the database health check into /healthz."
    )
    plan = codex.parse(
        {"hook_event_name": "PostToolUse", "tool_name": "update_plan",
         "tool_input": {"plan": [{"step": "Write the model", "status": "completed"},
                                 {"step": "Wire it", "status": "in_progress"}]}}
    )  # fmt: skip
    assert plan.completed == ("Write the model",)


def test_gemini_write_todos_and_after_agent() -> None:
    tool = gemini.parse(load("gemini_aftertool_write_todos.json"))
    assert tool.completed == ("Create the subtraction function in calc/__init__.py",)
    agent = gemini.parse(load("gemini_afteragent.json"))
    assert agent.summary == "I added subtract(a, b) with tests; the suite passes."


def test_cursor_response_edit_and_stop() -> None:
    assert cursor.parse(load("cursor_after_agent_response.json")).summary == (
        "Implemented multiplication in calc/__init__.py and added tests/test_mul.py."
    )
    edit = cursor.parse(load("cursor_after_file_edit.json"))
    assert edit.edited == ("/home/dev/calc/calc/__init__.py",) and edit.cwd == "/home/dev/calc"
    stop = cursor.parse(load("cursor_stop.json"))
    assert stop.summary is None and stop.completed == () and stop.edited == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("```python\nx = 1\n```", "x = 1"),
        ("- **Done**: all green", "Done: all green"),
        ("x" * 300, "x" * 199 + "…"),
        ("# Only a heading", "Only a heading"),
    ],
)
def test_summary_line(text: str | None, expected: str | None) -> None:
    assert summary_line(text) == expected


def test_resent_todo_lists_give_each_completed_item_once() -> None:
    seen: dict[str, list[str]] = {}
    logged: list[str] = []
    for name in ("claude_todowrite_1.json", "claude_todowrite_2.json", "claude_todowrite_2.json",
                 "claude_todowrite_3.json", "claude_todowrite_3.json"):  # fmt: skip
        observed = claude.parse(load(name))
        fresh = new_entries(observed, seen)
        seen = remember(seen, observed, fresh)
        logged.extend(fresh)
    assert logged == [
        "Create docker-compose.yml for SurrealDB",
        "Add surrealdb dependency and .env settings",
        "Implement SurrealDB client in src/db/session.py",
    ]


def test_another_session_may_log_the_same_text_again() -> None:
    first = Observed("claude", "PostToolUse", session="a", completed=("Run the tests",))
    seen = remember({}, first, new_entries(first, {}))
    second = Observed("claude", "PostToolUse", session="b", completed=("Run the tests",))
    assert new_entries(second, seen) == ["Run the tests"]
    assert new_entries(first, seen) == []


def test_seen_set_keeps_only_recent_sessions() -> None:
    seen: dict[str, list[str]] = {}
    for n in range(30):
        seen = remember(seen, Observed("claude", "Stop", session=str(n)), ["x"])
    assert len(seen) == 20 and "claude:29" in seen and "claude:0" not in seen


def test_edits_are_shown_relative_to_the_root(tmp_path: Path) -> None:
    observed = Observed(
        "cursor", "afterFileEdit", session="s", edited=(str(tmp_path / "pkg" / "a.py"), "/elsewhere/b.py")
    )
    assert new_entries(observed, {}, tmp_path) == ["Edited pkg/a.py", "Edited /elsewhere/b.py"]


def test_capture_appends_with_the_agent_as_source(project: Path) -> None:
    git_dir = project / ".git"
    for name in ("claude_todowrite_2.json", "claude_todowrite_3.json", "claude_todowrite_3.json"):
        capture(git_dir, project, claude.parse(load(name)))
    entries = read(git_dir)
    assert [e.text for e in entries] == [
        "Create docker-compose.yml for SurrealDB",
        "Add surrealdb dependency and .env settings",
        "Implement SurrealDB client in src/db/session.py",
    ]
    assert {e.source for e in entries} == {"claude"}


def test_hook_agent_uses_the_payload_cwd_and_replies_json(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = {**load("gemini_aftertool_write_todos.json"), "cwd": str(project)}
    assert hook_agent(cwd=tmp_path, agent="gemini", payload_text=json.dumps(payload)) == 0
    assert capsys.readouterr().out.strip() == "{}"
    assert [e.text for e in read(project / ".git")] == ["Create the subtraction function in calc/__init__.py"]


def test_hook_agent_never_fails_and_records_its_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hook_agent(cwd=project, agent="claude", payload_text="{not json") == 0
    assert hook_agent(cwd=project, agent="vim", payload_text="{}") == 0
    assert hook_agent(cwd=project, agent="claude", payload_text="[1, 2]") == 0
    errors = read_hook_errors(project / ".git")
    assert [e["agent"] for e in errors] == ["claude", "vim", "claude"]
    assert "JSONDecodeError" in errors[0]["error"] and "Unknown agent" in errors[1]["error"]
    assert "stepcommit hook agent:" in capsys.readouterr().err
    assert read(project / ".git") == []


def test_hook_agent_outside_a_repository_is_silent_success(tmp_path: Path) -> None:
    assert hook_agent(cwd=tmp_path, agent="codex", payload_text=json.dumps(load("codex_notify.json"))) == 0


def test_every_agent_is_registered() -> None:
    assert set(AGENTS) == {"claude", "codex", "gemini", "cursor"}


def test_status_shows_hook_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stepcommit.commands.status import status

    hook_agent(cwd=project, agent="claude", payload_text="{oops")
    capsys.readouterr()
    assert status(cwd=project) == 0
    assert "Hook error (claude" in capsys.readouterr().out


@pytest.mark.parametrize("agent", ["codex", "gemini", "cursor"])
def test_a_payload_without_an_event_is_an_unknown_shape(project: Path, agent: str) -> None:
    payload = {"cwd": str(project), "workspace_roots": [str(project)], "cursor_version": "2.0.77"}
    assert hook_agent(cwd=project, agent=agent, payload_text=json.dumps(payload)) == 0
    (error,) = read_hook_errors(project / ".git")
    assert error["error"].startswith(f"Unknown {agent} hook payload shape")
    assert error.get("agent_version") == ("2.0.77" if agent == "cursor" else None)


def test_one_list_of_agents_drives_the_parsers_the_hook_files_and_the_replies() -> None:
    from stepcommit.agents import AGENT_NAMES, SPECS
    from stepcommit.agents.config_files import AGENT_FILES
    from stepcommit.commands.hook_agent import JSON_REPLY

    assert AGENT_NAMES == ("claude", "codex", "gemini", "cursor") == tuple(AGENTS)
    assert set(AGENT_FILES) == set(AGENT_NAMES)
    assert JSON_REPLY == {"gemini", "cursor"} == {n for n in AGENT_NAMES if SPECS[n].json_reply}
