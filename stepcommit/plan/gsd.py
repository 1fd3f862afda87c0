"""A GSD (get-shit-done) phase plan, `.planning/phases/<phase>/<NN-MM>-PLAN.md`: its `<task>` blocks.

    <task type="auto">
      <name>Task 1: Fix CI helm repo index to use --merge flag</name>
      <verify><automated>grep -q -- --merge .github/workflows/ci.yml</automated></verify>
      <done>ci.yml's index step merges the old index</done>
    </task>

GSD keeps no status in the file (a finished plan gets a `<NN-MM>-SUMMARY.md` beside it, and its
roadmap checkbox ticked), so: every task of a plan with a summary is done; otherwise a task's status
is the `status="..."` attribute stepcommit writes on its opening tag, the one byte range a tick
changes. `<automated>` commands are the task's verification, `<done>` its criterion; checkpoint
tasks (`type="checkpoint:human-verify"`) are a person's to do, passed over by `start`.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from stepcommit.lazy_re import lazy
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, apply, line_of

_OPEN = lazy(r"^[ \t]*<task\b(?P<attrs>[^>]*)>", re.M)
_CLOSE = lazy(r"</task\s*>")
_NAME = lazy(r"<name>(?P<name>.*?)</name>", re.S)
_AUTOMATED = lazy(r"<automated>(?P<cmd>.*?)</automated>", re.S)
_DONE = lazy(r"<done>(?P<done>.*?)</done>", re.S)
_ATTR = lazy(r"""\b(?P<key>[\w:-]+)\s*=\s*(?P<q>["'])(?P<value>.*?)(?P=q)""")
_SHELL = lazy(r"[|&;<>`$()]")
_TASK_ID = lazy(r"^\s*Task\s+(?P<id>\d+(?:\.\d+)*)\s*[:.)-]\s*", re.I)
_READ: dict[str, Status] = {
    "todo": "todo",
    "pending": "todo",
    "in_progress": "in_progress",
    "done": "done",
    "skipped": "skipped",
}


@dataclass(frozen=True)
class _Task:
    step: Step
    attrs_end: int  # where the opening tag's `>` is: a new attribute goes just before it
    status: tuple[int, int] | None  # the status attribute's value span, when it has one


def looks_like(text: str) -> bool:
    return "<tasks>" in text and _OPEN.search(text) is not None and "<name>" in text


def _command(raw: str) -> str:
    """An `<automated>` check as a verification command. GSD writes shell (`grep -q x f && echo PASS`);
    verification commands are split like argv, so one with shell syntax runs through `sh -c`."""
    command = " ".join(html.unescape(raw).split())
    return shlex.join(["sh", "-c", command]) if _SHELL.search(command) else command


def _summary_exists(path: Path) -> bool:
    # 05-01-PLAN.md is finished once 05-01-SUMMARY.md is written beside it.
    name = path.name
    if not name.endswith("-PLAN.md"):
        return False
    return (path.parent / (name.removesuffix("-PLAN.md") + "-SUMMARY.md")).is_file()


def _scan(text: str, path: Path) -> list[_Task]:
    finished = _summary_exists(path)
    tasks: list[_Task] = []
    position = 0
    for opening in _OPEN.finditer(text):
        close = _CLOSE.search(text, opening.end())
        body = text[opening.end() : close.start() if close else len(text)]
        name = _NAME.search(body)
        if name is None:
            continue
        position += 1
        attrs = {m.group("key").lower(): m for m in _ATTR.finditer(opening.group("attrs"))}
        title = " ".join(html.unescape(name.group("name")).split())
        numbered = _TASK_ID.match(title)
        ident = numbered.group("id") if numbered else str(position)
        title = title[numbered.end() :] if numbered else title
        written = attrs.get("status")
        status: Status = "done" if finished else _READ.get(written.group("value") if written else "", "todo")
        base = opening.start("attrs")
        step = Step(
            ident,
            title,
            status,
            line_of(text, opening.start()),
            len(tasks),
            verify=tuple(
                _command(m.group("cmd")) for m in _AUTOMATED.finditer(body) if m.group("cmd").strip()
            ),
            explicit_id=numbered is not None,
            optional=attrs.get("type") is not None and attrs["type"].group("value").startswith("checkpoint"),
            criteria=tuple(" ".join(html.unescape(m.group("done")).split()) for m in _DONE.finditer(body)),
        )
        span = (base + written.start("value"), base + written.end("value")) if written else None
        tasks.append(_Task(step, opening.end() - 1, span))
    return tasks


def parse(text: str, path: Path) -> Plan:
    return Plan(path, "gsd", tuple(t.step for t in _scan(text, path)))


def set_status(text: str, path: Path, step: Step, status: Status) -> str:
    """The file with ``step``'s `status="..."` attribute set (added to its opening tag if new)."""
    if step.status == status:
        return text
    task = _scan(text, path)[step.index]
    if task.status is not None:
        return apply(text, [Edit(task.status[0], task.status[1], status)])
    return apply(text, [Edit(task.attrs_end, task.attrs_end, f' status="{status}"')])
