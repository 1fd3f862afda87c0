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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from stepcommit.errors import PlanError
from stepcommit.lazy_re import lazy
from stepcommit.plan import blocks, readback, tracker, words
from stepcommit.plan.model import Plan, Status, Step, built_step
from stepcommit.plan.text import Edit, Line, apply, no_gc, split_lines

CHECKBOX = lazy(
    r"^(?P<indent>[ \t]*)(?P<bullet>[-*+]|\d{1,9}[.)])[ \t]+\[(?P<mark>[ xX/~-])\](?P<star>\\?\*)?(?=[ \t]|$)"
    r"(?P<rest>.*)$"
)
EMOJI_BULLET = lazy(
    rf"^(?P<indent>[ \t]*)(?:[-*+]|\d{{1,9}}[.)])[ \t]+(?P<emoji>{words.EMOJI})[ \t]*(?P<rest>.*)$"
)
ATX = lazy(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
_KEYWORD = r"(?i:phase|step|stage|milestone|part|subtask|task|sprint|epic|iteration|fase|etapa)"
# `## Current Phase: 2 - Data`, `## Fase Atual: 0 - Preparação`: the section of the phase now worked on.
_CURRENT_BEFORE = r"(?:(?i:current|active)[ \t]+)?"
_CURRENT_AFTER = r"(?:[ \t]+(?i:atual|actual|ativa|activa))?[ \t]*:?"
# `Phase 0 -- Title` (two dashes), `## Phase 3 Build` (no separator at all).
_HEADING_SEP = r"(?:\*\*)?(?:[ \t]*(?:-{1,2}|[:.)–—|])[ \t]*|[ \t]+|[ \t]*$)"
STEP_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?{_CURRENT_BEFORE}{_KEYWORD}{_CURRENT_AFTER}[ \t]+"
    r"(?P<num>\d+(?:\.\d+)*[a-z]?|T\d{3,}|[A-Z][A-Z0-9]*-\d+)"
    rf"(?:[ \t]+(?P<mark>{words.EMOJI}))?"  # `## Phase 1 ✅ — Define the contract`
    rf"{_HEADING_SEP}(?P<title>.*)$"
)
# An issue catalog's items: `### A1 — Per-session secret key` (a letter-number id needs a separator).
ITEM_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?(?P<num>[A-Z]{{1,2}}\d{{1,3}})(?:\*\*)?"
    r"[ \t]*(?:[:.)–—|]|--?(?=[ \t]))[ \t]*(?P<title>.+)$"
)
# A task heading with a compound id after its status glyph: `#### ✅ P1-T1: Add params`,
# `#### ⬜️ FU-TASK-EVIDENCE-1: Lint archives` (without the glyph, `GPT-4: results` is no task).
COMPOUND_HEADING = lazy(
    rf"^(?P<lead>{words.EMOJI}[ \t]*)(?:\*\*)?(?P<num>(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)"
    r"(?:\*\*)?[ \t]*(?:[:.)–—|]|--?(?=[ \t]))[ \t]*(?P<title>.+)$"
)
# spec-kit tasks written as headings: `### T001 Verify the toolchain`.
TASK_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?(?P<num>T\d{{3,}}){_HEADING_SEP}(?P<title>.*)$"
)
# A template's heading: `## Phase N ✅`, `### Step X: <name>`.
TEMPLATE_HEADING = lazy(
    rf"^(?:{words.EMOJI}[ \t]*)?{_KEYWORD}[ \t]+(?:[NXn]|<[^>]*>|\{{[^}}]*\}})(?:\.[NXn\d]+)*\b"
)
# `**Status**: ✅ Completed` under a heading gives the heading's status.
STATUS_LINE = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(?i:status)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*"
    r"(?P<value>.*?)[ \t]*(?:\*\*|__)?[ \t]*$"
)
# Headings (or bold label lines) whose checkboxes are a step's criteria, not steps.
CRITERIA = lazy(
    r"(?i:(?:success|acceptance|exit|entry|completion|quality|release|done)[ \t]+criteri(?:a|on)"
    r"|definition[ \t]+of[ \t]+(?:done|ready)|dod\b|done[ \t]+when\b|checklist[ \t]+before\b"
    r"|(?:pre-?merge|pre-?commit|review|verification|validation|completion|release|final|quality|acceptance"
    r"|(?:post|pre)-[a-z]+"
    r"|(?:manual[ \t]+)?test(?:ing)?)[ \t]+check(?:list|s)?\b|dod[ \t]+verification"
    r"|gate[ \t]+status|(?:quality|exit)[ \t]+gates?\b)"
)
CRITERIA_LABEL = lazy(
    r"^(?P<indent>[ \t]*)(?:[-*+][ \t]+)?(?:\*\*|__)(?P<name>[^*_]{3,60}?):?(?:\*\*|__):?[ \t]*$"
    r"|^(?P<indent2>[ \t]*)(?P<name2>[A-Z][\w ]{2,60}):[ \t]*$"
)
# A heading whose sub-headings are tasks: `## Tasks`, `## Completed Tasks`, `## Backlog`.
TASKS_PARENT = lazy(r"(?i:\b(?:tasks?|to-?dos?|backlog|work[ \t]+items|subtasks)\b)")
# A template's step: `<Concrete deliverable-oriented task>`, `{{task}}`, `[Task description]`.
PLACEHOLDER = lazy(r"^(?:<[^<>]+>|\{\{[^{}]*\}\}|\[[^\[\]]* [^\[\]]*\])\.?$")
NUMBERED_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?P<num>\d+(?:\.\d+)*[a-z]?)(?:[.:)][ \t]*|[ \t]+)(?P<title>.+)$"
)
# A status at the end of a heading: `✅ COMPLETED`, `(DONE)`, `- 🚧 In Progress`, `✅`.
HEADING_STATUS = lazy(
    rf"(?P<sep>[ \t]*(?:[-–—:|][ \t]*)?)"
    rf"(?P<marker>(?:{words.EMOJI}[ \t]*)?[(\[]?(?:\*\*)?(?:{words.EMOJI}[ \t]*)?{words.WORD}(?:\*\*)?[)\]]?"
    rf"|{words.EMOJI})[ \t]*$"
)
VERIFY = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?Verify(?:\*\*|__|_|\*)?:(?:\*\*|__|_|\*)?"
    r"[ \t]*(?P<cmd>.+?)[ \t]*$"
)
# Labels that end a wrapped title: `Verify: ...`, `_Requirements: 1.1_`, `**Files**: ...`.
_LABEL = lazy(r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?[A-Z][\w ]{0,30}(?:\*\*|__|_|\*)?:")
ID = lazy(
    r"^(?:(?P<kw>(?i:step|task|phase|stage|milestone|story))[ \t]+)?"
    r"(?P<id>T\d{3,}|[A-Z][A-Z0-9]{0,5}-\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)+[a-z]?|\d+[a-z]?)"
    r"(?P<sep>\.?(?:\*\*|__)?[ \t]*[:.)–—-](?=[ \t]|$|\*\*|__)|\.(?=[ \t]|$)|(?=[ \t])|$)"
)
TAGS = lazy(r"^(?:\[(?:P|US\d+|Story|[A-Z]{1,3}\d{0,3})\][ \t]*)+")
ANTIGRAVITY_ID = lazy(r"<!--[ \t]*id:[ \t]*(?P<id>[^ \t>]+?)[ \t]*-->")
COMMENT = lazy(r"<!--.*?-->")
TIMESTAMP = lazy(r"^\((?:\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?Z?)?|YYYY-MM-DD[^)]*)\)[ \t]*")
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


@dataclass(frozen=True)
class _Table:
    header_line: int
    rows: tuple[int, ...]
    status_col: int
    id_col: int
    title_col: int
    # A row whose status cell says no status is still a step (open, or refused when written): in a
    # column of bold words beside other text (`Dev **COMPLETE**`), or a table with one such cell.
    odd_rows: bool = True
    owner_col: int = -1  # `Assignee`, `Owner`: who has the row's work


@dataclass(frozen=True)
class Parsed:
    plan: Plan
    markers: tuple[Marker, ...]  # by step index
    flavor: str
    lines: tuple[Line, ...]
    places: tuple[tuple[tracker.Place, ...], ...] = ()  # by step index: the other places of a joined step
    rollup: tracker.Rollup = field(default_factory=tracker.Rollup)
    legend: Mapping[str, Status] = field(default_factory=dict)  # glyphs the file's legend line defines


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
    "estado",
    "状态",
    "狀態",
}
_OWNER_HEADERS = {"assignee", "assigned", "assigned to", "owner", "claimed by", "who"}
_ID_HEADERS = {"#", "id", "no", "no.", "nr", "step", "phase", "task id", "step id", "n°", "num", "fase"}
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
    "nome",
}


