"""A JSON reader that remembers where every value sits, so one value can be replaced in place.

The standard ``json`` module gives values but no offsets; rewriting the whole file with it would
lose the file's indentation, spacing and escapes. Strings and numbers are still read by the
standard library's own scanners.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")
_MAX_DEPTH = 200


class JSONSpanError(ValueError):
    """The text is not JSON; ``pos`` is where reading stopped."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Node:
    """A JSON value and its offsets; objects keep their members in file order."""

    value: Any
    start: int
    end: int
    members: tuple[tuple[str, Node], ...] = ()
    items: tuple[Node, ...] = ()

    def get(self, key: str) -> Node | None:
        for name, node in self.members:
            if name == key:
                return node
        return None

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_array(self) -> bool:
        return isinstance(self.value, list)


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


_DECODER = json.JSONDecoder()


def _string(text: str, pos: int) -> tuple[str, int]:
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise JSONSpanError(exc.msg, exc.pos) from None
    if not isinstance(value, str):
        raise JSONSpanError("expected a string", pos)
    return value, end


def _value(text: str, pos: int, depth: int) -> Node:
    if depth > _MAX_DEPTH:
        raise JSONSpanError("nested too deeply", pos)
    pos = _skip(text, pos)
    if pos >= len(text):
        raise JSONSpanError("unexpected end of the file", pos)
    char = text[pos]
    if char == "{":
        return _object(text, pos, depth)
    if char == "[":
        return _array(text, pos, depth)
    if char == '"':
        value, end = _string(text, pos)
        return Node(value, pos, end)
    for word, const in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, pos):
            return Node(const, pos, pos + len(word))
    number = _NUMBER.match(text, pos)
    if number:
        raw = number.group()
        return Node(float(raw) if any(c in raw for c in ".eE") else int(raw), pos, number.end())
    raise JSONSpanError(f"unexpected {char!r}", pos)


def _object(text: str, start: int, depth: int) -> Node:
    members: list[tuple[str, Node]] = []
    pos = _skip(text, start + 1)
    if text.startswith("}", pos):
        return Node({}, start, pos + 1)
    while True:
        pos = _skip(text, pos)
        if not text.startswith('"', pos):
            raise JSONSpanError("expected a quoted key", pos)
        key, pos = _string(text, pos)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise JSONSpanError("expected ':' after a key", pos)
        node = _value(text, pos + 1, depth + 1)
        members.append((key, node))
        pos = _skip(text, node.end)
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith("}", pos):
            value = {k: n.value for k, n in members}
            return Node(value, start, pos + 1, members=tuple(members))
        raise JSONSpanError("expected ',' or '}'", pos)


def _array(text: str, start: int, depth: int) -> Node:
    items: list[Node] = []
    pos = _skip(text, start + 1)
    if text.startswith("]", pos):
        return Node([], start, pos + 1)
    while True:
        node = _value(text, pos, depth + 1)
        items.append(node)
        pos = _skip(text, node.end)
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith("]", pos):
            return Node([n.value for n in items], start, pos + 1, items=tuple(items))
        raise JSONSpanError("expected ',' or ']'", pos)


def parse(text: str, start: int = 0) -> Node:
    """The JSON document in ``text`` (from ``start``, e.g. after a BOM), with offsets."""
    node = _value(text, start, 0)
    end = _skip(text, node.end)
    if end != len(text):
        raise JSONSpanError("extra text after the JSON value", end)
    return node
