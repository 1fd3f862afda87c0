"""Markdown plans of every flavour: checkboxes, step headings, status tables, emoji bullets.

The flavours (generic markdown, spec-kit, Kiro, Codex ExecPlan, Antigravity) share one reader;
they differ in which lines hold steps and which marker means "in progress". markdown-it-py tells
which lines are code, HTML or tables; the steps themselves are read from the raw lines, so that a
status change edits only the bytes of one marker.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from stepcommit.errors import PlanError
from stepcommit.plan import tracker, words
from stepcommit.plan.model import Plan, Status, Step
from stepcommit.plan.text import Edit, Line, apply, normalized, split_lines

CHECKBOX = re.compile(
    r"^(?P<indent>[ \t]*)(?P<bullet>[-*+]|\d{1,9}[.)])[ \t]+\[(?P<mark>[ xX/~-])\](?P<star>\*)?(?=[ \t]|$)"
    r"(?P<rest>.*)$"
)
EMOJI_BULLET = re.compile(
    rf"^(?P<indent>[ \t]*)(?:[-*+]|\d{{1,9}}[.)])[ \t]+(?P<emoji>{words.EMOJI})[ \t]*(?P<rest>.*)$"
)
ATX = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
_KEYWORD = r"(?i:phase|step|stage|milestone|part|task|sprint|epic|iteration)"
STEP_HEADING = re.compile(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?{_KEYWORD}[ \t]+"
    r"(?P<num>\d+(?:\.\d+)*[a-z]?|[A-Z][A-Z0-9]*-\d+)"
    r"(?:\*\*)?(?:[ \t]*[:.)\-–—|][ \t]*|[ \t]*$)(?P<title>.*)$"
)
NUMBERED_HEADING = re.compile(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?P<num>\d+(?:\.\d+)*[a-z]?)(?:[.:)][ \t]*|[ \t]+)(?P<title>.+)$"
)
# A status at the end of a heading: `✅ COMPLETED`, `(DONE)`, `- 🚧 In Progress`, `✅`.
HEADING_STATUS = re.compile(
    rf"(?P<sep>[ \t]*(?:[-–—:|][ \t]*)?)"
    rf"(?P<marker>(?:{words.EMOJI}[ \t]*)?[(\[]?(?:\*\*)?{words.WORD}(?:\*\*)?[)\]]?"
    rf"|{words.EMOJI})[ \t]*$"
)
VERIFY = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?Verify(?:\*\*|__|_|\*)?:(?:\*\*|__|_|\*)?"
    r"[ \t]*(?P<cmd>.+?)[ \t]*$"
)
# Labels that end a wrapped title: `Verify: ...`, `_Requirements: 1.1_`, `**Files**: ...`.
_LABEL = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?[A-Z][\w ]{0,30}(?:\*\*|__|_|\*)?:")
ID = re.compile(
    r"^(?:(?P<kw>(?i:step|task|phase|stage|milestone|story))[ \t]+)?"
    r"(?P<id>T\d{3,}|[A-Z][A-Z0-9]{0,5}-\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)+[a-z]?|\d+[a-z]?)"
    r"(?P<sep>\.?(?:\*\*|__)?[ \t]*[:.)–—-](?=[ \t]|$|\*\*|__)|\.(?=[ \t]|$)|(?=[ \t])|$)"
)
TAGS = re.compile(r"^(?:\[(?:P|US\d+|Story|[A-Z]{1,3}\d{0,3})\][ \t]*)+")
ANTIGRAVITY_ID = re.compile(r"<!--[ \t]*id:[ \t]*(?P<id>[^ \t>]+?)[ \t]*-->")
COMMENT = re.compile(r"<!--.*?-->")
TIMESTAMP = re.compile(r"^\((?:\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?Z?)?|YYYY-MM-DD[^)]*)\)[ \t]*")
EXECPLAN_SECTIONS = ("surprises & discoveries", "decision log", "outcomes & retrospective")

_MARK_STATUS: dict[str, Status] = {
    " ": "todo",
    "x": "done",
    "X": "done",
    "-": "in_progress",
    "/": "in_progress",
    "~": "skipped",
}
_STATUS_MARK: dict[Status, str] = {"todo": " ", "done": "x", "skipped": "~"}
_IN_PROGRESS_MARK = {"kiro": "-", "antigravity": "/"}

# Only the block structure is read (code, HTML, paragraphs, headings, tables and their cells'
# text): the inline pass, more than half of markdown-it's time on a big plan, is switched off.
_MD = MarkdownIt("commonmark").enable("table").disable("inline")


@dataclass(frozen=True)
class Marker:
    """Where a step's status is written, and how to rewrite it."""

    kind: str  # checkbox | heading | cell | emoji
    start: int  # offsets of the marker in the whole text
    end: int
    line: Line
    column: int = -1  # table cells: which column (for the column's own vocabulary)
    table: int = -1


