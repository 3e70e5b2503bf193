"""The data's life: backups while serving, retention and purging, erasure on request."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from ..storage import restrict_files, transaction

# Erasure on request lives in services/erasure.py; its names stay importable from here.
from .erasure import PERSONAL_PROFILE_FIELDS, erase_firm  # noqa: F401

log = logging.getLogger(__name__)


def backup(database: Path | str, target: Path | str) -> Path:
    """Copy a live database into ``target``: one consistent moment, while the app serves.

    The copy is SQLite's online backup in a single step: under WAL it is one read
    transaction, so writers go on and nothing restarts it (a copy of a few pages a step
    starts again from page 1 whenever another connection commits, and under steady
    autosaves never finishes). The file is written 0600 beside the target, checked with
    ``PRAGMA integrity_check`` and only then moved into place. Kept apart from ``restore``.
    The copy and the check run in a thread of lower priority (``BACKUP_NICENESS``).
    """
    target = Path(target)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)  # never readable by others, not even while it is written

    def copy_and_check() -> str:
        source = sqlite3.connect(str(database), timeout=30)
        copy = sqlite3.connect(str(partial))
        try:
            source.backup(copy, pages=-1)  # every page in one step: one read transaction
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        return check_integrity(partial)

    verdict = _in_background(copy_and_check)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise ValueError(f"the backup of {database} failed its integrity check: {verdict}")
    partial.chmod(0o600)
    partial.replace(target)
    return target


# The copy and its check (about 4 s of CPU at 50,000 firms, three quarters of it the check)
# run in a thread of lower priority: on a machine as busy as its cores, the people's
# requests go first and the backup takes what is left (a tool assumption: the niceness).
BACKUP_NICENESS = 10


def _in_background(work: Callable[[], str]) -> str:
    """``work()`` in a thread of its own at ``BACKUP_NICENESS`` (Linux gives each thread its
    own priority; raising it back needs a privilege, so the thread ends with the work)."""
    result: dict[str, Any] = {}

    def run() -> None:
        # (no per-thread priority on this system: as it is)
        with contextlib.suppress(AttributeError, OSError):
            me = threading.get_native_id()
            niceness = os.getpriority(os.PRIO_PROCESS, me) + BACKUP_NICENESS
            os.setpriority(os.PRIO_PROCESS, me, min(19, niceness))  # as ``nice -n 10``
        try:
            result["value"] = work()
        except BaseException as error:  # raised in the caller's thread below
            result["error"] = error

    thread = threading.Thread(target=run, name="backup")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


BACKUP_PATTERN = "diagnose-*.sqlite3"


def backup_name(moment: datetime) -> str:
    """The file name of a backup taken at ``moment``: sortable by time, one per microsecond."""
    return f"diagnose-{moment.astimezone(UTC).strftime('%Y-%m-%dT%H%M%S.%fZ')}.sqlite3"


def prune_backups(folder: Path | str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``folder`` (and any half-written copy
    left by a crash); return what was deleted. ``keep`` < 1 keeps every backup."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = time.time() - 3600  # a copy still being written by another run is left alone
    gone = [p for p in folder.glob(BACKUP_PATTERN + ".partial") if p.stat().st_mtime < stale]
    backups = sorted(folder.glob(BACKUP_PATTERN), key=lambda p: (p.stat().st_mtime, p.name))
    if keep >= 1:
        gone += backups[:-keep]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def scheduled_backup(database: Path | str, folder: Path | str, keep: int) -> Path:
    """A backup into ``folder`` named by its time, then the retention (``keep`` newest):
    what the queue's nightly task and ``flask backup`` without a file do."""
    target = backup(database, Path(folder) / backup_name(datetime.now(UTC)))
    prune_backups(folder, keep)
    return target


def check_integrity(path: Path | str) -> str:
    """``ok``, or what ``PRAGMA integrity_check`` found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def restore(backup_file: Path | str, database: Path | str) -> None:
    """Put a backup in place of the database (the app stopped): the backup is checked first,
    copied beside the database, and moved over it in one step with stale WAL files removed,
    so a failure half-way leaves the old database as it was."""
    verdict = check_integrity(backup_file)
    if verdict != "ok":
        raise ValueError(f"{backup_file} is damaged: {verdict}")
    database = Path(database)
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(str(partial))
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        source.close()
    for stale in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    partial.replace(database)
    restrict_files(database)


def purge(
    db: sqlite_utils.Database,
    reports_folder: Path,
    login_session_days: int,
    report_file_days: int,
    idempotency_hours: int,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete what the retention settings no longer keep; return how many of each."""
    moment = datetime.now(UTC)

    def before(delta: timedelta) -> str:
        return (moment - delta).isoformat(timespec="seconds")

    sessions_cutoff = before(timedelta(days=login_session_days))
    counts: dict[str, int] = {}
    with transaction(db):
        where_sessions = "COALESCE(ended_at, created_at) < ?"
        counts["login sessions"] = db.execute(
            f"SELECT COUNT(*) FROM login_sessions WHERE {where_sessions}", [sessions_cutoff]
        ).fetchone()[0]
        where_keys = "created_at < ?"
        keys_cutoff = before(timedelta(hours=idempotency_hours))
        counts["idempotency keys"] = db.execute(
            f"SELECT COUNT(*) FROM idempotency_keys WHERE {where_keys}", [keys_cutoff]
        ).fetchone()[0]
        # A self-assessment's link past its expiry: the answers of one never submitted, or
        # the way to a result that no longer opens.
        stamp = moment.isoformat(timespec="seconds")
        counts["self-assessment links"] = db.execute(
            "SELECT COUNT(*) FROM self_assessments WHERE expires_at < ?", [stamp]
        ).fetchone()[0]
        if not dry_run:
            db.execute(f"DELETE FROM login_sessions WHERE {where_sessions}", [sessions_cutoff])
            db.execute(f"DELETE FROM idempotency_keys WHERE {where_keys}", [keys_cutoff])
            db.execute("DELETE FROM self_assessments WHERE expires_at < ?", [stamp])
    oldest = time.time() - report_file_days * 86400
    # the cache's subfolders (pdf.cache_path) and the printed batches beside it
    files = [
        f
        for folder in (reports_folder, reports_folder.parent / "batches")
        for f in (folder.rglob("*") if folder.is_dir() else [])
    ]
    stale = [f for f in files if f.is_file() and max(f.stat().st_mtime, f.stat().st_atime) < oldest]
    counts["report files"] = len(stale)
    if not dry_run:
        for file in stale:
            file.unlink(missing_ok=True)
    return counts
