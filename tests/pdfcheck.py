"""Reading a PDF back as a reader and a checker would: poppler's tools and pypdf."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader

WORD_JOINER = "\u2060"
# The report's page box in points (A4) and its margins (report.css: 18 mm top, 16 mm bottom).
PAGE_HEIGHT = 841.89
TOP, BOTTOM = 18 * 72 / 25.4, PAGE_HEIGHT - 16 * 72 / 25.4


def _file(pdf: bytes) -> Path:
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as handle:
        handle.write(pdf)
    return Path(handle.name)


def run(tool: str, pdf: bytes, *args: str) -> str:
    path = _file(pdf)
    try:
        return subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        path.unlink()


def pages_text(pdf: bytes) -> list[str]:
    return run("pdftotext", pdf).replace(WORD_JOINER, "").split("\f")[:-1]


def info(pdf: bytes) -> dict[str, str]:
    lines = run("pdfinfo", pdf).splitlines()
    return {k.strip(): v.strip() for k, _s, v in (line.partition(":") for line in lines)}


def fonts(pdf: bytes) -> list[tuple[str, str, str]]:
    """``(name without subset tag, type, embedded)`` per font object."""
    rows = run("pdffonts", pdf).splitlines()[2:]
    return [(r.split()[0].split("+")[-1], " ".join(r.split()[1:-5]), r.split()[-5]) for r in rows]


def page_fill(pdf: bytes) -> list[float]:
    """How far down its content area each page's body text reaches (0..1), from the words'
    boxes; the running header and the page number are outside the content area."""
    html = run("pdftotext", pdf, "-bbox")
    fills = []
    for page in html.split("<page ")[1:]:
        bottoms = [
            float(y)
            for y, word in re.findall(r'yMax="([\d.]+)">([^<]*)</word>', page)
            if TOP < float(y) < BOTTOM + 2
        ]
        fills.append(max(0.0, (max(bottoms, default=TOP) - TOP) / (BOTTOM - TOP)))
    return fills


def outline(pdf: bytes) -> list[str]:
    path = _file(pdf)
    reader = PdfReader(path)
    path.unlink()

    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title

    return list(walk(reader.outline))


def catalog(pdf: bytes):
    path = _file(pdf)
    try:
        return PdfReader(path).trailer["/Root"]
    finally:
        path.unlink()
