"""Coverage over steps as an inline SVG line chart: no script, no fonts, nothing fetched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from stepcommit.report.model import StepRow

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 20, 56


def y_bounds(values: Sequence[float]) -> tuple[float, float]:
    """A y range around the figures: a step of a point or two must stay visible, not flattened on 0-100."""
    low, high = min(values), max(values)
    low = max(0.0, math.floor(low - 2))
    high = min(100.0, math.ceil(high + 2))
    if high - low < 5:
        high = min(100.0, low + 5)
        low = max(0.0, high - 5)
    return low, high


def coverage_chart(steps: Sequence[StepRow]) -> str:
    points = [(s, float(s.coverage)) for s in steps if s.coverage is not None]
    label = "Coverage after each step"
    if not points:
        return (
            f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} 60" width="{WIDTH}" height="60">'
            '<text x="10" y="35" class="muted">No step commit in this range records a coverage figure.</text></svg>'
        )
    low, high = y_bounds([v for _, v in points])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x_at(i: int) -> float:
        return LEFT + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y_at(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts = [f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">']
    for k in range(5):
        value = low + (high - low) * k / 4
        y = y_at(value)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.0f}%</text>')
    coords = [(x_at(i), y_at(v)) for i, (_, v) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}"/>')
    for (step, value), (x, y) in zip(points, coords, strict=True):
        tip = escape(f"{step.step} {step.title}: {value:.2f}%")
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4"><title>{tip}</title></circle>')
        parts.append(f'<text class="value" x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle">{escape(step.coverage or "")}</text>')
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(step.step)}</text>'
        )
    parts.append(
        f'<text class="axis" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">step (oldest first)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
