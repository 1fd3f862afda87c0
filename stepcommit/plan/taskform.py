"""The task-tracker form: one heading per task, its status as the heading's first word.

    ### Open · tv-2025-10-03:PR?? · Harmonize Python version requirements
    - **Validation**: `make quality`; `pytest tests/regression -q`.
    - **Git plan**:
      - Branch: `chore/python-version-alignment`
    ### Deferred · tv-2025-10-03:PR35 · Stabilize coverage badge workflow

The words ``Open`` / ``Deferred`` / ``Done`` (any case; also ``Blocked``, ``Declined``...) are the
status; ticking rewrites that word only. ``Validation:`` code spans are the step's verification,
``Branch:`` its branch name, the ``Next steps:`` list its to-do list. Templates in code fences or
``<details>`` blocks are never tasks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stepcommit.lazy_re import lazy
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, Line, apply, normalized, split_lines

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@functools.cache
def _markdown_it() -> MarkdownIt:
    from markdown_it import MarkdownIt  # lazily: only a plan that may be in this form is parsed

    return MarkdownIt("commonmark").disable("inline")


# word -> (status, deferred)
_WORDS: dict[str, tuple[Status, bool]] = {
    "open": ("todo", False),
    "todo": ("todo", False),
    "to do": ("todo", False),
    "in progress": ("in_progress", False),
    "deferred": ("todo", True),
    "blocked": ("todo", True),
    "on hold": ("todo", True),
    "done": ("done", False),
    "closed": ("done", False),
    "complete": ("done", False),
    "completed": ("done", False),
    "declined": ("skipped", False),
    "cancelled": ("skipped", False),
    "canceled": ("skipped", False),
    "dropped": ("skipped", False),
}
_WRITE: dict[Status, str] = {"todo": "open", "done": "done", "skipped": "declined"}
_WORD = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s") for w in _WORDS), key=len, reverse=True))
_HEADING = lazy(
    rf"^ {{0,3}}(?P<hashes>#{{1,6}})[ \t]+(?P<word>{_WORD})[ \t]*·[ \t]*(?P<rest>.*?)(?:[ \t]+#+)?[ \t]*$",
    re.I,
)
_MAYBE = lazy(rf"^ {{0,3}}#{{1,6}}[ \t]+(?:{_WORD})[ \t]*·", re.I | re.M)
_CHECKBOX = lazy(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[ xX/~-]\]", re.M)
_FIELD = r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?{name}(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(?P<value>.*)$"
_VALIDATION = lazy(_FIELD.format(name="Validation"), re.I)
_BRANCH = lazy(_FIELD.format(name="Branch"), re.I)
_NEXT = lazy(_FIELD.format(name="Next steps"), re.I)
_ITEM = lazy(r"^\s+(?:\d+[.)]|[-*+])\s+(?P<text>.+)$")
_CODE = lazy(r"`([^`]+)`")
_BRANCH_NAME = lazy(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


@dataclass(frozen=True)
class _Task:
    line: Line
    word: tuple[int, int]  # the status word's span in the whole text
    level: int
    own_id: str | None
    title: str
    status: Status
    deferred: bool


def _tasks(text: str) -> tuple[list[Line], list[_Task], list[int]]:
    """The lines, the task headings (outside code, HTML and <details>), and every heading's line index
    with its level, so a task's section ends at the next heading of its level or above."""
    lines = split_lines(text)
    tokens = _markdown_it().parse(normalized(lines))
    tasks: list[_Task] = []
    heading_levels: list[int] = [0] * len(lines)
    details = 0
    for token in tokens:
        if token.type == "html_block":
            opened = len(re.findall(r"<details\b", token.content, re.I))
            closed = len(re.findall(r"</details\s*>", token.content, re.I))
            details = max(0, details + opened - closed)
            continue
        if token.type != "heading_open" or token.map is None:
            continue
        level = int(token.tag[1:])
        heading_levels[token.map[0]] = level
        line = lines[token.map[0]]
        match = _HEADING.match(line.body)
        if details or match is None:
            continue
        rest = [part.strip() for part in re.split(r"\s·\s", match.group("rest"))]
        own_id, title = (rest[0], " · ".join(rest[1:])) if len(rest) > 1 else (None, rest[0])
        if not title or re.fullmatch(r"<[^>]*>", title):
            continue  # a template's placeholder
        status, deferred = _WORDS[re.sub(r"\s+", " ", match.group("word").lower())]
        span = (line.start + match.start("word"), line.start + match.end("word"))
        tasks.append(_Task(line, span, len(match.group("hashes")), own_id or None, title, status, deferred))
    return lines, tasks, heading_levels


