"""All user-facing output: plain text when piped, colour on a terminal, JSON for agents."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def _tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def say(text: str = "") -> None:
    """A line for the user on stdout."""
    print(text, flush=True)


def note(text: str) -> None:
    """Progress and side remarks: stderr, so stdout stays clean for data."""
    print(text, file=sys.stderr, flush=True)


def error(message: str, hint: str = "") -> None:
    if _tty(sys.stderr):
        from rich.console import Console

        console = Console(stderr=True, highlight=False)
        console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
        if hint:
            console.print(f"[yellow]hint:[/] {hint}", soft_wrap=True)
        return
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None) -> None:
    """A table: rich on a terminal, aligned plain text otherwise."""
    if _tty(sys.stdout):
        from rich.console import Console
        from rich.table import Table

        rich_table = Table(*headers, title=title)
        for row in rows:
            rich_table.add_row(*row)
        Console().print(rich_table)
        return
    if title:
        print(title)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
