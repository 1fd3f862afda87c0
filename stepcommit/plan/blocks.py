"""A plan's block structure (paragraphs, headings, code, HTML, tables) as markdown-it reads it, fast.

Most of a big plan is plain sections: an ATX heading, list items and paragraphs. A line scanner
splits those into the very blocks markdown-it would give, at a fraction of its cost; markdown-it
(imported only then) reads the sections the scanner does not know: fences, HTML, tables, block
quotes, setext headings, indented code, link definitions, deep lists. A section runs from one
`# heading` at the start of a line to the next: after a top-level heading markdown-it starts from
a clean state, so each section can be read on its own. The scanner follows markdown-it's own rules
(`rules_block/list.py`, `paragraph.py`), not the CommonMark prose, so where the two differ the
answer is still markdown-it's; a test compares both on every corpus plan and on generated ones.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from stepcommit.plan.text import Line

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# A section starts at an ATX heading in the first column (markdown-it: 1-6 `#`, then a space, a
# tab or the end of the line).
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
# A list item's marker: `-`, `*`, `+`, or up to nine digits and `.` or `)`; then a space or the end.
_MARKER = re.compile(r"(?:[-*+]|(?P<num>[0-9]{1,9})[.)])(?=[ \t]|$)")
_LEAD = r"^ *(?:(?:[-*+]|[0-9]{1,9}[.)])[ \t]+)?"
# A line the scanner leaves to markdown-it: any other block could start (or go on) there.
_OTHER = re.compile(
    r"^ *\t"  # tabs in the indentation
    r"|^ +#{1,6}(?:[ \t]|$)"  # an indented heading
    r"|^ *(?:[-*+]|[0-9]{1,9}[.)])(?: {5,}|[ \t]*\t|[ \t]*$)"  # indented code, a tab or nothing after a marker
    r"|^ *(?:[-*+]|[0-9]{1,9}[.)])[ \t]+(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]|$)"  # a list in a list item's first line
    rf"|{_LEAD}(?:"
    r"[>]|<|```|~~~"  # block quote, HTML, fences
    r"|#{1,6}(?:[ \t]|$)"  # a heading in a list item
    r"|\[(?![^\[\]]\][ \t])"  # a link reference definition (a checkbox `[ ] ` is none)
    r"|=+[ \t]*$|[|:-][|: \t-]*$"  # a setext underline, a table's delimiter row
    r"|([-*_])(?:[ \t]*\1){2,}[ \t]*$"  # a thematic break
    r")"
)
# markdown-it stops nesting at 20 levels; the scanner keeps well below that.
_MAX_DEPTH = 6


class Blocks(NamedTuple):
    """What the reader needs of a plan's blocks, by 0-based line.

    ``tokens``: markdown-it's block tokens for the sections the scanner left to it, their maps in
    the whole plan's lines; ``para_end``: where each paragraph the scanner found ends (exclusive);
    ``headings``: the ATX headings the scanner found (value 0, as the reader keys ATX headings).
    """

    tokens: list[Any]
    para_end: dict[int, int]
    headings: dict[int, int]


class _Other(Exception):
    """The section holds a block only markdown-it reads."""


_SCAN = [True]


@contextmanager
def markdown_it_only() -> Iterator[None]:
    """Every section read by markdown-it: the oracle the scanner is tested against."""
    _SCAN.append(False)
    try:
        yield
    finally:
        _SCAN.pop()


@functools.cache
def _markdown_it() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Only the block structure is read (code, HTML, paragraphs, headings, tables and their cells'
    # text): the inline pass, more than half of markdown-it's time on a big plan, is switched off.
    return MarkdownIt("commonmark").enable("table").disable("inline")


def _parse(lines: Sequence[Line], start: int, end: int) -> list[Any]:
    """markdown-it's tokens for ``lines[start:end]``, their maps moved to the whole plan's lines."""
    tokens = _markdown_it().parse("".join(line.body + "\n" for line in lines[start:end]))
    if start:
        for token in tokens:
            if token.map:
                token.map = [token.map[0] + start, token.map[1] + start]
    return tokens


def read(lines: Sequence[Line]) -> Blocks:
    """The blocks of a plan's lines: the scanner's where it can, markdown-it's elsewhere."""
    count = len(lines)
    if not _SCAN[-1] or not count:
        return Blocks(_parse(lines, 0, count), {}, {})
    bodies = [line.body for line in lines]
    starts = [i for i, body in enumerate(bodies) if body[:1] == "#" and _HEADING.match(body)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(count)
    tokens: list[Any] = []
    para_end: dict[int, int] = {}
    headings: dict[int, int] = {}
    other_from: int | None = None  # the first line of the sections waiting for markdown-it
    for start, end in itertools.pairwise(starts):
        first = start + 1 if bodies[start][:1] == "#" and _HEADING.match(bodies[start]) else start
        try:
            found = _section(bodies, first, end)
        except _Other:
            if other_from is None:
                other_from = start
            continue
        if other_from is not None:
            done = _other_sections(lines, other_from, start, tokens)
            other_from = None
            if not done:
                return Blocks(tokens, para_end, headings)
        if first > start:
            headings[start] = 0
        para_end.update(found)
    if other_from is not None:
        tokens.extend(_parse(lines, other_from, count))
    return Blocks(tokens, para_end, headings)


def _other_sections(lines: Sequence[Line], start: int, heading: int, tokens: list[Any]) -> bool:
    """markdown-it's tokens for ``lines[start:heading]``, added to ``tokens``; True when the heading
    after them is a top-level heading there (the sections after it can be scanned), else the
    tokens of everything from ``start`` on (a fence or HTML block left open runs to the end)."""
    found = _parse(lines, start, heading + 1)
    cut = next(
        (
            i
            for i, token in enumerate(found)
            if token.type == "heading_open" and token.level == 0 and token.map and token.map[0] == heading
        ),
        None,
    )
    if cut is not None:
        tokens.extend(found[:cut])
        return True
    tokens.extend(_parse(lines, start, len(lines)))
    return False


def _section(bodies: list[str], start: int, end: int) -> dict[int, int]:
    """The paragraphs of ``bodies[start:end]`` (start line -> end line), read as markdown-it
    does; _Other when a line could hold another kind of block."""
    indent: dict[int, int] = {}
    markers: dict[int, tuple[int, str, int]] = {}  # line -> (content column, marker, number or -1)
    for i in range(start, end):
        body = bodies[i]
        if not body:
            continue  # the commonest line
        first = body[0]
        if first == " ":
            text = body.lstrip(" ")
            if not text:
                continue
            first = text[0]
        else:
            text = body
        if first in "-*+#>|<`~=_[:\t" or first.isdigit() or body[0] == " ":
            if _OTHER.match(body):
                raise _Other
            n = len(body) - len(text)
            indent[i] = n
            marker = _MARKER.match(text)
            if marker is not None:
                gap = len(text) - marker.end() - len(text[marker.end() :].lstrip(" "))
                num = marker.group("num")
                mark = text[marker.end() - 1]
                markers[i] = (n + marker.end() + gap, mark, int(num) if num is not None else -1)
        else:
            indent[i] = 0  # prose: its first character is neither a space nor a tab
    paragraphs: dict[int, int] = {}
    _Reader(indent, markers, paragraphs, end).tokenize(start, 0, -1, 0)
    return paragraphs


class _Reader:
    """markdown-it's `tokenize`, `list` and `paragraph` rules over lines of those kinds only."""

    def __init__(
        self, indent: dict[int, int], markers: dict[int, tuple[int, str, int]], out: dict[int, int], end: int
    ) -> None:
        self.indent = indent  # non-blank lines only
        self.markers = markers
        self.out = out
        self.end = end

    def _skip_blank(self, line: int) -> int:
        while line < self.end and line not in self.indent:
            line += 1
        return line

    def tokenize(self, line: int, blk: int, list_indent: int, depth: int) -> int:
        """From ``line``, the blocks indented at least ``blk``; returns the line after them."""
        while True:
            line = self._skip_blank(line)
            if line >= self.end:
                return line
            indent = self.indent[line]
            if indent < blk:
                return line
            if indent - blk >= 4:
                raise _Other  # indented code
            if line in self.markers:
                line = self.list(line, blk, depth)
            else:
                line = self.paragraph(line, blk, list_indent)

    def paragraph(self, start: int, blk: int, list_indent: int) -> int:
        line = start + 1
        while line < self.end and line in self.indent:
            indent = self.indent[line]
            if indent - blk <= 3 and line in self.markers:
                # A list item ends the paragraph, except one too deep to start a list and an
                # ordered one not starting at 1 (markdown-it's `list` rule, as a terminator).
                deep = list_indent >= 0 and indent - list_indent >= 4 and indent < blk
                number = self.markers[line][2]
                if not deep and not (indent >= blk and number not in (-1, 1)):
                    break
            line += 1
        self.out[start] = line
        return line

    def list(self, start: int, blk: int, depth: int) -> int:
        if depth >= _MAX_DEPTH:
            raise _Other
        _, mark, number = self.markers[start]
        ordered = number >= 0
        line = start
        while True:
            content = self.markers[line][0]
            # The item: its first line's text is a paragraph, then whatever is indented under it.
            after = self.paragraph(line, content, blk)
            line = self.tokenize(after, content, blk, depth + 1)
            if line >= self.end:
                return line
            indent = self.indent[line]
            if indent < blk or indent - blk >= 4:
                return line
            following = self.markers.get(line)
            if following is None or following[1] != mark or (following[2] >= 0) != ordered:
                return line
