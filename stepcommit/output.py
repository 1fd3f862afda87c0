"""All user-facing output: plain text when piped, colour on a terminal, JSON for agents.

This is the one boundary to the terminal, so it is where text that came from files and processes
(plan titles, file names, test names and failures, hook and lint output) is made harmless: terminal
escape sequences and control characters are removed from everything printed, and rich is never
allowed to read that text as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from stepcommit.lazy_re import lazy
from stepcommit.sanitize import clean

__all__ = ["clean"]  # the terminal boundary's cleaning; callers and tests name output.clean

_C1 = lazy(r"[\x7f-\x9f]")


def _tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def say(text: str = "") -> None:
    """A line for the user on stdout."""
    print(clean(text), flush=True)


def note(text: str) -> None:
    """Progress and side remarks: stderr, so stdout stays clean for data."""
    print(clean(text), file=sys.stderr, flush=True)


def error(message: str, hint: str = "") -> None:
    message, hint = clean(message), clean(hint)
    if _tty(sys.stderr):
        from rich.console import Console
        from rich.markup import escape

        console = Console(stderr=True, highlight=False)
        console.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
        if hint:
            console.print(f"[yellow]hint:[/] {escape(hint)}", soft_wrap=True)
        return
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def step_json(step_id: str | None, title: str | None, **more: Any) -> dict[str, Any] | None:
    """A step in every command's JSON: ``{"id", "title", ...}``; None when there is no step."""
    return None if step_id is None else {"id": step_id, "title": title, **more}


def figure_json(name: str, display: str | None) -> dict[str, Any]:
    """A percentage in every command's JSON: ``name`` the number, ``name_display`` the text as printed
    and committed (the project's precision); both None when there is no figure."""
    try:
        number = None if display is None else float(display)
    except ValueError:
        number = None
    return {name: number, f"{name}_display": display}


def emit_json(data: Any) -> None:
    # json.dumps escapes C0 controls (ESC becomes \u001b); C1 ones (0x9b is an 8-bit CSI) are
    # escaped the same way, which keeps the JSON equal and the terminal safe.
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text), flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None) -> None:
    """A table: rich on a terminal, aligned plain text otherwise."""
    headers = [clean(str(h)) for h in headers]
    rows = [[clean(str(cell)) for cell in row] for row in rows]
    title = clean(title) if title is not None else None
    if _tty(sys.stdout):
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        rich_table = Table(*(escape(h) for h in headers), title=escape(title) if title else None)
        for row in rows:
            rich_table.add_row(*(escape(cell) for cell in row))
        Console().print(rich_table)
        return
    if title:
        print(title)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
