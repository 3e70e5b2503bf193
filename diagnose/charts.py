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
TEXT = 'font-size="11" fill="#1d2430"'


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
) -> str:
    """A radar chart 0–100 with the firm's polygon and, when given, the peers' dashed line.

    The drawing is ``width`` wide so that the labels left and right of the circle fit.
    """
    count = len(labels)
    cx, cy, radius = width / 2, size / 2 + 6, size * 0.33
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" viewBox="0 0 {width} '
        f'{size + 40}" width="{width}" height="{size + 40}" role="img">'
    ]
    for ring in (20, 40, 60, 80, 100):
        ring_points = [_point(cx, cy, radius, i, count, ring) for i in range(count)]
        parts.append(f'<polygon points="{_polygon(ring_points)}" {RING}/>')
    for i, label in enumerate(labels):
        x, y = _point(cx, cy, radius, i, count, 100)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" {AXIS}/>')
        lx, ly = _point(cx, cy, radius * 1.12, i, count, 100)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" '
            f"{TEXT}>{escape(label)}</text>"
        )
    if peers is not None:
        peer_points = [_point(cx, cy, radius, i, count, v) for i, v in enumerate(peers)]
        parts.append(f'<polygon points="{_polygon(peer_points)}" {PEERS}/>')
    firm_points = [_point(cx, cy, radius, i, count, v) for i, v in enumerate(values)]
    parts.append(f'<polygon points="{_polygon(firm_points)}" {FIRM}/>')
    for x, y in firm_points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fbf"/>')
    legend_y = size + 26
    parts.append(
        f'<rect x="{cx - 190:.0f}" y="{legend_y - 9}" width="14" height="10" '
        f'{FIRM}/><text x="{cx - 170:.0f}" y="{legend_y}" {TEXT}>'
        f"{escape(firm_label)}</text>"
    )
    if peers is not None:
        parts.append(
            f'<line x1="{cx - 40:.0f}" y1="{legend_y - 4}" x2="{cx - 22:.0f}" '
            f'y2="{legend_y - 4}" {PEERS}/><text x="{cx - 16:.0f}" '
            f'y="{legend_y}" {TEXT}>{escape(peer_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
