"""HTML -> PDF with WeasyPrint, in one layout pass. Standalone: stdlib and WeasyPrint only.

This module imports nothing of the ``diagnose`` package, so that it can also run as a script
in a render child process (``RenderSandbox`` in ``pdf.py``) that starts in a fraction of a
second: the child never pays for Flask, scikit-learn or the model.

- Security: the renderer fetches nothing but the project's own static files. A firm's name
  or an answer can hold any text; it is escaped by Jinja, and even an injected URL meets a
  fetcher that refuses every scheme, host and path outside ``static/``.
- Tagged PDF (PDF/UA-1): headings, paragraphs, tables and the chart's text alternative are
  in the structure tree, the document language is set, and headings give the bookmarks.
- Speed: the font configuration, the stylesheet and the fetcher are built once per process,
  and the PDF's streams are deflated at zlib's default level, not pydyf's slowest
  (``COMPRESSION_LEVEL``). The report's cost is in its layout, a millisecond or so per line
  of text or box: ``roadmap_templates`` keep both few (see ``_plan.html``).

As a script (``render.py serve STATIC_DIR CSS_FILE MEMORY_MB PARENT_PID SECONDS``) it serves
renders over its standard input and output: it says ``R`` once warmed up; a request is an
8-byte length and the HTML, an answer is one status byte (``K`` a PDF, ``E`` an error), an
8-byte length and the payload. It dies with its parent (``PR_SET_PDEATHSIG``), its address
space is capped and each render has a time limit of its own, so a hostile document ends in a
clean error, never in a runaway process.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # A render child: WeasyPrint names its libraries exactly ("libpango-1.0.so.0") after a few
    # other spellings, each of which ctypes looks for by running gcc; skip those probes
    # (a fifth of the child's start).
    import ctypes.util

    ctypes.util.find_library = lambda _name: None

import gc
import logging
import os
import struct
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

log = logging.getLogger("diagnose.roadmap.render")
BASE_URL = "https://report.invalid/"  # a name that resolves nowhere: nothing leaves the box
PDF_VARIANT = "pdf/ua-1"
RENDER_NICENESS = 19
_paths: dict[str, Path] = {}


def configure(static: Path, stylesheet: Path) -> None:
    """Where the static files and the report stylesheet are (set once per process)."""
    _paths["static"] = Path(static).resolve()
    _paths["css"] = Path(stylesheet)


class LockedFetcher(URLFetcher):
    """Serves ``BASE_URL/static/...`` from the project's static folder and nothing else."""

    def __init__(self):
        super().__init__(allowed_protocols={"https"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None):
        static = _paths["static"]
        parts = urlsplit(url)
        path = Path(unquote(parts.path))
        target = (
            (static / path.relative_to("/static")).resolve()
            if (
                parts.scheme == "https"
                and parts.netloc == urlsplit(BASE_URL).netloc
                and parts.path.startswith("/static/")
            )
            else None
        )
        if target is None or not target.is_relative_to(static) or not target.is_file():
            log.warning("report renderer refused %s", url[:200])
            raise ValueError(f"refused: {url[:200]}")
        return {"string": target.read_bytes(), "redirected_url": url}


# pydyf (WeasyPrint's PDF writer) deflates every stream, the embedded font subsets among them,
# at zlib's slowest level, 9: a tenth to a fifth of a report's CPU time. zlib's default level,
# 6, gives files about 1 % larger (a 91 KB report: 92 KB) for that time. Set once per process:
# the render child's writer is the only user of pydyf here.
COMPRESSION_LEVEL = 6


class _Deflate:
    """``zlib`` as pydyf uses it (``compress``, ``compressobj``), at ``COMPRESSION_LEVEL``."""

    import zlib as _zlib

    def compressobj(self, level: int = COMPRESSION_LEVEL, *args, **kwargs):
        return self._zlib.compressobj(min(level, COMPRESSION_LEVEL), *args, **kwargs)

    def compress(self, data: bytes, level: int = COMPRESSION_LEVEL) -> bytes:
        return self._zlib.compress(data, min(level, COMPRESSION_LEVEL))

    def __getattr__(self, name: str):
        return getattr(self._zlib, name)


pydyf.zlib = _Deflate()

# WeasyPrint's font configuration holds fontconfig state that is costly to build: one per
# process. Rendering is serialised because that state is not safe to share across threads.
_lock = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@cache
def _fetcher() -> LockedFetcher:
    """One fetcher a process (building one sets up urllib's handlers: 0.4 ms a render)."""
    return LockedFetcher()


@cache
def _stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(
        filename=str(_paths["css"]),
        font_config=_fonts(),
        url_fetcher=_fetcher(),
        base_url=BASE_URL,
    )


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` with the report stylesheet: one layout pass, tagged, bookmarked."""
    with _lock, _no_gc():
        # Identical inputs give identical bytes: the document id comes from the content.
        return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf(
            stylesheets=[_stylesheet()],
            font_config=_fonts(),
            pdf_variant=PDF_VARIANT,
            pdf_identifier=_identifier(html),
        )


@contextmanager
def _no_gc():
    """A layout allocates hundreds of thousands of short-lived objects: pausing the cyclic
    collector for the render saves about a tenth of its time; it runs again after."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _identifier(html: str) -> bytes:
    import hashlib

    return hashlib.sha256(html.encode()).hexdigest()[:32].encode()


def warm() -> None:
    """Build the font configuration and stylesheet now, with a page that uses both faces."""
    render_pdf('<html lang="ko"><body><h2>가</h2><p>가 A 1</p></body></html>')


# --- the child process ------------------------------------------------------------------------

_HEADER = struct.Struct(">Q")


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _die_with_parent(parent: int) -> None:
    """Be killed when the parent dies (this file runs alone, so it carries its own copy of
    ``diagnose.lifeline.die_with_parent``)."""
    import contextlib
    import ctypes
    import os
    import signal

    with contextlib.suppress(OSError):  # not Linux: the closed pipe still ends the loop
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def serve(static: Path, stylesheet: Path, memory_mb: int, parent: int, seconds: float) -> None:
    import resource
    import signal

    _die_with_parent(parent)
    # Below the web app in the scheduler: on a machine it shares, page requests (an autosave,
    # a firm list) keep their speed while reports render; renders take the idle time.
    os.nice(RENDER_NICENESS)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    configure(static, stylesheet)
    warm()
    gc.freeze()  # what the warm-up built lives as long as this process: never scan it again
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b"R")  # ready: a render's time limit starts with the request, not the start
    stdout.flush()
    while True:
        header = _read_exactly(stdin, _HEADER.size)
        if header is None:  # the parent closed the pipe: done
            return
        body = _read_exactly(stdin, _HEADER.unpack(header)[0])
        if body is None:
            return
        # The time limit holds here too: a render still running when it is up ends this
        # process (SIGALRM's default), even if the parent is gone and cannot kill it.
        signal.setitimer(signal.ITIMER_REAL, seconds + 1 if seconds > 0 else 0)
        try:
            status, payload = b"K", render_pdf(body.decode("utf-8"))
        except MemoryError:
            status, payload = b"E", b"memory limit reached"
        except Exception as exc:  # reported to the parent, which logs it
            status, payload = b"E", f"{type(exc).__name__}: {exc}"[:2000].encode()
        signal.setitimer(signal.ITIMER_REAL, 0)
        stdout.write(status + _HEADER.pack(len(payload)) + payload)
        stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "serve":
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        serve(
            Path(sys.argv[2]),
            Path(sys.argv[3]),
            int(sys.argv[4]),
            int(sys.argv[5]),
            float(sys.argv[6]),
        )
    else:
        sys.exit("usage: render.py serve STATIC_DIR CSS_FILE MEMORY_MB PARENT_PID SECONDS")
