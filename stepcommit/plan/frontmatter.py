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
from stepcommit.lazy_re import lazy
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, apply, head_lines, line_of, split_lines

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
_FENCE = lazy(r"---[ \t]*")
_TODOS = lazy(r"^todos[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class _Todo:
    step: Step
    value: tuple[int, int] | None  # the status scalar's span in the whole text, quotes included
    quote: str


def block(text: str) -> tuple[int, int] | None:
    """Offsets of the front matter's YAML (between the opening and closing ``---`` lines), if any."""
    lines = head_lines(text)  # one by one: a plan without front matter is done at its first line
    first = next(lines, None)
    if first is None or not _FENCE.fullmatch(first.body):
        return None
    for line in lines:
        if _FENCE.fullmatch(line.body) or line.body.rstrip() == "...":
            return first.start + len(first.body) + len(first.ending), line.start
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


@dataclass(frozen=True)
class _Fields:
    """One todo as written: its fields, and where its status value (or the todo) is."""

    own: str
    content: str
    status: str | None
    span: tuple[int, int] | None  # the status value's span, quotes included
    quote: str
    at: int  # offset of the status value, or of the todo when it has none
    depends: tuple[str, ...]


def _strict(text: str, path: Path) -> list[_Fields]:
    """The todos as PyYAML reads them (a PlanError when the front matter is not valid YAML)."""
    import yaml

    found_root = mapping(text, path)
    if found_root is None:
        return []
    base, root = found_root
    todos = field(root, "todos")
    if not isinstance(todos, yaml.SequenceNode):
        return []
    found: list[_Fields] = []
    for item in todos.value:
        if not isinstance(item, yaml.MappingNode):
            raise PlanError(
                f"{path.name} line {line_of(text, base + item.start_mark.index)}: a todo must be a mapping "
                "(`- id: ...`, `content: ...`, `status: ...`)."
            )
        fields = {scalar(k): v for k, v in item.value}
        status_node = fields.get("status")
        raw = scalar(status_node)
        deps = fields.get("dependencies")
        span: tuple[int, int] | None = None
        quote = ""
        if raw is not None and status_node is not None:
            span = (base + status_node.start_mark.index, base + status_node.end_mark.index)
            style = getattr(status_node, "style", None)
            quote = style if style in ("'", '"') else ""
        found.append(
            _Fields(
                (scalar(fields.get("id")) or "").strip(),
                scalar(fields.get("content")) or "",
                raw,
                span,
                quote,
                span[0] if span else base + item.start_mark.index,
                tuple(d for d in (scalar(n) for n in deps.value) if d)
                if isinstance(deps, yaml.SequenceNode)
                else (),
            )
        )
    return found


_ITEM = lazy(r"^[ \t]*-[ \t]+(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_KEY = lazy(r"^[ \t]*(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_ENTRY = lazy(r"^[ \t]*-[ \t]+(?P<value>.*?)[ \t]*$")


def _unquoted(value: str) -> tuple[str, str]:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1], value[0]
    return value, ""


def _lenient(text: str) -> list[_Fields]:
    """The todos read line by line, as Cursor writes them, for front matter that is not strict YAML
    (Cursor leaves `content: Phase 0: Setup` unquoted, which YAML refuses)."""
    span = block(text)
    if span is None:
        return []
    lines = [line for line in split_lines(text) if span[0] <= line.start < span[1]]
    start = next((i for i, line in enumerate(lines) if _TODOS.match(line.body)), None)
    if start is None:
        return []
    items: list[dict[str, list[tuple[str, int]]]] = []
    key_column = -1
    last = ""
    for line in lines[start + 1 :]:
        body = line.body
        if body.strip() == "" or body.lstrip().startswith("#"):
            continue
        if not body[:1].isspace() and not body.startswith("-"):
            break  # the next top-level key
        item = _ITEM.match(body)
        if item and (key_column < 0 or item.start("key") <= key_column):
            key_column = item.start("key")
            last = item.group("key")
            value = item.group("value") or ""
            items.append({last: [(value, line.start + (item.start("value") if item.group("value") else 0))]})
            continue
        if not items:
            continue
        key = _KEY.match(body)
        if key and key.start("key") == key_column:
            last = key.group("key")
            value = key.group("value") or ""
            items[-1][last] = [(value, line.start + (key.start("value") if key.group("value") else 0))]
        elif (entry := _ENTRY.match(body)) and last:
            items[-1].setdefault(last, []).append((entry.group("value"), line.start + entry.start("value")))
        elif last:
            items[-1].setdefault(last, []).append((body.strip(), line.start))  # a wrapped value
    found: list[_Fields] = []
    for fields in items:

        def text_of(name: str, fields: dict[str, list[tuple[str, int]]] = fields) -> str:
            parts = [v for v, _ in fields.get(name, []) if v not in (">", ">-", "|", "|-")]
            return " ".join(_unquoted(p)[0] for p in parts)

        status = fields.get("status")
        raw, quote, at, value_span = None, "", next(iter(fields.values()))[0][1], None
        if status and status[0][0]:
            raw, quote = _unquoted(status[0][0])
            at = status[0][1]
            value_span = (at, at + len(status[0][0]))
        deps = [v for v, _ in fields.get("dependencies", []) if v]
        if len(deps) == 1 and deps[0].startswith("["):
            deps = [d.strip() for d in deps[0].strip("[]").split(",")]
        found.append(
            _Fields(
                _unquoted(text_of("id"))[0].strip(),
                text_of("content"),
                raw,
                value_span,
                quote,
                at,
                tuple(_unquoted(d)[0] for d in deps if d),
            )
        )
    return found


def _scan(text: str, path: Path) -> list[_Todo]:
    try:
        todos = _strict(text, path)
    except PlanError:
        todos = _lenient(text)
        if not todos:
            raise
    found: list[_Todo] = []
    for position, todo in enumerate(todos, start=1):
        step = Step(
            todo.own or str(position),
            " ".join(todo.content.split()),
            _READ.get((todo.status or "pending").strip().lower(), "todo"),
            line_of(text, todo.at),
            len(found),
            explicit_id=bool(todo.own),
            depends=todo.depends,
        )
        found.append(_Todo(step, todo.span, todo.quote))
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
