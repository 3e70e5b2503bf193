"""T0 against T1 per dimension as one table with a bar chart in it: the firm page and the PDF
show the same markup. The bars are SVG shapes only (the PDF renderer draws SVG text at a
high cost); every figure is text in the table, so the table is the chart's alternative."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

T0_FILL = 'fill="#aab4c3"'
T1_FILL = 'fill="#1f5fbf"'


def _bars(t0: float | None, t1: float | None, width: int = 180) -> str:
    # drawn on a 180-wide box, shown 140 wide (about 37 mm in the PDF; the page widens it)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 22" width="140" '
        f'height="20" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
    ]
    for y, value, fill in ((1, t0, T0_FILL), (12, t1, T1_FILL)):
        if value is not None:
            parts.append(
                f'<rect x="0" y="{y}" width="{max(1.0, width * value / 100):.1f}" height="9" '
                f"{fill}/>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _change(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.0f}" if round(value) else "0"


def movement_table(dimensions: Sequence[Mapping[str, Any]], words: Mapping[str, str]) -> str:
    """The table: area, T0, T1, change, and the two bars. ``words``: ``caption``, ``area``,
    ``t0``, ``t1``, ``change``, ``chart`` (the column headers in the page's language)."""
    head = "".join(
        f'<th scope="col"{cls}>{escape(words[key])}</th>'
        for key, cls in (
            ("area", ""),
            ("t0", ' class="num"'),
            ("t1", ' class="num"'),
            ("change", ' class="num"'),
            ("chart", ""),
        )
    )
    rows = []
    for d in dimensions:
        change = d.get("change")
        trend = "" if change is None else " up" if change >= 5 else " down" if change <= -5 else ""
        rows.append(
            f'<tr><th scope="row">{escape(d["title"])}</th>'
            f'<td class="num">{_number(d.get("t0"))}</td>'
            f'<td class="num">{_number(d.get("t1"))}</td>'
            f'<td class="num change{trend}">{_change(change)}</td>'
            f'<td class="bars">{_bars(d.get("t0"), d.get("t1"))}</td></tr>'
        )
    return (
        f'<table class="movement"><caption>{escape(words["caption"])}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
