"""Markdown plans: checkbox steps (`- [ ] **1.1. Title**`) and heading steps (`### Phase 2: Title`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from stepcommit.plan.model import Plan, Status, Step

CHECKBOX = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d+[.)])[ \t]+\[(?P<mark>[ xX/-])\](?P<rest>.*?)[ \t]*$")
HEADING = re.compile(
    r"^(?P<hashes>#{1,6})[ \t]+(?P<kind>Phase|Step|Stage|Milestone|Part)[ \t]+(?P<num>[0-9][0-9A-Za-z.\-]*?)"
    r"[ \t]*[:.)\-–—][ \t]*(?P<title>.*?)[ \t]*#*[ \t]*$",
    re.IGNORECASE,
)
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
NUMBERED_TITLE = re.compile(
    r"^(?:\*\*|__)?(?P<id>(?:[A-Z]{1,3}\d*-)?\d+(?:\.\d+)*[a-z]?|T\d{3,})(?:[.:)]|\s)[ \t]*(?P<title>.*)$"
)
VERIFY = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|_)?Verify(?:\*\*|_)?:(?:\*\*|_)?[ \t]*(?P<cmd>.+?)[ \t]*$"
)

_MARK_STATUS: dict[str, Status] = {
    " ": "todo",
    "x": "done",
    "X": "done",
    "-": "in_progress",
    "/": "in_progress",
}


def _clean_title(text: str) -> tuple[str | None, str]:
    text = text.strip()
    match = NUMBERED_TITLE.match(text)
    ident = None
    if match:
        ident = match.group("id")
        text = match.group("title")
        if text.startswith(("**", "__")):
            text = text[2:]
    text = text.replace("**", "").replace("__", "").strip().rstrip(":").strip()
    return ident, text


@dataclass
class _Node:
    id: str | None
    title: str
    status: Status
    line: int
    level: int  # heading depth (negative, so headings contain lists) or list indent
    children: list[_Node] = field(default_factory=list)
    verify: list[str] = field(default_factory=list)
    heading: bool = False


def parse(text: str, path: Path) -> Plan:
    lines = text.splitlines()
    roots: list[_Node] = []
    stack: list[_Node] = []
    in_fence: str | None = None
    for number, line in enumerate(lines, start=1):
        fence = FENCE.match(line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = None
            continue
        if in_fence:
            continue
        heading = HEADING.match(line)
        if heading:
            ident, title = heading.group("num").rstrip("."), heading.group("title")
            node = _Node(
                ident,
                _clean_title(title)[1] or title,
                "todo",
                number,
                len(heading.group("hashes")) - 100,
                heading=True,
            )
        else:
            box = CHECKBOX.match(line)
            if not box:
                verify = VERIFY.match(line)
                if verify and stack:
                    stack[-1].verify.append(verify.group("cmd").strip("`"))
                elif line.startswith("#"):
                    # Any other heading closes the open heading steps at its depth or deeper.
                    depth = len(line) - len(line.lstrip("#")) - 100
                    while stack and stack[-1].level >= depth:
                        stack.pop()
                continue
            ident, title = _clean_title(box.group("rest"))
            indent = len(box.group("indent").expandtabs(4))
            node = _Node(ident, title, _MARK_STATUS[box.group("mark")], number, indent)
        while stack and stack[-1].level >= node.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    counter = iter(range(1_000_000))

    def freeze(node: _Node, parent_id: str | None, position: int) -> Step:
        ident = node.id or (f"{parent_id}.{position}" if parent_id else str(position))
        index = next(counter)
        children = tuple(freeze(c, ident, i) for i, c in enumerate(node.children, start=1))
        status = node.status
        if node.heading and children:
            states = {c.status for c in children}
            status = (
                "done" if states <= {"done", "skipped"} else ("todo" if states == {"todo"} else "in_progress")
            )
        return Step(ident, node.title, status, node.line, index, children, tuple(node.verify))

    steps = tuple(freeze(n, None, i) for i, n in enumerate(roots, start=1))
    return Plan(path, "markdown", steps)


def set_status(text: str, step: Step, status: Status) -> str:
    """The plan text with only ``step``'s marker changed; line endings and all other bytes kept."""
    lines = text.splitlines(keepends=True)
    line = lines[step.line - 1]
    box = CHECKBOX.match(line.rstrip("\r\n"))
    if box is None:
        # A heading step: its status is its checkboxes' status.
        for child in step.children:
            text = set_status(text, child, status)
        return text
    new_mark = {"todo": " ", "done": "x", "in_progress": "-", "skipped": "~"}[status]
    if status == "in_progress":
        return text  # plain markdown has no in-progress marker
    if status == "done" and box.group("mark") in "xX":
        return text
    start = box.start("mark")
    lines[step.line - 1] = line[:start] + new_mark + line[start + 1 :]
    return "".join(lines)


def locate(plan: Plan, step: Step) -> Step:
    """``step`` in a freshly read plan: by id and title, then by title, then by position."""
    candidates = [s for s in plan.walk() if s.id == step.id and s.title == step.title]
    if not candidates:
        candidates = [s for s in plan.walk() if s.title == step.title]
    if len(candidates) > 1:
        candidates.sort(key=lambda s: (abs(s.index - step.index), abs(s.line - step.line)))
    if candidates:
        return candidates[0]
    return replace(step)
