"""Which functions and classes a file's missed lines fall in, read with Python's own ast."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

MODULE_LEVEL = "module level"


@dataclass(frozen=True)
class Scope:
    """A def or class: its dotted name (``Parser.read``), kind, and the lines it spans (decorators included)."""

    name: str
    kind: str  # function | class
    first: int
    last: int


def scopes(source: str) -> tuple[Scope, ...]:
    """Every def and class of ``source``, outer before inner; none when it is not valid Python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
        return ()
    found: list[Scope] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                kind = "class" if isinstance(child, ast.ClassDef) else "function"
                found.append(Scope(name, kind, first, child.end_lineno or child.lineno))
                visit(child, f"{name}.")
            else:
                # Defs nested in if/try/with blocks keep the enclosing name: they are still its members.
                visit(child, prefix)

    visit(tree, "")
    return tuple(found)


def enclosing(all_scopes: Iterable[Scope], line: int) -> Scope | None:
    """The innermost def or class holding ``line``."""
    best: Scope | None = None
    for scope in all_scopes:
        # Among scopes holding the line, the one starting last is the innermost (scopes nest, never overlap).
        if scope.first <= line <= scope.last and (best is None or scope.first >= best.first):
            best = scope
    return best


def label(scope: Scope | None) -> str:
    if scope is None:
        return MODULE_LEVEL
    return f"class {scope.name}" if scope.kind == "class" else f"{scope.name}()"


def missed_in(source: str, lines: Iterable[int]) -> tuple[str, ...]:
    """Labels of the defs and classes the ``lines`` fall in (``read()``, ``class Parser``), in order
    of first missed line.

    A line outside every def is ``module level``; a class is named only for lines in its own
    body, not in its methods.
    """
    all_scopes = scopes(source)
    names: list[str] = []
    for line in sorted(set(lines)):
        scope = enclosing(all_scopes, line)
        name = label(scope)
        if name not in names:
            names.append(name)
    return tuple(names)
