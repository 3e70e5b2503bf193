"""The task queue and its tasks: roadmap reports rendered in the background.

Built on huey. The embedded default keeps the queue in a SQLite file under the instance
folder (``queue.sqlite3``); with ``DIAGNOSE_QUEUE_URL=redis://host:6379/0`` the queue lives in
Redis, and consumers on several machines share it. A consumer is started by ``run.py`` (the
README's serve command) or on its own with ``python -m diagnose.jobs``.

Rendering happens only in a consumer, never in a web worker, and each consumer thread lays
reports out in a render child of its own (``pdf.RenderSandbox``: a memory cap, a time limit,
dies with its parent). Two tasks:

- ``render_report(assessment_id, lang)`` builds the report from the database and renders it
  into the cache: what a submitted or decided diagnosis queues, and what batch printing
  uses. The consumer builds its app for the first one.
- ``render_html(html)`` renders HTML a web request has already built: a download that
  misses the cache waits on it, and needs nothing of the consumer but its render child, so
  even a consumer that has just started answers it at once.
- ``batch_next(batch_id)`` renders the next report of a batch (``services/batch.py``) and
  queues the one after; the last one assembles the ZIP or merged PDF.

The interface (center batch printing uses the same queue and tasks):

    enqueue_report(assessment_id, lang=None)     queue the report (both languages if None)
    report_file(record, lang, wait=None)         the cached PDF's path, or a short wait for it
    render_report_now(app, assessment_id, lang)  render into the cache in this process's child
    enqueue_batch(batch_id, total)               start a batch of reports on the queue
    QueueFull, ReportNotReady, ReportFailed      what report_file raises instead of a file
"""

from __future__ import annotations

import argparse
import logging
import queue as queue_module
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.exceptions import ResultTimeout, TaskException

from .maintenance import register as register_maintenance

log = logging.getLogger(__name__)
LANGUAGES = ("ko", "en")
# Korean reports first: Korean is the default language of every download; a waiting
# download before everything queued in the background.
PRIORITY = {"ko": 10, "en": 5}
WAITING = 100
BATCH_PRIORITY = 1  # a batch's reports after everything a person is waiting for


class QueueFull(RuntimeError):
    """Too many reports are waiting to be rendered: ask again in a minute."""


class ReportNotReady(RuntimeError):
    """The report is being rendered; it will be there in a few seconds."""


class ReportFailed(RuntimeError):
    """The report could not be rendered (time or memory limit, or a bug): see the log."""


