"""A step's status written into a markdown plan: only the bytes of its markers change.

A checkbox's mark, a table cell's or a heading's status word or emoji, in the file's own vocabulary
(its case, its glyphs, its column widths); a joined phase changes in all its places, and the
change is read back before it is written.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import readback, tracker, words
from stepcommit.plan.model import Granularity, Status, Step
from stepcommit.plan.patterns import (
    BOLD_WORD,
    COMMENT,
    COMPOUND_HEADING,
    HEADING_STATUS,
    ITEM_HEADING,
    MARK_STATUS,
    NUMBERED_HEADING,
    STEP_HEADING,
    TASK_HEADING,
    TIMESTAMP,
)
from stepcommit.plan.reading import Marker, Parsed, _scan
from stepcommit.plan.text import Edit, apply

_STATUS_MARK: dict[Status, str] = {"todo": " ", "done": "x", "skipped": "~"}
_IN_PROGRESS_MARK = {"kiro": "-", "antigravity": "/"}


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
            for b in BOLD_WORD.finditer(text[m.start : m.end])
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
            if _numbered_only(text, marker):
                # `### 1. Project Setup ✅` is a step by its marker: without one it is a section.
                return [Edit(marker.start, marker.end, " " + words.pick_emoji("todo", []))]
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


def _numbered_only(text: str, marker: Marker) -> bool:
    """Whether a heading is a step only by its status marker: a numbered heading (`### 1. Setup ✅`)
    with no step keyword, which reads as a section once the marker is gone."""
    head = text[marker.line.start : marker.start].lstrip().lstrip("#").strip()
    if any(p.match(head) for p in (STEP_HEADING, TASK_HEADING, ITEM_HEADING, COMPOUND_HEADING)):
        return False
    return NUMBERED_HEADING.match(head) is not None


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
            old = MARK_STATUS.get(old_text)
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
        # A numbered item with no glyph yet: the glyph goes after its number (`1. ✅ Title`). Open
        # already, it needs none; read done from a roll-call elsewhere (`**Shipped:** M1 ...`), its
        # own glyph says it is open again (an item's own mark wins over the roll-call).
        if status == "todo" and step.status == "todo":
            return []
        return [Edit(marker.start, marker.end, _edit_emoji(parsed, text, marker, status)[0].new + " ")]
    return _edit_heading(parsed, text, marker, status)


def set_status(
    text: str, path: Path, step: Step, status: Status, now: datetime, *,
    verified: bool = False, steps: Granularity = "phase",
) -> str:  # fmt: skip
    """The plan text with only ``step``'s markers changed; every other byte kept.

    ``step`` must come from parsing this very ``text``. A group step (a heading over checkboxes)
    without its own marker changes through its leaf steps. A joined phase changes in all its
    places; finished, its checklist is ticked, its checkpoint passed when ``verified`` (its
    verification ran and passed), the Active Phase line moves on and Last Updated becomes today.
    """
    parsed = _scan(text, path, steps)
    new = apply(text, _edits(parsed, text, step, status, now, verified))
    if new == text and status != "in_progress" and step.status != status:
        # Its status is in words no marker holds (`### M0 — Walking skeleton — ✅ shipped v0`): no edit
        # can say another, and a tick that changed nothing must not pass for one.
        raise PlanError(
            f"Step {step.id} in {path.name} (line {step.line}) says it is {step.status} in words stepcommit"
            f" cannot rewrite, so it cannot be set to {status}. Nothing was written.",
            hint="Edit the step's line by hand (or give it a checkbox), then run the command again.",
        )
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