# A table that starts with one of these columns lists something other than steps.
_NOT_STEP_HEADERS = {
    "risk",
    "risks",
    "metric",
    "metrics",
    "kpi",
    "measure",
    "decision",
    "question",
    "assumption",
    "file",
    "files",
    "path",
    "old path",
    "from",
    "setting",
    "variable",
    "option",
    "dependency",
    "package",
    "library",
}


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip().lower()


def _structure(
    tokens: list[Any], count: int
) -> tuple[set[int], set[int], dict[int, int], dict[int, int], list[_Table]]:
    """Lines to ignore (code, HTML), code lines, paragraph ends, heading lines, status tables (0-based).

    ``headings`` maps a heading's line to 0 for an ATX heading (`## Title`, read from its hashes)
    or to the level of a setext heading (`Title` over `===` is 1, over `---` is 2).
    """
    skip: set[int] = set()
    code: set[int] = set()
    para_end: dict[int, int] = {}
    headings: dict[int, int] = {}
    tables: list[_Table] = []
    i = 0
    toks = tokens
    while i < len(toks):
        tok = toks[i]
        kind = getattr(tok, "type", "")
        span = getattr(tok, "map", None)
        if kind in ("fence", "code_block", "html_block") and span:
            skip.update(range(span[0], min(span[1], count)))
            if kind != "html_block":
                code.update(range(span[0], min(span[1], count)))
        elif kind == "paragraph_open" and span:
            para_end[span[0]] = span[1]
        elif kind == "heading_open" and span:
            markup = getattr(tok, "markup", "")
            if markup.startswith("#"):
                headings[span[0]] = 0
            else:
                headings[span[0]] = 1 if markup.startswith("=") else 2
                skip.update(range(span[0] + 1, min(span[1], count)))
        elif kind == "table_open":
            header: list[str] = []
            rows: list[int] = []
            cells: list[list[str]] = []
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
                elif t_type == "inline" and cells:
                    cells[-1].append(getattr(t, "content", ""))
                elif t_type == "tr_open" and not in_head and getattr(t, "map", None):
                    rows.append(t.map[0])
                    cells.append([])
                i += 1
            table = _status_table(header, header_line, rows, cells)
            if table is not None:
                tables.append(table)
        i += 1
    return skip, code, para_end, headings, tables