def make_queue(config: dict[str, Any], instance: Path, app: Callable[[], Flask]) -> Huey:
    """The huey instance the settings describe (Redis for a ``redis://`` URL, else SQLite),
    with its tasks; ``app`` gives the app a ``render_report`` task needs."""
    url = config.get("QUEUE_URL") or ""
    immediate = bool(config.get("QUEUE_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        # The priority flavour: plain RedisHuey refuses a task with a priority, and every
        # task here has one (a waiting download first, a batch last).
        queue = PriorityRedisHuey("diagnose", url=url, immediate=immediate, blocking=True)
    else:
        filename = url.removeprefix("sqlite:///") if url else str(instance / "queue.sqlite3")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        queue = SqliteHuey("diagnose", filename=filename, immediate=immediate, timeout=10)
    folder = instance / "reports"

    @queue.task(name="render_report")
    def render_report(assessment_id: int, lang: str, want_result: bool = False):
        """Render one assessment's report in ``lang`` into the cache; return its cache key
        when asked (a waiting request asks; background renders leave no result behind)."""
        key = render_report_now(app(), assessment_id, lang)
        return key if want_result else None

    @queue.task(name="render_html")
    def render_html(html: str, want_result: bool = False):
        """Render a report's HTML into the cache; return its cache key when asked."""
        key = _render_into(folder, config, html)
        return key if want_result else None

    @queue.task(name="batch_next")
    def batch_next(batch_id: int):
        """Render a batch's next waiting report, then queue the next one (a chain: a batch
        keeps at most ``BATCH_PARALLEL`` tasks in the queue, so downloads and new diagnoses
        never wait behind it); the chain that finishes the last report assembles the file."""
        from .services import batch

        current = app()
        while True:
            rendered, complete = batch.render_next(current, batch_id)
            if complete:
                batch.assemble(current, batch_id)
            if complete or not rendered:
                return
            if not queue.immediate:  # inline (the tests) the chain is a loop, not a recursion
                queue.enqueue(batch_next.s(batch_id, priority=BATCH_PRIORITY))
                return

    queue.report_tasks = {
        "render_report": render_report,
        "render_html": render_html,
        "batch_next": batch_next,
    }
    register_maintenance(queue, config, instance)
    return queue


def init_app(app: Flask) -> None:
    """Attach the queue (the same task names in web and consumer)."""
    queue = make_queue(app.config, Path(app.instance_path), lambda: app)
    app.extensions["queue"] = queue
    app.extensions["queue_tasks"] = queue.report_tasks


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


def _render_into(folder: Path, config: dict[str, Any], html: str) -> str:
    """Render ``html`` into the cache in ``folder`` unless it is there; its cache key."""
    from .roadmap import pdf

    key = pdf.cache_key(html)
    if not pdf.cache_path(folder, key).exists():
        start_renderers(config)
        sandbox = _pool.get()
        try:
            document = sandbox.render(html)
        finally:
            _pool.put(sandbox)
        pdf.store(folder, key, document)
        log.info("rendered report %s", key[:12])
    return key


def render_report_now(app: Flask, assessment_id: int, lang: str) -> str:
    """Render the report of a submitted assessment into the cache (if not there already);
    return its cache key. Raises ``LookupError`` for an unknown or draft assessment and
    ``RenderError`` when the render fails."""
    from .assessments import assessment_record
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
    return _render_into(reports_folder(app), app.config, html)


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
            queue.enqueue(task.s(assessment_id, code, priority=PRIORITY.get(code, 0)))
        except Exception:  # the queue's store is down: the download will ask again
            log.exception("could not queue report %s (%s)", assessment_id, code)


def report_file(record: dict[str, Any], lang: str, wait: float | None = None) -> Path:
    """The cached PDF of ``record``'s report in ``lang``: at once when it is cached, else
    after queueing its HTML and waiting up to ``wait`` seconds (``RENDER_WAIT``).

    Raises ``QueueFull`` when too many renders are waiting, ``ReportNotReady`` when the
    render takes longer than the wait, and ``ReportFailed`` when it failed.
    """
    from .roadmap import pdf
    from .roadmap.report import report_html
    from .storage import get_db

    app = current_app._get_current_object()
    folder = reports_folder(app)
    html = report_html(get_db(), record, lang)
    found = pdf.cached(folder, html)
    if found:
        return found
    queue = app.extensions["queue"]
    if not queue.immediate and queue.pending_count() >= app.config["RENDER_QUEUE_LIMIT"]:
        raise QueueFull(record["id"])
    task = app.extensions["queue_tasks"]["render_html"]
    try:
        result = queue.enqueue(task.s(html, True, priority=WAITING))
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
    if key is None:
        raise ReportFailed(record["id"])
    return pdf.cache_path(folder, key)


def enqueue_batch(batch_id: int, total: int) -> None:
    """Start a batch (``services.batch.create_batch``) on the queue: ``BATCH_PARALLEL``
    chains of ``batch_next`` tasks, each rendering one report after another."""
    app = current_app._get_current_object()
    queue = app.extensions["queue"]
    task = app.extensions["queue_tasks"]["batch_next"]
    for _ in range(max(1, min(total, app.config["BATCH_PARALLEL"]))):
        queue.enqueue(task.s(batch_id, priority=BATCH_PRIORITY))


# --- the consumer ------------------------------------------------------------------------------


class _AppOnDemand:
    """The consumer's app, built when a ``render_report`` task first needs it: a
    ``render_html`` task needs none, so a consumer that has just started renders a waiting
    download at once, with both cores for its render child. (Building the app loads
    scikit-learn through the diagnosis modules: two seconds.)"""

    def __init__(self):
        self._app: Flask | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Flask:
        with self._lock:
            if self._app is None:
                self._app = consumer_app()
            return self._app


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

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    instance = instance_path()
    settings = from_environment(instance)
    workers = args.workers or max(1, settings["RENDER_WORKERS"])
    start_renderers(settings, workers)  # they warm up while the rest starts
    queue = make_queue({**settings, "QUEUE_IMMEDIATE": False}, instance, _AppOnDemand())
    log.info("queue consumer: %s workers on %s", workers, type(queue.storage).__name__)
    consumer = queue.create_consumer(
        workers=workers,
        worker_type="thread",
        initial_delay=0.05,
        backoff=1.3,
        max_delay=0.25,  # SQLite is polled: a new render starts within a quarter second
        periodic=True,  # the nightly backup and purge (maintenance.py)
    )
    consumer.run()


if __name__ == "__main__":
    # Run the importable module's main, not this __main__ copy's: huey names tasks by their
    # module, and a consumer's names must be the web app's (diagnose.jobs.render_html).
    from diagnose import jobs

    jobs.main()
