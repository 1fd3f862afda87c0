"""`.env` completed from `.env.example`, both read as python-dotenv reads them; values never leave here."""

from __future__ import annotations

import io
from dataclasses import dataclass

from dotenv import dotenv_values
from dotenv.parser import Binding, parse_stream

from stepcommit.errors import ProjectFileError


@dataclass(frozen=True)
class EnvMerge:
    text: str
    added: tuple[str, ...]
    """Keys copied from the example (names only: values may be secrets)."""
    only_in_env: tuple[str, ...]
    """Keys the .env has and the example does not; kept as they are."""


def _bindings(text: str) -> list[Binding]:
    return list(parse_stream(io.StringIO(text)))


def _values(text: str) -> dict[str, str | None]:
    return dict(dotenv_values(stream=io.StringIO(text)))


def _odd_lines(bindings: list[Binding]) -> list[int]:
    return [b.original.line + _leading_newlines(b.original.string) for b in bindings if b.error]


def _leading_newlines(chunk: str) -> int:
    stripped = chunk.lstrip()
    return chunk[: len(chunk) - len(stripped)].count("\n")


def _chunks(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(key, text) for each key of the example, its text carrying the comment lines just above it."""
    chunks: list[tuple[str, str]] = []
    comments: list[str] = []
    for binding in bindings:
        if binding.key is None:
            if binding.original.string.strip():
                comments.append(binding.original.string)
            else:
                comments = []  # blank lines after the last key: nothing to carry
            continue
        chunks.append((binding.key, "".join([*comments, binding.original.string])))
        comments = []
    return chunks


def merge(env_text: str | None, example_text: str, *, example_name: str = ".env.example") -> EnvMerge:
    """Add to ``env_text`` the keys of ``example_text`` it lacks, with the example's values and comments.

    Existing lines are never changed (at most a final newline is added), so no existing value can change;
    the result is re-read with python-dotenv to prove it.
    """
    example = _bindings(example_text)
    odd = _odd_lines(example)
    if odd:
        raise ProjectFileError(
            f"{example_name} has lines python-dotenv cannot read (line {', '.join(map(str, odd))}), "
            "so stepcommit cannot tell which keys they hold; nothing was written.",
            hint="Make each such line KEY=value, a # comment or blank (quote values holding spaces or #), then rerun.",
        )
    current = env_text or ""
    have = {b.key for b in _bindings(current) if b.key is not None}
    example_keys = [key for key, _ in _chunks(example)]
    nl = "\r\n" if "\r\n" in current or ("\r\n" in example_text and not current) else "\n"
    added: list[str] = []
    pieces: list[str] = []
    for key, chunk in _chunks(example):
        if key in have or key in added:
            continue
        added.append(key)
        body = chunk.lstrip()
        # Keep the example's blank line between groups of keys, but not before the first one we add.
        separated = bool(pieces) and "\n" in chunk[: len(chunk) - len(body)]
        if not body.endswith(("\n", "\r")):
            body += nl
        pieces.append((nl if separated else "") + body)
    only_in_env = tuple(sorted(have - set(example_keys)))
    if not added:
        return EnvMerge(current, (), only_in_env)
    prefix = current
    if prefix and not prefix.endswith(("\n", "\r")):
        prefix += nl
    if prefix.strip():
        prefix += nl
    text = prefix + "".join(pieces)
    _prove(current, example_text, text, added)
    return EnvMerge(text, tuple(added), only_in_env)


def _prove(before: str, example_text: str, after: str, added: list[str]) -> None:
    old, new, wanted = _values(before), _values(after), _values(example_text)
    expected = {**old, **{key: wanted[key] for key in added}}
    if new != expected:
        # Never show values: they may be secrets.
        wrong = sorted(k for k in set(new) | set(expected) if new.get(k) != expected.get(k))
        raise ProjectFileError(
            f".env cannot be completed without changing how python-dotenv reads it "
            f"(keys: {', '.join(wrong)}); "
            "nothing was written.",
            hint="Check .env for an unclosed quote near its end, fix it, and run `stepcommit env` again.",
        )