def _status_table(
    header: list[str], header_line: int, rows: list[int], cells: list[list[str]] | None = None
) -> _Table | None:
    """The table's step columns, or None when its rows are not steps.

    Rows are steps only under a status column (`Status`, `Done`, `Passed`...) whose cells mostly say
    a status, in a table that is not about risks, metrics, decisions or files.
    """
    names = [_plain(h) for h in header]
    if names and names[0] in _NOT_STEP_HEADERS:
        return None
    status_col = next((i for i, n in enumerate(names) if n in _STATUS_HEADERS), -1)
    odd_rows = status_col < 0
    if status_col < 0:
        status_col = _embedded_status_column(names, cells or [])
        if status_col < 0:
            return None
    else:
        said = [row[status_col] for row in cells or [] if status_col < len(row) and row[status_col].strip()]
        # A column where no more than half the cells say a status (`Active development`, `LTS —
        # security patches only`) describes its rows: a release table, not steps.
        if len(said) > 1 and 2 * sum(words.read_cell(c).status is not None for c in said) <= len(said):
            return None
        odd_rows = len(said) <= 1
    id_col = next((i for i, n in enumerate(names) if n in _ID_HEADERS and i != status_col), -1)
    title_col = next(
        (i for i, n in enumerate(names) if n in _TITLE_HEADERS and i not in (status_col, id_col)), -1
    )
    if title_col < 0:
        title_col = next((i for i in range(len(names)) if i not in (status_col, id_col)), -1)
    if title_col < 0:
        title_col = id_col
    owner_col = next((i for i, n in enumerate(names) if n in _OWNER_HEADERS and i != status_col), -1)
    return _Table(header_line, tuple(rows), status_col, id_col, title_col, odd_rows, owner_col)


