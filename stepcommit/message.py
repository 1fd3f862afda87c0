"""Commit messages: the step commit laid out as in DESIGN.md, with agent text cleaned first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stepcommit.lazy_re import lazy
from stepcommit.progress import cap_entry, cap_text
from stepcommit.redact import redact
from stepcommit.sanitize import redacted_line

if TYPE_CHECKING:
    from stepcommit.gates.results import TestResult

__all__ = ["redact"]  # re-exported: callers and tests name message.redact


# Caps on text that reaches a terminal or a commit: a test's assertion message or an agent's
# todo list can be megabytes long.
FAILURE_CHARS = 2_000
"""A failing test's message, as the gate prints and stores it."""
OUTPUT_LINE_CHARS = 2_000
"""One line of the test run's output shown after a failure."""
MESSAGE_ENTRIES = 100
"""Progress entries one commit message lists; the rest are named by their number."""


def cap_failure(text: str) -> str:
    return cap_text(text, FAILURE_CHARS)


def cap_output_lines(text: str) -> str:
    return "\n".join(cap_text(line, OUTPUT_LINE_CHARS) for line in text.split("\n"))


def cap_entries(entries: Sequence[str]) -> list[str]:
    """At most MESSAGE_ENTRIES entries, each capped, and a last line saying what was left out."""
    kept = [cap_entry(e) for e in entries[:MESSAGE_ENTRIES]]
    if len(entries) > MESSAGE_ENTRIES:
        kept.append(f"[… {len(entries) - MESSAGE_ENTRIES:,} more entries, not listed]")
    return kept


def scope_for(step_id: str) -> str:
    return "step-" + (re.sub(r"[^A-Za-z0-9._-]+", "-", step_id).strip("-") or "x")


def header(commit_type: str, step_id: str, title: str) -> str:
    subject = redacted_line(title).rstrip(".").strip() or f"step {step_id}"
    return f"{commit_type}({scope_for(step_id)}): {subject}"


@dataclass(frozen=True)
class CoverageFigure:
    total: float
    """coverage.py's own total percentage, unrounded."""
    display: str
    """The total as `coverage report --precision=2` prints it."""
    previous: str | None = None
    lowest: tuple[tuple[str, str], ...] = ()
    branch: bool = False
    changed_lines: str | None = None
    """Coverage of the changed lines (patch coverage), when any changed line is a statement."""
    measured: str | None = None
    """How, when only the affected tests ran: `incremental: 16 of 1,604 tests`."""

    def line(self) -> str:
        text = f"{self.display}%"
        if self.measured:
            text += f" ({self.measured})"
        if self.previous is not None:
            delta = float(self.display) - float(self.previous)
            text += f" ({delta:+.2f} from {self.previous}%)"
        if self.changed_lines is not None:
            text += f"; changed lines {self.changed_lines}%"
        return text


