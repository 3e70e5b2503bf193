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

from .config import PROJECT_ROOT

log = logging.getLogger(__name__)
TEMPLATES = PROJECT_ROOT / "roadmap_templates"
STATIC = PROJECT_ROOT / "static"
TRANSLATIONS = Path(__file__).parent / "translations"
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
def _stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(
        filename=str(TEMPLATES / "report.css"),
        font_config=_fonts(),
        url_fetcher=LockedFetcher(),
        base_url=BASE_URL,
    )


def render_pdf(html: str) -> bytes:
    with _lock:
        document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=LockedFetcher())
        return document.write_pdf(
            stylesheets=[_stylesheet()], font_config=_fonts(), uncompressed_pdf=False
        )


def cached_pdf(html: str, folder: Path) -> tuple[bytes, bool]:
    """The PDF for ``html``, from the cache when the same HTML was rendered before.

    The key covers the HTML, the stylesheet and the WeasyPrint version, so a change of any
    of them renders anew. Returns ``(pdf, from_cache)``.
    """
    css = (TEMPLATES / "report.css").read_bytes()
    key = hashlib.sha256(html.encode() + css + weasyprint.__version__.encode()).hexdigest()
    path = folder / key[:2] / f"{key}.pdf"
    if path.exists():
        return path.read_bytes(), True
    pdf = render_pdf(html)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pdf)
    tmp.replace(path)
    return pdf, False


def svg(markup: str) -> Markup:
    """Chart markup made by our own code (every label inside is escaped there)."""
    return Markup(markup)
