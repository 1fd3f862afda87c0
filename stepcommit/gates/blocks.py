"""Which parts of a changed Python file a test could notice, and where unchanged lines moved.

A file is cut into its *skeleton* (module and class level code: imports, constants, decorators,
signatures, everything that runs at import time) and its *blocks* (the bodies of functions defined
at module or class level, nested functions included). When an edit touches only block bodies, a test
that executed none of the changed bodies cannot behave differently, and its recorded lines in the
unchanged parts only move by the lines the edit added or removed. Any other edit (the skeleton) may
change what every caller sees, so every test that executed the file is rerun.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    name: str
    """Qualified name, e.g. `Parser.parse`."""
    start: int
    """First line of the body."""
    end: int
    """Last line of the body (the function's last line)."""
    text: str


@dataclass(frozen=True)
class Layout:
    skeleton: tuple[str, ...]
    """The file's lines with each block body replaced by one marker line."""
    blocks: tuple[Block, ...]
    line_count: int


@dataclass(frozen=True)
class Change:
    """What an edit of one file did, as far as the tests that ran it are concerned."""

    whole_file: bool
    """The skeleton changed (or a side cannot be parsed): every test that executed the file reruns."""
    changed: tuple[tuple[int, int], ...] = ()
    """Old line ranges (inclusive) of the block bodies that changed."""
    moves: tuple[tuple[int, int, int], ...] = ()
    """(old_start, old_end, shift): the old lines outside changed bodies, and how far each range moved."""

    def new_line(self, old: int) -> int | None:
        """Where an old line (outside the changed bodies) is now; None for a line in a changed body."""
        for start, end, shift in self.moves:
            if start <= old <= end:
                return old + shift
        return None


def _body_start(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int | None:
    """The body's first line when the body starts on a line of its own (not `def f(): return 1`)."""
    first = node.body[0]
    start = first.lineno
    if start <= node.lineno:
        return None
    line = lines[start - 1] if start - 1 < len(lines) else ""
    if line[: first.col_offset].strip():
        return None  # the signature ends on the body's first line
    return start


def layout(source: str) -> Layout:
    """Cut ``source`` into skeleton and blocks; raises SyntaxError (or ValueError) when it does not parse."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[Block] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = _body_start(node, lines)
                end = node.end_lineno or node.lineno
                if start is not None:
                    text = "\n".join(lines[start - 1 : end])
                    found.append(Block(prefix + node.name, start, end, text))

    visit(tree.body, "")
    found.sort(key=lambda b: b.start)
    skeleton: list[str] = []
    position = 1
    for block in found:
        skeleton.extend(lines[position - 1 : block.start - 1])
        skeleton.append(f"\0block {block.name}\0")
        position = block.end + 1
    skeleton.extend(lines[position - 1 :])
    return Layout(tuple(skeleton), tuple(found), len(lines))


def compare(old_source: str, new_source: str) -> Change:
    """How the edit from ``old_source`` to ``new_source`` reaches the tests (see the module doc)."""
    try:
        old, new = layout(old_source), layout(new_source)
    except (SyntaxError, ValueError):
        return Change(whole_file=True)
    if old.skeleton != new.skeleton or len(old.blocks) != len(new.blocks):
        return Change(whole_file=True)
    changed: list[tuple[int, int]] = []
    moves: list[tuple[int, int, int]] = []
    old_pos = new_pos = 1
    for ob, nb in zip(old.blocks, new.blocks, strict=True):
        if ob.start > old_pos:  # skeleton lines before the block: the same lines, shifted
            moves.append((old_pos, ob.start - 1, new_pos - old_pos))
        if ob.text == nb.text:
            moves.append((ob.start, ob.end, nb.start - ob.start))
        else:
            changed.append((ob.start, ob.end))
        old_pos, new_pos = ob.end + 1, nb.end + 1
    if old.line_count >= old_pos:
        moves.append((old_pos, old.line_count, new_pos - old_pos))
    return Change(whole_file=False, changed=tuple(changed), moves=tuple(moves))
