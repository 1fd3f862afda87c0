"""What the blocks of a markdown plan say of its lines, before any step is read.

Which lines are code or HTML (skipped), where a paragraph ends, which lines are headings, which
tables list steps (a status column, its id and title columns), and the lines inside `<details>` or
an HTML comment markdown-it left inline.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from stepcommit.lazy_re import lazy
from stepcommit.plan import words
from stepcommit.plan.patterns import BOLD_WORD, DETAILS_CLOSE, DETAILS_OPEN
from stepcommit.plan.text import Line


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
    "상태",
    "진행",
}
_OWNER_HEADERS = {"assignee", "assigned", "assigned to", "owner", "claimed by", "who"}
_ID_HEADERS = {
    "#",
    "id",
    "no",
    "no.",
    "nr",
    "step",
    "phase",
    "sprint",
    "slice",
    "stage",
    "iteration",
    "task id",
    "step id",
    "n°",
    "num",
    "fase",
}
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


# A column that groups the rows (`Milestone`: `M1`, `v4.2`) names the row only where no other does.
_GROUP_HEADERS = {"milestone"}
# Columns that say when, who, how much or where, never what: no title when no column is named for one.
_NOT_TITLE_HEADERS = {
    "timeline",
    "date",
    "dates",
    "target",
    "target date",
    "eta",
    "due",
    "due date",
    "deadline",
    "duration",
    "when",
    "estimate",
    "effort",
    "started",
    "completed",
    "finished",
    "updated",
    "last updated",
    "week",
    "weeks",
    "quarter",
    "period",
    "priority",
    "progress",
    "%",
    "branch",
    "pr",
    "commit",
    "version",
    "release",
}
# `4.1 API Service Testing`, `10. Docs`, `Phase 2: Core Installer`: a number, then a name.
_NUMBER_AND_NAME = lazy(
    r"^\s*[*_`]*(?:(?i:phase|step|stage|sprint|milestone|slice|iteration|task)[ \t]+)?\d+(?:\.\d+)*[.:)]?[ \t]+[^\W\d_]"
)


def _names_in_ids(cells: list[str]) -> bool:
    """Whether most id cells carry a name after the number (`4.1 API Service Testing`, `10. Docs`)."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and 2 * sum(_NUMBER_AND_NAME.match(c) is not None for c in filled) > len(filled)


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
        # A column that mostly grades its rows (`✅ Good` beside `⚠️ Partial`: a coverage assessment) says
        # how good each thing is, not what is left to do: findings, not steps.
        if len(said) > 1 and 2 * sum(words.is_grade(c) for c in said) > len(said):
            return None
        odd_rows = len(said) <= 1
    id_col = next((i for i, n in enumerate(names) if n in _ID_HEADERS and i != status_col), -1)
    title_col = next(
        (i for i, n in enumerate(names) if n in _TITLE_HEADERS and i not in (status_col, id_col)), -1
    )
    untitled = title_col < 0  # no column says it holds titles: the first other one, unless the ids name
    if untitled:
        # `| Phase | Status | Timeline | Key Features |`: the features say what the phase is, not its months.
        others = [i for i in range(len(names)) if i not in (status_col, id_col)]
        title_col = next(
            (i for i in others if names[i] not in _NOT_TITLE_HEADERS | _OWNER_HEADERS),
            others[0] if others else -1,
        )
    if title_col < 0 or (
        id_col >= 0
        and (untitled or names[title_col] in _GROUP_HEADERS)
        and _names_in_ids([row[id_col] for row in cells or [] if id_col < len(row)])
    ):
        # `| Phase | Milestone | ... |` over `| 4.1 API Service Testing | M1 |`: the phase cell holds
        # the phase's number and name; the milestone column only says which group the phase is in.
        # GSD's `| Phase | Plans Complete | Status |` over `| 7. Seed Data | 0/TBD | On Hold |`: the count
        # is no title.
        title_col = id_col
    owner_col = next((i for i, n in enumerate(names) if n in _OWNER_HEADERS and i != status_col), -1)
    return _Table(header_line, tuple(rows), status_col, id_col, title_col, odd_rows, owner_col)


def _bold_status(cell: str) -> bool:
    return any(words.word_status(m.group("word")) is not None for m in BOLD_WORD.finditer(cell))


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
        opened = len(DETAILS_OPEN.findall(line.body))
        closed = len(DETAILS_CLOSE.findall(line.body))
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
