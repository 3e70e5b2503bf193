"""Backups that finish while people work, keep a bounded number, and run nightly on the queue."""

import os
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from diagnose.services import lifecycle
from diagnose.storage import connect


def _grow(path: Path, megabytes: int) -> None:
    """A WAL database of about ``megabytes`` MB (a paged copy of it needs many steps)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB)")
    conn.execute("CREATE TABLE saves (id INTEGER PRIMARY KEY, at REAL)")
    with conn:
        conn.executemany(
            "INSERT INTO filler (blob) VALUES (randomblob(4000))", [()] * (megabytes * 250)
        )
    conn.close()


def test_a_backup_finishes_while_another_connection_commits_all_the_time(tmp_path):
    """A copy of a few pages a step restarts at every commit of another connection: under a
    writer committing every few milliseconds it never finishes. One step does."""
    database = tmp_path / "live.sqlite3"
    _grow(database, 40)
    stop = threading.Event()
    commits = []

    def keep_committing():
        conn = sqlite3.connect(database, isolation_level=None, timeout=10)
        while not stop.is_set():
            conn.execute("INSERT INTO saves (at) VALUES (?)", [time.time()])
            commits.append(1)
            time.sleep(0.002)
        conn.close()

    writer = threading.Thread(target=keep_committing)
    writer.start()
    finished: list[Path] = []
    copier = threading.Thread(
        target=lambda: finished.append(lifecycle.backup(database, tmp_path / "b.sqlite3"))
    )
    time.sleep(0.05)
    before = len(commits)
    copier.start()
    copier.join(timeout=30)
    during = len(commits) - before
    stop.set()
    writer.join()
    assert finished, "the backup did not finish within 30 s under constant commits"
    copier.join()
    assert during > 0  # the writer really did commit while the copy ran
    target = finished[0]
    assert lifecycle.check_integrity(target) == "ok"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT COUNT(*) FROM filler").fetchone()[0] == 40 * 250
    copy.close()
    assert not list(tmp_path.glob("*.partial"))


def test_backups_keep_the_newest_and_clear_stale_partial_copies(app, runner):
    folder = Path(app.config["BACKUP_FOLDER"])
    app.config["BACKUP_KEEP"] = 2
    made = []
    for _n in range(3):
        result = runner.invoke(args=["backup"])
        assert result.exit_code == 0, result.output
        assert "integrity ok" in result.output
        made.append(Path(result.output.split(":")[0]))
        for path in made:  # distinct times without waiting whole seconds
            if path.exists():
                stamp = time.time() - 100 * (3 - made.index(path))
                os.utime(path, (stamp, stamp))
    stale = folder / "diagnose-2020-01-01T000000Z.sqlite3.partial"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    fresh = folder / "diagnose-2099-01-01T000000Z.sqlite3.partial"
    fresh.write_bytes(b"being written")
    lifecycle.prune_backups(folder, 2)
    kept = sorted(p.name for p in folder.glob(lifecycle.BACKUP_PATTERN))
    assert len(kept) == 2 and made[0].name not in kept
    assert not stale.exists() and fresh.exists()  # another run's copy in progress stays
    for path in folder.glob(lifecycle.BACKUP_PATTERN):
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_the_nightly_task_on_the_queue_backs_up_and_purges(app):
    db = connect(app.config["DATABASE"])
    db.execute(
        "INSERT INTO centers (name, region, created_at) VALUES ('센터', 'seoul', '2020-01-01')"
    )
    db.execute(
        "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
        "VALUES (1, 'a@b.c', 'A', 'x', 'consultant', '2020-01-01')"
    )
    db.execute(
        "INSERT INTO login_sessions (user_id, token_hash, created_at, ended_at) "
        "VALUES (1, 'old', '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00')"
    )
    db.conn.close()
    queue = app.extensions["queue"]
    task = app.extensions["queue_tasks"]["nightly_maintenance"]
    # huey runs it daily at the configured hour (UTC), registered like every periodic task
    hour = int(app.config["MAINTENANCE_HOUR"])
    due = [t.name for t in queue.read_periodic(datetime(2026, 1, 1, hour, 7))]
    assert due == ["nightly_maintenance"]
    assert not queue.read_periodic(datetime(2026, 1, 1, (hour + 1) % 24, 7))
    outcome = task.call_local()
    backup = Path(outcome["backup"])
    assert backup.parent == Path(app.config["BACKUP_FOLDER"])
    assert lifecycle.check_integrity(backup) == "ok"
    assert outcome["purged"]["login sessions"] == 1
    db = connect(app.config["DATABASE"])
    assert db.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0] == 0
    db.conn.close()


def test_no_nightly_task_without_an_hour(make_app):
    quiet = make_app(MAINTENANCE_HOUR="")
    assert "nightly_maintenance" not in quiet.extensions["queue_tasks"]


def test_the_copy_and_its_check_run_at_a_lower_priority_and_say_what_failed():
    """The backup's work yields the cores to the app's requests (``nice -n 10`` for its own
    thread only); the caller keeps its priority, and an error in the work reaches it."""

    def mine() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = mine()
    assert lifecycle._in_background(mine) == min(19, before + lifecycle.BACKUP_NICENESS)
    assert mine() == before

    def broken() -> str:
        raise sqlite3.DatabaseError("disk I/O error")

    with pytest.raises(sqlite3.DatabaseError, match="disk I/O"):
        lifecycle._in_background(broken)
