"""Nightly maintenance on the task queue: a backup of the database and the purge.

huey's periodic tasks, registered on the queue that ``jobs.make_queue`` builds (the web app's
and the consumer's are the same tasks). A consumer started with ``periodic=True`` runs them at
``DIAGNOSE_MAINTENANCE_HOUR`` (UTC); with several consumers (Redis), a lock makes one of them
do the work and the others skip it. The tasks call the same service functions as
``flask backup`` and ``flask purge``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from huey import Huey, crontab

log = logging.getLogger(__name__)


def nightly(config: dict[str, Any], instance: Path) -> dict[str, Any]:
    """Back up the database (with the retention), then purge; what each step did."""
    from .services import lifecycle
    from .storage import connect

    target = lifecycle.scheduled_backup(
        config["DATABASE"], config["BACKUP_FOLDER"], config["BACKUP_KEEP"]
    )
    log.info("nightly backup: %s (%s KB)", target, target.stat().st_size // 1024)
    db = connect(config["DATABASE"])
    try:
        purged = lifecycle.purge(
            db,
            instance / "reports",
            config["RETAIN_LOGIN_SESSIONS_DAYS"],
            config["RETAIN_REPORT_FILES_DAYS"],
            config["RETAIN_IDEMPOTENCY_HOURS"],
        )
    finally:
        db.conn.close()
    log.info("nightly purge: %s", purged)
    return {"backup": str(target), "purged": purged}


def register(queue: Huey, config: dict[str, Any], instance: Path) -> None:
    """Add the nightly task to ``queue`` (unless ``MAINTENANCE_HOUR`` is empty)."""
    hour = str(config.get("MAINTENANCE_HOUR") or "").strip()
    if not hour:
        return
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise ValueError(f"DIAGNOSE_MAINTENANCE_HOUR must be an hour 0-23, not {hour!r}")

    @queue.periodic_task(crontab(minute="7", hour=hour), name="nightly_maintenance")
    @queue.lock_task("nightly_maintenance")
    def nightly_maintenance():
        """The nightly backup and purge (one consumer at a time)."""
        return nightly(config, instance)

    queue.report_tasks["nightly_maintenance"] = nightly_maintenance
