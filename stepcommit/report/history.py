"""The coverage history: the figure each commit's Coverage trailer records, as a text chart."""

from __future__ import annotations

from dataclasses import dataclass

from stepcommit import git
from stepcommit.report.chart import y_axis


@dataclass(frozen=True)
class HistoryPoint:
    commit: str
    date: str
    subject: str
    step: str | None
    raw: str | None
    """The Coverage trailer as written; None when the commit has none."""
    coverage: float | None
    """The trailer's figure; None when there is no trailer or it is not a number (never guessed)."""


def _figure(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


def history_points(entries: tuple[git.LogEntry, ...]) -> tuple[HistoryPoint, ...]:
    """Newest-first log entries as points, oldest first."""
    return tuple(
        HistoryPoint(
            e.commit,
            e.date,
            e.subject,
            e.trailer("Step"),
            e.trailer("Coverage"),
            _figure(e.trailer("Coverage")),
        )
        for e in reversed(entries)
    )


_BLOCKS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"


def _bar(value: float, low: float, high: float, width: int, ascii_only: bool) -> str:
    share = 0.0 if high <= low else (value - low) / (high - low)
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    if ascii_only:
        return "#" * round(eighths / 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def sparkline(points: tuple[HistoryPoint, ...], *, ascii_only: bool = False) -> str:
    values = [p.coverage for p in points if p.coverage is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    marks = "_.-=*#" if ascii_only else _SPARKS
    out = []
    for p in points:
        if p.coverage is None:
            out.append(" " if ascii_only else "·")
            continue
        share = 0.5 if high == low else (p.coverage - low) / (high - low)
        out.append(marks[round(share * (len(marks) - 1))])
    return "".join(out)


def history_chart(points: tuple[HistoryPoint, ...], *, width: int = 30, ascii_only: bool = False) -> str:
    """One row per commit, oldest first: id, figure, change, a bar on a zoomed scale, subject."""
    values = [p.coverage for p in points if p.coverage is not None]
    # Zoomed to the figures, as the report's chart is: a change of a point must show.
    low, high, _ = y_axis(values) if values else (0.0, 100.0, 10.0)
    dash = "-" if ascii_only else "—"
    scale = f"{f'{low:g}%':<{width // 2}}{f'{high:g}%':>{width - width // 2}}"
    rows = [f"{'commit':<10} {'coverage':>8} {'change':>7}  {scale}  subject"]
    previous: float | None = None
    for p in points:
        if p.coverage is None:
            figure = "?" if p.raw is not None else dash
            note = f"unreadable trailer {p.raw!r}" if p.raw is not None else "no Coverage trailer"
            rows.append(f"{p.commit[:10]:<10} {figure:>8} {'':>7}  {note:<{width}}  {p.subject}")
            continue
        change = "" if previous is None else f"{p.coverage - previous:+.2f}"
        bar = _bar(p.coverage, low, high, width, ascii_only)
        rows.append(f"{p.commit[:10]:<10} {p.coverage:>7.2f}% {change:>7}  {bar:<{width}}  {p.subject}")
        previous = p.coverage
    if not values:
        return "\n".join([*rows, "", "No commit here has a Coverage trailer yet."])
    spark = sparkline(points, ascii_only=ascii_only)
    return "\n".join([*rows, "", f"trend: {spark}  ({min(values):.2f}% to {max(values):.2f}%, oldest first)"])
