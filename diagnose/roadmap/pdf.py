"""Report context -> HTML (Jinja2, ``roadmap_templates/``) -> PDF in a render child. No Flask.

- Korean line breaking: WeasyPrint has no ``word-break: keep-all``, so a word (어절) could be
  split between syllables, a number split from its Korean counter ("3 / 시간"), Latin from
  its particle ("AI / 로") or a compound at its "·". A WORD JOINER (U+2060) between such
  characters forbids those breaks and costs nothing at render time; spaces stay break points.
  The document's title and attributes are left alone (the PDF's metadata and bookmarks carry
  no joiners), and the same rules hold in the English report, whose Korean text is the firm's
  own words.
- Isolation: the layout runs in a child process (``RenderSandbox``) with a capped address
  space and a time limit; a render that runs over is killed with its process and the next
  one starts a fresh child. The child dies with its parent, so none is ever orphaned.
- Caching: a report is cached by the hash of its HTML and stylesheet, so identical inputs
  give the identical file at once.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time
import weakref
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.support import Translations
from markupsafe import Markup

from ..config import PROJECT_ROOT
from ..i18n import resolve_particles_in

log = logging.getLogger(__name__)
TEMPLATES = PROJECT_ROOT / "roadmap_templates"
STATIC = PROJECT_ROOT / "static"
STYLESHEET = TEMPLATES / "report.css"
TRANSLATIONS = Path(__file__).parent.parent / "translations"
RENDERER = Path(__file__).with_name("render.py")  # run as a script in the render child
WORD_JOINER = "\u2060"
PDF_VARIANT = "pdf/ua-1"  # the same as render.PDF_VARIANT (kept here: no WeasyPrint import)
_HEADER = struct.Struct(">Q")  # the render child's framing (render._HEADER)
STARTUP_TIMEOUT = 60.0  # a render child that is not warmed up by then is broken

_HANGUL = "\uac00-\ud7a3\u3131-\u318e"
# Pairs that must not break: Hangul next to Hangul, a digit or a Latin letter on either side
# of Hangul, a closing bracket or quote before Hangul ("(PBL)로"), and "·" inside a compound.
_JOIN = re.compile(
    rf"(?<=[{_HANGUL}])(?=[{_HANGUL}0-9A-Za-z%])"
    rf"|(?<=[0-9A-Za-z%)\]’”])(?=[{_HANGUL}])"
    r"|(?<=\S)(?=·\S)|(?<=\S·)(?=\S)"
)
_SPACED_DOT = re.compile(r" · ")  # a separator: the "·" goes with the word after it
_TEXT_NODE = re.compile(r"(?<!<title)>([^<]+)<")  # a chart's <title> is its alternative text


def keep_korean_words(html: str) -> str:
    """Join what must stay on one line in the text of ``html``'s body (not in tags)."""
    head, marker, body = html.partition("<body")
    if not marker:
        head, body = "", html

    def join(match: re.Match) -> str:
        text = _JOIN.sub(WORD_JOINER, match[1])
        return ">" + _SPACED_DOT.sub(" ·\u00a0", text) + "<"

    return head + marker + _TEXT_NODE.sub(join, body)


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
    resolve_particles_in(env)
    return env


def render_html(template: str, context: dict[str, Any], lang: str) -> str:
    return keep_korean_words(_environment(lang).get_template(template).render(**context, lang=lang))


def render_pdf(html: str) -> bytes:
    """Lay ``html`` out in this process (tests and benchmarks; the app renders in a child).

    WeasyPrint is imported here, not with this module: a web process that only looks up
    cached reports never loads it."""
    from . import render as renderer

    renderer.configure(STATIC, STYLESHEET)
    return renderer.render_pdf(html)


@cache
def style_key() -> bytes:
    """What besides the HTML decides the PDF: the stylesheet and the renderer's version."""
    from importlib.metadata import version

    return STYLESHEET.read_bytes() + version("weasyprint").encode() + PDF_VARIANT.encode()


def cache_key(html: str) -> str:
    return hashlib.sha256(html.encode() + style_key()).hexdigest()


def cache_path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.pdf"


def cached(folder: Path, html: str) -> Path | None:
    path = cache_path(folder, cache_key(html))
    return path if path.exists() else None


def store(folder: Path, key: str, pdf: bytes) -> Path:
    """Write a PDF into the cache atomically (a reader never sees half a file)."""
    path = cache_path(folder, key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(pdf)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


# --- the render child ------------------------------------------------------------------------


class RenderError(RuntimeError):
    """A render failed, ran over its time or hit its memory limit; the message says which."""


class RenderSandbox:
    """One render child process, started on first use and restarted after a failure.

    The child imports only WeasyPrint (``render.py`` run as a script), so it starts in well
    under a second, and it is warmed up (fonts, stylesheet) before the first request.
    """

    def __init__(self, timeout: float = 60.0, memory_mb: int = 1536):
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._process: subprocess.Popen | None = None
        self._ready = False
        self._lock = threading.Lock()
        _sandboxes.add(self)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self) -> None:
        """Start the child now (it warms up while the caller does other work)."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._ready = False
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    str(RENDERER),
                    "serve",
                    str(STATIC),
                    str(STYLESHEET),
                    str(self.memory_mb),
                    str(os.getpid()),
                    str(self.timeout),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
            )
            if self.memory_mb > 0:  # capped from its first instruction (it caps itself too)
                import resource

                limit = self.memory_mb * 1024 * 1024
                resource.prlimit(self._process.pid, resource.RLIMIT_AS, (limit, limit))
        return self._process

    def render(self, html: str) -> bytes:
        with self._lock:
            process = self._ensure()
            body = html.encode("utf-8")
            try:
                if not self._ready:  # a new child: wait for its warm-up, apart from the limit
                    if self._read(process, 1, time.monotonic() + STARTUP_TIMEOUT) != b"R":
                        raise RenderError("the render process did not start")
                    self._ready = True
                process.stdin.write(_HEADER.pack(len(body)) + body)
                process.stdin.flush()
                status = self._read(process, 1, time.monotonic() + self.timeout)
                size = _HEADER.unpack(self._read(process, _HEADER.size, None))[0]
                payload = self._read(process, size, None)
            except BrokenPipeError:
                self._kill()
                raise RenderError("the render process ended (memory limit or crash)") from None
            except RenderError:
                self._kill()
                raise
            if status != b"K":
                raise RenderError(payload.decode("utf-8", "replace"))
            return payload

    def _read(self, process: subprocess.Popen, size: int, deadline: float | None) -> bytes:
        chunks, left = [], size
        fd = process.stdout.fileno()
        while left:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise RenderError(f"the render took longer than {self.timeout:g} s")
            ready, _w, _x = select.select([fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise RenderError("the render process ended (memory limit or crash)")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                stream.close()
            self._process = None

    def close(self) -> None:
        """End the child: closing its input ends its loop; a stuck one is killed."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        process.stdout.close()


_sandboxes: weakref.WeakSet[RenderSandbox] = weakref.WeakSet()


@atexit.register
def _close_sandboxes() -> None:
    """End every render child of this process (at exit, and when the tests end)."""
    for sandbox in list(_sandboxes):
        sandbox.close()


_close_pool = _close_sandboxes  # the name the test suite's clean-up calls


def svg(markup: str) -> Markup:
    """Chart markup made by our own code (every label inside is escaped there)."""
    return Markup(markup)
