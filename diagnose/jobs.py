"""The task queue and its consumer: nothing here knows what a report is.

Built on huey. The embedded default keeps the queue in a SQLite file under the instance
folder (``queue.sqlite3``); with ``DIAGNOSE_QUEUE_URL=redis://host:6379/0`` the queue lives in
Redis, and consumers on several machines share it. A consumer is started by ``run.py`` (the
README's serve command) or on its own with ``python -m diagnose.jobs``.

The tasks are registered by the services that own them (``services.reports``: a report's
render; ``services.batch``: batch printing) through ``diagnose.register_tasks``, in the web
app and in the consumer alike, so both know the same task names. Their payloads carry ids
only: no firm's name or answer is ever written to the queue's store.

Rendering happens only in a consumer, never in a web worker, and each consumer thread lays
reports out in a render child of its own (``render``: ``pdf.RenderSandbox``, a memory cap, a
time limit, dies with its parent).

Capacity: ``people_waiting`` counts the tasks a person waits for (a download, a new
diagnosis), never a batch's; a batch's tasks run at ``BATCH_PRIORITY``, after all of those.
"""

from __future__ import annotations

import argparse
import logging
import queue as queue_module
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.storage import SqliteStorage

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
    """The report could not be rendered (time or memory limit, or a bug): its reason is kept
    with the report (``issued_reports.render_error``), and it is tried again after a pause."""


def make_queue(config: dict[str, Any], instance: Path) -> Huey:
    """The huey instance the settings describe (Redis for a ``redis://`` URL, else SQLite),
    with no task yet (``diagnose.register_tasks`` adds them)."""
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
    queue.report_tasks = {}
    return queue


def people_waiting(queue: Huey) -> int:
    """Tasks in the queue that a person waits for (priority above a batch's): what the
    render limit counts, so that batches never make a download or a diagnosis wait."""
    storage = queue.storage
    if isinstance(storage, SqliteStorage):
        return storage.sql(
            "SELECT COUNT(id) FROM task WHERE queue = ? AND priority > ?",
            (storage.name, BATCH_PRIORITY),
            results=True,
        )[0][0]
    if hasattr(storage, "queue_key"):  # huey's priority Redis queue: score = -priority
        return storage.conn.zcount(storage.queue_key, "-inf", f"({-BATCH_PRIORITY}")
    return queue.pending_count()


def batch_tasks_waiting(queue: Huey) -> int:
    """Tasks of batches in the queue."""
    storage = queue.storage
    if isinstance(storage, SqliteStorage):
        return storage.sql(
            "SELECT COUNT(id) FROM task WHERE queue = ? AND priority <= ?",
            (storage.name, BATCH_PRIORITY),
            results=True,
        )[0][0]
    if hasattr(storage, "queue_key"):
        return storage.conn.zcount(storage.queue_key, -BATCH_PRIORITY, "+inf")
    return 0


def forget_everything_stored(queue: Huey) -> None:
    """Leave nothing of deleted tasks and results in the queue's files: a SQLite queue's WAL
    is checkpointed and truncated and its free pages vacuumed (an erasure calls this)."""
    if not isinstance(queue.storage, SqliteStorage):
        return  # Redis, or the tests' memory
    with queue.storage.db(commit=False) as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with queue.storage.db(commit=False) as cursor:
        cursor.execute("VACUUM")
    with queue.storage.db(commit=False) as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def init_app(app: Flask) -> None:
    """Attach the queue (the same task names in web and consumer)."""
    from . import register_tasks

    queue = make_queue(app.config, Path(app.instance_path))
    register_tasks(queue, app.config, Path(app.instance_path), lambda: app)
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


def render_into(folder: Path, config: dict[str, Any], html: str) -> str:
    """Render ``html`` into the cache in ``folder`` unless it is there, in a render child of
    this process; its cache key. Raises ``pdf.RenderError`` when the render fails."""
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


# --- the consumer ------------------------------------------------------------------------------


class _AppOnDemand:
    """The consumer's app, built when a task first needs it: rendering an issued report
    needs none, so a consumer that has just started renders a waiting download at once,
    with both cores for its render child. (Building the app loads scikit-learn through the
    diagnosis modules: two seconds.)"""

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


def consumer_queue(
    settings: dict[str, Any], instance: Path, app: Callable[[], Flask] | None = None
) -> Huey:
    """The queue as a consumer sees it, with every task registered."""
    from . import register_tasks

    queue = make_queue({**settings, "QUEUE_IMMEDIATE": False}, instance)
    register_tasks(queue, settings, instance, app or _AppOnDemand())
    return queue


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
    queue = consumer_queue(settings, instance)
    log.info("queue consumer: %s workers on %s", workers, type(queue.storage).__name__)
    consumer = queue.create_consumer(
        # One thread more than render children: a task builds its report's HTML (a
        # twentieth of a second) while the children lay out the reports before it, so no
        # child waits for its next HTML; renders still run ``workers`` at once (each borrows
        # a child from the pool, ``render_into``).
        workers=workers + 1,
        worker_type="thread",
        initial_delay=0.05,
        backoff=1.3,
        max_delay=0.25,  # SQLite is polled: a new render starts within a quarter second
        periodic=True,  # the nightly backup and purge (maintenance.py)
    )
    consumer.run()


if __name__ == "__main__":
    # Run the importable module's main, not this __main__ copy's: huey names tasks by their
    # module, and a consumer's names must be the web app's.
    from diagnose import jobs

    jobs.main()