_BOLD_WORD = lazy(r"(?:\*\*|__)(?P<word>[^*_]+?)(?:\*\*|__)")


def _bold_status(cell: str) -> bool:
    return any(words.word_status(m.group("word")) is not None for m in _BOLD_WORD.finditer(cell))


def _embedded_status_column(names: list[str], cells: list[list[str]]) -> int:
    """A column without a status header whose cells say a status in bold beside other text
    (`| Dev **COMPLETE** |`, `| Maintainer **INPROGRESS** |`), in a table with an id or title
    column: the rows are steps, open where no word is written. -1 when there is none."""
    if not any(n in _ID_HEADERS or n in _TITLE_HEADERS for n in names):
        return -1
    for col in range(1, len(names)):
        if sum(1 for row in cells if col < len(row) and _bold_status(row[col])) >= 2:
            return col
    return -1


_DETAILS_OPEN = lazy(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = lazy(r"</details\s*>", re.IGNORECASE)


def _details_lines(lines: list[Line], code: set[int]) -> set[int]:
    """Lines inside `<details>` … `</details>`: folded examples and templates, never steps.

    markdown-it ends an HTML block at a blank line, so the markdown between the tags looks live.
    """
    inside: set[int] = set()
    depth = 0
    for index, line in enumerate(lines):
        if index in code:
            continue
        if depth == 0 and "etails" not in line.body and "ETAILS" not in line.body:
            continue
        opened = len(_DETAILS_OPEN.findall(line.body))
        closed = len(_DETAILS_CLOSE.findall(line.body))
        if depth > 0 or opened:
            inside.add(index)
        depth = max(0, depth + opened - closed)
    return inside


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


_CODE_SPAN = lazy(r"(`+)[^`].*?\1|`+")


def _unbold(text: str) -> str:
    """``text`` without bold markers, except inside code spans: `calc/__init__.py` keeps its underscores."""
    if "**" not in text and "__" not in text:
        return text  # most titles: nothing to take out
    parts: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(re.sub(r"(\*\*|__)", "", text[pos : span.start()]))
        parts.append(span.group())
        pos = span.end()
    parts.append(re.sub(r"(\*\*|__)", "", text[pos:]))
    return "".join(parts)


_IMAGE = lazy(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = lazy(r"\[(?P<text>[^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = lazy(r"<(?P<url>(?:https?|file)://[^>]+)>")
_STRUCK = lazy(r"~~(?P<text>[^~]+)~~")
# The end of a title's first sentence: a period after a word (not `e.g.`, not `v1.2`) before a capital.
_SENTENCE_END = lazy(r"(?<=[\w)\]`'\"]{2})\.[ \t]+(?=[A-Z])")
TITLE_MAX = 100
# A table's sum row (`**CORE TOTAL**`, `Total`), and a status cell that says the row is optional.
_TOTAL = lazy(r"(?i)^(?:[\w-]+[ \t]+)?(?:grand[ \t]+)?totals?$|^(?i:sum|overall)$")
_OPTIONAL_CELL = lazy(r"(?i)(?<![\w-])optional(?![\w-])")
_SPACES = lazy(r"\s+")
_SEPARATORS = "-–—:|"


def _trim_separators(text: str) -> str:
    """``text`` without separators at its ends: the stray `- ` of `Phase 0 -- Title`, a trailing `|`."""
    text = text.strip(" \t")
    if not text or (text[0] not in _SEPARATORS and text[-1] not in _SEPARATORS):
        return text  # most texts: nothing to trim
    if text[:1] in _SEPARATORS and text:
        text = text.lstrip(_SEPARATORS).lstrip(" \t")
    if text[-1:] in _SEPARATORS and text:
        text = text.rstrip(_SEPARATORS).rstrip(" \t")
    return text


class Title(NamedTuple):
    """A step's text read: its own id, its clean title, and what its words say of its status."""

    ident: str | None
    text: str
    status: Status | None = None
    deferred: bool = False
    optional: bool = False


def _clean(title: str) -> str:
    """Display text: no link, image or strike markup, no wrapped description, whitespace collapsed."""
    if "[" in title:
        title = _IMAGE.sub("", title)
        title = _LINK.sub(lambda m: m.group("text"), title)
    if "<" in title:
        title = _AUTOLINK.sub(lambda m: m.group("url"), title)
    # `\s` other than a single space is a run of spaces or a character str.isprintable refuses.
    if "  " in title or not title.isprintable():
        title = _SPACES.sub(" ", title)
    title = _trim_separators(title.strip())
    # A wrapped description: keep the first sentence, or the part before ` — `.
    dash = title.find(" — ")
    if dash > 0:
        title = title[:dash].rstrip()
    sentence = _SENTENCE_END.search(title) if ". " in title else None
    if sentence:
        title = title[: sentence.start() + 1]
    if len(title) > TITLE_MAX:
        # `Worktree support: Add top-level ...` (a paragraph after a short name): the name.
        colon = title.find(": ")
        if 0 < colon <= TITLE_MAX // 2 and title.count("`", 0, colon) % 2 == 0:
            return title[:colon].rstrip()
        cut = title[: TITLE_MAX + 1]
        space = cut.rfind(" ")
        title = (cut[:space] if space > TITLE_MAX // 2 else cut[:TITLE_MAX]).rstrip(" ,;:-–—") + "…"
    return title


def read_title(text: str) -> Title:
    """A step's text read: `**1.1. Title**`, `T012 [P] [US1] Title`, `P0-1: Title`, `Step 3: Title`,
    `6 Title`, with its status words (`— DEFERRED (needs X)`, `(✅ COMPLETED)`, `(OPTIONAL)`,
    a title struck through whole) read and dropped from the title."""
    # The guards skip a regex pass over most titles (no comment, no timestamp).
    text = (COMMENT.sub("", text) if "<!--" in text else text).strip()
    text = _trim_separators(TIMESTAMP.sub("", text) if text[:1] == "(" else text)
    said = words.title_words(text)
    text = said.text
    status = said.status
    if "~~" in text:
        if _STRUCK.fullmatch(text.strip(" \t*_")):
            status = status or "skipped"
            text = text.replace("~~", "")
        elif _STRUCK.search(text) and _STRUCK.sub("", text).strip(" \t*_"):
            text = _STRUCK.sub("", text)  # the struck part is the old wording
        else:
            text = text.replace("~~", "")
    text = text.strip()
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
    match = ID.compiled.match(source)  # once a step: the compiled pattern's own method
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
    source = source.strip()
    if source[:1] == "[":  # TAGS starts with one
        source = TAGS.sub("", source)
    title = _unbold(source).strip().strip(":").strip()
    if not title and after:
        title = _unbold(after).strip(" \t:-–—")
    return Title(ident, _clean(title), status, said.deferred, said.optional)


def split_title(text: str) -> tuple[str | None, str]:
    """``(own id or None, clean title)`` of a step's text (see `read_title`)."""
    read = read_title(text)
    return read.ident, read.text


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
        if _LABEL.match(body) or VERIFY.match(body) or not body.strip():
            break
        parts.append(body.strip())
    return " ".join(parts)


@dataclass
class _Criteria:
    """An open criteria section: its checkboxes go to ``owner`` (None: no enclosing step; dropped)."""

    owner: _Node | None
    depth: int  # a heading's depth, or a label line's indent
    label: bool


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
    plain = re.sub(r"^[^A-Za-z]*(?:(?i:phase|step|stage|milestone|task)[ \t]+[\w.-]+[ \t:.\-–—]*)?", "", text)
    return CRITERIA.search(_plain(plain)) is not None


_RECENT: list[tuple[str, Path, str, Parsed]] = []
"""The last plans read: reading a plan, ticking it and checking the result read the same text two or
three times (`start`, `finish`, `check`), and a big plan costs seconds to read. Parsed is frozen."""


def _scan(text: str, path: Path, steps: tracker.Granularity = "phase") -> Parsed:
    for seen_text, seen_path, seen_steps, parsed in _RECENT:
        if seen_path == path and seen_steps == steps and (seen_text is text or seen_text == text):
            return parsed
    with no_gc():
        parsed = _read(text, path, steps)
    _RECENT.insert(0, (text, path, steps, parsed))
    del _RECENT[2:]
    return parsed


def _read(text: str, path: Path, steps: tracker.Granularity = "phase") -> Parsed:
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
    plain_headings: list[tuple[int, int, str, int, Line]] = []  # headings that are no step (yet)
    task_headings: list[tuple[int, int, str, int, Line]] = []  # `### Mini-Player Fix ✅` under a TODO
    listed: set[int] = set()  # plain headings under a TODO-like heading (their items' positions)
    seen_box = False
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
            if template_depth is not None or TEMPLATE_HEADING.match(_unbold(content).strip()):
                template_depth = depth if template_depth is None else template_depth
                node = bare
            elif _criteria_name(content):
                criteria = _Criteria(_enclosing(stack), depth, label=False)
                node = bare
            else:
                node = _heading_node(content, content_start, depth, line, tasks=tasks)
                if node.marker.kind == "break":
                    plain_headings.append((len(items), depth, content, content_start, line))
                    if tasks:
                        listed.add(len(items))
                elif node.marker.table == _TASK_HEADING_TABLE:
                    task_headings.append((len(items), depth, content, content_start, line))
            items.append(node)
            stack.append((depth, None if node.marker.kind == "break" else node, content))
            last_heading = (len(items), node, content, content_start) if template_depth is None else None
            continue
        if template_depth is not None:
            continue
        if flavor == "execplan" and progress_depth is None:
            continue
        if index in table_rows:
            t_index, table = table_rows[index]
            node_or_none = _table_node(line, table, t_index, legend)
            if node_or_none is not None:
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
            if words.is_legend_entry(read.text):
                continue  # `- [x] 已完成（Done）`: a legend of the marks, written as checkboxes
            ident = read.ident
            if flavor == "antigravity" and (found := ANTIGRAVITY_ID.search(rest)):
                ident = found.group("id")
            mark_at = line.start + box.start("mark")
            status = _MARK_STATUS[box.group("mark")]
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
            if lead <= criteria.depth and not re.match(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", stripped):
                criteria = None
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
            if promoted is not None:
                items[-1] = promoted
                stack[-1] = (stack[-1][0], promoted, stack[-1][2])
                last_heading = None
                continue
        verify = VERIFY.match(body) if "Verify" in body else None
        if verify:
            indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
            verify_at.setdefault(len(items), []).append((indent, verify.group("cmd").strip("`").strip()))
            continue
        bullet = EMOJI_BULLET.match(body) if allow_emoji else None
        if bullet and allow_emoji:
            emoji_status = words.emoji_status(bullet.group("emoji"))
            read = read_title(bullet.group("rest"))
            start = line.start + bullet.start("emoji")
            node = _Node(
                read.ident,
                read.text,
                emoji_status,
                line.number,
                len(bullet.group("indent").expandtabs(4)),
                Marker("emoji", start, line.start + bullet.end("emoji"), line),
                optional=read.optional,
                deferred=read.deferred and emoji_status == "todo",
                numbered_item=not bullet.group("indent") and stripped[:1].isdigit(),
            )
            items.append(node)
            continue
        numbered = NUMBERED_ITEM.match(body) if allow_emoji and criteria is None else None
        if numbered and not any(_NOT_STEP_SECTIONS.match(_plain(_unbold(name))) for _, _, name in stack):
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
    front_matter = bool(lines) and lines[0].body.strip() == "---"  # a tool's own format
    _numbered_items_or_none(items, front_matter)
    _nest_by_number(items)
    _sections_are_no_tasks(items, task_headings, plain_headings, listed)
    # A numbered heading with nothing under it (`## 0.9.x (current)`) is no step (see `_build`).
    if (
        not any(n.marker.kind != "break" and not n.numbered_heading for n in items)
        and not seen_box
        and not front_matter
    ):
        _headings_as_steps(items, plain_headings)
    return replace(_build(items, verify_at, flavor, lines, path, steps), legend=legend)


# The `table` of a task heading's marker, which is rewritten as a cell is.
_TASK_HEADING_TABLE = -3

# Sections of a document that are about the plan, not steps of it.
_NOT_STEP_SECTIONS = lazy(
    r"(?i)^(?:overview|introduction|intro|summary|description|notes?|references?|background|goals?|non-goals|purpose|"
    r"scope|(?:table[ \t]+of[ \t]+)?contents|appendix|faq|licen[cs]e|changelog|context|motivation|"
    r"glossary|resources|links|status|progress|legend|open[ \t]+questions|risks?|out[ \t]+of[ \t]+scope)\b"
)


# An item of a top-level numbered list: `1. Per-feature error boundaries: wrap each feature...`.
NUMBERED_ITEM = lazy(r"^\d{1,9}[.)][ \t]+(?P<rest>\S.*)$")


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
        elif group is not None and node.level == group.level and (node.id or "").startswith(f"{group.id}."):
            node.level = group.level + 1
        elif group is not None and node.level <= group.level:
            group = None


def _numbered_items_or_none(items: list[_Node], front_matter: bool) -> None:
    """A plan with no checkbox, status row or step heading whose work is a numbered list (a TODO.md
    of `1. Feature: description` items): its top-level numbered items are the steps, a status
    glyph written after the number (`2. ✅ Feature`) saying which are done. Elsewhere, or with
    fewer than two of them, numbered items are prose."""
    listed = [n for n in items if n.numbered_item]
    if not listed:
        return
    others = any(n.marker.kind != "break" and not n.numbered_item for n in items)
    if others or front_matter or len(listed) < 2:
        for position, node in enumerate(items):
            if node.numbered_item and node.marker.kind == "emoji-bare":
                items[position] = _Node(None, "", None, node.line, 0, Marker("break", 0, 0, node.marker.line))
            elif node.numbered_item:
                node.numbered_item = False


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
            and not _NOT_STEP_SECTIONS.match(_plain(_unbold(content)))
        ):
            items[position] = _heading_node(content, content_start, depth, line, force=True)


def _headings_as_steps(items: list[_Node], headings: list[tuple[int, int, str, int, Line]]) -> None:
    """A plan with no marker anywhere (a roadmap of `## Feature` headings): its headings are the steps.

    The steps are the headings of the shallowest level that has more than one, sections such as
    Overview or Notes excepted; when most of those hold headings of their own (`## Features` over
    `### Bulk endpoint`), the headings under them are the steps.
    """
    candidates = [h for h in headings if not _NOT_STEP_SECTIONS.match(_plain(_unbold(h[2])))]
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
    return cell.status, text[: match.start()], (base + match.start(), base + match.end()), deferred


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
    if PLACEHOLDER.match(read.text) or not (read.text or ident) or _TOTAL.search(read.text):
        return None
    if cell.status is None and said.strip() and not table.odd_rows:
        # A note among the statuses (`Plan Mode`): a row stepcommit could neither read nor mark.
        return None
    status = cell.status or "todo"
    deferred = cell.word is not None and words.is_deferral(said[cell.word[0] : cell.word[1]])
    optional = _OPTIONAL_CELL.search(said) is not None
    if optional and cell.word is None and status == "in_progress":
        status = "todo"  # `⏳ OPTIONAL`: the hourglass waits, nobody is on it
    owner = _plain(line.body[slice(*cells[table.owner_col])]) if 0 <= table.owner_col < len(cells) else ""
    # Under way and in someone's name (`| #29 | web-search | ivdimova | Assigned |`): their work, which
    # `start` leaves to them as it leaves deferred work.
    taken = status == "in_progress" and re.search(r"[^\W_]", owner) is not None and owner not in _NO_OWNER
    return _Node(
        ident or read.ident,
        read.text,
        status,
        line.number,
        0,
        Marker("cell", line.start + s_start, line.start + s_end, line, table.status_col, t_index),
        optional=read.optional or optional,
        deferred=((deferred or read.deferred) and status == "todo") or taken,
    )


_NO_OWNER = {"none", "nobody", "unassigned", "tbd", "n/a", "open", "-"}


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
        )

    steps_ = tuple([freeze(n) for n in roots])
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
    if status == "todo" and step.status in ("done", "skipped"):
        # `- [x] Take the sprites (done)`: reopened, its text must stop saying done too.
        after = marker.end + 1
        star = re.match(r"\\?\*", text[after : after + 2])
        after += star.end() if star else 0
        rest = text[after : marker.line.end]
        tag = words.status_tag_span(COMMENT.sub(lambda m: " " * len(m.group()), rest))
        if tag is not None:
            edits.append(Edit(after + tag[0], after + tag[1], ""))
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
    if new is None and old.strip() and words.read_cell(old).status is None:
        # A column that says the status in bold beside other text (`Dev **COMPLETE**`): the
        # word joins the text, in the column's own bold and case.
        bolded = [
            b.group("word")
            for m in column
            if m is not marker
            for b in _BOLD_WORD.finditer(text[m.start : m.end])
            if words.word_status(b.group("word")) is not None
        ]
        if bolded:
            word = words.pick_word(status, bolded[0], bolded)
            if word is not None:
                return [Edit(marker.start, marker.end, f"{old.rstrip()} **{word}** ")]
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
        elif marker.kind in ("cell", "heading") and words.read_cell(old_text, parsed.legend).status != status:
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
        edits = _edit_checkbox(parsed, text, step, marker, status, now)
        if status == "done":
            # A box done is done with its parts: a ticked box over open boxes reads as still under way.
            for inner in itertools.islice(step.walk(), 1, None):
                held = inner.optional or inner.deferred
                if (
                    parsed.markers[inner.index].kind == "checkbox"
                    and inner.status in ("todo", "in_progress")
                    and not held
                ):
                    edits += _edit_checkbox(parsed, text, inner, parsed.markers[inner.index], status, now)
        return edits
    if marker.kind == "cell":
        return _edit_cell(parsed, text, marker, status)
    if marker.kind == "emoji":
        return _edit_emoji(parsed, text, marker, status)
    if marker.kind == "emoji-bare":
        # A numbered item with no glyph yet: the glyph goes after its number (`1. ✅ Title`).
        if status == "todo":
            return []
        return [Edit(marker.start, marker.end, _edit_emoji(parsed, text, marker, status)[0].new + " ")]
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
    new = apply(text, _edits(parsed, text, step, status, now, verified))
    if new != text and status != "in_progress":
        # "In progress" is shown where the plan has a way to say it (a table row, not a checkbox).
        # Another line can say the same step's status (a `**Status**:` line under a heading that also
        # ends in one): an edit that would not read back as asked is refused, never written.
        # One checkbox's mark changed reads back from the mark (`readback`): a big plan is not read again.
        back = readback.ticked_step(parsed, text, new, step)
        if back is None:
            after = list(_scan(new, path, steps).plan.walk())
            back = after[step.index] if step.index < len(after) else None
        if back is None or (back.id, back.title) != (step.id, step.title) or back.status != status:
            raise PlanError(
                f"Setting step {step.id} in {path.name} (line {step.line}) to {status} would not read back "
                "as that status: another line of the plan says its status too. Nothing was written.",
                hint="Edit the step's status lines by hand, then run the command again.",
            )
    return new
