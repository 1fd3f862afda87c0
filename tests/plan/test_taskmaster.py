"""Task Master tasks.json: statuses edited in place, layouts, dependencies, and broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit.errors import PlanError
from stepcommit.plan import load_plan, mark_step, next_open_step, select_step

CORPUS = Path(__file__).parent / "corpus"


def _copy(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "tasks.json"
    path.write_bytes((CORPUS / name).read_bytes())
    return path


def test_subtask_status_changes_in_place(tmp_path: Path) -> None:
    path = _copy(tmp_path, "taskmaster_plain.json")
    before = path.read_bytes()
    marked = mark_step(path, select_step(load_plan(path), "3.2"), "done")
    after = path.read_bytes()
    assert marked.status == "done"
    lines_before, lines_after = before.split(b"\n"), after.split(b"\n")
    changed = [i for i, (a, b) in enumerate(zip(lines_before, lines_after, strict=True)) if a != b]
    assert [lines_after[i] for i in changed] == [b'          "status": "done"']
    # Key order and every other value kept.
    assert list(json.loads(after)["tasks"][2]) == list(json.loads(before)["tasks"][2])


def test_tagged_layout_with_tabs_and_escapes(tmp_path: Path) -> None:
    path = _copy(tmp_path, "taskmaster_tagged.json")
    before = path.read_text()
    mark_step(path, select_step(load_plan(path), "2"), "in_progress")
    after = path.read_text()
    assert after == before.replace(
        '"title": "Generate tasks \\u2014 from the PRD", "status": "pending"',
        '"title": "Generate tasks \\u2014 from the PRD", "status": "in-progress"',
    )
    assert json.loads(after)["feature-x"] == json.loads(before)["feature-x"]


def test_a_task_without_status_gets_one_on_its_title_line(tmp_path: Path) -> None:
    path = _copy(tmp_path, "taskmaster_plain.json")
    mark_step(path, select_step(load_plan(path), "4"), "done")
    text = path.read_text()
    assert '"title": "Write the deployment guide", "status": "done",\n' in text
    assert json.loads(text)["tasks"][3]["status"] == "done"


def test_dependencies_hold_steps_back(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(
        json.dumps(
            {
                "tasks": [
                    {"id": 1, "title": "A", "status": "pending", "dependencies": [2]},
                    {
                        "id": 2,
                        "title": "B",
                        "status": "pending",
                        "dependencies": [],
                        "subtasks": [
                            {"id": 1, "title": "B1", "status": "done"},
                            {"id": 2, "title": "B2", "status": "pending", "dependencies": [1]},
                        ],
                    },
                ]
            },
            indent=2,
        )
    )
    plan = load_plan(path)
    step = next_open_step(plan)
    assert step is not None and step.id == "2.2"
    mark_step(path, step, "done")
    mark_step(path, select_step(load_plan(path), "2"), "done")
    following = next_open_step(load_plan(path))
    assert following is not None and following.id == "1"


def test_every_step_waiting_says_so(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(
        '{"tasks": [{"id": 1, "title": "A", "status": "pending", "dependencies": [2]},'
        ' {"id": 2, "title": "B", "status": "pending", "dependencies": [1]}]}'
    )
    with pytest.raises(PlanError, match="waits on a dependency"):
        select_step(load_plan(path), None)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "tasks": [\n    {"id": 1,}\n  ]\n}', 3),
        ('{\n  "tasks": "none"\n}', 1),
        ("[1, 2]", 1),
        ('{"tasks": [\n 5\n]}', 2),
        ("{" * 500, 1),
    ],
)
def test_broken_files_name_the_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(text)
    with pytest.raises(PlanError, match=f"line {line}"):
        load_plan(path)


def test_ids_as_strings_floats_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(
        '\ufeff{"tasks": [{"id": "7", "title": "S", "subtasks": [{"id": "7.1", "title": "T"}]},'
        ' {"title": "no id", "status": null}, {"id": 2.0, "title": "F", "status": "done"}]}',
        encoding="utf-8",
    )
    plan = load_plan(path)
    ids = [(s.id, s.explicit_id) for s in plan.walk()]
    assert ids == [("7", True), ("7.1", True), ("2", False), ("2", True)]
    mark_step(path, list(plan.walk())[2], "done")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert json.loads(path.read_text(encoding="utf-8-sig"))["tasks"][1]["status"] == "done"


def test_the_tag_task_master_switched_to_is_the_plan(tmp_path: Path) -> None:
    tasks_dir = tmp_path / ".taskmaster" / "tasks"
    tasks_dir.mkdir(parents=True)
    path = tasks_dir / "tasks.json"
    path.write_bytes((CORPUS / "taskmaster_tagged.json").read_bytes())
    feature_ids = [str(t["id"]) for t in json.loads(path.read_text())["feature-x"]["tasks"]]
    master_ids = [str(t["id"]) for t in json.loads(path.read_text())["master"]["tasks"]]
    assert [s.id for s in load_plan(path).steps] == master_ids  # no state.json: master
    (tmp_path / ".taskmaster" / "state.json").write_text(
        '{"currentTag": "feature-x", "migrationNoticeShown": true}'
    )
    assert [s.id for s in load_plan(path).steps] == feature_ids
    (tmp_path / ".taskmaster" / "state.json").write_text('{"currentTag": "gone"}')
    assert [s.id for s in load_plan(path).steps] == master_ids  # an unknown tag: master again


def test_the_next_task_is_task_masters_next_by_priority(tmp_path: Path) -> None:
    # As Task Master's `next` (findNextTask): of the tasks whose dependencies are done, the highest
    # priority (none said: medium), then the fewest dependencies, then the file's order; a subtask
    # without a priority has its task's.
    path = tmp_path / "tasks.json"
    tasks = [
        {"id": 1, "title": "Setup", "status": "done", "priority": "high"},
        {"id": 2, "title": "Medium", "status": "pending", "priority": "medium", "dependencies": [1]},
        {"id": 3, "title": "Unsaid", "status": "pending", "dependencies": [1]},
        {"id": 4, "title": "Blocked high", "status": "pending", "priority": "high", "dependencies": [5]},
        {"id": 5, "title": "Low", "status": "pending", "priority": "low", "dependencies": []},
        {
            "id": 6,
            "title": "High",
            "status": "pending",
            "priority": "high",
            "dependencies": [1],
            "subtasks": [
                {"id": 1, "title": "Done part", "status": "done"},
                {"id": 2, "title": "Own low", "status": "pending", "priority": "low"},
                {"id": 3, "title": "Inherits high", "status": "pending", "dependencies": [1]},
            ],
        },
        {"id": 7, "title": "High, no deps", "status": "pending", "priority": "high"},
    ]
    path.write_text(json.dumps({"master": {"tasks": tasks}}, indent=2))
    plan = load_plan(path)
    assert [(s.id, s.priority) for s in plan.walk()] == [
        ("1", 1), ("2", 2), ("3", 2), ("4", 1), ("5", 3), ("6", 1), ("6.1", 1), ("6.2", 3), ("6.3", 1),
        ("7", 1),
    ]  # fmt: skip
    order = []
    while (following := next_open_step(plan)) is not None:
        order.append(following.id)
        mark_step(path, following, "done")
        plan = load_plan(path)
    assert order == ["7", "6.3", "6.2", "2", "3", "5", "4"]


def test_work_under_way_comes_before_new_work(tmp_path: Path) -> None:
    # As Task Master's `next` does, and a person: a task in progress is resumed before a pending one of
    # a higher priority, and a task in progress has its open subtasks taken before other tasks'.
    path = tmp_path / "tasks.json"
    tasks = [
        {"id": 1, "title": "Critical new", "status": "pending", "priority": "critical"},
        {"id": 2, "title": "Resumed", "status": "in-progress", "priority": "high"},
        {
            "id": 3,
            "title": "Pending parent",
            "status": "pending",
            "subtasks": [{"id": 1, "title": "Pending part", "status": "pending"}],
        },
        {
            "id": 4,
            "title": "Parent under way",
            "status": "in-progress",
            "dependencies": [1, 2],
            "subtasks": [
                {"id": 1, "title": "Its open part", "status": "pending"},
                {"id": 2, "title": "Its done part", "status": "done"},
            ],
        },
    ]
    path.write_text(json.dumps({"master": {"tasks": tasks}}, indent=2))
    order = []
    plan = load_plan(path)
    while (following := next_open_step(plan)) is not None:
        order.append(following.id)
        mark_step(path, following, "done")
        plan = load_plan(path)
    # The task under way first; 4.1 waits on 1 and 2, then comes before 3.1 as a part of work under way.
    assert order == ["2", "1", "4.1", "3.1"]
    tasks[3]["dependencies"] = []
    path.write_text(json.dumps({"master": {"tasks": tasks}}, indent=2))
    assert next_open_step(load_plan(path)).id == "2"  # an in-progress task before an in-progress task's part
    tasks[1]["status"] = "done"
    path.write_text(json.dumps({"master": {"tasks": tasks}}, indent=2))
    assert next_open_step(load_plan(path)).id == "4.1"  # then the open part of the task under way
