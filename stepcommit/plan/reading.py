"""Markdown plans of every flavour read into steps: checkboxes, step headings, status tables, emoji bullets.

The flavours (generic markdown, spec-kit, Kiro, Codex ExecPlan, Antigravity) share one reader;
they differ in which lines hold steps and which marker means "in progress". markdown-it-py tells
which lines are code, HTML or tables (`structure`); the steps themselves are read from the raw
lines, and each keeps the offsets of its status marker, so that a status change (`editing`) edits
only the bytes of one marker.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from stepcommit.errors import PlanError
from stepcommit.lazy_re import lazy
from stepcommit.plan import blocks, tracker, words
from stepcommit.plan.model import Granularity, Plan, Status, Step, built_step
from stepcommit.plan.patterns import (
    ANTIGRAVITY_ID,
    ATX,
    BOLD_ID,
    BOOKKEEPING_SECTION,
    CHECKBOX,
    COMPOUND_HEADING,
    CRITERIA,
    CRITERIA_LABEL,
    EMOJI_BULLET,
    EMPTY_ITEM,
    EXECPLAN_SECTIONS,
    HEADING_STATUS,
    ITEM_HEADING,
    KEYWORD_AND_ID,
    LABEL,
    LATER_SECTION,
    MARK_STATUS,
    NOT_STEP_SECTIONS,
    NUMBERED_HEADING,
    NUMBERED_ITEM,
    OPTIONAL_CELL,
    PLACEHOLDER,
    PLAIN_BULLET,
    PLANNED_SECTION,
    PRIORITY_LINE,
    STATUS_LINE,
    STEP_HEADING,
    TASK_HEADING,
    TASKS_PARENT,
    TEMPLATE_HEADING,
    TIME_PERIOD,
    TOTAL_ROW,
    UNDER_WAY_SECTION,
    VERIFY,
)
from stepcommit.plan.structure import _cells, _comment_lines, _details_lines, _plain, _structure, _Table
from stepcommit.plan.text import Line, no_gc, split_lines
from stepcommit.plan.titles import _clean, _unbold, read_title, split_title


class Marker(NamedTuple):
    """Where a step's status is written, and how to rewrite it (a tuple: one per step, made fast)."""

    kind: str  # checkbox | heading | cell | emoji
    start: int  # offsets of the marker in the whole text
    end: int
    line: Line
    column: int = -1  # table cells: which column (for the column's own vocabulary)
    table: int = -1


@dataclass(slots=True)
class _Node:
    id: str | None
    title: str
    status: Status | None  # None: a heading whose status comes from its children
    line: int
    level: int  # headings: depth - 100, so that every heading encloses every list
    marker: Marker
    optional: bool = False
    numbered_heading: bool = False
    children: list[_Node] = field(default_factory=list)
    verify: list[str] = field(default_factory=list)
    deferred: bool = False
    criteria: list[str] = field(default_factory=list)
    numbered_item: bool = False  # an item of a top-level numbered list (`1. Title`, `2. ✅ Title`)
    priority: int | None = None  # the rank its `**Priority**:` field says (0 first)
    planned: int = -1  # a bullet of a `## Planned`-like section: the section (its heading's position)
    later: bool = False  # in a section of later work (`## Future Enhancements`)
    under_way: bool = False  # in a section whose heading says it is under way (`## v2.1 - IN PROGRESS`)
    blocked_by: str = ""  # what a row's status says it waits on (`Blocked by #24`), until resolved
    depends: list[_Node] = field(default_factory=list)  # the steps it waits on (`Blocked by #24`'s row)


@dataclass(frozen=True)
class Parsed:
    plan: Plan
    markers: tuple[Marker, ...]  # by step index
    flavor: str
    lines: tuple[Line, ...]
    places: tuple[tuple[tracker.Place, ...], ...] = ()  # by step index: the other places of a joined step
    rollup: tracker.Rollup = field(default_factory=tracker.Rollup)
    legend: Mapping[str, Status] = field(default_factory=dict)  # glyphs the file's legend line defines


def _detect(lines: list[Line], skip: set[int], headings: dict[int, int], path: Path) -> str:
    bodies = [line.body for i, line in enumerate(lines) if i not in skip]
    heading_texts = [_plain(lines[i].body.lstrip("# ")) for i in headings]
    # Each checkbox matched once; the substring tests spare a regex on lines that cannot match.
    checkbox = CHECKBOX.compiled.match  # once a line: the compiled pattern's own method
    matched = [m for b in bodies if "[" in b and (m := checkbox(b))]
    boxes = [m.string for m in matched]
    if "progress" in heading_texts and any(s in heading_texts for s in EXECPLAN_SECTIONS):
        return "execplan"
    if any("T" in b and re.search(r"\]\*?[ \t]+(?:\*\*)?T\d{3,}\b", b) for b in boxes):
        return "spec-kit"
    if any(m.group("mark") == "/" for m in matched) or any(
        "<!--" in b and ANTIGRAVITY_ID.search(b) for b in boxes
    ):
        return "antigravity"
    if (
        ".kiro" in path.parts
        or any("_Requirement" in b and re.match(r"^[ \t]*(?:[-*+][ \t]+)?_Requirements?:", b) for b in bodies)
        or any(m.group("star") for m in matched)
    ):
        return "kiro"
    return "markdown"


def _continuation(lines: list[Line], index: int, para_end: dict[int, int]) -> str:
    """The wrapped rest of a step's title: the following lines of the same paragraph, up to a label."""
    parts: list[str] = []
    for j in range(index + 1, para_end.get(index, index + 1)):
        body = lines[j].body
        if LABEL.match(body) or VERIFY.match(body) or not body.strip():
            break
        parts.append(body.strip())
    return " ".join(parts)


@dataclass
class _Criteria:
    """An open criteria section: its checkboxes go to ``owner`` (None: no enclosing step; dropped)."""

    owner: _Node | None
    depth: int  # a heading's depth, or a label line's indent
    label: bool
    bullets: bool = False  # a label's list so far: plain bullets (its criteria written without boxes)
    line: int = -1  # a heading's line index: a table right under it is a table of criteria


def _enclosing(stack: list[tuple[int, _Node | None, str]]) -> _Node | None:
    return next((node for _, node, _ in reversed(stack) if node is not None), None)


def _label_owner(items: list[_Node], indent: int, stack: list[tuple[int, _Node | None, str]]) -> _Node | None:
    # `**Acceptance Criteria:**` belongs to the checkbox step it is indented under, else to the heading.
    for node in reversed(items):
        if node.level < 0:
            break
        if node.level < indent and node.marker.kind == "checkbox":
            return node
    return _enclosing(stack)


def _criteria_name(text: str) -> bool:
    plain = re.sub(r"^[\W\d_]*(?:(?i:phase|step|stage|milestone|task)[ \t]+[\w.-]+[ \t:.\-–—]*)?", "", text)
    return CRITERIA.search(_plain(plain)) is not None


_RECENT: list[tuple[str, Path, str, Parsed]] = []
"""The last plans read: reading a plan, ticking it and checking the result read the same text two or
three times (`start`, `finish`, `check`), and a big plan costs seconds to read. Parsed is frozen."""


def _scan(text: str, path: Path, steps: Granularity = "phase") -> Parsed:
    for seen_text, seen_path, seen_steps, parsed in _RECENT:
        if seen_path == path and seen_steps == steps and (seen_text is text or seen_text == text):
            return parsed
    with no_gc():
        parsed = _read(text, path, steps)
    _RECENT.insert(0, (text, path, steps, parsed))
    del _RECENT[2:]
    return parsed