@dataclass
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


@dataclass(frozen=True)
class _Table:
    header_line: int
    rows: tuple[int, ...]
    status_col: int
    id_col: int
    title_col: int


@dataclass(frozen=True)
class Parsed:
    plan: Plan
    markers: tuple[Marker, ...]  # by step index
    flavor: str
    lines: tuple[Line, ...]
    places: tuple[tuple[tracker.Place, ...], ...] = ()  # by step index: the other places of a joined step
    rollup: tracker.Rollup = field(default_factory=tracker.Rollup)


def _cells(body: str) -> list[tuple[int, int]]:
    """The (start, end) of each cell's interior in a table row, split at unescaped pipes."""
    bounds = [m.start() for m in re.finditer(r"(?<!\\)\|", body)]
    stripped = body.strip()
    if not stripped.startswith("|"):
        bounds.insert(0, len(body) - len(body.lstrip()) - 1)
    if not stripped.endswith("|") or len(bounds) < 2:
        bounds.append(len(body.rstrip()))
    return [(a + 1, b) for a, b in itertools.pairwise(bounds)]


_STATUS_HEADERS = {
    "status",
    "state",
    "done",
    "passed",
    "complete",
    "completed",
    "progress",
    "result",
    "✓",
    "✅",
}
_ID_HEADERS = {"#", "id", "no", "no.", "nr", "step", "phase", "task id", "step id", "n°", "num"}
_TITLE_HEADERS = {
    "title",
    "name",
    "task",
    "step",
    "phase",
    "description",
    "item",
    "milestone",
    "feature",
    "deliverable",
}


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip().lower()


def _structure(tokens: list[Any], count: int) -> tuple[set[int], dict[int, int], set[int], list[_Table]]:
    """Lines to ignore (code, HTML), paragraph ends, heading lines, status tables, header texts (0-based)."""
    skip: set[int] = set()
    para_end: dict[int, int] = {}
    headings: set[int] = set()
    tables: list[_Table] = []
    i = 0
    toks = tokens
    while i < len(toks):
        tok = toks[i]
        kind = getattr(tok, "type", "")
        span = getattr(tok, "map", None)
        if kind in ("fence", "code_block", "html_block") and span:
            skip.update(range(span[0], min(span[1], count)))
        elif kind == "paragraph_open" and span:
            para_end[span[0]] = span[1]
        elif kind == "heading_open" and span and getattr(tok, "markup", "").startswith("#"):
            headings.add(span[0])
        elif kind == "table_open":
            header: list[str] = []
            rows: list[int] = []
            header_line = span[0] if span else 0
            in_head = False
            while i < len(toks) and getattr(toks[i], "type", "") != "table_close":
                t = toks[i]
                t_type = getattr(t, "type", "")
                if t_type == "thead_open":
                    in_head = True
                elif t_type == "thead_close":
                    in_head = False
                elif t_type == "inline" and in_head:
                    header.append(getattr(t, "content", ""))
                elif t_type == "tr_open" and not in_head and getattr(t, "map", None):
                    rows.append(t.map[0])
                i += 1
            table = _status_table(header, header_line, rows)
            if table is not None:
                tables.append(table)
        i += 1
    return skip, para_end, headings, tables


