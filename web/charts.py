"""Charts drawn on the server as SVG (no chart library, no script): a bar per day.

The SVG scales with its box (viewBox, width 100%), uses presentation attributes and CSS classes only
(no inline style, so the strict CSP holds), and names itself for screen readers (role="img",
<title>); the page shows the same numbers as a table for those who read rather than look.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 14, 40
_ids = itertools.count(1)


def _nice_top(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value` (and at least 5: units are whole)."""
    if value <= 5:
        return 5
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def bar_chart(series: Sequence[tuple[str, int]], title: str) -> Markup:
    """Bars of `series` (label, value), oldest first; four grid lines with their values; every few labels."""
    chart_id = f"chart-{next(_ids)}"
    top = _nice_top(max((value for _, value in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}" '
             f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}">{escape(title)}</title>']
    steps = 4 if str(top)[0] == "2" else 5  # 0, 5, 10, 15, 20 or 0, 2, 4, 6, 8, 10: whole numbers
    for step in range(steps + 1):
        value = top * step // steps
        y = TOP + plot_h - plot_h * step / steps
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end">{value:,}</text>')
    if series:
        slot = plot_w / len(series)
        bar = max(1.0, min(slot * 0.7, 40.0))
        label_every = max(1, len(series) // 5)
        for index, (label, value) in enumerate(series):
            h = plot_h * value / top
            x = LEFT + slot * index + (slot - bar) / 2
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                         f'<title>{escape(label)}: {value:,}</title></rect>')
            last = index == len(series) - 1
            if (index % label_every == 0 and len(series) - index > label_every / 2) or last:
                anchor = "end" if last and len(series) > 1 else "middle"
                parts.append(f'<text class="axis" x="{min(x + bar / 2, WIDTH - RIGHT):.1f}" y="{HEIGHT - BOTTOM + 22}" '
                             f'text-anchor="{anchor}">'
                             f'{escape(label[5:] if len(label) == 10 else label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
