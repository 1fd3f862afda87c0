"""Task Master `tasks.json`: tasks and subtasks with ids, statuses and dependencies, edited in place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import jsonspan, words
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import BOM, Edit, apply, line_of

_READ: dict[str, Status] = {
    "pending": "todo",
    "todo": "todo",
    "blocked": "todo",
    "in-progress": "in_progress",
    "in_progress": "in_progress",
    "review": "in_progress",
    "done": "done",
    "completed": "done",
    "deferred": "skipped",
    "cancelled": "skipped",
    "canceled": "skipped",
}
# Task Master's rank for a task that says no priority (or one it does not know).
_MEDIUM = 2
_WRITE: dict[Status, str] = {
    "todo": "pending",
    "in_progress": "in-progress",
    "done": "done",
    "skipped": "cancelled",
}


@dataclass(frozen=True)
class _Where:
    """Where a task's status is, or where to add one when the task has none."""

    value: jsonspan.Node | None
    insert_at: int
    insert: str  # with {word} where the quoted status goes


def looks_like(text: str) -> bool:
    return text.lstrip(BOM + " \t\r\n").startswith("{")


def _id(node: jsonspan.Node | None) -> str | None:
    if node is None or isinstance(node.value, bool):
        return None
    if isinstance(node.value, int):
        return str(node.value)
    if isinstance(node.value, float) and node.value.is_integer():
        return str(int(node.value))
    if isinstance(node.value, str | float):
        return str(node.value).strip() or None
    return None


def _current_tag(path: Path) -> str | None:
    """`currentTag` from Task Master's `.taskmaster/state.json` next to `.taskmaster/tasks/tasks.json`."""
    for state in (path.parent.parent / "state.json", path.parent / "state.json"):
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("currentTag"), str):
            return str(data["currentTag"])
    return None


def _tasks(root: jsonspan.Node, text: str, path: Path) -> tuple[str, jsonspan.Node]:
    """The task list: `{"tasks": [...]}`, or, of `{"tag": {"tasks": [...]}}`, the tag Task Master has
    switched to (`currentTag` in `.taskmaster/state.json`), else `master`, else the first."""
    if not root.is_object:
        raise PlanError(
            f"{path.name} line {line_of(text, root.start)}: expected an object with a tasks list."
        )
    tasks = root.get("tasks")
    if tasks is not None and tasks.is_array:
        return "plain", tasks
    tagged = [(name, node.get("tasks")) for name, node in root.members if node.is_object]
    tagged = [(name, t) for name, t in tagged if t is not None and t.is_array]
    current = _current_tag(path)
    for name, found in sorted(tagged, key=lambda item: (item[0] != current, item[0] != "master")):
        assert found is not None
        return name, found
    raise PlanError(
        f'{path.name} line {line_of(text, root.start)}: no "tasks" list, neither at the top nor under a tag.',
        hint='Task Master files look like {"tasks": [...]} or {"master": {"tasks": [...]}}.',
    )


def _scan(text: str, path: Path) -> tuple[Plan, list[_Where]]:
    try:
        root = jsonspan.parse(text, 1 if text.startswith(BOM) else 0)
    except jsonspan.JSONSpanError as exc:
        raise PlanError(
            f"{path.name} line {line_of(text, exc.pos)}: not valid JSON ({exc.message}).",
            hint="Fix the JSON (or restore the file from git), then try again.",
        ) from None
    _, tasks = _tasks(root, text, path)
    where: list[_Where] = []

    def step(node: jsonspan.Node, parent: str | None, position: int, inherited: int) -> Step:
        if not node.is_object:
            raise PlanError(f"{path.name} line {line_of(text, node.start)}: a task must be an object.")
        own = _id(node.get("id"))
        ident = own or str(position)
        if parent is not None and "." not in ident:
            ident = f"{parent}.{ident}"
        title_node = node.get("title")
        title = title_node.value if title_node is not None and isinstance(title_node.value, str) else ""
        status_node = node.get("status")
        raw = (
            status_node.value if status_node is not None and isinstance(status_node.value, str) else "pending"
        )
        status = _READ.get(raw.strip().lower(), "todo")
        # As Task Master's `next` ranks it: its own priority, else its task's, else medium.
        priority_node = node.get("priority")
        own_rank = (
            words.priority_rank(priority_node.value)
            if priority_node is not None and isinstance(priority_node.value, str)
            else None
        )
        rank = inherited if own_rank is None else own_rank
        anchor = title_node or node.get("id") or (node.members[0][1] if node.members else None)
        if anchor is not None:
            insert_at, insert = anchor.end, ', "status": {word}'
        else:
            insert_at, insert = node.start + 1, '"status": {word}'
        index = len(where)
        # A status that is not a string (null) is still the place to write one.
        where.append(_Where(status_node, insert_at, insert))
        depends: list[str] = []
        deps = node.get("dependencies")
        for dep in deps.items if deps is not None else ():
            dep_id = _id(dep)
            if dep_id is None:
                continue
            # In a subtask, a bare number names a sibling subtask.
            depends.append(f"{parent}.{dep_id}" if parent is not None and "." not in dep_id else dep_id)
        subtasks = node.get("subtasks")
        children = tuple(
            step(child, ident, i, rank)
            for i, child in enumerate(subtasks.items if subtasks is not None else (), start=1)
        )
        # Without a status, the line where one would be added: the same line once it is.
        line = line_of(text, status_node.start if status_node is not None else insert_at)
        return Step(
            ident,
            title.strip(),
            status,
            line,
            index,
            children,
            explicit_id=own is not None,
            depends=tuple(depends),
            priority=rank,
        )

    steps = tuple(step(node, None, i, _MEDIUM) for i, node in enumerate(tasks.items, start=1))
    return Plan(path, "taskmaster", steps), where


def parse(text: str, path: Path) -> Plan:
    return _scan(text, path)[0]


def set_status(text: str, path: Path, step: Step, status: Status) -> str:
    """The file with only ``step``'s status string changed; indentation, key order and escapes kept."""
    if step.status == status:
        return text
    _, where = _scan(text, path)
    place = where[step.index]
    word = json.dumps(_WRITE[status])
    if place.value is not None:
        return apply(text, [Edit(place.value.start, place.value.end, word)])
    # No status yet: add one on the title's line, so the change stays one line.
    return apply(text, [Edit(place.insert_at, place.insert_at, place.insert.format(word=word))])