def _status_table(header: list[str], header_line: int, rows: list[int]) -> _Table | None:
    names = [_plain(h) for h in header]
    status_col = next((i for i, n in enumerate(names) if n in _STATUS_HEADERS), -1)
    if status_col < 0:
        return None
    id_col = next((i for i, n in enumerate(names) if n in _ID_HEADERS and i != status_col), -1)
    title_col = next(
        (i for i, n in enumerate(names) if n in _TITLE_HEADERS and i not in (status_col, id_col)), -1
    )
    if title_col < 0:
        title_col = next((i for i in range(len(names)) if i not in (status_col, id_col)), -1)
    if title_col < 0:
        title_col = id_col
    return _Table(header_line, tuple(rows), status_col, id_col, title_col)


def _comment_lines(lines: list[Line], skip: set[int]) -> set[int]:
    """Lines that start inside an HTML comment which markdown-it left inline (opened mid-paragraph)."""
    inside: set[int] = set()
    open_comment = False
    for index, line in enumerate(lines):
        if index in skip:
            continue
        if open_comment:
            inside.add(index)
        body = line.body
        pos = 0
        while True:
            if open_comment:
                close = body.find("-->", pos)
                if close < 0:
                    break
                open_comment, pos = False, close + 3
            else:
                opening = body.find("<!--", pos)
                if opening < 0:
                    break
                open_comment, pos = True, opening + 4
    return inside


_CODE_SPAN = re.compile(r"(`+)[^`].*?\1|`+")


def _unbold(text: str) -> str:
    """``text`` without bold markers, except inside code spans: `calc/__init__.py` keeps its underscores."""
    parts: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(re.sub(r"(\*\*|__)", "", text[pos : span.start()]))
        parts.append(span.group())
        pos = span.end()
    parts.append(re.sub(r"(\*\*|__)", "", text[pos:]))
    return "".join(parts)


def split_title(text: str) -> tuple[str | None, str]:
    """``(own id or None, title)`` of a step's text.

    Reads `**1.1. Title**`, `T012 [P] [US1] Title`, `P0-1: Title`, `Step 3: Title`, `6 Title`.
    """
    text = COMMENT.sub("", text).strip()
    text = TIMESTAMP.sub("", text)
    after = ""
    source = text
    for bold in ("**", "__"):
        if text.startswith(bold):
            close = text.find(bold, 2)
            if close > 2:
                source, after = text[2:close], text[close + 2 :]
            else:
                source = text[2:]  # bold that never closes
            break
    ident = None
    match = ID.match(source)
    # A bare number before a space is an id only before a capital (`6 Caching layer`), not a count
    # (`3 tests for the parser`).
    if match and (
        match.group("kw")
        or match.group("sep")
        or not match.group("id").isdigit()
        or re.match(r"[ \t]+[^\W\d_a-z]", source[match.end() :])
    ):
        ident = match.group("id")
        source = source[match.end() :]
        # `**1.1.** Title`: the bold held only the number.
        if not source.strip(" \t*_:.-–—"):
            source, after = after, ""
    source = TAGS.sub("", source.strip())
    title = _unbold(source).strip().strip(":").strip()
    if not title and after:
        title = _unbold(after).strip(" \t:-–—")
    return ident, re.sub(r"[ \t]+", " ", title)


