"""Plan text as stored: lines split the way markdown-it splits them, and edits made on exact offsets."""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

BOM = "\ufeff"
# CommonMark (and so markdown-it's line maps) ends a line at \r\n, \r or \n, and nothing else;
# str.splitlines would also split at \x0b, \x85, \u2028..., which would shift every line number.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class Line(NamedTuple):
    """One line: ``start`` is its offset in the whole text (after a BOM), ``body`` excludes the ending.

    A tuple, not a dataclass: a big plan has hundreds of thousands of lines, and a tuple is made
    several times faster."""

    number: int
    start: int
    body: str
    ending: str

    @property
    def end(self) -> int:
        """Offset just past the body, where the line ending (if any) starts."""
        return self.start + len(self.body)


def split_lines(text: str) -> list[Line]:
    offset = 1 if text.startswith(BOM) else 0
    if "\r" not in text:
        return _split_newlines(text, offset)
    lines: list[Line] = []
    for number, match in enumerate(_LINE.finditer(text, offset), start=1):
        raw = match.group()
        body = raw.rstrip("\r\n")
        lines.append(Line(number, match.start(), body, raw[len(body) :]))
    return lines


def _split_newlines(text: str, offset: int) -> list[Line]:
    """`split_lines` of a text whose lines all end in ``\n``: str.split, several times faster."""
    bodies = text[offset:].split("\n")
    last = bodies.pop()
    lines: list[Line] = []
    append = lines.append
    make = tuple.__new__
    start = offset
    number = 0
    for number, body in enumerate(bodies, start=1):
        append(make(Line, (number, start, body, "\n")))
        start += len(body) + 1
    if last:
        append(Line(number + 1, start, last, ""))
    return lines


def head_lines(text: str) -> Iterator[Line]:
    """The lines of ``text`` one by one, for a reader that needs only the first few."""
    offset = 1 if text.startswith(BOM) else 0
    for number, match in enumerate(_LINE.finditer(text, offset), start=1):
        raw = match.group()
        body = raw.rstrip("\r\n")
        yield Line(number, match.start(), body, raw[len(body) :])


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: reading a big plan makes hundreds of thousands of small
    objects, none of them garbage, and each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def normalized(lines: list[Line]) -> str:
    """The text with every line ending made ``\\n`` and no BOM: what markdown-it should see."""
    return "".join(line.body + "\n" for line in lines)


def line_of(text: str, offset: int) -> int:
    """The 1-based line holding ``offset``."""
    starts = [line.start for line in split_lines(text)] or [0]
    return max(1, bisect.bisect_right(starts, offset))


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new``."""

    start: int
    end: int
    new: str


def apply(text: str, edits: list[Edit]) -> str:
    # Right to left, so earlier offsets stay valid.
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text