def format_lowest(lowest: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{path} {pct}%" for path, pct in lowest)


def step_message(
    *,
    commit_type: str,
    step_id: str,
    title: str,
    progress: Sequence[str],
    tests: TestResult,
    coverage: CoverageFigure,
    files: tuple[int, int, int],
    plan: str,
    lint: str | None = None,
    extra_lines: Sequence[str] = (),
    trailers: Sequence[str] = (),
    todo: Sequence[str] = (),
) -> str:
    """The whole message of a step commit; the last paragraph is a git trailer block.

    ``todo`` is the step's checklist when the step is a tracker plan's phase."""
    parts = [header(commit_type, step_id, title)]
    cleaned = [c for c in (redacted_line(p) for p in progress) if c]
    cleaned = cap_entries(cleaned)
    if cleaned:
        parts.append("Progress Updates\n" + "\n".join(f"{n} {text}" for n, text in enumerate(cleaned, 1)))
    items = cap_entries([c for c in (redacted_line(t) for t in todo) if c])
    if items:
        parts.append("Checklist\n" + "\n".join(f"- {item}" for item in items))
    body = [f"Tests: {tests.summary()}", *extra_lines, f"Coverage: {coverage.line()}"]
    if lint:
        body.insert(1, f"Lint: {lint}")
    if coverage.lowest:
        body.append(f"Lowest: {format_lowest(coverage.lowest)}")
    count, added, deleted = files
    body.append(f"Files: {count} changed (+{added} -{deleted})")
    parts.append("\n".join(body))
    block = [f"Step: {redacted_line(step_id)}", f"Plan: {plan}", f"Coverage: {coverage.display}", *trailers]
    parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n"


def honesty_trailers(allowed: Sequence[tuple[str, str]], counts: Sequence[tuple[str, int]]) -> list[str]:
    """`Allowed: removed-tests: <reason>` for each allowance and `Tests-Removed: 2` for each non-zero
    count, one line each (the reason is the user's text, cleaned to one line)."""
    lines = [
        f"Allowed: {kind}: {' '.join(redacted_line(reason).split()) or '(no reason)'}"
        for kind, reason in allowed
    ]
    return lines + [f"{key}: {n}" for key, n in counts if n]


# The prepare-commit-msg hook: an ordinary commit's message gets the step's new progress entries,
# the test result and the Coverage trailer, around whatever the user (or -m) wrote.

_TRAILER_LINE = lazy(r"^[A-Za-z0-9][A-Za-z0-9-]*:\s")
_NUMBERED = lazy(r"^\s*\d{1,4}[.):]?\s+(\S.*?)\s*$")
_PROGRESS_HEADER = lazy(r"^\s*(?:#+\s*)?\**progress updates\**\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Annotation:
    entries: tuple[str, ...] = ()
    tests: str | None = None
    """The gate's test summary ("22 passed in 2.95s"), only when it measured this very tree."""
    coverage: str | None = None
    """coverage.py's total at two decimals, for the `Coverage:` trailer."""
    trailers: tuple[str, ...] = ()
    """More trailers the gate of this tree gives (`Allowed: skips: <reason>`, `Skips-Added: 1`)."""


def _split_tail(message: str, comment_char: str) -> tuple[list[str], list[str]]:
    """(content lines, tail lines): the tail is git's trailing comment block and any scissors part."""
    lines = message.splitlines()
    scissors = re.compile(rf"^{re.escape(comment_char)} -+ >8 -+$")
    cut = next((i for i, line in enumerate(lines) if scissors.match(line)), len(lines))
    head, tail = lines[:cut], lines[cut:]
    end = len(head)
    while end and (not head[end - 1].strip() or head[end - 1].startswith(comment_char)):
        end -= 1
    comments = head[end:]
    while comments and not comments[0].strip():
        comments.pop(0)
    return head[:end], comments + tail


def _is_trailer_block(paragraph: str) -> bool:
    lines = paragraph.splitlines()
    return (
        bool(lines)
        and _TRAILER_LINE.match(lines[0]) is not None
        and all(_TRAILER_LINE.match(line) or line[:1].isspace() for line in lines)
    )


def annotate(message: str, note: Annotation, comment_char: str = "#", *, editing: bool = True) -> str:
    """``message`` with what ``note`` adds and it lacks; unchanged when there is nothing to add.

    A message with no text of the user's is left alone unless the user is about to edit it
    (``editing``): git aborts a commit whose message is empty, and the hook must not defeat that.

    Entries already in the message (an amend) are not repeated; a Progress Updates block that is
    there is continued; the Coverage trailer joins an existing trailer block (Signed-off-by...).
    """
    content_lines, tail = _split_tail(message, comment_char)
    content = "\n".join(content_lines).strip("\n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", content) if p.strip()] if content else []
    trailers = paragraphs.pop() if len(paragraphs) >= 2 and _is_trailer_block(paragraphs[-1]) else ""
    has_subject = bool(paragraphs)
    if not has_subject and not editing:
        return message
    present = set()
    for line in content.splitlines():
        numbered = _NUMBERED.match(line)
        present.add(redacted_line(numbered.group(1) if numbered else line))
    new_entries: list[str] = []
    for entry in note.entries:
        cleaned = redacted_line(entry)
        if cleaned and cleaned not in present:
            present.add(cleaned)
            new_entries.append(cleaned)

    new_entries = cap_entries(new_entries)
    changed = False
    if new_entries:
        block = next((i for i, p in enumerate(paragraphs) if _PROGRESS_HEADER.match(p.splitlines()[0])), None)
        if block is None:
            lines = ["Progress Updates", *(f"{n} {t}" for n, t in enumerate(new_entries, 1))]
            paragraphs.append("\n".join(lines))
        else:
            start = len(paragraphs[block].splitlines())
            more = (f"{n} {t}" for n, t in enumerate(new_entries, start))
            paragraphs[block] = "\n".join([paragraphs[block], *more])
        changed = True
    if note.tests and not any(line.startswith("Tests:") for p in paragraphs for line in p.splitlines()):
        paragraphs.append(f"Tests: {note.tests}")
        changed = True
    if note.coverage and not any(line.startswith("Coverage:") for line in trailers.splitlines()):
        trailers = "\n".join(t for t in (trailers, f"Coverage: {note.coverage}") if t)
        changed = True
    for extra in note.trailers:
        if extra not in trailers.splitlines():
            trailers = "\n".join(t for t in (trailers, extra) if t)
            changed = True
    if not changed:
        return message
    if not has_subject:
        paragraphs.insert(0, "")  # no subject yet: the first line stays free for the user's, in the editor
    body = "\n\n".join([*paragraphs, trailers] if trailers else paragraphs) + "\n"
    return body + ("\n" + "\n".join(tail) + "\n" if tail else "")