def _read(text: str, path: Path, steps: Granularity = "phase") -> Parsed:
    lines = split_lines(text)
    try:
        layout = blocks.read(lines)
    except RecursionError:  # pragma: no cover - markdown-it limits nesting itself
        raise PlanError(f"The plan {path.name} nests too deeply to read.") from None
    skip, code, para_end, headings, tables = _structure(layout.tokens, len(lines))
    para_end.update(layout.para_end)
    if layout.headings:
        headings = dict(sorted({**headings, **layout.headings}.items()))
    # Most plans hold no comment and no `<details>`: one search of the text, not a pass over its lines.
    if "<!--" in text:
        skip |= _comment_lines(lines, skip)
    if "etails" in text or "ETAILS" in text:  # what `_details_lines` looks for on each line
        skip |= _details_lines(lines, code)
    flavor = _detect(lines, skip, headings, path)
    table_rows = {row: (t_index, table) for t_index, table in enumerate(tables) for row in table.rows}
    low = text.lower()  # a legend line says `key` or `legend` (in any case): most plans have neither
    legend = (
        words.read_legend(line.body for i, line in enumerate(lines) if i not in skip)
        if "key" in low or "legend" in low
        else {}
    )

    # Emoji bullets are steps only in a plan without checkboxes or status rows: elsewhere they
    # are a legend or notes.
    allow_emoji = (
        flavor == "markdown"
        and not table_rows
        and not any(
            "[" in line.body and CHECKBOX.match(line.body) for i, line in enumerate(lines) if i not in skip
        )
    )
    items: list[_Node] = []
    verify_at: dict[int, list[tuple[int, str]]] = {}
    progress_depth: int | None = None  # ExecPlan: inside `## Progress`
    stack: list[tuple[int, _Node | None, str]] = []  # enclosing headings: depth, step or None, text
    criteria: _Criteria | None = None
    template_depth: int | None = None  # inside a template's section (`## Phase N`)
    last_heading: tuple[int, _Node, str, int] | None = None  # items' length after it, node, content, start
    again: dict[int, list[tracker.Place]] = {}  # by id(node): a status line under a heading with one
    plain_headings: list[tuple[int, int, str, int, Line]] = []  # headings that are no step (yet)
    task_headings: list[tuple[int, int, str, int, Line]] = []  # `### Mini-Player Fix ✅` under a TODO
    listed: set[int] = set()  # plain headings under a TODO-like heading (their items' positions)
    priorities: dict[int, int] = {}  # a heading's position -> the rank its section's `Priority:` says
    section = 0  # items' length right after the last heading (0 before any)
    planned = (
        -1
    )  # the section, while in one named Planned / Next / Backlog... (only where bullets may be steps)
    planned_bullets = False
    seen_box = False
    later_sections: set[int] = set()  # positions of headings of later work (`## Future Enhancements`)
    under_way_sections: set[int] = set()  # positions of headings of work under way (`## 🚧 In Progress`)
    periods: set[int] = set()  # positions of headings naming a time (`### Q1 2026`, `### Week 1 Goals`)
    checkbox = CHECKBOX.compiled.match  # once a line: the compiled pattern's own method
    # A blank line (the commonest) says something only as a heading or a table's row (neither is).
    for index in [i for i, line in enumerate(lines) if line.body and i not in skip]:
        line = lines[index]
        body = line.body
        if index in headings:
            if headings[index]:
                depth = headings[index]
                content = body.strip()
                content_start = line.start + len(body) - len(body.lstrip())
            else:
                atx = ATX.match(body)
                if atx is None:
                    continue
                depth = len(atx.group("hashes"))
                content = atx.group("text") or ""
                content_start = line.start + (atx.start("text") if atx.group("text") else len(body))
            if flavor == "execplan":
                if progress_depth is not None and depth <= progress_depth:
                    progress_depth = None
                if _plain(content) == "progress":
                    progress_depth = depth
                items.append(_Node(None, "", None, line.number, depth - 100, Marker("break", 0, 0, line)))
                continue
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if criteria is not None and (criteria.label or depth <= criteria.depth):
                criteria = None
            if template_depth is not None and depth <= template_depth:
                template_depth = None
            tasks = any(TASKS_PARENT.search(name) for _, _, name in stack)
            bare = _Node(None, "", None, line.number, depth - 100, Marker("break", 0, 0, line))
            if (
                template_depth is not None
                or TEMPLATE_HEADING.match(_unbold(content).strip())
                or BOOKKEEPING_SECTION.match(_plain(_unbold(content)))
            ):
                template_depth = depth if template_depth is None else template_depth
                node = bare
            elif _criteria_name(content):
                criteria = _Criteria(_enclosing(stack), depth, label=False, line=index)
                node = bare
            else:
                node = _heading_node(content, content_start, depth, line, tasks=tasks)
                if node.marker.kind == "break":
                    plain_headings.append((len(items), depth, content, content_start, line))
                    if tasks:
                        listed.add(len(items))
                elif node.marker.table == _TASK_HEADING_TABLE:
                    task_headings.append((len(items), depth, content, content_start, line))
            if LATER_SECTION.match(_plain(_unbold(content))):
                later_sections.add(len(items))
            elif UNDER_WAY_SECTION.search(content):
                under_way_sections.add(len(items))
            if TIME_PERIOD.search(content):
                periods.add(len(items))
            items.append(node)
            stack.append((depth, None if node.marker.kind == "break" else node, content))
            last_heading = (len(items), node, content, content_start) if template_depth is None else None
            section = len(items)
            planned = section if allow_emoji and PLANNED_SECTION.match(_plain(_unbold(content))) else -1
            continue
        if template_depth is not None:
            continue
        if flavor == "execplan" and progress_depth is None:
            continue
        if index in table_rows:
            t_index, table = table_rows[index]
            node_or_none = _table_node(line, table, t_index, legend)
            if (
                node_or_none is not None
                and criteria is not None
                and not criteria.label
                and not any(lines[i].body.strip() for i in range(criteria.line + 1, table.header_line))
            ):
                # `## Success Criteria Met` over `| Criterion | Target | Actual | Status |`: criteria, met or
                # not, never steps.
                if criteria.owner is not None and node_or_none.title:
                    criteria.owner.criteria.append(node_or_none.title)
            elif node_or_none is not None:
                items.append(node_or_none)
            continue
        if not body:
            continue  # a blank line (the commonest): nothing below reads it
        box = checkbox(body) if "[" in body else None
        if box:
            seen_box = True
            rest = box.group("rest")
            indent = len(box.group("indent").expandtabs(4))
            verify = VERIFY.match(rest) if "erify" in rest else None
            if verify:
                # `- [ ] Verify: cmd` is the step's verification, not a step.
                verify_at.setdefault(len(items), []).append((indent, verify.group("cmd").strip("`").strip()))
                continue
            if criteria is not None and criteria.label and indent < criteria.depth:
                criteria = None
            elif criteria is not None and criteria.bullets and index and not lines[index - 1].body.strip():
                # `**Acceptance Criteria**:` over plain bullets, a blank line, then the phase's task
                # boxes: the criteria were the bullets; the boxes are a list of their own.
                criteria = None
            # Most boxes are a paragraph of one line: nothing wrapped to look for.
            wrapped = (
                _continuation(lines, index, para_end) if para_end.get(index, index + 1) > index + 1 else ""
            )
            full = f"{rest} {wrapped}" if wrapped else rest
            read = read_title(full)
            if criteria is not None:
                if criteria.owner is not None and read.text:
                    criteria.owner.criteria.append(read.text)
                continue
            if read.text[:1] in "<{[" and PLACEHOLDER.match(read.text):
                continue
            if read.text[:1] in "NnTt" and EMPTY_ITEM.match(read.text):
                continue  # `- [ ] None currently tracked`: the list is empty
            if words.is_legend_entry(read.text):
                continue  # `- [x] 已完成（Done）`: a legend of the marks, written as checkboxes
            ident = read.ident
            if flavor == "antigravity" and (found := ANTIGRAVITY_ID.search(rest)):
                ident = found.group("id")
            mark_at = line.start + box.start("mark")
            status = MARK_STATUS[box.group("mark")]
            if status == "todo" and read.status is not None:
                status = read.status  # `- [ ] Login ✅ DONE`, `- [ ] ~~Old idea~~`
            items.append(
                _Node(
                    ident,
                    read.text,
                    status,
                    line.number,
                    indent,
                    Marker("checkbox", mark_at, mark_at + 1, line),
                    optional=bool(box.group("star")) or read.optional,
                    deferred=read.deferred and status == "todo",
                )
            )
            continue
        stripped = body.strip()
        if not stripped:
            continue
        if criteria is not None and criteria.label:
            lead = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
            bullet_line = re.match(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", stripped) is not None
            if lead <= criteria.depth and not bullet_line:
                criteria = None
            elif bullet_line:
                criteria.bullets = True
        label = (
            CRITERIA_LABEL.match(body) if stripped.endswith(":") or stripped.endswith(("**", "__")) else None
        )
        if label and _criteria_name(label.group("name") or label.group("name2") or ""):
            lead = len((label.group("indent") or label.group("indent2") or "").expandtabs(4))
            criteria = _Criteria(_label_owner(items, lead, stack), lead, label=True)
            continue
        status_line = STATUS_LINE.match(body) if last_heading and last_heading[0] == len(items) else None
        if status_line and last_heading is not None:
            promoted = _status_line(line, status_line, last_heading, stack)
            if promoted is None and last_heading[1].marker.kind == "heading":
                # `### Phase 1: ... (complete)` over `Status: complete.`: both lines say the
                # status, so a tick rewrites both (else the line left would read the old one back).
                said = _said_again(line, status_line)
                if said is not None:
                    again.setdefault(id(last_heading[1]), []).append(said)
                    # `#### 9. Receipt Storage 🔄` over `**Status**: COMPLETED ✅`: the line says it in
                    # words, and later (a glyph is often left as it was): the line's status wins.
                    told = words.read_cell(status_line.group("value")).status
                    if told is not None and told != last_heading[1].status:
                        last_heading[1].status = told
            if promoted is not None:
                items[-1] = promoted
                stack[-1] = (stack[-1][0], promoted, stack[-1][2])
                last_heading = None
                continue
        if "riority" in body and 0 < section == len(items):
            # `**Priority**: High - ...` in a heading's section, before any step under it.
            field_line = PRIORITY_LINE.match(body)
            rank = words.priority_rank(field_line.group("value")) if field_line else None
            if rank is not None:
                priorities.setdefault(len(items) - 1, rank)
                continue
        verify = VERIFY.match(body) if "Verify" in body else None
        if verify:
            indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
            verify_at.setdefault(len(items), []).append((indent, verify.group("cmd").strip("`").strip()))
            continue
        bullet = EMOJI_BULLET.match(body) if allow_emoji else None
        if bullet and allow_emoji:
            emoji_status = words.emoji_status(bullet.group("emoji"))
            ident, rest = _bold_id(bullet.group("rest"))
            read = read_title(rest)
            start = line.start + bullet.start("emoji")
            node = _Node(
                ident or read.ident,
                read.text,
                emoji_status,
                line.number,
                len(bullet.group("indent").expandtabs(4)),
                Marker("emoji", start, line.start + bullet.end("emoji"), line),
                optional=read.optional,
                deferred=read.deferred and emoji_status == "todo",
                numbered_item=not bullet.group("indent") and stripped[:1].isdigit(),
                planned=(planned if planned >= 0 else section if ident else -1)
                if stripped[:1] in "-*+"
                else -1,
            )
            items.append(node)
            planned_bullets = planned_bullets or node.planned >= 0
            continue
        numbered = NUMBERED_ITEM.match(body) if allow_emoji and criteria is None else None
        if numbered and not any(NOT_STEP_SECTIONS.match(_plain(_unbold(name))) for _, _, name in stack):
            read = read_title(numbered.group("rest"))
            if read.text and not PLACEHOLDER.match(read.text):
                start = line.start + numbered.start("rest")
                items.append(
                    _Node(
                        None,
                        read.text,
                        read.status or "todo",
                        line.number,
                        0,
                        Marker("emoji-bare", start, start, line),
                        optional=read.optional,
                        deferred=read.deferred and read.status is None,
                        numbered_item=True,
                    )
                )
            continue
        plain = (
            PLAIN_BULLET.match(body)
            if allow_emoji and criteria is None and (planned >= 0 or "**" in body or "__" in body)
            else None
        )
        ident, rest = _bold_id(plain.group("rest")) if plain else (None, "")
        if plain and (planned >= 0 or ident):
            # `- Optional memory pinning` under `### Planned for 0.9.x`, `- **M1** trend buckets` in a
            # backlog: a step if the plan has no other (the glyph a tick writes goes before the id).
            read = read_title(rest)
            if read.text and not PLACEHOLDER.match(read.text):
                start = line.start + plain.start("rest")
                items.append(
                    _Node(
                        ident or read.ident,
                        read.text,
                        read.status or "todo",
                        line.number,
                        len(plain.group("indent").expandtabs(4)),
                        Marker("emoji-bare", start, start, line),
                        optional=read.optional,
                        deferred=read.deferred and read.status is None,
                        planned=planned if planned >= 0 else section,
                    )
                )
                planned_bullets = True
    front_matter = bool(lines) and lines[0].body.strip() == "---"  # a tool's own format
    if planned_bullets:
        _planned_items_or_none(items, front_matter or seen_box)
    _numbered_items_or_none(items, front_matter, seen_box)
    _milestones_are_groups(items)
    items[:] = _without_phase_ranges(items)
    _nest_by_number(items)
    _sections_are_no_tasks(items, task_headings, plain_headings, listed)
    if seen_box:
        _headings_named_by_boxes(items, sorted((*plain_headings, *task_headings), key=lambda h: h[0]))
    # A numbered heading with nothing under it (`## 0.9.x (current)`) is no step (see `_build`).
    if (
        # A numbered heading that says its status (`### 1. Project Setup ✅`) is a marked step.
        not any(n.marker.kind != "break" and not (n.numbered_heading and n.status is None) for n in items)
        and not seen_box
        and not front_matter
    ):
        _headings_as_steps(items, plain_headings)
    for position, rank in priorities.items():
        items[position].priority = rank
    if later_sections:
        _later_work(items, later_sections)
    if under_way_sections:
        for _, node in _in_sections(items, under_way_sections):
            node.under_way = True
    if "xecution order" in low or "XECUTION ORDER" in text:
        _execution_order(items, lines, skip)
    if periods and seen_box:
        items[:] = _without_schedule_restatements(items, periods)
    if planned_bullets:
        _roll_call(items, lines, skip)
    if any(
        word in low for word in ("deferred", "postponed", "descoped", "de-scoped", "parked", "out of scope")
    ):
        _deferred_phases(items, lines, headings, skip)
    if "locked" in low:
        _blockers_in_the_table(items)
    return replace(_build(items, verify_at, flavor, lines, path, steps, again), legend=legend)


# What a status cell says a row waits on: `Blocked by #24`, `blocked on Slice 2, #25`.
_BLOCKED_BY = lazy(r"(?i)\bblocked[ \t]+(?:by|on)[ \t]*:?[ \t]*(?P<refs>[^()\[\]]+?)[ \t.]*$")
_REF_SPLIT = lazy(r"[ \t]*(?:,|;|&|\band\b)[ \t]*")


def _blockers_in_the_table(items: list[_Node]) -> None:
    """A row whose status says it is blocked by another row of its table (`| 3 | #25 | Blocked by #24 |`,
    where a row's cell holds `#24` or its id is `24`) waits on that row: a dependency, so `start` takes
    it once that row is done, not a deferral. A blocker the table does not hold keeps the row deferred."""
    by_table: dict[int, list[_Node]] = {}
    for node in items:
        if node.marker.kind == "cell" and node.marker.table >= 0:
            by_table.setdefault(node.marker.table, []).append(node)
    for node in items:
        if not node.blocked_by or node.marker.kind != "cell":
            continue
        rows = [r for r in by_table.get(node.marker.table, ()) if r is not node]
        found = [_row_named(ref, rows) for ref in _REF_SPLIT.split(node.blocked_by)]
        if found and all(found):
            node.depends = [row for row in found if row is not None]
            node.deferred = False


def _row_named(ref: str, rows: list[_Node]) -> _Node | None:
    """The one row ``ref`` names (`#24`, `Slice 2`, `2`): by its id, or a cell holding it; else None."""
    token = re.sub(r"[*_`]", "", ref).strip()
    if not token:
        return None
    bare = token.split()[-1] if KEYWORD_AND_ID.compiled.fullmatch(token) else token.lstrip("#")
    named = re.compile(rf"(?<![\w#]){re.escape(token)}(?!\w)")
    same = [
        r
        for r in rows
        if r.id in (token, bare) or named.search(_outside(r.marker.line.body, r.marker)) is not None
    ]
    return same[0] if len(same) == 1 else None


def _outside(body: str, marker: Marker) -> str:
    """A row's text without its status cell (the blocker's own `Blocked by #24` names #24 too)."""
    start, end = marker.start - marker.line.start, marker.end - marker.line.start
    return body[:start] + " " + body[end:]


_DEFERRAL_HEADING = lazy(
    r"(?i)^#{1,6}[ \t]+\W*(?:deferred|postponed|descoped|de-scoped|parked|out[ \t]+of[ \t]+scope)\b"
)
_PHASES_NAMED = lazy(r"(?i)\bphases?[ \t]+(\d+)(?:[ \t]*(?:[-–—]|to|through)[ \t]*(\d+))?\b")
_PHASE_HEADING = lazy(r"(?i)^#{1,6}[ \t]+\W*(?:\*\*)?phase[ \t]+\d")


def _without_schedule_restatements(items: list[_Node], periods: set[int]) -> list[_Node]:
    """``items`` without the boxes of a schedule that restate a step heading written elsewhere: under
    `### Q1 2026` or `### Week 1 Goals`, `- [ ] Analytics API 구현 (Gas 통계, TPS)` names the work of
    `### 3. Analytics API` again (at least two of its words, and half of them). The schedule says
    when, the heading's section says what; the box is no second step. A box naming new work stays,
    and so does one that names the heading of its own schedule (`## Week 1: Database setup` over
    `- [ ] Database setup script`): only step headings outside every such section count."""
    scheduled = list(_in_sections(items, periods))
    inside = {id(n) for _, n in scheduled}
    headings = [
        set(re.findall(r"\w+", n.title.lower()))
        for n in items
        if n.level < 0 and n.marker.kind != "break" and n.title and id(n) not in inside
    ]
    if not headings:
        return items
    gone: set[int] = set()
    for position, node in scheduled:
        if node.level < 0 or node.marker.kind != "checkbox":
            continue
        if position + 1 < len(items) and items[position + 1].level > node.level:
            continue  # a box with parts is more than a restatement
        said = set(re.findall(r"\w+", node.title.lower()))
        for named in headings:
            shared = len(said & named)
            if shared >= 2 and 2 * shared >= len(named):
                gone.add(position)
                break
    return [n for i, n in enumerate(items) if i not in gone]


# GSD's own label (`**Execution Order:**`), not a spec-kit `## Dependencies & Execution Order` section.
_EXECUTION_ORDER = lazy(r"(?i)^[ \t]*\*\*execution[ \t]+order[ \t]*:?[ \t]*\*\*")
_SEQUENCE = lazy(r"\d+(?:\.\d+)*(?:[ \t]*(?:->|→|⟶)[ \t]*\d+(?:\.\d+)*)+")


def _execution_order(items: list[_Node], lines: list[Line], skip: set[int]) -> None:
    """A GSD roadmap's `**Execution Order:**` line (`Sequential order: 12 -> 12.5 -> 12.1 -> 13`): the
    phases it lists are taken in that order, before the phases it leaves out (run in parallel, or
    not yet ordered), whatever the file order of their boxes. Written as each phase's priority."""
    sequence: list[str] = []
    for i, line in enumerate(lines):
        if i in skip or not _EXECUTION_ORDER.compiled.match(line.body):
            continue
        for near in lines[i : i + 4]:
            found = _SEQUENCE.compiled.search(near.body)
            if found:
                sequence = re.findall(r"\d+(?:\.\d+)*", found.group())
                break
        if sequence:
            break
    if len(sequence) < 2:
        return
    rank = {ident: position for position, ident in enumerate(sequence)}
    for node in items:
        if node.id is not None and node.priority is None and re.fullmatch(r"\d+(?:\.\d+)*", node.id):
            node.priority = rank.get(node.id, len(sequence))


def _in_sections(items: list[_Node], sections: set[int]) -> Iterator[tuple[int, _Node]]:
    """The items inside the sections whose headings are at ``sections`` (positions), the headings
    themselves included, each with its position."""
    depth: int | None = None  # the depth of the section we are in
    for position, node in enumerate(items):
        if node.level < 0:
            here = node.level + 100
            if depth is not None and here <= depth:
                depth = None
            if depth is None and position in sections:
                depth = here
        if depth is not None:
            yield position, node


def _later_work(items: list[_Node], sections: set[int]) -> None:
    """Every item in a section of later work (`## Future Enhancements`, `### Nice to have`), and the
    heading itself, is marked ``later``: `start` takes the open work elsewhere first."""
    for _, node in _in_sections(items, sections):
        node.later = True


def _deferred_phases(items: list[_Node], lines: list[Line], headings: dict[int, int], skip: set[int]) -> None:
    """`## 🔄 DEFERRED TO FUTURE SPEC` over "**Phases 6-9 have been deferred** ...": the phases a
    deferral section names (`Phase 6`, `Phases 6-9`) are deferred where their own headings say
    nothing of it, so `start` passes over their boxes."""
    marks = sorted(i for i in headings if i not in skip and _DEFERRAL_HEADING.match(lines[i].body))
    if not marks:
        return

    def depth(i: int) -> int:  # a setext heading's depth is in the map, an ATX one's in its hashes
        return headings[i] or len(lines[i].body) - len(lines[i].body.lstrip("#"))

    order = sorted(headings)
    named: set[str] = set()
    for mark in marks:
        end = next((i for i in order if i > mark and depth(i) <= depth(mark)), len(lines))
        for i in range(mark + 1, end):
            for first, last in _PHASES_NAMED.findall(lines[i].body):
                low, high = int(first), int(last or first)
                if high - low <= 100:
                    named.update(str(n) for n in range(low, high + 1))
    for node in items:
        if node.id in named and node.level < 0 and _PHASE_HEADING.match(node.marker.line.body):
            node.deferred = True


def _roll_call(items: list[_Node], lines: list[Line], skip: set[int]) -> None:
    """Bare backlog bullets (`- **M1** ...`, no mark of their own) take the status a roll-call
    elsewhere in the file gives their ids (`**Shipped this session:** M1 M2 ...`; see `rollcall`)."""
    from stepcommit.plan import rollcall

    bare = [n for n in items if n.marker.kind == "emoji-bare" and n.id and n.status == "todo"]
    if not bare:
        return
    # A shared item (`**G3/P3**`) is called when each of its ids is.
    parts = {id(n): (n.id or "").split("/") for n in bare}
    done, deferred = rollcall.called(
        lines, skip, {n.line - 1 for n in items}, {part for these in parts.values() for part in these}
    )
    for node in bare:
        if all(part in done for part in parts[id(node)]):
            node.status = "done"
        elif all(part in deferred or part in done for part in parts[id(node)]):
            node.deferred = True


# The `table` of a task heading's marker, which is rewritten as a cell is.
_TASK_HEADING_TABLE = -3


def _nest_by_number(items: list[_Node]) -> None:
    """Boxes a list writes flat, a group's at its tasks' indent (Kiro's `- [x] 2. Implement tokens`
    over `- [x] 2.1 Create color tokens`): the tasks numbered in the group's number are its children."""
    group: _Node | None = None
    for node in items:
        if node.marker.kind != "checkbox":
            if node.marker.kind == "break":
                group = None
            continue
        if node.id is not None and node.id.isdigit():
            group = node
        elif (
            group is not None
            and node.level == group.level
            and (node.id or "").startswith(f"{group.id}.")
            and not _same_label(group, node)
        ):
            node.level = group.level + 1
        elif group is not None and node.level <= group.level:
            group = None


_GROUP_HEADING = lazy(r"^ {0,3}#{1,6}[ \t]+(?:\W{0,3}[ \t]*)?(?:\*\*)?(?i:milestone)[ \t]+\w")


def _milestones_are_groups(items: list[_Node]) -> None:
    """`### Milestone 2: Production v1.0 (In Progress)` over `- [ ] **Phase 11: ...**` boxes: the
    milestone groups the phases (each a step, with its own section further down), so it is no step
    of its own; its status is its phases'."""
    for i, node in enumerate(items[:-1]):
        following = items[i + 1]
        if node.marker.kind == "break" or following.marker.kind != "checkbox":
            continue
        if not _GROUP_HEADING.match(node.marker.line.body):
            continue
        label = _BOX_LABEL.match(following.marker.line.body)
        if label is None or label.group(1).lower() not in _PHASE_WORDS:
            continue
        items[i] = _Node(None, "", None, node.line, node.level, Marker("break", 0, 0, node.marker.line))


_PHASE_RANGE = lazy(
    r"\s[-–—:]+\s*\(?(?i:phases?)[ \t]+(?P<first>\d+(?:\.\d+)*)(?:[ \t]*[-–—][ \t]*(?P<last>\d+(?:\.\d+)*))?\b"
)


def _without_phase_ranges(items: list[_Node]) -> list[_Node]:
    """Without the boxes that only say which phases a milestone spans (`- [ ] **v4.3 Graph** - Phases
    171-173 (active)`, `- [x] **v4.2 JSON** - Phase 170 (shipped)`) where a phase they name is a
    step of its own: the milestone list restates the phases at another grain."""
    if not any(n.marker.kind == "checkbox" and "hase" in n.marker.line.body for n in items):
        return items
    headed = {n.id for n in items if n.marker.kind.startswith("heading") or n.marker.kind == "cell"}
    kept: list[_Node] = []
    for node in items:
        if node.marker.kind == "checkbox" and "hase" in node.marker.line.body:
            span = _PHASE_RANGE.search(node.marker.line.body)
            if span is not None and (span.group("first") in headed or span.group("last") in headed):
                continue
        kept.append(node)
    return kept


# Words a box names a phase by (a `Task 1.1` box is still read as a task of `Task 1`).
_PHASE_WORDS = {"phase", "stage", "sprint", "iteration", "fase", "etapa"}
_BOX_LABEL = lazy(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[.\]\*?[ \t]+(?:\*\*|__)?(\w+)[ \t]+\d")


def _same_label(group: _Node, node: _Node) -> bool:
    """`- [x] **Phase 12: ...**` then `- [x] **Phase 12.1: ...**`: both say they are phases (an
    inserted phase between 12 and 13), so the second is a sibling, not a task of the first."""
    one = _BOX_LABEL.match(group.marker.line.body)
    other = _BOX_LABEL.match(node.marker.line.body)
    return (
        one is not None
        and other is not None
        and one.group(1).lower() in _PHASE_WORDS
        and one.group(1).lower() == other.group(1).lower()
    )


def _bold_id(text: str) -> tuple[str | None, str]:
    """A backlog item's own id in bold before its text (`**M1** trend buckets`, `**G3/P3** …`) and
    the text after it; (None, text) when it has none (`**Note** …`, `**Q1 decomposition** — …`)."""
    match = BOLD_ID.match(text) if text[:2] in ("**", "__") else None
    if match is None:
        return None, text
    return match.group("id"), text[match.end() :]


def _planned_items_or_none(items: list[_Node], elsewhere: bool) -> None:
    """A plan with no checkbox, status row, marked heading or marked item (a roadmap of plain
    bullets): the bullets of its `## Planned` / `## Next` / `## Backlog`-like sections, and bullets
    that open with their own id in bold (`- **M1** trend buckets`), are its steps, each section's
    outermost ones (the bullets under them describe them); its numbered headings only group them
    (`## 0.9.x (current)`). Elsewhere (``elsewhere``: checkboxes or front matter), they are prose."""
    # A heading with no status may group them; a plain numbered list gives way to them.
    elsewhere = elsewhere or any(
        n.marker.kind not in ("break", "heading-bare")
        and n.planned < 0
        and not (n.numbered_heading or n.numbered_item)
        for n in items
    )
    outer: dict[int, int] = {}
    for node in items:
        if node.planned >= 0:
            outer[node.planned] = min(node.level, outer.get(node.planned, node.level))
    for position, node in enumerate(items):
        if node.numbered_heading and not elsewhere:
            items[position] = _Node(
                None, "", None, node.line, node.level, Marker("break", 0, 0, node.marker.line)
            )
        if node.planned < 0:
            continue
        if node.marker.kind == "emoji-bare" and (elsewhere or node.level > outer[node.planned]):
            items[position] = _Node(
                None, "", None, node.line, node.level, Marker("break", 0, 0, node.marker.line)
            )
        else:
            node.planned = -1


def _numbered_items_or_none(items: list[_Node], front_matter: bool, seen_box: bool = False) -> None:
    """A plan with no checkbox, status row or step heading whose work is a numbered list (a TODO.md
    of `1. Feature: description` items): its top-level numbered items are the steps, a status
    glyph written after the number (`2. ✅ Feature`) saying which are done. Elsewhere, or with
    fewer than two of them, numbered items are prose."""
    listed = [n for n in items if n.numbered_item]
    if not listed:
        return
    others = any(n.marker.kind != "break" and not n.numbered_item for n in items)
    if not front_matter and not seen_box and _phase_tasks(items):
        return
    if others or front_matter or len(listed) < 2:
        for position, node in enumerate(items):
            if node.numbered_item and node.marker.kind == "emoji-bare":
                items[position] = _Node(None, "", None, node.line, 0, Marker("break", 0, 0, node.marker.line))
            elif node.numbered_item:
                node.numbered_item = False


def _phase_tasks(items: list[_Node]) -> bool:
    """`### Phase 1: Transport Abstraction` over `1. Create the trait`, `2. Move stdio`: in a plan
    without checkboxes, the numbered items in a step heading's section are that phase's tasks, and
    the glyph bullets and numbered lists under other headings (`## Current State`: `- ✅ Stdio`) are
    notes. True when the plan is so written (two phases with tasks or more), its items then settled."""
    owners = _owners(items)
    phases = {
        id(owner)
        for owner, node in zip(owners, items, strict=True)
        if owner is not None and node.numbered_item and node.marker.kind == "emoji-bare"
    }
    if len(phases) < 2:
        return False
    for position, (node, owner) in enumerate(zip(items, owners, strict=True)):
        if node.level >= 0 and node.marker.kind.startswith("emoji") and owner is None:
            items[position] = _Node(None, "", None, node.line, 0, Marker("break", 0, 0, node.marker.line))
        elif node.numbered_item:
            node.numbered_item = False
    return True


def _owners(items: list[_Node]) -> list[_Node | None]:
    """Each item's enclosing step heading (None under a plain heading or none)."""
    owners: list[_Node | None] = []
    heading: _Node | None = None
    for node in items:
        if node.level < 0:
            heading = node if node.marker.kind != "break" else None
        owners.append(heading)
    return owners


def _sections_are_no_tasks(
    items: list[_Node],
    task_headings: list[tuple[int, int, str, int, Line]],
    plain_headings: list[tuple[int, int, str, int, Line]],
    listed: set[int],
) -> None:
    """A heading under a TODO that reads as a task by its status word (`## Features (Planned)`)
    but has headings under it is a section of the list, not a task."""
    if not task_headings:
        return
    depth_at = {h[0]: h[1] for h in (*plain_headings, *task_headings)}
    positions = sorted(depth_at)

    def holds_headings(position: int) -> bool:
        after = next((p for p in positions if p > position), None)
        return after is not None and depth_at[after] > depth_at[position]

    tasks: list[tuple[int, int, str, int, Line]] = []
    for entry in task_headings:
        if holds_headings(entry[0]):
            node = items[entry[0]]
            items[entry[0]] = _Node(
                None, "", None, node.line, entry[1] - 100, Marker("break", 0, 0, node.marker.line)
            )
            plain_headings.append(entry)
        else:
            tasks.append(entry)
    plain_headings.sort(key=lambda h: h[0])
    # The headings of their level with no status yet are open tasks of the same list (one marked
    # done must not turn the others into prose).
    levels = {t[1] for t in tasks}
    for position, depth, content, content_start, line in list(plain_headings):
        listed_plain = position in listed and items[position].marker.kind == "break"
        if (
            listed_plain
            and depth in levels
            and not holds_headings(position)
            and not NOT_STEP_SECTIONS.match(_plain(_unbold(content)))
        ):
            items[position] = _heading_node(content, content_start, depth, line, force=True)


def _headings_named_by_boxes(items: list[_Node], headings: list[tuple[int, int, str, int, Line]]) -> None:
    """A heading that names a task by its own id (`### T-016: Fix the proxy`), where a box elsewhere
    with that id and title says its status (`- [x] T-016: Fix the proxy (done)` in a `## Checklist`):
    the heading is that task's step with that id, whatever its words say, so the two are one step
    (`tracker.join` makes the box a place of the heading). A box inside the heading's own section
    names a part of it, not the task."""
    boxes: dict[str, list[_Node]] = {}
    for node in items:
        if (
            node.marker.kind == "checkbox"
            and node.id is not None
            and tracker.NAMED_ID.compiled.fullmatch(node.id)
        ):
            boxes.setdefault(node.id, []).append(node)
    if not boxes:
        return
    for position, depth, content, content_start, line in headings:
        rest = _heading_status(content, content_start)[1]
        read = read_title(_unbold(rest).strip())
        named = boxes.get(read.ident) if read.ident else None
        if not named:
            continue
        end = next(
            (n.line for n in items[position + 1 :] if n.level < 0 and n.level <= depth - 100),
            1 << 62,
        )
        key = set(re.findall(r"\w+", read.text.lower()))
        if not any(
            not (line.number < box.line < end) and key & set(re.findall(r"\w+", box.title.lower()))
            for box in named
        ):
            continue
        node = items[position]
        if node.marker.kind == "break":
            node = _heading_node(content, content_start, depth, line, force=True)
            items[position] = node
        node.id = read.ident


def _headings_as_steps(items: list[_Node], headings: list[tuple[int, int, str, int, Line]]) -> None:
    """A plan with no marker anywhere (a roadmap of `## Feature` headings): its headings are the steps.

    The steps are the headings of the shallowest level that has more than one, sections such as
    Overview or Notes excepted; when most of those hold headings of their own (`## Features` over
    `### Bulk endpoint`), the headings under them are the steps. Numbered headings above the steps
    (a report's `## 1. Summary`, `## 2. Detailed log`) number the document's sections: no steps.
    """
    candidates = [h for h in headings if not NOT_STEP_SECTIONS.match(_plain(_unbold(h[2])))]
    depths = Counter(h[1] for h in candidates)
    level = min((d for d, n in depths.items() if n > 1), default=None)
    if level is None:
        return
    holding = sum(
        1
        for i, h in enumerate(candidates)
        if h[1] == level and i + 1 < len(candidates) and candidates[i + 1][1] > level
    )
    if 2 * holding > depths[level]:
        level = min(d for d in depths if d > level)
    for position, depth, content, content_start, line in candidates:
        if depth == level:
            items[position] = _heading_node(content, content_start, depth, line, force=True)
    for position, node in enumerate(items):
        if node.numbered_heading and node.level + 100 < level:
            items[position] = _Node(
                None, "", None, node.line, node.level, Marker("break", 0, 0, node.marker.line)
            )


def _said_again(line: Line, match: re.Match[str]) -> tracker.Place | None:
    """A `Status: complete.` line's status as another place of the heading above, which says its own."""
    value = match.group("value")
    cell = words.read_cell(value)
    if cell.status is None or (cell.word is None and cell.emoji is None):
        return None
    start = line.start + match.start("value")
    return tracker.Place("row", Marker("cell", start, start + len(value), line, -1, -2))


def _status_line(
    line: Line,
    match: re.Match[str],
    heading: tuple[int, _Node, str, int],
    stack: list[tuple[int, _Node | None, str]],
) -> _Node | None:
    """The heading just above, with the status its `**Status**: ✅ Completed` line gives it; or None."""
    _, node, content, content_start = heading
    value = match.group("value")
    cell = words.read_cell(value)
    if cell.status is None or (cell.word is None and cell.emoji is None):
        return None
    if node.marker.kind == "break":
        # A task heading with no number (`### Mini-Player Fix`) is a step when its status says so.
        tasks = any(TASKS_PARENT.search(name) for _, _, name in stack[:-1])
        if not tasks:
            return None
        node = _heading_node(
            content, content_start, node.level + 100, node.marker.line, tasks=True, force=True
        )
    elif node.marker.kind != "heading-bare":
        return None  # the heading says its own status
    said = value[cell.word[0] : cell.word[1]] if cell.word else ""
    start = line.start + match.start("value")
    node.status = cell.status
    node.deferred = node.deferred or words.is_deferral(said)
    # Rewritten as a cell is: the file's own words for each status, from every status line.
    node.marker = Marker("cell", start, start + len(value), line, -1, -2)
    return node


def _heading_status(text: str, base: int) -> tuple[Status | None, str, tuple[int, int] | None, bool]:
    """A heading text's trailing status, the text without it, the marker's offsets (from ``base``),
    and whether its word defers the step (`— BLOCKED`)."""
    match = HEADING_STATUS.search(text)
    if match is None or not text[: match.start()].strip():
        return None, text, None, False
    marker = match.group("marker")
    cell = words.read_cell(marker)
    if cell.status is None:
        return None, text, None, False
    deferred = cell.word is not None and words.is_deferral(marker[cell.word[0] : cell.word[1]])
    # The day after the marker (`✅ DONE 2026-07-09`) is part of it: an untick removes both.
    return cell.status, text[: match.start()], (base + match.start(), base + match.end()), deferred


# What follows a phase's number in a heading about the phase (no separator: `Phase 2 Summary`).
_ABOUT_A_PHASE = lazy(
    r"(?i)[ \t]+(?:summary|overview|recap|retrospective|retro|report|notes|review[ \t]+notes)\b[ \t]*(?:\(.*\))?[ \t]*$"
)


def _heading_node(
    content: str, content_start: int, depth: int, line: Line, *, tasks: bool = False, force: bool = False
) -> _Node:
    """The step a heading is (a break in the tree when it is none).

    ``tasks``: the heading is under a `## Tasks`-like heading, so a heading with a status and no
    number is a task; ``force``: it is a step whatever its text (its status comes from elsewhere).
    """
    status, rest, marker, deferred = _heading_status(content, content_start)
    lead_status: Status | None = None
    step = (
        STEP_HEADING.match(rest)
        or TASK_HEADING.match(rest)
        or ITEM_HEADING.match(rest)
        or COMPOUND_HEADING.match(rest)
    )
    numbered = False
    if step is not None and _ABOUT_A_PHASE.compiled.match(rest, step.end("num")):
        # `## Phase 2 Summary`, `## Sprint 3 Retrospective`: a section about the phase, not a step.
        return _Node(None, "", None, line.number, depth - 100, Marker("break", 0, 0, line))
    if step is None:
        step = NUMBERED_HEADING.match(rest)
        # Under `## Implementation Tasks`, `### 2. Path quoting fix` is a task even with nothing under it.
        numbered = step is not None and not tasks
    if step is not None and step.group("lead"):
        lead = re.match(words.EMOJI, step.group("lead"))
        if lead and status is None:
            lead_status = words.emoji_status(lead.group())
            marker = (content_start + lead.start(), content_start + lead.end())
    if step is not None and step.groupdict().get("mark") and status is None and lead_status is None:
        lead_status = words.emoji_status(step.group("mark"))
        marker = (content_start + step.start("mark"), content_start + step.end("mark"))
    if step is None:
        read = read_title(rest)
        if not (force or (tasks and (status is not None or read.status is not None))) or not read.text:
            return _Node(None, "", None, line.number, depth - 100, Marker("break", 0, 0, line))
        ident: str | None = None
    else:
        ident = step.group("num").rstrip(".")
        read = read_title(step.group("title"))
    title = read.text or _clean(_unbold(step.group("title") if step else rest))
    if not title and step is not None:
        title = _clean(_unbold(rest))  # `Phase 1` over `=====`: the heading is its own title
    own = status or lead_status
    span = marker or (content_start + len(rest.rstrip()), content_start + len(rest.rstrip()))
    node = _Node(
        ident,
        title,
        own or read.status,
        line.number,
        depth - 100,
        Marker("heading", span[0], span[1], line),
        numbered_heading=numbered,
        optional=read.optional,
        deferred=(deferred or read.deferred) and (own or read.status or "todo") == "todo",
    )
    if own is None:
        node.marker = Marker("heading-bare", span[0], span[1], line)
    elif step is None:
        # A task heading is a step only while it says a status: "not started" is written as a word
        # (or emoji) like a cell's, never by removing the marker, or the task would vanish.
        node.marker = Marker("cell", span[0], span[1], line, -1, _TASK_HEADING_TABLE)
    return node


def _table_node(
    line: Line, table: _Table, t_index: int, legend: Mapping[str, Status] | None = None
) -> _Node | None:
    cells = _cells(line.body)
    if table.status_col >= len(cells):
        return None
    s_start, s_end = cells[table.status_col]
    said = line.body[s_start:s_end]
    cell = words.read_cell(said, legend)
    id_text = line.body[slice(*cells[table.id_col])] if 0 <= table.id_col < len(cells) else ""
    title_text = line.body[slice(*cells[table.title_col])] if 0 <= table.title_col < len(cells) else ""
    read = read_title(title_text)
    ident = re.sub(r"[*_`]", "", id_text).strip() or None
    if ident is not None and ident.lower().startswith(("phase", "step", "task")):
        ident = split_title(ident)[0] or ident
    elif ident is not None and (sprint := _SPRINT_CELL.match(ident)):
        ident = sprint.group(1)  # `| **Sprint 4** | Workers |`: the sprint's number
    if table.title_col == table.id_col and read.ident is not None:
        ident = read.ident  # `| 4.1 API Service Testing |`: the number is the id, the rest the title
    elif ident is None and read.ident is None and ":" in title_text:
        # `| **M0: Foundation** | COMPLETE |` over `## M0: Foundation`: the id as such a heading has it.
        item = ITEM_HEADING.match(title_text.strip().removeprefix("**").removesuffix("**").strip())
        if item is not None and not item.group("lead"):
            ident, read = item.group("num"), read_title(item.group("title"))
    if PLACEHOLDER.match(read.text) or not (read.text or ident) or TOTAL_ROW.search(read.text):
        return None
    if not id_text.strip() and _plain(read.text) in _NOTHING:
        return None  # `| _None_ | _N/A_ |`: an empty table says so in its one row
    if cell.status is None and said.strip() and not table.odd_rows:
        # A note among the statuses (`Plan Mode`): a row stepcommit could neither read nor mark.
        return None
    status = cell.status or "todo"
    deferred = cell.word is not None and words.is_deferral(said[cell.word[0] : cell.word[1]])
    optional = OPTIONAL_CELL.search(said) is not None
    if optional and cell.word is None and status == "in_progress":
        status = "todo"  # `⏳ OPTIONAL`: the hourglass waits, nobody is on it
    owner = _plain(line.body[slice(*cells[table.owner_col])]) if 0 <= table.owner_col < len(cells) else ""
    # Under way and in someone's name (`| #29 | web-search | ivdimova | Assigned |`): their work, which
    # `start` leaves to them as it leaves deferred work.
    taken = status == "in_progress" and re.search(r"[^\W_]", owner) is not None and owner not in _NO_OWNER
    node = _Node(
        ident or read.ident,
        read.text,
        status,
        line.number,
        0,
        Marker("cell", line.start + s_start, line.start + s_end, line, table.status_col, t_index),
        optional=read.optional or optional,
        deferred=((deferred or read.deferred) and status == "todo") or taken,
    )
    if deferred and status == "todo" and (blocked := _BLOCKED_BY.search(said)) is not None:
        node.blocked_by = blocked.group("refs")
    return node


_SPRINT_CELL = lazy(r"(?i:sprint)[ \t]+(\d+(?:\.\d+)*)$")

# The one row of a table with nothing in it yet (`| _None_ | _N/A_ | _N/A_ |`).
_NOTHING = {"none", "none yet", "nothing", "nothing yet", "n/a", "-", "—", "–"}

_NO_OWNER = {"none", "nobody", "unassigned", "tbd", "n/a", "open", "-"}


def _attach(stack: list[_Node], verify: list[tuple[int, str]]) -> None:
    # A `Verify:` line belongs to the innermost step it is indented under.
    for indent, command in verify:
        owner = next((n for n in reversed(stack) if n.level < indent or n.level == indent == 0), None)
        if owner is not None:
            owner.verify.append(command)


# A section of work still to come, in the languages of the corpus (`## Next work`, `## 📋 다음 작업`).
# Only "next" words: a `## TODO` or `## Backlog` copy may be the detailed one, a summary the other.
_TO_COME = lazy(
    r"(?i)^\W*(?:next(?:[ \t]+(?:steps?|work|tasks?|up))?|up[ \t]+next|upcoming|what'?s[ \t]+next)\b"
    r"|^\W*(?:다음|下一步|下一个)"
)


def _in_section_to_come(node: _Node, lines: list[Line]) -> bool:
    """Whether a heading step sits in a section of work to come, at any depth above it."""
    depth = node.level + 100
    for i in range(node.line - 2, -1, -1):
        atx = ATX.match(lines[i].body) if lines[i].body[:1] == "#" else None
        if atx is not None and len(atx.group("hashes")) < depth:
            if _TO_COME.compiled.match(_plain(_unbold(atx.group("text") or ""))):
                return True
            depth = len(atx.group("hashes"))
    return False


def _without_restatements(roots: list[_Node], lines: list[Line]) -> list[_Node]:
    """``roots`` without the copy of a step a summary restates (two top-level headings with the same
    id and title: `## Phase 3: Test` and, under `## Checklist Summary`, `### Phase 3: Test`).

    A copy in a section of work to come (`## Next work`) restates a step written elsewhere: it is
    the plan as it was before the work, and the other copy is the step. Otherwise, of copies that
    both hold steps, the one with fewer leaf steps (coarser, and often stale) is no step, nor
    anything under it. Copies of one grain both stay, and so do steps repeated under different
    parents (`### Step 1: Write the test` in every task). Neither rule reads a status, so a tick
    never changes which copy is the step."""
    by_key: dict[tuple[str, tuple[str, ...]], list[_Node]] = {}
    by_id: dict[str, list[_Node]] = {}
    for node in roots:
        kind = node.marker.kind
        if node.id is not None and (kind.startswith("heading") or (kind == "cell" and node.marker.table < 0)):
            by_key.setdefault((node.id, tuple(re.findall(r"\w+", node.title.lower()))), []).append(node)
            by_id.setdefault(node.id, []).append(node)
    repeated = [nodes for nodes in by_key.values() if len(nodes) > 1]
    # Under `## Next Steps`, `### Phase 3: Optional Features Testing & Fixes` restates `### Phase 3: Optional
    # Features` above: the same id, the one title's words all in the other's.
    repeated += [
        nodes
        for nodes in by_id.values()
        if len(nodes) == 2
        and _title_within(nodes[0].title, nodes[1].title)
        and not _same_words(*nodes)
        and _in_section_to_come(nodes[0], lines) != _in_section_to_come(nodes[1], lines)
    ]
    if not repeated:
        return roots  # the commonest: every phase written once

    def leaves(node: _Node) -> int:
        return sum(leaves(c) for c in node.children) if node.children else 1

    gone: set[int] = set()
    for copies in repeated:
        to_come = [n for n in copies if _in_section_to_come(n, lines)]
        if to_come and len(to_come) < len(copies):
            gone.update(id(n) for n in to_come)
            continue
        with_steps = [n for n in copies if n.children and n.marker.kind.startswith("heading")]
        if len(with_steps) < 2:
            continue
        first, *others = with_steps
        for other in others:
            one, two = leaves(first), leaves(other)
            if one != two:
                gone.add(id(other) if two < one else id(first))
    return [n for n in roots if id(n) not in gone]


def _words(title: str) -> set[str]:
    return set(re.findall(r"\w+", title.lower()))


def _title_within(one: str, other: str) -> bool:
    a, b = _words(one), _words(other)
    return bool(a and b) and (a <= b or b <= a)


def _same_words(one: _Node, other: _Node) -> bool:
    return re.findall(r"\w+", one.title.lower()) == re.findall(r"\w+", other.title.lower())


def _build(
    items: list[_Node],
    verify_at: dict[int, list[tuple[int, str]]],
    flavor: str,
    lines: list[Line],
    path: Path,
    steps: Granularity = "phase",
    again: Mapping[int, list[tracker.Place]] | None = None,
) -> Parsed:
    any_under_way = any(node.under_way for node in items)
    roots: list[_Node] = []
    stack: list[_Node] = []
    for position, node in enumerate(items):
        _attach(stack, verify_at.get(position, []))
        while stack and stack[-1].level >= node.level:
            stack.pop()
        if node.marker.kind == "break":
            continue
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    _attach(stack, verify_at.get(len(items), []))

    def keep(node: _Node, parent: str | None) -> list[_Node]:
        if node.children:
            node.children = [k for c in node.children for k in keep(c, node.id)]
        # A numbered heading (`## 1. Overview`) is a step only when it holds steps or says its
        # status, or numbers a part of the step it is under (`#### 1.2 Add events` in Phase 1).
        part = parent is not None and node.id is not None and node.id.startswith(f"{parent}.")
        if node.numbered_heading and not node.children and node.status is None and not part:
            return []
        return [node]

    roots = [k for r in roots for k in keep(r, None)]
    roots = _without_restatements(roots, lines)
    roots, joined = tracker.join(roots, lines, _header_reader(lines), steps)
    markers: list[Marker] = []
    places: list[tuple[tracker.Place, ...]] = []
    ids = _final_ids(roots)
    index_of: dict[int, int] = {}

    # Called once a step: the empty tuples and lists below are the commonest, and spared a call each.
    joined_places, joined_todo = joined.places, joined.todo

    def freeze(node: _Node) -> Step:
        key = id(node)
        ident, explicit = ids[key]
        index = len(markers)
        markers.append(node.marker)
        more = joined_places.get(key)
        if again and key in again:
            more = [*(more or ()), *again[key]]
        places.append(tuple(more) if more else ())
        index_of[key] = index
        children = tuple([freeze(c) for c in node.children]) if node.children else ()
        status = node.status
        if status is None:
            states = {c.status for c in children}
            if not states or states == {"todo"}:
                status = "todo"
            elif states <= {"done", "skipped"}:
                status = "done"
            else:
                status = "in_progress"
        elif (
            status == "done"
            and node.marker.kind == "checkbox"
            and any(
                c.status in ("todo", "in_progress")
                and not (c.optional or c.deferred)
                and markers[c.index].kind == "checkbox"
                for c in children
            )
        ):
            # A box ticked over boxes still open (`- [x] **User Documentation**` over two open guides)
            # was ticked early: the open ones are still to do. A heading's `✅ COMPLETED` over boxes
            # nobody ticked says the section is done.
            status = "in_progress"
        return built_step(
            ident,
            node.title,
            status,
            node.line,
            index,
            children,
            tuple(node.verify) if node.verify else (),
            explicit_id=explicit,
            optional=node.optional,
            deferred=node.deferred,
            criteria=tuple(node.criteria) if node.criteria else (),
            todo=tuple(todo) if (todo := joined_todo.get(key)) else (),
            priority=node.priority,
            later=node.later,
            under_way=node.under_way,
            depends=tuple(ids[id(d)][0] for d in node.depends if id(d) in ids) if node.depends else (),
        )

    steps_ = tuple([freeze(n) for n in roots])
    active, updated = tracker.rollup_lines(lines) if joined.phases else ((), ())
    rollup = tracker.Rollup(
        active, updated, tuple(sorted(index_of[id(p)] for p in joined.phases if id(p) in index_of))
    )
    under_way = any(s.under_way for step in steps_ for s in step.walk()) if any_under_way else False
    return Parsed(
        Plan(path, flavor, steps_, under_way), tuple(markers), flavor, tuple(lines), tuple(places), rollup
    )


def _header_reader(lines: list[Line]) -> Callable[[Marker], list[str]]:
    """The header cells of the table a row marker sits in (plain, lower case), read from its lines."""
    cache: dict[int, list[str]] = {}

    def header_of(marker: Marker) -> list[str]:
        if marker.table not in cache:
            i = marker.line.number - 1
            while i > 0 and "|" in lines[i - 1].body:
                i -= 1
            body = lines[i].body
            cache[marker.table] = [_plain(body[a:b]) for a, b in _cells(body)]
        return cache[marker.table]

    return header_of


def _final_ids(roots: list[_Node]) -> dict[int, tuple[str, bool]]:
    """Each node's id in the listing (unique), and whether it comes from the file's own numbers."""
    order: list[_Node] = []
    raw: list[tracker.RawId] = []

    def visit(node: _Node, parent: int | None, position: int, parent_id: str | None) -> None:
        ident = node.id or (f"{parent_id}.{position}" if parent_id else str(position))
        here = len(order)
        order.append(node)
        raw.append(tracker.RawId(ident, parent, node.id is not None, position, not node.children))
        for i, child in enumerate(node.children, start=1):
            visit(child, here, i, ident)

    for i, root in enumerate(roots, start=1):
        visit(root, None, i, None)
    return {id(n): m for n, m in zip(order, tracker.unique_ids(raw), strict=True)}


def parse(text: str, path: Path, steps: Granularity = "phase") -> Plan:
    return _scan(text, path, steps).plan
