"""Coverage over steps as an inline SVG line chart: no script, no fonts, nothing fetched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from stepcommit.report.model import StepRow

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 20, 56


def y_axis(values: Sequence[float]) -> tuple[float, float, float]:
    """(low, high, tick step) around the figures, on round numbers.

    Not a fixed 0-100: a change of a point or two between steps must stay visible.
    """
    low = max(0.0, min(values) - 1)
    high = min(100.0, max(values) + 1)
    step = next(s for s in (1.0, 2.0, 5.0, 10.0, 20.0, 25.0) if (high - low) / s <= 6)
    low = math.floor(low / step) * step
    high = max(math.ceil(high / step) * step, low + step)
    return low, high, step


def coverage_chart(steps: Sequence[StepRow]) -> str:
    points = [(s, float(s.coverage)) for s in steps if s.coverage is not None]
    label = "Coverage after each step"
    if not points:
        return (
            f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} 60" width="{WIDTH}" height="60">'
            '<text x="10" y="35" class="muted">No step commit in this range records a coverage figure.</text></svg>'
        )
    low, high, step = y_axis([v for _, v in points])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    inset = 28  # keeps the first and last value labels clear of the y axis and the edge

    def x_at(i: int) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        return LEFT + inset + (plot_w - 2 * inset) * i / (len(points) - 1)

    def y_at(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts = [
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
    ]
    ticks = round((high - low) / step)
    for k in range(ticks + 1):
        value = low + step * k
        y = y_at(value)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.0f}%</text>'
        )
    coords = [(x_at(i), y_at(v)) for i, (_, v) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}"/>')
    for (row, value), (x, y) in zip(points, coords, strict=True):
        tip = escape(f"{row.step} {row.title}: {value:.2f}%")
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4"><title>{tip}</title></circle>')
        parts.append(
            f'<text class="value" x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle">{escape(row.coverage or "")}</text>'
        )
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(row.step)}</text>'
        )
    parts.append(
        f'<text class="axis" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">step (oldest first)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
