"""Claude Code task tracking: the odd ids, results and transcript lines an agent can produce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit.agents.model import TaskEvent
from stepcommit.agents.tasks import (
    TaskBook,
    apply,
    created_id,
    parse_transcript_lines,
    read_transcript,
    task_id,
)


@pytest.mark.parametrize(("value", "expected"), [(3, "3"), (True, ""), (" 7 ", "7"), (None, ""), (2.5, "")])
def test_task_id_accepts_text_and_integers_only(value: object, expected: str) -> None:
    assert task_id(value) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"task": {"id": 4}}, "4"),
        ({"message": "no task here"}, ""),
        ("Task #12 created successfully: Add tests", "12"),
        ("something else", ""),
        (
            [
                {"type": "image"},
                {"type": "text", "text": "nothing"},
                {"type": "text", "text": "Task #9 created"},
            ],
            "9",
        ),
        ([{"type": "text", "text": "nothing"}], ""),
        (42, ""),
    ],
)
def test_created_id_from_every_shape_of_result(response: object, expected: str) -> None:
    assert created_id(response) == expected


def test_events_without_an_id_or_subject_change_nothing() -> None:
    events = [
        TaskEvent("create", "1", ""),  # a create without a subject names nothing
        TaskEvent("update", "", "", "completed"),  # an update without an id is skipped
        TaskEvent("update", "1", "", "completed"),  # subject unknown: not logged, not done
        TaskEvent("update", "1", "Write docs", "completed"),
    ]
    book, logged = apply(TaskBook(), events)
    assert logged == ["Write docs"] and book.done == ("1",) and dict(book.subjects) == {"1": "Write docs"}


def _line(*blocks: object, **extra: object) -> bytes:
    return json.dumps({"message": {"content": list(blocks)}, **extra}).encode()


def test_torn_foreign_and_odd_transcript_lines_are_skipped() -> None:
    create = {"type": "tool_use", "id": "u1", "name": "TaskCreate", "input": {"subject": " Add login "}}
    lines = [
        b'{"TaskCreate" torn',  # interesting but not JSON
        b'["TaskUpdate"]',  # JSON, not an object
        json.dumps({"message": {"content": "TaskUpdate"}}).encode(),  # content not a list
        _line("TaskUpdate", {"type": "tool_use", "name": "Read", "input": {"task": 1}}),  # odd blocks
        _line(create),
        _line(
            {"type": "text", "text": "Task #0"},
            {"type": "tool_result", "tool_use_id": "u1", "content": "no id"},
        ),
        _line(dict(create, id="u2")),
        _line(
            {
                "type": "tool_result",
                "tool_use_id": "u2",
                "content": [{"type": "text", "text": "Task #5 created"}],
            }
        ),
        _line({"type": "tool_use", "name": "TaskUpdate", "input": {"taskId": "5", "status": "completed"}}),
    ]
    found = parse_transcript_lines(lines)
    assert found.tasks == (TaskEvent("create", "5", "Add login"), TaskEvent("update", "5", "", "completed"))
    assert found.todos == () and found.problem is None


def test_no_transcript_path_and_an_unreadable_one(tmp_path: Path) -> None:
    assert read_transcript(None).tasks == () and read_transcript("").problem is None
    assert read_transcript(str(tmp_path / "missing.jsonl")).problem is None
    problem = read_transcript(str(tmp_path)).problem  # a folder, not a file
    assert problem is not None and problem.startswith(f"the transcript {tmp_path} could not be read (")
