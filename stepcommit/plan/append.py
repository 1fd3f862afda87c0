"""New open steps appended to a checkbox plan, written the way the plan's own last step is written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import patterns
from stepcommit.plan.model import Plan, Step
from stepcommit.plan.text import Line, split_lines

_LIST_START = re.compile(
    r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)|^ {0,3}(?:#{1,6}(?:[ \t]|$)|[-*_]{3,}[ \t]*$)"
)
_TRAILING_NUMBER = re.compile(r"^(?P<head>.*?)(?P<num>\d+)(?P<tail>[a-z]?)$")


@dataclass(frozen=True)
class Appended:
    text: str
    ids: tuple[str | None, ...]
    """The new steps' own ids, None where the plan's steps carry none."""
    lines: tuple[int, ...]


def _indent(body: str) -> int:
    return len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())


def _item_end(lines: list[Line], index: int) -> int:
    """Index of the last line that belongs to the list item starting at ``index``.

    Deeper-indented lines (sub-steps, Verify lines) and lazy continuation lines belong to it;
    a blank line ends it unless deeper-indented content follows.
    """
    own = _indent(lines[index].body)
    last = index
    j = index + 1
    while j < len(lines):
        body = lines[j].body
        if not body.strip():
            k = j
            while k < len(lines) and not lines[k].body.strip():
                k += 1
            if k < len(lines) and _indent(lines[k].body) > own:
                j = k
                continue
            break
        if _indent(body) <= own and _LIST_START.match(body):
            break
        last = j
        j += 1
    return last


def next_id(ident: str, taken: set[str]) -> str | None:
    """The id after ``ident`` in its own numbering (``1.3`` -> ``1.4``, ``T012`` -> ``T013``), unused in the plan."""
    match = _TRAILING_NUMBER.match(ident)
    if match is None:
        return None
    head, num = match.group("head"), match.group("num")
    n = int(num)
    while True:
        n += 1
        candidate = f"{head}{n:0{len(num)}d}"
        if candidate not in taken:
            return candidate


def _template(rest: str, step: Step) -> tuple[str, str, str, str] | None:
    """(gap, prefix, separator, closer) of a step's text after its checkbox, or None if it cannot be read.

    ``**1.1. Setup**`` gives (" ", "**", ". ", "**"); ``T012 [P] [US1] Add model`` gives (" ", "", " ", "").
    """
    gap = rest[: len(rest) - len(rest.lstrip(" \t"))] or " "
    body = rest.lstrip(" \t")
    body = patterns.TIMESTAMP.sub("", body)  # an ExecPlan's done-time belongs to that step only
    title_at = body.find(step.title) if step.title else -1
    if title_at < 0:
        return None
    if step.explicit_id and (id_at := body.find(step.id)) >= 0 and id_at < title_at:
        prefix = body[:id_at]
        separator = patterns.TAGS.sub("", body[id_at + len(step.id) : title_at]) or " "
    else:
        prefix, separator = body[:title_at], ""
    # `**1.1.** Title` closes its bold before the title; `**1.1. Title**` after it.
    closer = "".join(mark for mark in ("**", "__") if (prefix + separator).count(mark) % 2)
    return gap, prefix, separator, closer


def append_checkbox_steps(text: str, path: Path, plan: Plan, titles: Sequence[str]) -> Appended:
    """``text`` with one open checkbox step per title, after the plan's last checkbox step.

    The new lines copy that step's indent, bullet, bold and id style and continue its numbering,
    so the plan reads as if its author had written them.
    """
    lines = split_lines(text)

    def is_checkbox(step: Step) -> bool:
        return step.line <= len(lines) and patterns.CHECKBOX.match(lines[step.line - 1].body) is not None

    # The outermost checkbox items only: new steps are siblings of a step, never sub-steps of one.
    checkbox_steps: list[Step] = []

    def visit(step: Step) -> None:
        if is_checkbox(step):
            checkbox_steps.append(step)
            return
        for child in step.children:
            visit(child)

    for top in plan.steps:
        visit(top)
    if not checkbox_steps:
        raise PlanError(
            f"{path.name} keeps its steps as headings or table rows, not checkboxes; "
            "stepcommit adds steps only to checkbox plans.",
            hint="Add the steps by hand; `stepcommit coverage --prompt` prints what they should say.",
        )
    last = max(checkbox_steps, key=lambda s: s.line)
    index = last.line - 1
    box = patterns.CHECKBOX.match(lines[index].body)
    assert box is not None  # checked when the step was chosen
    shape = _template(box.group("rest"), last)
    gap, prefix, separator, closer = shape or (" ", "**" if "**" in box.group("rest") else "", ". ", "")
    if shape is None:
        closer = prefix
    taken = {s.id for s in plan.walk()}
    ident: str | None = last.id if last.explicit_id and separator else None
    bullet = box.group("bullet")
    between = lines[index].body[box.end("bullet") : box.start("mark") - 1]
    ending = lines[index].ending or next((line.ending for line in lines if line.ending), "\n")

    new_lines: list[str] = []
    ids: list[str | None] = []
    for title in titles:
        title = " ".join(title.split())  # one line per step, whatever the title held
        if ident is not None:
            ident = next_id(ident, taken)
        if ident is not None:
            taken.add(ident)
            words = f"{prefix}{ident}{separator}{title}{closer}"
        else:
            words = f"{prefix}{title}{closer}"
        if bullet[0].isdigit():
            bullet = f"{int(bullet[:-1]) + 1}{bullet[-1]}"
        ids.append(ident)
        new_lines.append(f"{box.group('indent')}{bullet}{between}[ ]{gap}{words}{ending}")

    end = lines[_item_end(lines, index)]
    at = end.end + len(end.ending)
    lead = "" if end.ending else ending  # the file ended without a newline
    first_line = end.number + 1
    return Appended(
        text[:at] + lead + "".join(new_lines) + text[at:],
        tuple(ids),
        tuple(range(first_line, first_line + len(new_lines))),
    )