def _detect(lines: list[Line], skip: set[int], headings: set[int], path: Path) -> str:
    bodies = [line.body for i, line in enumerate(lines) if i not in skip]
    heading_texts = [_plain(lines[i].body.lstrip("# ")) for i in headings]
    boxes = [b for b in bodies if CHECKBOX.match(b)]
    if "progress" in heading_texts and any(s in heading_texts for s in EXECPLAN_SECTIONS):
        return "execplan"
    if any(re.search(r"\]\*?[ \t]+(?:\*\*)?T\d{3,}\b", b) for b in boxes):
        return "spec-kit"
    if any((m.group("mark") if (m := CHECKBOX.match(b)) else "") == "/" for b in boxes) or any(
        ANTIGRAVITY_ID.search(b) for b in boxes
    ):
        return "antigravity"
    if (
        ".kiro" in path.parts
        or any(re.match(r"^[ \t]*(?:[-*+][ \t]+)?_Requirements?:", b) for b in bodies)
        or any(m.group("star") for b in boxes if (m := CHECKBOX.match(b)))
    ):
        return "kiro"
    return "markdown"


def _continuation(lines: list[Line], index: int, para_end: dict[int, int]) -> str:
    """The wrapped rest of a step's title: the following lines of the same paragraph, up to a label."""
    parts: list[str] = []
    for j in range(index + 1, para_end.get(index, index + 1)):
        body = lines[j].body
        if _LABEL.match(body) or VERIFY.match(body) or not body.strip():
            break
        parts.append(body.strip())
    return " ".join(parts)


def _heading_status(text: str, base: int) -> tuple[Status | None, str, tuple[int, int] | None]:
    """A heading text's trailing status, the text without it, and the marker's offsets (from ``base``)."""
    match = HEADING_STATUS.search(text)
    if match is None or not text[: match.start()].strip():
        return None, text, None
    cell = words.read_cell(match.group("marker"))
    if cell.status is None:
        return None, text, None
    return cell.status, text[: match.start()], (base + match.start(), base + match.end())


def _scan(text: str, path: Path, steps: tracker.Granularity = "phase") -> Parsed:
    lines = split_lines(text)
    try:
        tokens = _MD.parse(normalized(lines))
    except RecursionError:  # pragma: no cover - markdown-it limits nesting itself
        raise PlanError(f"The plan {path.name} nests too deeply to read.") from None
    skip, para_end, headings, tables = _structure(list(tokens), len(lines))
    skip |= _comment_lines(lines, skip)
    flavor = _detect(lines, skip, headings, path)
    table_rows = {row: (t_index, table) for t_index, table in enumerate(tables) for row in table.rows}

    # Emoji bullets are steps only in a plan without checkboxes or status rows: elsewhere they
    # are a legend or notes.
    allow_emoji = (
        flavor == "markdown"
        and not table_rows
        and not any(CHECKBOX.match(line.body) for i, line in enumerate(lines) if i not in skip)
    )
    items: list[_Node] = []
    verify_at: dict[int, list[tuple[int, str]]] = {}
    progress_depth: int | None = None  # ExecPlan: inside `## Progress`
    for index, line in enumerate(lines):
        if index in skip:
            continue
        body = line.body
        if index in headings:
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
            node = _heading_node(content, content_start, depth, line)
            items.append(node)
            continue
        if flavor == "execplan" and progress_depth is None:
            continue
        if index in table_rows:
            t_index, table = table_rows[index]
            node_or_none = _table_node(line, table, t_index)
            if node_or_none is not None:
                items.append(node_or_none)
            continue
        box = CHECKBOX.match(body)
        if box:
            rest = box.group("rest")
            wrapped = _continuation(lines, index, para_end)
            full = f"{rest} {wrapped}" if wrapped else rest
            ident, title = split_title(full)
            if flavor == "antigravity" and (found := ANTIGRAVITY_ID.search(rest)):
                ident = found.group("id")
            mark_at = line.start + box.start("mark")
            items.append(
                _Node(
                    ident,
                    title,
                    _MARK_STATUS[box.group("mark")],
                    line.number,
                    len(box.group("indent").expandtabs(4)),
                    Marker("checkbox", mark_at, mark_at + 1, line),
                    optional=bool(box.group("star")),
                )
            )
            continue
        verify = VERIFY.match(body)
        if verify:
            indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
            verify_at.setdefault(len(items), []).append((indent, verify.group("cmd").strip("`").strip()))
            continue
        bullet = EMOJI_BULLET.match(body)
        if bullet and allow_emoji:
            status = words.emoji_status(bullet.group("emoji"))
            ident, title = split_title(bullet.group("rest"))
            start = line.start + bullet.start("emoji")
            node = _Node(
                ident,
                title,
                status,
                line.number,
                len(bullet.group("indent").expandtabs(4)),
                Marker("emoji", start, line.start + bullet.end("emoji"), line),
            )
            items.append(node)
    return _build(items, verify_at, flavor, lines, path, steps)


