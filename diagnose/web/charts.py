"""Server-side SVG charts for the center's pages: they print, need no script, and each has a
text alternative (``role="img"`` named by its ``<title>``) and a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import count

from markupsafe import Markup

from ..vocabulary import Track

TRACK_COLOURS = {Track.BEGINNER: "#2f6fd0", Track.AX: "#7a4cc2", Track.SHARED_CENTER: "#0f8a7e"}
# the ministry figures' other series: how a firm was found, who diagnosed it
SERIES_COLOURS = {
    **TRACK_COLOURS,
    "self": "#c2570c",
    "consultant": "#1f5fbf",
    "staff": "#6b7a8f",
    "api": "#0f8a7e",
}
STAGE_COLOUR = "#1f5fbf"
_ids = count(1)


LABEL_CHARS = 16  # a longer label is shortened in the chart; the table beside it has it whole


def _label(text: str) -> str:
    wide = sum(2 if ord(c) > 0x1100 else 1 for c in text)
    if wide <= LABEL_CHARS * 2:
        return escape(text)
    cut, used = "", 0
    for c in text:
        used += 2 if ord(c) > 0x1100 else 1
        if used > LABEL_CHARS * 2 - 2:
            break
        cut += c
    return escape(cut.rstrip()) + "…"


def _open(width: int, height: int, title: str) -> tuple[str, str]:
    chart_id = f"chart-{next(_ids)}"
    return chart_id, (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )


def bar_chart(rows: Sequence[tuple[str, float]], title: str, width: int = 560) -> Markup:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    label_width, row_height = 200, 30
    height = row_height * len(rows) + 8
    _chart_id, head = _open(width, height, title)
    top = max([v for _l, v in rows] + [1])
    span = width - label_width - 60
    parts = [head]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_height
        length = span * value / top
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" class="chart-label">'
            f"{_label(label)}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{max(length, 1.5):.1f}" height="20" '
            f'rx="3" fill="{STAGE_COLOUR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 19}" class="chart-value">'
            f"{value:g}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_chart(
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[tuple[str, str]],
    title: str,
    width: int = 560,
) -> Markup:
    """Horizontal stacked bars: one per row label, one segment per series (key, name), with
    a legend; the numbers are in the table shown with the chart."""
    label_width, row_height = 200, 30
    legend_height = 28
    height = legend_height + row_height * max(len(rows), 1) + 8
    _chart_id, head = _open(width, height, title)
    top = max([sum(v.values()) for _l, v in rows] + [1])
    span = width - label_width - 50
    parts = [head]
    x = 0
    for key, name in series:
        colour = SERIES_COLOURS.get(key, "#888")
        parts.append(
            f'<rect x="{x}" y="6" width="14" height="14" rx="2" fill="{colour}"/>'
            f'<text x="{x + 20}" y="18" class="chart-label">{escape(name)}</text>'
        )
        x += 28 + 9 * len(name) + (6 * sum(1 for c in name if ord(c) > 0x1100))
    for i, (label, values) in enumerate(rows):
        y = legend_height + 4 + i * row_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" class="chart-label">'
            f"{_label(label)}</text>"
        )
        offset = float(label_width)
        for key, _name in series:
            value = values.get(key, 0)
            if not value:
                continue
            length = span * value / top
            parts.append(
                f'<rect x="{offset:.1f}" y="{y + 4}" width="{length:.1f}" height="20" '
                f'fill="{SERIES_COLOURS.get(key, "#888")}"/>'
            )
            offset += length
        parts.append(
            f'<text x="{offset + 6:.1f}" y="{y + 19}" class="chart-value">'
            f"{sum(values.values())}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
