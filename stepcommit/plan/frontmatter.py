"""Cursor plan mode (`.cursor/plans/*.plan.md`): the YAML front matter's `todos` are the steps.

Cursor writes each todo as ``- id: ...`` / ``content: ...`` / ``status: pending | in_progress |
completed | cancelled`` (and sometimes ``dependencies: [ids]``). The front matter is read with
PyYAML's composer, which gives every scalar's exact place, so a tick rewrites only that todo's
status value and the rest of the file stays byte-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit.errors import PlanError
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, apply, line_of, split_lines

if TYPE_CHECKING:
    from yaml import Node

_READ: dict[str, Status] = {
    "pending": "todo",
    "todo": "todo",
    "in_progress": "in_progress",
    "in-progress": "in_progress",
    "completed": "done",
    "done": "done",
    "cancelled": "skipped",
    "canceled": "skipped",
}
_WRITE: dict[Status, str] = {
    "todo": "pending",
    "in_progress": "in_progress",
    "done": "completed",
    "skipped": "cancelled",
}
_FENCE = re.compile(r"---[ \t]*")
_TODOS = re.compile(r"^todos[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class _Todo:
    step: Step
    value: tuple[int, int] | None  # the status scalar's span in the whole text, quotes included
    quote: str


def block(text: str) -> tuple[int, int] | None:
    """Offsets of the front matter's YAML (between the opening and closing ``---`` lines), if any."""
    lines = split_lines(text)
    if not lines or not _FENCE.fullmatch(lines[0].body):
        return None
    for line in lines[1:]:
        if _FENCE.fullmatch(line.body) or line.body.rstrip() == "...":
            return lines[0].start + len(lines[0].body) + len(lines[0].ending), line.start
    return None


def looks_like(text: str) -> bool:
    """Front matter with a top-level ``todos:`` key: a Cursor plan (whatever the file is called)."""
    span = block(text)
    return span is not None and _TODOS.search(text, span[0], span[1]) is not None


def compose(yaml_text: str, path: Path) -> Node | None:
    import yaml  # lazily: only plans with front matter pay for it

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(yaml_text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 2}" if mark is not None else ""
        raise PlanError(
            f"{path.name}{where}: the front matter is not valid YAML ({getattr(exc, 'problem', exc)}).",
            hint="Fix the YAML between the --- lines (or restore the file from git), then try again.",
        ) from None


def scalar(node: Node | None) -> str | None:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def mapping(text: str, path: Path) -> tuple[int, Node] | None:
    """The front matter's top-level mapping and the offset its YAML starts at; None without one."""
    import yaml

    span = block(text)
    if span is None:
        return None
    root = compose(text[span[0] : span[1]], path)
    return (span[0], root) if isinstance(root, yaml.MappingNode) else None


def field(root: Node, name: str) -> Node | None:
    return next((v for k, v in root.value if scalar(k) == name), None)


def _scan(text: str, path: Path) -> list[_Todo]:
    import yaml

    found_root = mapping(text, path)
    if found_root is None:
        return []
    base, root = found_root
    todos = field(root, "todos")
    if not isinstance(todos, yaml.SequenceNode):
        return []
    found: list[_Todo] = []
    for position, item in enumerate(todos.value, start=1):
        if not isinstance(item, yaml.MappingNode):
            raise PlanError(
                f"{path.name} line {item.start_mark.line + 2}: a todo must be a mapping "
                "(`- id: ...`, `content: ...`, `status: ...`)."
            )
        fields = {scalar(k): v for k, v in item.value}
        own = (scalar(fields.get("id")) or "").strip()
        title = " ".join((scalar(fields.get("content")) or "").split())
        status_node = fields.get("status")
        raw = scalar(status_node)
        depends_node = fields.get("dependencies")
        depends = (
            tuple(d for d in (scalar(n) for n in depends_node.value) if d)
            if isinstance(depends_node, yaml.SequenceNode)
            else ()
        )
        anchor = status_node if raw is not None and status_node is not None else item
        step = Step(
            own or str(position),
            title,
            _READ.get((raw or "pending").strip().lower(), "todo"),
            line_of(text, base + anchor.start_mark.index),
            len(found),
            explicit_id=bool(own),
            depends=depends,
        )
        if raw is not None and status_node is not None:
            span = (base + status_node.start_mark.index, base + status_node.end_mark.index)
            style = getattr(status_node, "style", None)
            found.append(_Todo(step, span, style if style in ("'", '"') else ""))
        else:
            found.append(_Todo(step, None, ""))
    return found


def parse(text: str, path: Path) -> Plan:
    return Plan(path, "cursor", tuple(t.step for t in _scan(text, path)))


def set_status(text: str, path: Path, step: Step, status: Status) -> str:
    """The file with only ``step``'s status value changed (its quoting kept)."""
    if step.status == status:
        return text
    todo = _scan(text, path)[step.index]
    if todo.value is None:
        raise PlanError(
            f"Todo {step.id} in {path.name} (line {step.line}) has no status: stepcommit changes a status, "
            "it does not add one.",
            hint="Add `status: pending` under its content, then try again.",
        )
    word = f"{todo.quote}{_WRITE[status]}{todo.quote}"
    return apply(text, [Edit(todo.value[0], todo.value[1], word)])