def _heading_node(content: str, content_start: int, depth: int, line: Line) -> _Node:
    status, rest, marker = _heading_status(content, content_start)
    lead_status: Status | None = None
    step = STEP_HEADING.match(rest)
    numbered = False
    if step is None:
        step = NUMBERED_HEADING.match(rest)
        numbered = step is not None
    if step is not None and step.group("lead"):
        lead = re.match(words.EMOJI, step.group("lead"))
        if lead and status is None:
            lead_status = words.emoji_status(lead.group())
            marker = (content_start + lead.start(), content_start + lead.end())
    if step is None:
        return _Node(None, "", None, line.number, depth - 100, Marker("break", 0, 0, line))
    ident = step.group("num").rstrip(".")
    title = split_title(step.group("title"))[1] or step.group("title").strip()
    own = status or lead_status
    span = marker or (content_start + len(rest.rstrip()), content_start + len(rest.rstrip()))
    node = _Node(
        ident,
        title,
        own,
        line.number,
        depth - 100,
        Marker("heading", span[0], span[1], line),
        numbered_heading=numbered,
    )
    if own is None:
        node.marker = Marker("heading-bare", span[0], span[1], line)
    return node


def _table_node(line: Line, table: _Table, t_index: int) -> _Node | None:
    cells = _cells(line.body)
    if table.status_col >= len(cells):
        return None
    s_start, s_end = cells[table.status_col]
    cell = words.read_cell(line.body[s_start:s_end])
    id_text = line.body[slice(*cells[table.id_col])] if 0 <= table.id_col < len(cells) else ""
    title_text = line.body[slice(*cells[table.title_col])] if 0 <= table.title_col < len(cells) else ""
    own_id, title = split_title(title_text)
    ident = re.sub(r"[*_`]", "", id_text).strip() or None
    if ident is not None and ident.lower().startswith(("phase", "step", "task")):
        ident = split_title(ident)[0] or ident
    return _Node(
        ident or own_id,
        title,
        cell.status or "todo",
        line.number,
        0,
        Marker("cell", line.start + s_start, line.start + s_end, line, table.status_col, t_index),
    )


def _attach(stack: list[_Node], verify: list[tuple[int, str]]) -> None:
    # A `Verify:` line belongs to the innermost step it is indented under.
    for indent, command in verify:
        owner = next((n for n in reversed(stack) if n.level < indent or n.level == indent == 0), None)
        if owner is not None:
            owner.verify.append(command)


