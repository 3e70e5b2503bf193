"""SVG charts for the report, drawn by hand: a radar of the dimensions against peers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape


def _point(cx: float, cy: float, radius: float, index: int, count: int, value: float):
    angle = -math.pi / 2 + 2 * math.pi * index / count
    r = radius * max(0.0, min(100.0, value)) / 100
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


# Presentation attributes rather than classes: the PDF renderer's SVG support is surest
# with them.
RING = 'fill="none" stroke="#d5dbe3" stroke-width="0.8"'
AXIS = 'stroke="#d5dbe3" stroke-width="0.8"'
FIRM = 'fill="#1f5fbf" fill-opacity="0.22" stroke="#1f5fbf" stroke-width="2"'
PEERS = 'fill="none" stroke="#9a5b00" stroke-width="1.6" stroke-dasharray="5 3"'


def _xy(point: tuple[float, float]) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"


def _polygon(points) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def radar_svg(
    labels: Sequence[str],
    values: Sequence[float],
    peers: Sequence[float] | None,
    firm_label: str,
    peer_label: str,
    size: int = 340,
    width: int = 520,
    title: str = "",
) -> str:
    """A radar chart 0–100 with the firm's polygon and, when given, the peers' dashed line.

    The shapes are SVG; the labels are HTML placed over it, because the PDF renderer draws
    an SVG text element at the cost of a whole paragraph. ``title`` is the chart in words:
    the tagged PDF's text alternative for the figure. Returns the chart's HTML.
    """
    count = len(labels)
    cx, cy, radius = width / 2, size / 2, size * 0.33
    parts = [
        f'<div class="radar" style="width: {width}px; height: {size + 28}px">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {size}" '
        f'width="{width}" height="{size}" role="img">'
        + (f"<title>{escape(title)}</title>" if title else "")
    ]
    # The rings are one path, and the axes another: the renderer pays per SVG element.
    rings = "".join(
        "M" + "L".join(_xy(_point(cx, cy, radius, i, count, ring)) for i in range(count)) + "Z"
        for ring in (20, 40, 60, 80, 100)
    )
    centre = _xy((cx, cy))
    axes = "".join(f"M{centre}L{_xy(_point(cx, cy, radius, i, count, 100))}" for i in range(count))
    parts.append(f'<path d="{rings}" {RING}/><path d="{axes}" {AXIS}/>')
    if peers is not None:
        peer_points = [_point(cx, cy, radius, i, count, v) for i, v in enumerate(peers)]
        parts.append(f'<polygon points="{_polygon(peer_points)}" {PEERS}/>')
    firm_points = [_point(cx, cy, radius, i, count, v) for i, v in enumerate(values)]
    parts.append(f'<polygon points="{_polygon(firm_points)}" {FIRM}/></svg>')
    for i, label in enumerate(labels):
        lx, ly = _point(cx, cy, radius * 1.1, i, count, 100)
        if abs(lx - cx) < 8:  # top and bottom: centred on the axis
            style = f"left: {lx - 80:.0f}px; width: 160px; text-align: center"
        elif lx > cx:
            style = f"left: {lx:.0f}px; width: {width - lx:.0f}px"
        else:
            style = f"left: 0; width: {lx:.0f}px; text-align: right"
        top = ly - (16 if ly < cy - 8 else 0 if ly > cy + 8 else 8)
        parts.append(
            f'<p class="radar-label" style="{style}; top: {top:.0f}px">{escape(label)}</p>'
        )
    legend = f'<span class="key-firm"></span>{escape(firm_label)}'
    if peers is not None:
        legend += f' <span class="key-peers"></span>{escape(peer_label)}'
    parts.append(f'<p class="radar-legend" style="top: {size + 6}px">{legend}</p></div>')
    return "".join(parts)
