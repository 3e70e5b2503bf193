"""The task queue and its tasks: roadmap reports rendered in the background.

Built on huey. The embedded default keeps the queue in a SQLite file under the instance
folder (``queue.sqlite3``); with ``DIAGNOSE_QUEUE_URL=redis://host:6379/0`` the queue lives in
Redis, and consumers on several machines share it. A consumer is started by ``run.py`` (the
README's serve command) or on its own with ``python -m diagnose.jobs``.

Rendering happens only here, never in a web worker: a view asks for a report with
``report_file`` (the cached PDF, or a short wait for the consumer's render), and a diagnosis
that is submitted or decided queues its reports with ``enqueue_report`` so that the
download is a cached file by the time anyone asks. Each consumer thread lays reports out
in its own render child (``pdf.RenderSandbox``), with a memory cap and a time limit.

The interface (center batch printing uses the same queue and task):

    enqueue_report(assessment_id, lang=None)   queue the report (both languages if None)
    report_file(record, lang, wait=None)      the cached PDF's path, or a short wait for it
    render_report_now(app, assessment_id, lang) render into the cache in this process's child
    QueueFull, ReportNotReady, ReportFailed   what report_file raises instead of a file
"""

from __future__ import annotations

import argparse
import logging
import queue as queue_module
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.exceptions import ResultTimeout, TaskException

log = logging.getLogger(__name__)
LANGUAGES = ("ko", "en")
# Korean reports first: Korean is the default language of every download.
PRIORITY = {"ko": 10, "en": 5}


class QueueFull(RuntimeError):
    """Too many reports are waiting to be rendered: ask again in a minute."""


class ReportNotReady(RuntimeError):
    """The report is being rendered; it will be there in a few seconds."""


class ReportFailed(RuntimeError):
    """The report could not be rendered (time or memory limit, or a bug): see the log."""


