"""One model of a plan: a phase's table rows, heading, checklist and checkpoint joined as one step.

The progress-tracker style AI agents keep (`PROGRESS.md`) shows each phase in several places: a
row of a `| Phase | Description | Status |` table, a `### Phase N: Title` section with a checklist,
a row of a `| Checkpoint | Phase | Passed |` table, an `**Active Phase**:` line. Read one by one they
are three steps with the same id; here they become one step whose places all move together.
Ids are then made unique in every listing. No text is read or written here beyond the lines
handed in: the reader's nodes are rearranged (joined places leave the tree, a tracker phase's
checklist becomes its to-do list), and the places each step's status shows are handed to the writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from stepcommit.lazy_re import LazyPattern, lazy
from stepcommit.plan.model import Granularity
from stepcommit.plan.text import Edit

if TYPE_CHECKING:
    from stepcommit.plan.model import Status
    from stepcommit.plan.reading import Marker, _Node
    from stepcommit.plan.text import Line


_KW = r"phase|step|stage|milestone|part|task|sprint|epic|iteration|fase|etapa"
_KEYWORDS = frozenset(_KW.split("|"))
_HEADING_KW = lazy(rf"^ {{0,3}}#{{1,6}}[ \t]+(?:\W{{0,3}}[ \t]*)?(?:\*\*)?(?P<kw>(?i:{_KW}))[ \t]+\d")
_CHECKBOX_KW = lazy(
    # `- [ ] ~~**Phase 3.4: Graph DSL**~~ - ABANDONED`: a struck phase is still the phase.
    rf"^[ \t]*(?:[-*+]|\d{{1,9}}[.)])[ \t]+\[.\]\*?[ \t]+(?:~~)?(?:\*\*|__)?(?:~~)?(?P<kw>(?i:{_KW}))[ \t]+"
    r"(?P<num>\d+(?:\.\d+)*[a-z]?)\b"
)
# A task's own id, letters and a number (`T-001`, `A1`, `SEC-2`): a heading and a box with it are one task.
NAMED_ID = lazy(r"[A-Za-z]{1,6}-?\d+(?:\.\d+)*[a-z]?")
_REQUIREMENT_ID = lazy(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+")
_OWN_ID = lazy(r"[A-Za-z]{0,6}-?\d+(?:\.\d+)*[a-z]?")
_BOLD = r"(?:\*\*|__)?"
_ACTIVE = lazy(
    rf"^(?P<lead>[ \t]*(?:[-*+][ \t]+)?{_BOLD}(?i:active|current)[ \t]+(?i:phase){_BOLD}[ \t]*:[ \t]*{_BOLD}[ \t]*)"
    r"(?P<value>.*?)[ \t]*$"
)
_UPDATED = lazy(rf"(?i:last[ \t]+updated){_BOLD}[ \t]*:?[ \t]*{_BOLD}[ \t]*")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = "|".join(_MONTHS + [m[:3] for m in _MONTHS] + ["Sept"])
_DATES: tuple[tuple[str, LazyPattern], ...] = (
    (
        "iso",
        lazy(
            r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{2})(?P=sep)(?P<d>\d{2})(?P<time>[ T]\d{2}:\d{2}(?::\d{2})?)?"
            r"(?P<utc>Z|[ \t]+UTC)?"
        ),
    ),
    ("mdy", lazy(rf"(?P<mon>{_MONTH})\.?[ \t]+(?P<d>\d{{1,2}})(?P<comma>,?)[ \t]+(?P<y>\d{{4}})")),
    ("dmy", lazy(rf"(?P<d>\d{{1,2}})[ \t]+(?P<mon>{_MONTH})\.?(?P<comma>,?)[ \t]+(?P<y>\d{{4}})")),
)


@dataclass(frozen=True)
class Place:
    """Another place a step's status is shown: a status-table row or checkbox (``row``, moves with
    every status change), a checklist item of a phase (``todo``, ticked when the phase is done), a
    checkpoint row (``checkpoint``, marked passed when the phase is done and its verification ran)."""

    role: str
    marker: Marker


@dataclass(frozen=True)
class Span:
    """Where a value is written on a line: ``text[start:end]`` of the whole plan text."""

    start: int
    end: int


@dataclass(frozen=True)
class Rollup:
    """The plan-wide lines a finished phase moves: `**Active Phase**:` values and `Last Updated` dates."""

    active: tuple[Span, ...] = ()
    updated: tuple[Span, ...] = ()
    phases: tuple[int, ...] = ()
    """The step indexes of the joined phases, in file order (the Active Phase line walks them)."""


@dataclass
class Joined:
    """What the join decided about the reader's nodes (keyed by ``id(node)``)."""

    places: dict[int, list[Place]] = field(default_factory=dict)
    todo: dict[int, list[str]] = field(default_factory=dict)
    row_status: dict[int, Status] = field(default_factory=dict)
    phases: list[_Node] = field(default_factory=list)


