"""Report context -> HTML (Jinja2, ``roadmap_templates/``) -> PDF (WeasyPrint). No Flask.

Three things matter here besides the look:
- Security: the renderer fetches nothing but the project's own static files. A firm's name
  or an answer can hold any text; it is escaped by Jinja, and even an injected URL meets a
  fetcher that refuses every scheme, host and path outside ``static/``.
- Korean line breaking: WeasyPrint has no ``word-break: keep-all``, so a word (어절) could be
  split mid-word at a line end. A WORD JOINER (U+2060) between the syllables of each word
  forbids that break and costs nothing at render time; spaces stay break points.
- Speed: the font configuration and the stylesheet are built once per process, and a report
  is cached by the hash of its HTML, so identical inputs give the identical file at once.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import logging
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint
from babel.support import Translations
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from ..config import PROJECT_ROOT

log = logging.getLogger(__name__)
TEMPLATES = PROJECT_ROOT / "roadmap_templates"
STATIC = PROJECT_ROOT / "static"
TRANSLATIONS = Path(__file__).parent.parent / "translations"
BASE_URL = "https://report.invalid/"  # a name that resolves nowhere: nothing leaves the box
WORD_JOINER = "\u2060"
_HANGUL_RUN = re.compile(r"([\uac00-\ud7a3\u3131-\u318e])(?=[\uac00-\ud7a3\u3131-\u318e])")
_TEXT_NODE = re.compile(r">([^<]+)<")


class LockedFetcher(URLFetcher):
    """Serves ``BASE_URL/static/...`` from the project's static folder and nothing else."""

    def __init__(self):
        super().__init__(allowed_protocols={"https"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path))
        target = (
            (STATIC / path.relative_to("/static")).resolve()
            if (
                parts.scheme == "https"
                and parts.netloc == urlsplit(BASE_URL).netloc
                and parts.path.startswith("/static/")
            )
            else None
        )
        if target is None or not target.is_relative_to(STATIC.resolve()) or not target.is_file():
            log.warning("report renderer refused %s", url[:200])
            raise ValueError(f"refused: {url[:200]}")
        return {"string": target.read_bytes(), "redirected_url": url}


def keep_korean_words(html: str) -> str:
    """Join the syllables of each Korean word in the text of ``html`` (not in its tags)."""
    return _TEXT_NODE.sub(lambda m: ">" + _HANGUL_RUN.sub(r"\1" + WORD_JOINER, m[1]) + "<", html)


@cache
def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = Translations.load(str(TRANSLATIONS), [lang]) if lang != "en" else None
    env.install_gettext_translations(translations or Translations(), newstyle=True)
    return env


def render_html(template: str, context: dict[str, Any], lang: str) -> str:
    html = _environment(lang).get_template(template).render(**context, lang=lang)
    return keep_korean_words(html) if lang == "ko" else html


# WeasyPrint's font configuration holds fontconfig state that is costly to build: one per
# process. Rendering is serialised because that state is not safe to share across threads.
_lock = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@cache
def _style_key() -> bytes:
    """What besides the HTML decides the PDF: the stylesheet (read once, as ``_stylesheet``
    is built once) and the renderer's version."""
    return (TEMPLATES / "report.css").read_bytes() + weasyprint.__version__.encode()


@cache
def _stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(
        filename=str(TEMPLATES / "report.css"),
        font_config=_fonts(),
        url_fetcher=LockedFetcher(),
        base_url=BASE_URL,
    )


def _layout(html: str, *extra: weasyprint.CSS):
    """Lay ``html`` out with the report stylesheet (and ``extra`` ones), fetching only what
    the locked fetcher serves. The caller holds ``_lock``."""
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=LockedFetcher()).render(
        stylesheets=[_stylesheet(), *extra], font_config=_fonts()
    )


def render_pdf(html: str) -> bytes:
    with _lock:
        return _layout(html).write_pdf()


# --- rendering in parallel -------------------------------------------------------------------
# WeasyPrint lays text out in Python, about a millisecond a line, on one core. A report's
# sections each start a page, so they can be laid out apart: two worker processes take a
# group of sections each, the pages are put back in order, and the "n / N" footers, which
# only the whole can know, are stamped on afterwards.

SECTION_GROUPS = (
    ("cover", "summary", "dimensions", "appendix"),
    ("plan", "briefs", "referral", "next-steps"),
)
_SECTION = re.compile(r'<section class="[^"]*" id="s-([a-z-]+)">')
NO_FOOTER = "@page { @bottom-right { content: none } }"
_pool = None
_stamps: dict[int, bytes] = {}