def make_queue(config: dict[str, Any], instance: Path) -> Huey:
    """The huey instance the settings describe: Redis for a ``redis://`` URL, else SQLite."""
    url = config.get("QUEUE_URL") or ""
    immediate = bool(config.get("QUEUE_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("diagnose", url=url, immediate=immediate, blocking=True)
    filename = url.removeprefix("sqlite:///") if url else str(instance / "queue.sqlite3")
    Path(filename).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("diagnose", filename=filename, immediate=immediate, timeout=10)


def init_app(app: Flask) -> None:
    """Attach the queue and register its tasks (the same names in web and consumer)."""
    queue = make_queue(app.config, Path(app.instance_path))

    @queue.task(name="render_report")
    def render_report(assessment_id: int, lang: str, want_result: bool = False):
        """Render one assessment's report in ``lang`` into the cache; return its cache key
        when asked (a waiting request asks; background renders leave no result behind)."""
        key = render_report_now(app, assessment_id, lang)
        return key if want_result else None

    app.extensions["queue"] = queue
    app.extensions["queue_tasks"] = {"render_report": render_report}


def reports_folder(app: Flask) -> Path:
    return Path(app.instance_path) / "reports"


# --- rendering (consumer side) ---------------------------------------------------------------

_pool: queue_module.Queue | None = None
_pool_lock = threading.Lock()


def start_renderers(config: dict[str, Any], count: int = 1) -> None:
    """Start ``count`` render children now: they warm up (fonts, stylesheet) while the
    caller does other work. Each render borrows one, so ``count`` renders run side by side."""
    global _pool
    from .roadmap.pdf import RenderSandbox

    with _pool_lock:
        if _pool is None:
            _pool = queue_module.Queue()
            for _ in range(max(1, count)):
                sandbox = RenderSandbox(
                    timeout=config["RENDER_TIMEOUT"], memory_mb=config["RENDER_MEMORY_MB"]
                )
                sandbox.start()
                _pool.put(sandbox)


def _render(app: Flask, html: str) -> bytes:
    start_renderers(app.config)
    sandbox = _pool.get()
    try:
        return sandbox.render(html)
    finally:
        _pool.put(sandbox)


def render_report_now(app: Flask, assessment_id: int, lang: str) -> str:
    """Render the report of a submitted assessment into the cache (if not there already);
    return its cache key. Raises ``LookupError`` for an unknown or draft assessment and
    ``RenderError`` when the render fails."""
    from .assessments import assessment_record
    from .roadmap import pdf
    from .roadmap.report import report_html
    from .storage import connect

    db = connect(app.config["DATABASE"])
    try:
        record = assessment_record(db, assessment_id)
        if record is None or record["status"] != "submitted":
            raise LookupError(f"no submitted assessment {assessment_id}")
        with app.test_request_context():
            html = report_html(db, record, lang)
    finally:
        db.conn.close()
    key = pdf.cache_key(html)
    folder = reports_folder(app)
    if not pdf.cache_path(folder, key).exists():
        pdf.store(folder, key, _render(app, html))
        log.info("rendered report %s (%s) into %s", assessment_id, lang, key[:12])
    return key


# --- the web side ------------------------------------------------------------------------------


def enqueue_report(assessment_id: int, lang: str | None = None) -> None:
    """Queue the report of a diagnosis just stored or decided (both languages when ``lang``
    is None), so that its download is a cached file. Never fails the caller: a full or
    unreachable queue only means the report is rendered when it is first asked for."""
    app = current_app._get_current_object()
    queue = app.extensions["queue"]
    if queue.immediate and not app.config.get("RENDER_ON_SUBMIT"):
        return  # tests: nothing runs in the background, so nothing to prepare
    task = app.extensions["queue_tasks"]["render_report"]
    for code in (lang,) if lang else LANGUAGES:
        try:
            if queue.pending_count() >= app.config["RENDER_QUEUE_LIMIT"]:
                log.warning("render queue full: report %s (%s) not queued", assessment_id, code)
                return
            queue.enqueue(_with_priority(task, assessment_id, code))
        except Exception:  # the queue's store is down: the download will ask again
            log.exception("could not queue report %s (%s)", assessment_id, code)


def _with_priority(task, assessment_id: int, lang: str, want_result: bool = False):
    return task.s(assessment_id, lang, want_result, priority=PRIORITY.get(lang, 0))


def report_file(record: dict[str, Any], lang: str, wait: float | None = None) -> Path:
    """The cached PDF of ``record``'s report in ``lang``: at once when it is cached, else
    after queueing it and waiting up to ``wait`` seconds (``RENDER_WAIT`` by default).

    Raises ``QueueFull`` when too many renders are waiting, ``ReportNotReady`` when the
    render takes longer than the wait, and ``ReportFailed`` when it failed.
    """
    from .roadmap import pdf
    from .roadmap.report import report_html
    from .storage import get_db

    app = current_app._get_current_object()
    folder = reports_folder(app)
    found = pdf.cached(folder, report_html(get_db(), record, lang))
    if found:
        return found
    queue = app.extensions["queue"]
    if not queue.immediate and queue.pending_count() >= app.config["RENDER_QUEUE_LIMIT"]:
        raise QueueFull(record["id"])
    task = app.extensions["queue_tasks"]["render_report"]
    try:
        result = queue.enqueue(_with_priority(task, record["id"], lang, want_result=True))
    except Exception as exc:  # the queue's store is unreachable
        log.exception("could not queue report %s (%s)", record["id"], lang)
        raise ReportNotReady(record["id"]) from exc
    try:
        key = result.get(
            blocking=True,
            timeout=app.config["RENDER_WAIT"] if wait is None else wait,
            backoff=1.2,
            max_delay=0.1,
        )
    except ResultTimeout:
        raise ReportNotReady(record["id"]) from None
    except TaskException as exc:
        log.error("report %s (%s) failed: %s", record["id"], lang, exc)
        raise ReportFailed(record["id"]) from exc
    if key is None:  # immediate mode hands the exception back as it happened
        raise ReportFailed(record["id"])
    return pdf.cache_path(folder, key)


# --- the consumer ------------------------------------------------------------------------------


def _lazy_module(name: str) -> None:
    """Import ``name`` only when first used. The consumer never loads the track model, so
    scikit-learn and skops (1.8 s of a cold start) are never imported by it."""
    import importlib.util
    import sys

    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)


def consumer_app() -> Flask:
    """The app as a consumer needs it: no track model, no demo data (the web app seeds it)."""
    from . import create_app

    return create_app({"TRACK_MODEL": False, "DEMO_DATA": False})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m diagnose.jobs", description="Run the queue's consumer (report renders)."
    )
    parser.add_argument("--workers", type=int, default=None, help="renders at once")
    parser.add_argument(
        "--die-with-parent", action="store_true", help="stop when the starting process dies"
    )
    args = parser.parse_args(argv)
    if args.die_with_parent:
        from .lifeline import follow_parent

        follow_parent()
    from .config import from_environment, instance_path

    settings = from_environment(instance_path())
    workers = args.workers or max(1, settings["RENDER_WORKERS"])
    start_renderers(settings, workers)  # they warm up while the app starts
    _lazy_module("skops.io")
    app = consumer_app()
    queue = app.extensions["queue"]
    log.info("queue consumer: %s workers on %s", workers, type(queue.storage).__name__)
    consumer = queue.create_consumer(
        workers=workers,
        worker_type="thread",
        initial_delay=0.05,
        backoff=1.3,
        max_delay=0.25,  # SQLite is polled: a new render starts within a quarter second
        periodic=False,
    )
    consumer.run()


if __name__ == "__main__":
    main()