def _walk(nodes: list[_Node], parent: _Node | None = None) -> Iterator[tuple[_Node, _Node | None]]:
    # Depth first, in file order; a stack, not nested generators (one hop per node, not one per level).
    stack = [(node, parent) for node in reversed(nodes)]
    while stack:
        node, up = stack.pop()
        yield node, up
        stack.extend((child, node) for child in reversed(node.children))


def _title_key(title: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", title.lower()))


@dataclass(slots=True)
class _Candidate:
    node: _Node
    parent: _Node | None
    kind: str  # heading | row | checkpoint | checkbox (`- [x] Phase 2: ...`) | item (a checkbox with its own id)
    kw: str | None


def _candidates(
    roots: list[_Node], lines: list[Line], header_of: Callable[[Marker], list[str]]
) -> list[_Candidate]:
    found: list[_Candidate] = []
    under_heading: set[int] = set()
    # `_walk`, written out: a step is one hop, not one generator resumption.
    stack: list[tuple[_Node, _Node | None]] = [(node, None) for node in reversed(roots)]
    while stack:
        node, parent = stack.pop()
        if node.children:
            stack.extend((child, node) for child in reversed(node.children))
        kind = node.marker.kind
        body = lines[node.line - 1].body
        if parent is not None and (id(parent) in under_heading or parent.marker.kind.startswith("heading")):
            under_heading.add(id(node))
        # A heading whose status is a `**Status**:` line under it (or a word, as a task heading's is)
        # is written as a cell, yet it is a heading: not a table's row.
        heading = kind.startswith("heading") or (kind == "cell" and node.marker.table < 0)
        if heading and node.id is not None:
            match = _HEADING_KW.match(body)
            found.append(_Candidate(node, parent, "heading", match.group("kw").lower() if match else None))
        elif kind == "cell" and not heading:
            names = header_of(node.marker)
            status_name = names[node.marker.column] if 0 <= node.marker.column < len(names) else ""
            checkpoint = any(n.startswith("checkpoint") for n in names) or status_name == "passed"
            kw = next((n for n in names if n in _KEYWORDS), None)
            found.append(_Candidate(node, parent, "checkpoint" if checkpoint else "row", kw))
        elif kind == "checkbox" and not node.children:
            match = _CHECKBOX_KW.match(body) if id(node) not in under_heading else None
            if match and match.group("num") == node.id:
                found.append(_Candidate(node, parent, "checkbox", match.group("kw").lower()))
            elif node.id is not None:
                found.append(_Candidate(node, parent, "item", None))
    return found


def _alike(one: str, other: str) -> bool:
    """Titles that may name the same thing: a word in common, or one of them empty."""
    a, b = set(_title_key(one)), set(_title_key(other))
    return not a or not b or bool(a & b)


def _alike_strict(one: str, other: str) -> bool:
    return bool(set(_title_key(one)) & set(_title_key(other)))


def _number(ident: str | None) -> str | None:
    """The number a place names its phase by: its id, or the number a cell starts with (`1. Setup`)."""
    if ident is None or _OWN_ID.compiled.fullmatch(ident):  # once a step: the compiled pattern's own
        return ident
    lead = re.match(r"(\d+(?:\.\d+)*[a-z]?)(?:[.:)]|[ \t]|$)", ident)
    return lead.group(1) if lead else ident


def _fits(heading: _Candidate, other: _Candidate) -> bool:
    if other.node.id is not None and heading.node.id is not None:
        if _number(other.node.id) != heading.node.id:
            return False
        # The same number is the same phase when both say what they number (`Phase` column,
        # `### Phase 2`), or when the titles have a word in common: a risk table's row 2 is not phase 2.
        same_kind = heading.kw is not None and other.kw == heading.kw
        return same_kind or (
            (heading.kw is None or other.kw is None) and _alike_strict(heading.node.title, other.node.title)
        )
    return bool(heading.node.title) and _title_key(heading.node.title) == _title_key(other.node.title)


def _fitting(found: list[_Candidate]) -> Callable[[_Candidate], list[_Candidate]]:
    """The rows, checkpoints and checkboxes that may fit a heading, in file order: those with its
    number, and those without an id (which fit by title). Looking them up, not trying every one
    with every heading, keeps a plan of thousands of phases linear; `_fits` still decides."""
    by_number: dict[str | None, list[tuple[int, _Candidate]]] = {}
    by_title: dict[tuple[str, ...], list[tuple[int, _Candidate]]] = {}
    for position, cand in enumerate(found):
        if cand.kind not in ("row", "checkpoint", "checkbox"):
            continue
        if cand.node.id is None:
            by_title.setdefault(_title_key(cand.node.title), []).append((position, cand))
        else:
            by_number.setdefault(_number(cand.node.id), []).append((position, cand))

    def fitting(head: _Candidate) -> list[_Candidate]:
        # A heading candidate always has an id (see `_candidates`).
        numbered = by_number.get(head.node.id, [])
        titled = by_title.get(_title_key(head.node.title), []) if head.node.title else []
        if not titled:
            return [c for _, c in numbered]
        return [c for _, c in sorted(numbered + titled, key=lambda pc: pc[0])]

    return fitting


def join(
    roots: list[_Node], lines: list[Line], header_of: Callable[[Marker], list[str]], steps: Granularity
) -> tuple[list[_Node], Joined]:
    """``roots`` with each phase's places joined into one node (joined ones leave the tree).

    A phase heading takes the rows, checkboxes and checkpoint rows with its number (else its title);
    without a heading, rows of different tables that name the same phase (`Phase` columns) join the
    first. In a tracker plan (a phase status table with a section per phase) the phase is the step
    and its checklist its to-do list, unless ``steps`` is "item".
    """
    found = _candidates(roots, lines, header_of)
    joined = Joined()
    claimed: set[int] = set()
    groups: list[tuple[_Node, list[_Candidate]]] = []
    headings = [c for c in found if c.kind == "heading"]
    fitting = _fitting(found)
    # A section with a checklist claims its rows before a bare heading with the same number.
    for head in sorted(headings, key=lambda c: (not c.node.children, c.node.line)):
        if id(head.node) in claimed:
            continue
        members = [c for c in fitting(head) if id(c.node) not in claimed and _fits(head, c)]
        if members:
            claimed.add(id(head.node))
            claimed.update(id(c.node) for c in members)
            groups.append((head.node, members))
    # A task heading and the box of a checklist elsewhere with its own id (`### T-016: Fix the proxy`
    # and `- [x] T-016: Fix the proxy`): one task, the box its status, the heading's boxes its to-do.
    item_groups: set[int] = set()
    boxed: list[_Node] = []
    by_own_id: dict[str, list[_Candidate]] = {}
    for cand in found:
        if cand.kind == "item" and cand.node.id is not None and NAMED_ID.compiled.fullmatch(cand.node.id):
            by_own_id.setdefault(cand.node.id, []).append(cand)
    for head in headings if by_own_id else ():
        if id(head.node) in claimed or head.node.id not in by_own_id:
            continue
        inside = {id(n) for n, _ in _walk(head.node.children)}
        same = [
            c
            for c in by_own_id[head.node.id]
            if id(c.node) not in claimed
            and id(c.node) not in inside
            and _alike_strict(head.node.title, c.node.title)
        ]
        if len(same) == 1:
            claimed.update((id(head.node), id(same[0].node)))
            groups.append((head.node, same))
            item_groups.add(id(head.node))
            boxed.append(head.node)
    # A summary table mirroring the checklist below it: a row joins the one item with its id.
    items: dict[str, list[_Candidate]] = {}
    for cand in found:
        if cand.kind == "item" and cand.node.id is not None:
            items.setdefault(cand.node.id, []).append(cand)
    for cand in found:
        if cand.kind != "row" or id(cand.node) in claimed or cand.node.id is None:
            continue
        same = [i for i in items.get(cand.node.id, []) if _alike(i.node.title, cand.node.title)]
        if len(same) == 1 and id(same[0].node) not in claimed:
            claimed.update((id(cand.node), id(same[0].node)))
            groups.append((same[0].node, [cand]))
            item_groups.add(id(same[0].node))
    # No section: a phase checkbox and the rows naming its number join (the checkbox leads), and
    # so do rows of different tables with the same kind of number (`Phase` columns).
    loose: dict[str, list[_Candidate]] = {}
    for cand in found:
        number = _number(cand.node.id)
        if cand.kind in ("row", "checkpoint", "checkbox") and id(cand.node) not in claimed and number:
            loose.setdefault(number, []).append(cand)
    for members in loose.values():
        lead = next((c for c in members if c.kind == "checkbox"), None)
        if lead is not None:
            box_kw = lead.kw
            rest = [c for c in members if c.kind != "checkbox" and c.kw in (None, box_kw)]
        else:
            lead = next((c for c in members if c.kind == "row" and c.kw), None)
            rest = [c for c in members if lead is not None and c is not lead and c.kw == lead.kw]
        if lead is not None and rest:
            groups.append((lead.node, rest))
            item_groups.discard(id(lead.node))
    gone = _summary_rows(roots, found, claimed, header_of) | _inventory_rows(roots, found, claimed)
    tracker = False
    for primary, members in groups:
        places = joined.places.setdefault(id(primary), [])
        for cand in members:
            places.append(_place(cand))
            gone.add(id(cand.node))
            if cand.kind == "row" and primary.marker.kind.startswith("heading"):
                tracker = True
        # A section named for its role (`## Phase 3 Breakdown`, a bare `## Phase 3`) takes the phase's
        # name from its row.
        # A row titled by an id of its own (`| LLM-MULTI-01 | ... | Phase 9 |`, a requirement) names none.
        named = next(
            (
                c.node.title
                for c in members
                if c.kind == "row"
                and re.search(r"[^\W\d_]{3}", c.node.title)
                and not _REQUIREMENT_ID.compiled.fullmatch(c.node.title)
            ),
            "",
        )
        if named and primary.marker.kind.startswith("heading") and not _alike_strict(primary.title, named):
            primary.title = named
        rows_status = [
            c.node.status for c in members if c.kind in ("row", "checkbox", "item") and c.node.status
        ]
        if rows_status:
            joined.row_status[id(primary)] = rows_status[0]
            if not primary.children and primary.status is None:
                primary.status = rows_status[0]
        # What a row says the phase waits on is the phase's: `Blocked by #24` (another row), `Deferred`.
        for cand in members:
            if cand.kind == "row" and primary.status in (None, "todo"):
                primary.deferred = primary.deferred or cand.node.deferred
                primary.depends += [d for d in cand.node.depends if d not in primary.depends]
    if any(c.node.depends for c in found):
        # A row a row waits on may have joined its section: the wait is on the section, the step.
        primary_of = {id(c.node): primary for primary, members in groups for c in members}
        for node, _ in _walk(roots):
            if node.depends:
                node.depends = [primary_of.get(id(d), d) for d in node.depends]
    if tracker and steps == "phase":
        gone |= _detail_rows(found, groups, gone)
    roots = _without(_table_order(roots, groups, gone), gone)
    for primary, _ in groups:
        # A section whose only children were rows joined into it (a checkpoint table under its heading)
        # says its status through its row, as one with no children at all does.
        if not primary.children and primary.status is None and id(primary) in joined.row_status:
            primary.status = joined.row_status[id(primary)]
    for task in boxed:
        _collapse(task, joined, lines)
    # Phases are what the Active Phase line walks: not an item joined with its summary row.
    joined.phases = sorted((p for p, _ in groups if id(p) not in item_groups), key=lambda n: n.line)
    if tracker and steps == "phase":
        kw_of: dict[int, str | None] = {}
        for cand in found:
            kw_of.setdefault(id(cand.node), cand.kw)
        depths = {(p.level, kw_of.get(id(p))) for p, _ in groups if p.marker.kind.startswith("heading")}
        in_phases = {id(p) for p in joined.phases}
        for cand in found:
            if cand.kind == "heading" and (cand.node.level, cand.kw) in depths and id(cand.node) not in gone:
                _collapse(cand.node, joined, lines)
                if id(cand.node) not in in_phases:
                    in_phases.add(id(cand.node))
                    joined.phases.append(cand.node)
        joined.phases.sort(key=lambda n: n.line)
    return roots, joined


def _detail_rows(
    found: list[_Candidate], groups: list[tuple[_Node, list[_Candidate]]], gone: set[int]
) -> set[int]:
    """In a tracker (a phase status table with a section per phase), the rows of the other status
    tables that name no phase and sit in no phase's section (a component table: `| Docker Compose |
    🟡 60% |`): they detail the work at another grain, so a phase is the step, not each row."""
    phase_tables = {c.node.marker.table for _, members in groups for c in members if c.kind == "row"}
    return {
        id(c.node)
        for c in found
        if c.kind == "row"
        and c.parent is None
        and id(c.node) not in gone
        and c.node.marker.table >= 0
        and c.node.marker.table not in phase_tables
    }


# A column naming the milestone or version each row belongs to (`Milestone`, `Version`, `版本对应`).
_SUMMARY_HEADER = lazy(r"(?i)^(?:milestones?|versions?|releases?|target[ \t]+version)$|版本|里程碑")


def _summary_rows(
    roots: list[_Node], found: list[_Candidate], claimed: set[int], header_of: Callable[[Marker], list[str]]
) -> set[int]:
    """The rows of a Milestones (or Version) table that mirrors no step, in a plan whose open work is a checklist:
    the table restates the plan at another grain (often stale), so its rows are no steps of their own.
    Where no box is open, the table is what is left to do, and stays."""
    tables: dict[int, list[_Node]] = {}
    mirrored: set[int] = set()
    for cand in found:
        if cand.kind == "row" and cand.node.marker.table >= 0:
            table = cand.node.marker.table
            if id(cand.node) in claimed:
                mirrored.add(table)
            elif any(_SUMMARY_HEADER.search(name) for name in header_of(cand.node.marker)):
                tables.setdefault(table, []).append(cand.node)
    summaries = [rows for table, rows in tables.items() if table not in mirrored]
    if not summaries or not any(
        n.marker.kind == "checkbox" and n.status in ("todo", "in_progress") for n, _ in _walk(roots)
    ):
        return set()
    return {id(node) for rows in summaries for node in rows}


def _inventory_rows(roots: list[_Node], found: list[_Candidate], claimed: set[int]) -> set[int]:
    """The rows of a status table that records what exists, in a plan with checkboxes:
    every row done, none with an id of its own or a place elsewhere (`| Button | ✅ Complete |` under
    `## Current Controls (Implemented)`). It lists what was built, not steps to start or tick."""
    tables: dict[int, list[_Node]] = {}
    for cand in found:
        if cand.kind == "row" and cand.node.marker.table >= 0 and cand.parent is None:
            tables.setdefault(cand.node.marker.table, []).append(cand.node)
    records = [
        rows
        for rows in tables.values()
        if len(rows) > 2 and all(r.status == "done" and r.id is None and id(r) not in claimed for r in rows)
    ]
    # Boxes anywhere, open or not: a tick never brings the rows back as steps.
    if not records or not any(n.marker.kind == "checkbox" for n, _ in _walk(roots)):
        return set()
    return {id(node) for rows in records for node in rows}


def _table_order(
    roots: list[_Node], groups: list[tuple[_Node, list[_Candidate]]], gone: set[int]
) -> list[_Node]:
    """A table (or a phase checklist) lists every phase and only some have a section: each such
    phase takes its row's place, so the phases keep the listing's order (a section further down is
    not a later phase)."""
    position = {id(n): i for i, n in enumerate(roots)}
    listing: dict[int, tuple[str, int]] = {}
    run = 0
    for i, node in enumerate(roots):
        if node.marker.kind == "cell":
            listing[id(node)] = ("table", node.marker.table)
        elif node.marker.kind == "checkbox":
            if i == 0 or roots[i - 1].marker.kind != "checkbox":
                run += 1
            listing[id(node)] = ("list", run)
    partial = {listing[id(n)] for n in roots if id(n) in listing and id(n) not in gone}
    moved: dict[int, _Node] = {}
    for primary, members in groups:
        if not primary.marker.kind.startswith("heading") or id(primary) not in position:
            continue
        rows = [
            c.node for c in members
            if c.kind in ("row", "checkbox") and id(c.node) in position and listing.get(id(c.node)) in partial
        ]  # fmt: skip
        row = min(rows, key=lambda n: position[id(n)], default=None)
        if row is not None:
            moved[id(row)] = primary
    if not moved:
        return roots
    placed = {id(p) for p in moved.values()}
    return [moved.get(id(n), n) for n in roots if id(n) not in placed]


def _place(cand: _Candidate) -> Place:
    role = "checkpoint" if cand.kind == "checkpoint" else "row"
    return Place(role, cand.node.marker)


def _without(nodes: list[_Node], gone: set[int]) -> list[_Node]:
    kept = [n for n in nodes if id(n) not in gone]
    for node in kept:
        node.children = _without(node.children, gone)
    return kept


# A subsection of work left after its phase (`### Remaining (Post-Deploy)`, `### Follow-ups`).
_LEFTOVER = lazy(
    r"(?i)\b(?:remaining|leftovers?|outstanding|follow[- ]?ups?|open[ \t]+items|still[ \t]+to[ \t]+do"
    r"|post[- ](?:deploy(?:ment)?|launch|release|merge|mvp))\b"
)


def _leftovers(phase: _Node, leaves: list[_Node], lines: list[Line], row: Status | None) -> list[_Node]:
    """The boxes of a phase its row calls done that sit in a subsection of leftover work: work after
    the phase, each a step of its own (the row speaks for the phase, not for them). Ticked or not:
    ticking one changes no step's place."""
    boxes = [leaf for leaf in leaves if leaf.marker.kind == "checkbox"] if row == "done" else []
    if not boxes:
        return []
    # The nearest heading above each box, inside the phase: one pass down the phase's lines.
    wanted = {leaf.line for leaf in boxes}
    heading_of: dict[int, str] = {}
    current = ""
    for i in range(phase.line, max(wanted)):
        body = lines[i].body
        if body[:1] == "#":
            current = body
        elif i + 1 in wanted:
            heading_of[i + 1] = current
    return [leaf for leaf in boxes if _LEFTOVER.search(heading_of.get(leaf.line, ""))]


def _collapse(phase: _Node, joined: Joined, lines: list[Line]) -> None:
    """A phase step: its checklist becomes its to-do list, each item a place ticked with the phase;
    the boxes of leftover work after a finished phase stay steps under it (`_leftovers`)."""
    items = [n for n, _ in _walk(phase.children)]
    leaves = [n for n in items if not n.children]
    row = joined.row_status.get(id(phase))
    left = _leftovers(phase, leaves, lines, row)
    if left:
        kept = {id(n) for n in left}
        items = [n for n in items if id(n) not in kept]
        leaves = [n for n in leaves if id(n) not in kept]
    places = joined.places.setdefault(id(phase), [])
    for node in items:
        if node.marker.kind in ("checkbox", "emoji", "heading", "cell"):
            places.append(Place("todo", node.marker))
        phase.verify.extend(node.verify)
    joined.todo[id(phase)] = [n.title for n in leaves if n.title]
    states = {n.status for n in leaves if n.status is not None}
    # The file's own word for the phase (its row) first, then the heading's own marker, then the checklist.
    if left:
        phase.status = None  # from its leftover steps, as a group's is
        phase.children = left
        for node in left:
            node.children = []
        return
    if row is not None:
        phase.status = row
    elif phase.status is None:
        if not states or states == {"todo"}:
            phase.status = "todo"
        elif states <= {"done", "skipped"}:
            phase.status = "done"
        else:
            phase.status = "in_progress"
    phase.children = []


# -- ids -------------------------------------------------------------------------------------------


class RawId(NamedTuple):
    """A step's id as read: ``parent`` is the parent's place in the listing (parents come first)."""

    ident: str
    parent: int | None
    explicit: bool
    position: int
    leaf: bool


def unique_ids(raw: list[RawId]) -> list[tuple[str, bool]]:
    """(id, from the file's own numbers) per step, unique in the listing, deterministic.

    The file's own id where it is unique. Where an id repeats among the leaf steps (`Step 1` under
    every `Task N`), the numbering restarts under each parent: those children are scoped under
    their parent, `1.1`, `2.1`. What still repeats goes first to the
    leaf steps (what people start and mark), then in file order; the rest get `-2`, `-3`. Made-up
    ids (positions) follow their parent's final id."""
    leaf_counts: dict[str, int] = {}
    for r in raw:
        if r.leaf and r.explicit:
            leaf_counts[r.ident] = leaf_counts.get(r.ident, 0) + 1
    final: list[str | None] = [None] * len(raw)
    keep = [r.explicit for r in raw]
    used: set[str] = set()

    def claim(i: int, wanted: str) -> None:
        # A made-up suffix never takes an id the file gives another step.
        new, n = wanted, 2
        while new in used or (new != wanted and new in reserved):
            new, n = f"{wanted}-{n}", n + 1
        if new != wanted:
            keep[i] = False
        used.add(new)
        final[i] = new

    # Numbering that restarts under each parent: the whole sibling group is scoped, not only its
    # repeated ids (`Task 1` > `Step 1`, `Step 2`; `Task 2` > `Step 1` gives 1.1, 1.2, 2.1).
    restarts = {
        r.parent
        for r in raw
        if r.explicit and r.leaf and leaf_counts.get(r.ident, 0) > 1 and r.parent is not None
    }
    wanted: list[str] = []
    for r in raw:
        scoped = r.explicit and r.parent in restarts and r.parent is not None
        if scoped and r.parent is not None and not r.ident.startswith(f"{raw[r.parent].ident}."):
            wanted.append(f"{raw[r.parent].ident}.{r.ident}")
        else:
            wanted.append(r.ident)
    reserved = {w for w, r in zip(wanted, raw, strict=True) if r.explicit}
    # The leaves first, then the others, each in file order.
    explicit_order = [i for i, r in enumerate(raw) if r.explicit and r.leaf]
    explicit_order += [i for i, r in enumerate(raw) if r.explicit and not r.leaf]
    for i in explicit_order:
        if wanted[i] in used:
            claim(i, wanted[i])
        else:  # the commonest, spared a call
            used.add(wanted[i])
            final[i] = wanted[i]
    for i, r in enumerate(raw):
        if not r.explicit:
            parent_id = final[r.parent] if r.parent is not None else None
            claim(i, f"{parent_id}.{r.position}" if parent_id else str(r.position))
    return [(f or "", k) for f, k in zip(final, keep, strict=True)]


# -- the roll-up -----------------------------------------------------------------------------------


def rollup_lines(lines: list[Line]) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The Active/Current Phase values and the Last Updated dates of a plan."""
    active: list[Span] = []
    updated: list[Span] = []
    for line in lines:
        body = line.body
        if "hase" in body and (m := _ACTIVE.match(body)) and m.group("value"):
            active.append(Span(line.start + m.start("value"), line.start + m.end("value")))
        if "pdated" in body and (u := _UPDATED.search(body)):
            for _, pattern in _DATES:
                date = pattern.match(body, u.end())
                if date:
                    updated.append(Span(line.start + date.start(), line.start + date.end()))
                    break
    return tuple(active), tuple(updated)


def today_like(old: str, now: datetime) -> str:
    """``now``'s date written the way ``old`` is (`2026-01-05`, `2026/01/05 14:03`, `January 5, 2026`)."""
    local = now.astimezone()
    for kind, pattern in _DATES:
        m = pattern.fullmatch(old)
        if m is None:
            continue
        if kind == "iso" and m.group("utc"):
            local = now.astimezone(UTC)  # a time the file says is in UTC
        if kind == "iso":
            sep = m.group("sep")
            text = local.strftime(f"%Y{sep}%m{sep}%d")
            if m.group("time"):
                text += m.group("time")[0] + local.strftime(
                    "%H:%M:%S" if m.group("time").count(":") == 2 else "%H:%M"
                )
            return text + (m.group("utc") or "")
        mon = m.group("mon")
        full = mon.rstrip(".") in _MONTHS
        month = _MONTHS[local.month - 1] if full else _MONTHS[local.month - 1][:3]
        if mon.isupper():
            month = month.upper()
        # `05 Jan` pads the day; `January 16` does not say, and unpadded is the common way.
        day = f"{local.day:02d}" if m.group("d").startswith("0") else str(local.day)
        dot = "." if not full and old[m.end("mon") : m.end("mon") + 1] == "." else ""
        if kind == "mdy":
            return f"{month}{dot} {day}{m.group('comma')} {local.year}"
        return f"{day} {month}{dot}{m.group('comma')} {local.year}"
    return old


def active_value(old: str, done: tuple[str, str], following: tuple[str, str]) -> str | None:
    """The Active Phase value naming ``following`` (id, title) in place of ``done``; None when the
    line names another phase than the one just finished (it is left alone then)."""
    (done_id, done_title), (next_id, next_title) = done, following
    number = re.search(rf"(?<![\w.]){re.escape(done_id)}(?![\w]|\.\d)", old)
    titled = done_title and done_title.lower() in old.lower()
    if number is None and not titled:
        return None
    new = old
    if titled:
        at = new.lower().index(done_title.lower())
        new = new[:at] + next_title + new[at + len(done_title) :]
    if number is not None:
        new = new[: number.start()] + next_id + new[number.end() :]
    return new


def rollup_edits(
    text: str, rollup: Rollup, done: tuple[str, str], following: tuple[str, str] | None, now: datetime
) -> list[Edit]:
    edits = [Edit(s.start, s.end, today_like(text[s.start : s.end], now)) for s in rollup.updated]
    if following is not None:
        for span in rollup.active:
            new = active_value(text[span.start : span.end], done, following)
            if new is not None:
                edits.append(Edit(span.start, span.end, new))
    return [e for e in edits if text[e.start : e.end] != e.new]


def next_phase(statuses: list[tuple[str, str, Status]], done_at: int) -> tuple[str, str] | None:
    """(id, title) of the phase after the one at ``done_at`` that is still open, else an earlier one."""
    order = list(range(done_at + 1, len(statuses))) + list(range(done_at))
    for i in order:
        ident, title, status = statuses[i]
        if status in ("todo", "in_progress"):
            return ident, title
    return None