def _build(
    items: list[_Node],
    verify_at: dict[int, list[tuple[int, str]]],
    flavor: str,
    lines: list[Line],
    path: Path,
    steps: tracker.Granularity = "phase",
) -> Parsed:
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

    def keep(node: _Node) -> list[_Node]:
        node.children = [k for c in node.children for k in keep(c)]
        # A numbered heading (`## 1. Overview`) is a step only when it holds steps or says its status.
        if node.numbered_heading and not node.children and node.status is None:
            return []
        return [node]

    roots = [k for r in roots for k in keep(r)]
    roots, joined = tracker.join(roots, lines, _header_reader(lines), steps)
    markers: list[Marker] = []
    places: list[tuple[tracker.Place, ...]] = []
    ids = _final_ids(roots)
    index_of: dict[int, int] = {}

    def freeze(node: _Node, position: int) -> Step:
        ident, explicit = ids[id(node)]
        index = len(markers)
        markers.append(node.marker)
        places.append(tuple(joined.places.get(id(node), ())))
        index_of[id(node)] = index
        children = tuple(freeze(c, i) for i, c in enumerate(node.children, start=1))
        status = node.status
        if status is None:
            states = {c.status for c in children}
            if not states or states == {"todo"}:
                status = "todo"
            elif states <= {"done", "skipped"}:
                status = "done"
            else:
                status = "in_progress"
        return Step(
            ident,
            node.title,
            status,
            node.line,
            index,
            children,
            tuple(node.verify),
            explicit_id=explicit,
            optional=node.optional,
            todo=tuple(joined.todo.get(id(node), ())),
        )

    steps_ = tuple(freeze(n, i) for i, n in enumerate(roots, start=1))
    active, updated = tracker.rollup_lines(lines) if joined.phases else ((), ())
    rollup = tracker.Rollup(
        active, updated, tuple(sorted(index_of[id(p)] for p in joined.phases if id(p) in index_of))
    )
    return Parsed(Plan(path, flavor, steps_), tuple(markers), flavor, tuple(lines), tuple(places), rollup)


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


def parse(text: str, path: Path, steps: tracker.Granularity = "phase") -> Plan:
    return _scan(text, path, steps).plan


def _every_marker(parsed: Parsed) -> list[Marker]:
    """The steps' markers and the other places of joined steps: the file's whole vocabulary."""
    return [*parsed.markers, *(p.marker for places in parsed.places for p in places)]


def _checkbox_marks(parsed: Parsed, text: str) -> Counter[str]:
    return Counter(text[m.start] for m in _every_marker(parsed) if m.kind == "checkbox")


def _edit_checkbox(
    parsed: Parsed, text: str, step: Step, marker: Marker, status: Status, now: datetime
) -> list[Edit]:
    marks = _checkbox_marks(parsed, text)
    if status == "in_progress":
        new = _IN_PROGRESS_MARK.get(parsed.flavor)
        if new is None:
            # Plain markdown has no in-progress mark; use one only if the file already does.
            used = [m for m in ("/", "-") if marks[m]]
            if not used or parsed.flavor in ("spec-kit", "execplan"):
                return []
            new = used[0]
    elif status == "done":
        new = "X" if marks["X"] > marks["x"] else "x"
    elif status == "skipped" and not marks["~"]:
        raise PlanError(
            f"{parsed.plan.path.name} has no mark for a skipped step (line {step.line}).",
            hint="Mark it done, or edit the plan by hand.",
        )
    else:
        new = _STATUS_MARK[status]
    edits = [Edit(marker.start, marker.end, new)]
    if parsed.flavor == "execplan" and status == "done":
        # ExecPlans timestamp each finished item: `- [x] (2025-11-25 15:08Z) text`.
        stamp = now.astimezone(UTC).strftime("(%Y-%m-%d %H:%MZ)")
        after = marker.end + 1 + (text[marker.end + 1 :].startswith("*"))
        rest = text[after : marker.line.end]
        lead = len(rest) - len(rest.lstrip(" \t"))
        existing = TIMESTAMP.match(rest[lead:])
        if existing:
            old = existing.group().rstrip(" \t")
            edits.append(Edit(after + lead, after + lead + len(old), stamp))
        else:
            edits.append(Edit(after + lead, after + lead, f"{stamp} " if rest.strip() else f" {stamp}"))
    return edits


