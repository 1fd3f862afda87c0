"""Claude Code's Task tools, TaskCompleted and the transcript read at Stop, through the real hook.

Where the payload shapes come from: the Claude Code hooks reference (code.claude.com/docs/en/hooks:
common fields, PostToolUse's tool_name/tool_input/tool_response, TaskCompleted's task_id,
task_subject, task_description) and the Agent SDK's "Migrate to Task tools" notes (TaskCreate input
subject/description/activeForm with the result's ``task.id``; TaskUpdate input taskId/status/subject).
The tool_response and transcript lines follow what Claude Code 2.1 records (``{"task": {"id",
"subject"}}`` for TaskCreate, ``{"success", "taskId", "updatedFields", "statusChange"}`` for
TaskUpdate, and the ``toolUseResult`` of a transcript's user line), as captured in public projects'
fixtures of real sessions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepcommit.agents import claude
from stepcommit.agents.capture import capture, read_hook_errors
from stepcommit.agents.model import TaskEvent
from stepcommit.agents.tasks import TaskBook, apply, parse_transcript_lines, read_transcript
from stepcommit.commands.hook_agent import hook_agent
from stepcommit.commands.install import install
from stepcommit.progress import read

PAYLOADS = Path(__file__).parent / "payloads"
CREATE_1, CREATE_2 = (
    "Create docker-compose.yml for SurrealDB",
    "Implement SurrealDB client in src/db/session.py",
)
DONE_WHEN = [
    "claude_taskcreate_1.json",
    "claude_taskcreate_2.json",
    "claude_taskupdate_1_in_progress.json",
    "claude_taskupdate_1_completed.json",
    "claude_taskupdate_1_completed.json",  # the same completion twice
    "claude_taskupdate_2_completed.json",
]


def load(name: str, **changes: Any) -> dict[str, Any]:
    data = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {**data, **changes}


def settings_command(root: Path, event: str) -> str:
    settings = json.loads((root / ".claude/settings.json").read_text(encoding="utf-8"))
    command = settings["hooks"][event][-1]["hooks"][0]["command"]
    assert isinstance(command, str)
    return command


def run_hook(root: Path, command: str, payload: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Run the hook the way Claude Code does: the settings' command through a shell, JSON on stdin."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        command, shell=True, cwd=root, input=json.dumps(payload), capture_output=True, text=True, env=env
    )


def test_done_when_task_tools_through_the_installed_hook(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(cwd=project, agents=["claude"]) == 0
    capsys.readouterr()
    command = settings_command(project, "PostToolUse")
    for name in DONE_WHEN:
        done = run_hook(project, command, load(name, cwd=str(project)))
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
    assert [e.text for e in read(project / ".git")] == [CREATE_1, CREATE_2]
    assert {e.source for e in read(project / ".git")} == {"claude"}
    assert read_hook_errors(project / ".git") == []
    # The TaskCompleted event for a task already logged adds nothing.
    run_hook(
        project,
        settings_command(project, "TaskCompleted"),
        load("claude_taskcompleted.json", cwd=str(project)),
    )
    assert len(read(project / ".git")) == 2


def test_done_when_todowrite_still_works_through_the_installed_hook(project: Path) -> None:
    install(cwd=project, agents=["claude"])
    command = settings_command(project, "PostToolUse")
    for name in ("claude_todowrite_1.json", "claude_todowrite_2.json", "claude_todowrite_3.json"):
        assert run_hook(project, command, load(name, cwd=str(project))).returncode == 0
    assert [e.text for e in read(project / ".git")] == [
        "Create docker-compose.yml for SurrealDB",
        "Add surrealdb dependency and .env settings",
        "Implement SurrealDB client in src/db/session.py",
    ]


def test_done_when_stop_adds_the_task_the_hooks_missed(project: Path, tmp_path: Path) -> None:
    install(cwd=project, agents=["claude"])
    transcript = tmp_path / "session.jsonl"
    transcript.write_bytes((PAYLOADS / "claude_transcript_tasks.jsonl").read_bytes())
    post = settings_command(project, "PostToolUse")
    for name in DONE_WHEN:  # tasks 1 and 2 seen by the hooks; task 3 only in the transcript
        run_hook(project, post, load(name, cwd=str(project), transcript_path=str(transcript)))
    stop = load("claude_stop.json", cwd=str(project), transcript_path=str(transcript),
                session_id=load("claude_taskcreate_1.json")["session_id"])  # fmt: skip
    for _ in range(2):  # Stop may fire twice for a turn
        assert run_hook(project, settings_command(project, "Stop"), stop).returncode == 0
    assert [e.text for e in read(project / ".git")] == [
        CREATE_1,
        CREATE_2,
        "Add the /healthz check",
        "SurrealDB client wired in: src/db/session.py connects on startup and the tests pass.",
    ]


def test_a_task_update_with_only_the_id_takes_the_subject_from_its_create(project: Path) -> None:
    git_dir = project / ".git"
    for name in ("claude_taskcreate_1.json", "claude_taskupdate_1_completed.json"):
        capture(git_dir, project, claude.parse(load(name)))
    assert [e.text for e in read(git_dir)] == [CREATE_1]


def test_renamed_and_deleted_tasks() -> None:
    events = [
        TaskEvent("create", "1", "Write the model"),
        TaskEvent("create", "2", "Try the old driver"),
        TaskEvent("update", "1", "Write the Session model", ""),  # renamed
        TaskEvent("update", "2", "", "deleted"),
        TaskEvent("update", "2", "", "completed"),  # a deleted task never becomes an entry
        TaskEvent("update", "1", "", "completed"),
        TaskEvent("update", "9", "", "completed"),  # never created here: no name, no entry
    ]
    book, logged = apply(TaskBook(), events)
    assert logged == ["Write the Session model"]
    assert book.done == ("1",) and book.deleted == ("2",)
    assert apply(book, events)[1] == []  # once
    again = TaskBook.from_json(json.loads(json.dumps(book.to_json())))
    assert again == book


def test_task_completed_event_alone_gives_its_subject(project: Path) -> None:
    observed = claude.parse(load("claude_taskcompleted.json"))
    assert observed.tasks == (TaskEvent("update", "2", CREATE_2, "completed"),)
    capture(project / ".git", project, observed)
    capture(project / ".git", project, claude.parse(load("claude_taskupdate_2_completed.json")))
    assert [e.text for e in read(project / ".git")] == [CREATE_2]


def test_transcript_parsing_follows_the_session_order() -> None:
    lines = (PAYLOADS / "claude_transcript_tasks.jsonl").read_bytes().splitlines()
    found = parse_transcript_lines([b"{torn", b'{"toolUseResult": 1}', *lines])
    assert [(e.kind, e.task_id, e.status) for e in found.tasks] == [
        ("create", "1", ""), ("create", "2", ""), ("create", "3", ""),
        ("update", "1", "completed"), ("update", "2", "completed"),
        ("update", "3", "in_progress"), ("update", "3", "completed"),
    ]  # fmt: skip
    assert apply(TaskBook(), found.tasks)[1] == [CREATE_1, CREATE_2, "Add the /healthz check"]


def test_transcript_todowrite_items_are_found() -> None:
    todos = load("claude_todowrite_3.json")["tool_input"]
    line = {
        "type": "assistant",
        "message": {"content": [{"type": "tool_use", "id": "t", "name": "TodoWrite", "input": todos}]},
    }
    assert parse_transcript_lines([json.dumps(line).encode()]).todos[-1] == CREATE_2


def test_a_missing_unreadable_or_huge_transcript_never_fails(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert read_transcript(str(tmp_path / "gone.jsonl")).problem is None
    assert read_transcript(str(tmp_path)).problem is not None  # a directory: recorded, not raised
    huge = tmp_path / "huge.jsonl"
    lines = (PAYLOADS / "claude_transcript_tasks.jsonl").read_bytes()
    huge.write_bytes(b"x" * 5000 + b"\n" + lines)
    monkeypatch.setattr("stepcommit.agents.tasks.TRANSCRIPT_LIMIT", len(lines) + 10)
    found = read_transcript(str(huge))
    assert "only its last" in (found.problem or "") and len(found.tasks) == 7
    stop = load("claude_stop.json", cwd=str(project), transcript_path=str(tmp_path))
    assert hook_agent(cwd=project, agent="claude", payload_text=json.dumps(stop)) == 0
    assert len(read(project / ".git")) == 1  # the summary still counts
    assert "could not be read" in read_hook_errors(project / ".git")[-1]["error"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"session_id": "s"}, "no hook_event_name"),
        (
            {
                "hook_event_name": "PostToolUse",
                "tool_name": "TaskCreate",
                "tool_input": {"subject": "x"},
                "tool_response": "created",
            },
            "no task.id",
        ),
        ({"hook_event_name": "PostToolUse", "tool_name": "TaskUpdate", "tool_input": {"id": "1"}}, "taskId"),
        ({"hook_event_name": "PostToolUse", "tool_name": "TaskCreate", "tool_input": "x"}, "tool_input"),
        ({"hook_event_name": "TaskCompleted", "task_subject": "x"}, "task_id"),
        ({"hook_event_name": "TaskFinished"}, "not one stepcommit reads"),
    ],
)
def test_unknown_shapes_are_recorded_with_the_agent_version(
    project: Path, tmp_path: Path, payload: dict[str, Any], problem: str
) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_bytes((PAYLOADS / "claude_transcript_tasks.jsonl").read_bytes())
    text = json.dumps({**payload, "cwd": str(project), "transcript_path": str(transcript)})
    assert hook_agent(cwd=project, agent="claude", payload_text=text) == 0
    (error,) = read_hook_errors(project / ".git")
    assert problem in error["error"] and error["error"].startswith("Unknown claude hook payload shape")
    assert error["agent_version"] == "2.1.150"
    assert read(project / ".git") == []


def test_other_tools_are_not_problems() -> None:
    observed = claude.parse(load("claude_taskcreate_1.json", tool_name="Edit"))
    assert observed.problem is None and observed.tasks == ()
