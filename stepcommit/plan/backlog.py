"""Backlog.md (`backlog/tasks/*.md`): one task per file, the front matter's `status` its status.

The plan is the folder; each step lives in a file of its own, so ticking a step changes that one
file, and a started step's plan (what `check` gates and `finish` ticks and commits) is its task
file. The acceptance-criteria checkboxes in a task's body are its criteria, never steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import frontmatter
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, apply, line_of, split_lines

# word -> (status, deferred); Backlog.md's defaults are To Do / In Progress / Done.
_READ: dict[str, tuple[Status, bool]] = {
    "to do": ("todo", False),
    "todo": ("todo", False),
    "in progress": ("in_progress", False),
    "done": ("done", False),
    "blocked": ("todo", True),
}
_WRITE: dict[Status, str] = {"todo": "To Do", "in_progress": "In Progress", "done": "Done"}
_KEY = r"^{name}[ \t]*:"
_STATUS = re.compile(r"^status[ \t]*:[ \t]*[\"']?(?P<word>[^\"'\r\n#]*?)[\"']?[ \t]*$", re.M)
_CRITERIA = re.compile(r"^#{1,6}\s+acceptance criteria\b", re.I)
_BOX = re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s+(?:#\d+\s+)?(?P<text>.+?)\s*$")
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class _Task:
    step: Step
    value: tuple[int, int] | None  # the status scalar's span, quotes included
    quote: str


def looks_like(text: str, path: Path) -> bool:
    """Front matter with top-level `id`, `title` and `status` keys (and no Cursor `todos`), and either
    one of Backlog.md's own status words or a place in a `backlog/tasks/` folder (custom statuses):
    a plan that merely carries `status: draft` in its front matter stays what it is."""
    span = frontmatter.block(text)
    if span is None or frontmatter.looks_like(text):
        return False
    head = text[span[0] : span[1]]
    if not all(re.search(_KEY.format(name=k), head, re.M) for k in ("id", "title", "status")):
        return False
    in_backlog = path.parent.name == "tasks" and path.parent.parent.name in ("backlog", ".backlog")
    word = _STATUS.search(head)
    return in_backlog or (word is not None and " ".join(word.group("word").lower().split()) in _READ)


def _natural(path: Path) -> tuple[object, ...]:
    # task-2 before task-10, and task-4.1 right after task-4.
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NUMBER.split(path.name))


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PlanError(f"Cannot read the task {path}: {exc.strerror}.") from None
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"The task {path} is not UTF-8 text (bad byte at offset {exc.start}).",
            hint="Save it as UTF-8 and try again.",
        ) from None


def task_files(folder: Path) -> list[Path]:
    """The folder's task files in Backlog.md's id order."""
    found = [p for p in folder.glob("*.md") if p.is_file() and looks_like(_read(p), p)]
    return sorted(found, key=_natural)


def is_folder(path: Path) -> bool:
    return path.is_dir() and bool(task_files(path))


def _criteria(text: str) -> tuple[str, ...]:
    found: list[str] = []
    inside = False
    for line in split_lines(text):
        if line.body.startswith("#"):
            inside = bool(_CRITERIA.match(line.body))
            continue
        if inside and (box := _BOX.match(line.body)):
            found.append(box.group("text"))
    return tuple(found)


def _task(text: str, path: Path, index: int) -> _Task:
    import yaml

    found = frontmatter.mapping(text, path)
    if found is None:
        raise PlanError(f"{path.name} has no front matter: not a Backlog.md task.")
    base, root = found
    own = (frontmatter.scalar(frontmatter.field(root, "id")) or "").strip()
    ident = own or path.name.split(" - ")[0].removesuffix(".md")
    title = " ".join((frontmatter.scalar(frontmatter.field(root, "title")) or "").split())
    status_node = frontmatter.field(root, "status")
    raw = frontmatter.scalar(status_node)
    status, deferred = _READ.get(" ".join((raw or "To Do").lower().split()), ("todo", False))
    deps = frontmatter.field(root, "dependencies")
    depends = (
        tuple(d for d in (frontmatter.scalar(n) for n in deps.value) if d)
        if isinstance(deps, yaml.SequenceNode)
        else ()
    )
    anchor = status_node if raw is not None and status_node is not None else root
    step = Step(
        ident,
        title,
        status,
        line_of(text, base + anchor.start_mark.index),
        index,
        depends=depends,
        deferred=deferred,
        criteria=_criteria(text),
    )
    if raw is None or status_node is None:
        return _Task(step, None, "")
    style = getattr(status_node, "style", None)
    span = (base + status_node.start_mark.index, base + status_node.end_mark.index)
    return _Task(step, span, style if style in ("'", '"') else "")


def parse(text: str, path: Path) -> Plan:
    """One task file: a plan of one step."""
    return Plan(path, "backlog", (_task(text, path, 0).step,))


def load_folder(folder: Path) -> Plan:
    steps = tuple(_task(_read(p), p, i).step for i, p in enumerate(task_files(folder)))
    return Plan(folder, "backlog", steps)


def file_of(folder: Path, step: Step) -> Path:
    """The task file of ``step``, a step of the folder's plan as read now."""
    return task_files(folder)[step.index]


def set_status(text: str, path: Path, step: Step, status: Status) -> str:
    """The task file with only its status value changed (its quoting kept)."""
    if step.status == status:
        return text
    task = _task(text, path, 0)
    if status not in _WRITE:
        raise PlanError(
            f"Backlog.md has no status for {status} (task {step.id}).",
            hint="Use done, todo or in_progress, or archive the task with `backlog task archive`.",
        )
    if task.value is None:
        raise PlanError(
            f"Task {step.id} in {path.name} has no status: stepcommit changes a status, it does not add one.",
            hint="Add `status: To Do` to its front matter, then try again.",
        )
    return apply(text, [Edit(task.value[0], task.value[1], f"{task.quote}{_WRITE[status]}{task.quote}")])