def _edit_cell(parsed: Parsed, text: str, marker: Marker, status: Status) -> list[Edit]:
    column = [m for m in _every_marker(parsed) if m.kind == "cell" and m.table == marker.table]
    seen_words, seen_emoji = words.words_in(text[m.start : m.end] for m in column)
    old = text[marker.start : marker.end]
    new = words.rewrite_cell(old, status, seen_words, seen_emoji)
    if new is None:
        if old.strip():
            if words.read_cell(old).status is None:
                raise PlanError(
                    f"{parsed.plan.path.name} line {marker.line.number}: stepcommit does not know the "
                    f"status {old.strip()!r}.",
                    hint="Write DONE, IN PROGRESS, NOT STARTED (or ✅, 🔄, ⬜) there, then try again.",
                )
            return []  # a yes/no column cannot say "in progress"
        # An empty cell: the column's own style, else a word.
        if seen_emoji and not seen_words:
            new = f" {words.pick_emoji(status, seen_emoji)} "
        else:
            model = seen_words[0] if seen_words else "DONE"
            word = words.pick_word(status, model, seen_words)
            if word is None:
                return []
            new = f" {word} "
    # Keep the column's width when the new word fits, so aligned tables stay aligned.
    if len(new.rstrip()) < len(old) and old.endswith(" "):
        new = new.rstrip().ljust(len(old))
    return [Edit(marker.start, marker.end, new)]


def _edit_heading(parsed: Parsed, text: str, marker: Marker, status: Status) -> list[Edit]:
    others = [text[m.start : m.end] for m in _every_marker(parsed) if m.kind == "heading"]
    seen_words, seen_emoji = words.words_in(others)
    if marker.kind == "heading":
        old = text[marker.start : marker.end]
        match = HEADING_STATUS.search(old)
        sep_len = len(match.group("sep")) if match else 0
        same = [o for o in others if words.read_cell(o).status == status]
        if status == "todo" and not same:
            return [Edit(marker.start, marker.end, "")]  # no marker reads as "not started"
        body = old[sep_len:]
        new = words.rewrite_cell(body, status, seen_words, seen_emoji)
        if new is None:
            return []
        return [Edit(marker.start + sep_len, marker.end, new)]
    # A heading with no marker yet: append the marker the file uses for this status elsewhere,
    # unless the title ends in a separator (`P0-1:`), which the marker would take for its own.
    if text[marker.line.start : marker.start].rstrip()[-1:] in tuple(":-–—|"):
        return []
    same = [o for o in others if words.read_cell(o).status == status]
    if same:
        found = HEADING_STATUS.search(same[0])
        mark = found.group("marker") if found else same[0].strip()
        sep = found.group("sep") if found and found.group("sep").strip() else " "
        return [Edit(marker.start, marker.end, f"{sep}{mark}" if sep.startswith((" ", "\t")) else f" {mark}")]
    if status == "done":
        return [Edit(marker.start, marker.end, " ✅")]
    return []


def _edit_emoji(parsed: Parsed, text: str, marker: Marker, status: Status) -> list[Edit]:
    seen = [text[m.start : m.end] for m in _every_marker(parsed) if m.kind == "emoji"]
    return [Edit(marker.start, marker.end, words.pick_emoji(status, seen))]


def _edits(
    parsed: Parsed, text: str, step: Step, status: Status, now: datetime, verified: bool = False
) -> list[Edit]:
    edits = _own_edits(parsed, text, step, status, now)
    phase = _phase_of(parsed, step)
    if phase is None:
        return edits
    places = parsed.places[phase.index]
    if phase.index == step.index:
        if step.status == status:
            return edits
    elif status == "in_progress":
        # An item of a phase begun: the phase's row says so too, if it still says "not started".
        if phase.status != "todo":
            return edits
        return edits + _place_edits(parsed, text, [p for p in places if p.role == "row"], status, now)
    elif status != "done" or any(
        s.status not in ("done", "skipped") for s in phase.walk() if s.is_leaf and s.index != step.index
    ):
        return edits
    chosen = [p for p in places if p.role == "row"]
    if status == "done":
        chosen += [p for p in places if p.role == "todo"]
        if verified:
            chosen += [p for p in places if p.role == "checkpoint"]
    edits += _place_edits(parsed, text, chosen, status, now)
    if status == "done" and phase.index in parsed.rollup.phases:
        edits += _rollup(parsed, text, phase, now)
    return edits