def _split(html: str) -> tuple[str, str, list[str], list[str]]:
    """``(head, preamble, section names, section html)`` of a report's HTML."""
    head, body = html.split("<body>", 1)
    found = list(_SECTION.finditer(body))
    starts, names = [m.start() for m in found], [m[1] for m in found]
    preamble = body[: starts[0]]
    ends = starts[1:] + [body.rindex("</body>")]
    return head + "<body>", preamble, names, [body[a:b] for a, b in zip(starts, ends, strict=True)]


def _render_part(html: str) -> tuple[bytes, dict[str, int], int]:
    """In a worker: the PDF of some sections without footers, where each section starts, and
    the page count."""
    with _lock:
        document = _layout(html, _no_footer())
        starts = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                if anchor.startswith("s-"):
                    starts.setdefault(anchor[2:], index)
        return document.write_pdf(), starts, len(document.pages)


@cache
def _overlay() -> weasyprint.CSS:
    return weasyprint.CSS(string="@page cover { background: none }", font_config=_fonts())


@cache
def _no_footer() -> weasyprint.CSS:
    return weasyprint.CSS(string=NO_FOOTER, font_config=_fonts())


def _warm_worker() -> None:
    render_pdf("<html><body><p>가</p></body></html>")


def _stamp(total: int) -> bytes:
    """``total`` empty pages carrying only the "n / N" footer (kept per N)."""
    if total not in _stamps:
        cover = '<div style="page: cover; height: 1px; break-after: page"></div>'
        pages = '<div style="height: 1px; break-after: page"></div>' * (total - 2)
        last = '<div style="height: 1px"></div>'
        html = f"<html><body>{cover}{pages}{last}</body></html>"
        with _lock:  # a transparent overlay: footers only, no page background
            _stamps[total] = _layout(html, _overlay()).write_pdf()
    return _stamps[total]


def render_pdf_parallel(html: str, workers) -> bytes:
    """The same PDF as ``render_pdf``, its sections laid out in two processes."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    head, preamble, names, sections = _split(html)
    parts = []
    for group in SECTION_GROUPS:
        chosen = [
            html_part for name, html_part in zip(names, sections, strict=True) if name in group
        ]
        parts.append(head + preamble + "".join(chosen) + "</body></html>")
    results = list(workers.map(_render_part, parts))
    readers = [PdfReader(io.BytesIO(pdf)) for pdf, _starts, _count in results]
    order = []  # (reader index, page index), in the report's section order
    for name in names:
        for part, (_pdf, starts, count) in enumerate(results):
            if name in starts:
                following = [i for i in starts.values() if i > starts[name]]
                end = min(following, default=count)
                order += [(part, i) for i in range(starts[name], end)]
    stamp = PdfReader(io.BytesIO(_stamp(len(order))))
    writer = PdfWriter()
    for number, (part, index) in enumerate(order):
        page = writer.add_page(readers[part].pages[index])
        page.merge_page(stamp.pages[number])
        page.compress_content_streams()
    writer.add_metadata(dict(readers[0].metadata or {}))
    # A document id made from the content: identical inputs give identical bytes.
    digest = hashlib.sha256(html.encode()).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render(html: str, workers: int = 0) -> bytes:
    """Render in parallel when there are workers, else in this process."""
    pool = render_workers(workers)
    if pool is None:
        return render_pdf(html)
    try:
        return render_pdf_parallel(html, pool)
    except Exception:  # a broken pool must not cost the user the report
        log.exception("parallel rendering failed; rendering in one process")
        return render_pdf(html)


def _close_pool() -> None:
    """Stop the workers while the interpreter is whole (not in its teardown)."""
    global _pool
    if _pool is not None:
        _pool.shutdown()
        _pool = None
        gc.collect()  # let the pool's own clean-up run now, not in the interpreter's teardown


def render_workers(count: int):
    """A process pool for parallel rendering, started once (None when ``count`` < 2)."""
    global _pool
    if count < 2:
        return None
    if _pool is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _pool = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("forkserver"), initializer=_warm_worker
        )
        atexit.register(_close_pool)
    return _pool


def cached_pdf(html: str, folder: Path, workers: int = 0) -> tuple[bytes, bool]:
    """The PDF for ``html``, from the cache when the same HTML was rendered before.

    The key covers the HTML, the stylesheet and the WeasyPrint version, so a change of any
    of them renders anew. With ``workers`` >= 2 the sections are laid out in parallel.
    Returns ``(pdf, from_cache)``.
    """
    key = hashlib.sha256(html.encode() + _style_key()).hexdigest()
    path = folder / key[:2] / f"{key}.pdf"
    if path.exists():
        return path.read_bytes(), True
    pdf = render(html, workers)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pdf)
    tmp.replace(path)
    return pdf, False


def svg(markup: str) -> Markup:
    """Chart markup made by our own code (every label inside is escaped there)."""
    return Markup(markup)