def looks_like(text: str) -> bool:
    """`### Open · ...` style task headings, at least as many as checkbox items: a checkbox plan with
    a stray `## Done · ...` heading stays a checkbox plan. The cheap test first, the parse only when
    it may be."""
    if _MAYBE.search(text) is None:
        return False
    tasks = _tasks(text)[1]
    return bool(tasks) and len(tasks) >= len(_CHECKBOX.findall(text))


def _section(lines: list[Line], levels: list[int], task: _Task) -> list[Line]:
    start = task.line.number  # the line after the heading (numbers are 1-based)
    end = next((i for i in range(start, len(lines)) if 0 < levels[i] <= task.level), len(lines))
    return lines[start:end]


def _details(section: list[Line]) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    verify: list[str] = []
    branch: str | None = None
    todo: list[str] = []
    in_next = False
    for line in section:
        if in_next:
            item = _ITEM.match(line.body)
            if item:
                todo.append(" ".join(item.group("text").split()))
                continue
            if line.body.startswith((" ", "\t")) and line.body.strip() and todo:
                todo[-1] += " " + " ".join(line.body.split())  # a wrapped item
                continue
            in_next = False
        if found := _VALIDATION.match(line.body):
            verify.extend(c.strip() for c in _CODE.findall(found.group("value")) if c.strip())
        elif (found := _BRANCH.match(line.body)) and branch is None:
            value = found.group("value").strip()
            codes = _CODE.findall(value)
            candidate = (codes[0] if codes else value.split()[0] if value else "").strip()
            if _BRANCH_NAME.fullmatch(candidate):
                branch = candidate
        elif _NEXT.match(line.body):
            in_next = True
    return tuple(verify), branch, tuple(todo)


def parse(text: str, path: Path) -> Plan:
    lines, tasks, levels = _tasks(text)
    seen: dict[str, int] = {}
    for task in tasks:
        if task.own_id:
            seen[task.own_id] = seen.get(task.own_id, 0) + 1
    steps: list[Step] = []
    for position, task in enumerate(tasks, start=1):
        # The file's own id when it is its own; a repeated one (`PR??` placeholders) says nothing.
        explicit = task.own_id is not None and seen[task.own_id] == 1
        verify, branch, todo = _details(_section(lines, levels, task))
        steps.append(
            Step(
                task.own_id if explicit and task.own_id else str(position),
                task.title,
                task.status,
                task.line.number,
                len(steps),
                verify=verify,
                explicit_id=explicit,
                deferred=task.deferred,
                todo=todo,
                branch=branch,
            )
        )
    return Plan(path, "taskform", tuple(steps))


def _case_like(word: str, model: str) -> str:
    if model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def set_status(text: str, path: Path, step: Step, status: Status) -> str:
    """The file with only ``step``'s status word changed, in the word's own case. The form has no
    word for in progress: starting a task leaves it Open."""
    if step.status == status or status not in _WRITE:
        return text
    task = _tasks(text)[1][step.index]
    old = text[task.word[0] : task.word[1]]
    return apply(text, [Edit(task.word[0], task.word[1], _case_like(_WRITE[status], old))])