def _phase_of(parsed: Parsed, step: Step) -> Step | None:
    """The joined step ``step`` is or belongs to: the innermost step on its path with other places."""
    if not any(parsed.places):
        return None
    found: Step | None = None
    level: tuple[Step, ...] = parsed.plan.steps
    while True:
        # Steps are numbered in file order, so the one holding ``step`` is the last that starts before it.
        holder = next((s for s in reversed(level) if s.index <= step.index), None)
        if holder is None:
            return found
        if parsed.places[holder.index]:
            found = holder
        if holder.index == step.index:
            return found
        level = holder.children


def _place_edits(
    parsed: Parsed, text: str, places: list[tracker.Place], status: Status, now: datetime
) -> list[Edit]:
    edits: list[Edit] = []
    for place in places:
        marker = place.marker
        old_text = text[marker.start : marker.end]
        if marker.kind == "checkbox":
            old = _MARK_STATUS.get(old_text)
            if old != status and not (status == "done" and old == "skipped"):
                placeholder = Step("", "", old or "todo", marker.line.number, -1)
                edits += _edit_checkbox(parsed, text, placeholder, marker, status, now)
        elif marker.kind == "emoji" and words.emoji_status(old_text) != status:
            edits += _edit_emoji(parsed, text, marker, status)
        elif marker.kind in ("cell", "heading") and words.read_cell(old_text).status != status:
            edits += (_edit_cell if marker.kind == "cell" else _edit_heading)(parsed, text, marker, status)
    return edits


def _rollup(parsed: Parsed, text: str, phase: Step, now: datetime) -> list[Edit]:
    """The Active Phase line (to the next open phase) and the Last Updated date of a finished phase."""
    by_index = {s.index: s for s in parsed.plan.walk()}
    phases = [by_index[i] for i in parsed.rollup.phases if i in by_index]
    statuses = [(p.id, p.title, "done" if p.index == phase.index else p.status) for p in phases]
    at = next((i for i, p in enumerate(phases) if p.index == phase.index), None)
    following = tracker.next_phase(statuses, at) if at is not None else None
    return tracker.rollup_edits(text, parsed.rollup, (phase.id, phase.title), following, now)


def _own_edits(parsed: Parsed, text: str, step: Step, status: Status, now: datetime) -> list[Edit]:
    if step.status == status:
        return []
    marker = parsed.markers[step.index]
    if marker.kind == "heading-bare" and step.children:
        if status == "in_progress":
            return []
        edits: list[Edit] = []
        for inner in step.walk():
            own = parsed.markers[inner.index].kind != "heading-bare"
            if own and inner.status != status:
                edits += _own_edits(parsed, text, inner, status, now)
        return edits
    if marker.kind == "heading-bare" and parsed.places and parsed.places[step.index]:
        # A phase without a marker of its own: its places say its status, and its heading gets
        # one only when the file marks other phase headings so (`## Phase 1: Setup ✅`).
        others = [text[m.start : m.end] for m in _every_marker(parsed) if m.kind == "heading"]
        if not any(words.read_cell(o).status == status for o in others):
            return []
    if marker.kind == "checkbox":
        return _edit_checkbox(parsed, text, step, marker, status, now)
    if marker.kind == "cell":
        return _edit_cell(parsed, text, marker, status)
    if marker.kind == "emoji":
        return _edit_emoji(parsed, text, marker, status)
    return _edit_heading(parsed, text, marker, status)


def set_status(
    text: str, path: Path, step: Step, status: Status, now: datetime, *,
    verified: bool = False, steps: tracker.Granularity = "phase",
) -> str:  # fmt: skip
    """The plan text with only ``step``'s markers changed; every other byte kept.

    ``step`` must come from parsing this very ``text``. A group step (a heading over checkboxes)
    without its own marker changes through its leaf steps. A joined phase changes in all its
    places; finished, its checklist is ticked, its checkpoint passed when ``verified`` (its
    verification ran and passed), the Active Phase line moves on and Last Updated becomes today.
    """
    parsed = _scan(text, path, steps)
    return apply(text, _edits(parsed, text, step, status, now, verified))
