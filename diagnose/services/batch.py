"""Batch printing: the roadmap reports of many firms, rendered on the task queue, one task per
report, then put together into a ZIP (one PDF per firm) or one merged PDF.

A batch is a row in ``batches`` and one row per report in ``batch_items``. Reports are
rendered by ``batch_next`` tasks on the same queue that renders reports after a submission,
so any number of consumers (on one machine, or on several with Redis) share the work. The
tasks run after everything a person waits for (``jobs.BATCH_PRIORITY``) and never count
against the render limit of downloads. A center keeps at most ``BATCH_PARALLEL`` of them in
the queue, whatever number of batches it starts: its later batches wait their turn (their
reports are claimed in the order the batches were started), and another center's batch
starts its own chains at once, so one center's batches never hold up another's.
A report that fails (a broken record, a render over its time or memory) is marked
failed with its reason and the others go on; the task that finishes the last report
assembles the file, which lists the failures. Progress is read from the database
(``status``), by the page (polling JSON) and the command line alike.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from ..records.firms import FirmFilter
from ..storage import now, transaction
from . import access, audit, caseload, reports

log = logging.getLogger(__name__)
FORMATS = ("zip", "pdf")
MAX_REPORTS = 2000  # one batch; a center prints its firms in a few of these at most


class BatchError(ValueError):
    """Nothing to print, too many reports, or a firm that is not the user's to print."""


def create_batch(
    db: sqlite_utils.Database,
    user: Any | None,
    assessment_ids: list[int],
    lang: str,
    file_format: str,
    filters: dict[str, Any] | None = None,
    center_id: int | None = None,
) -> int:
    """Record a batch of the given submitted assessments; return its id (queue it with
    ``enqueue_batch``). With a ``user`` (the web) every assessment must be one they may
    see; without (the command line, run by whoever runs the server) ``center_id`` scopes it."""
    if file_format not in FORMATS or lang not in ("ko", "en"):
        raise BatchError("format")
    ids = list(dict.fromkeys(assessment_ids))
    if not ids:
        raise BatchError("empty")
    if len(ids) > MAX_REPORTS:
        raise BatchError("too many")
    with transaction(db):
        for assessment_id in ids:
            row = db.execute(
                "SELECT status, center_id FROM assessments WHERE id = ?", [assessment_id]
            ).fetchone()
            if row is None or row[0] != "submitted":
                raise access.NotFound(assessment_id)
            if user is not None:
                access.assessment_access(db, user, assessment_id)
            elif center_id is not None and row[1] != center_id:
                raise access.NotFound(assessment_id)
        batch_id = db.execute(
            "INSERT INTO batches (center_id, created_by, lang, format, filters, total, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                user.center_id if user else center_id,
                user.id if user else None,
                lang,
                file_format,
                json.dumps(filters or {}, ensure_ascii=False),
                len(ids),
                now(),
            ],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO batch_items (batch_id, assessment_id, position) VALUES (?, ?, ?)",
            [(batch_id, a, i) for i, a in enumerate(ids)],
        )
        audit.record(
            db,
            "print",
            "batch",
            batch_id,
            center_id=user.center_id if user else center_id,
            user_id=user.id if user else None,
            actor="" if user else "command line",
            detail=f"{len(ids)} reports, {lang}, {file_format}",
        )
    log.info("batch %s: %s reports (%s, %s)", batch_id, len(ids), lang, file_format)
    return batch_id


def batch_for_user(db: sqlite_utils.Database, user: Any, batch_id: int) -> dict[str, Any]:
    """A batch the user may follow and download: staff of its center, or the person who
    started it. Another center's batch is ``NotFound``."""
    rows = list(db.query("SELECT * FROM batches WHERE id = ?", [batch_id]))
    if not rows:
        raise access.NotFound(batch_id)
    batch = rows[0]
    if batch["center_id"] != user.center_id:
        raise access.NotFound(batch_id)
    if not user.is_staff and batch["created_by"] != user.id:
        raise access.NotFound(batch_id)
    return batch


def items(db: sqlite_utils.Database, batch_id: int) -> list[dict[str, Any]]:
    return list(
        db.query("SELECT * FROM batch_items WHERE batch_id = ? ORDER BY position", [batch_id])
    )


def progress(db: sqlite_utils.Database, batch_id: int) -> dict[str, Any]:
    """How far a batch is: counts, its state, and each failed report with its firm and why."""
    batch = dict(next(iter(db.query("SELECT * FROM batches WHERE id = ?", [batch_id]))))
    counts = dict(
        db.execute(
            "SELECT status, COUNT(*) FROM batch_items WHERE batch_id = ? GROUP BY status",
            [batch_id],
        ).fetchall()
    )
    failures = list(
        db.query(
            "SELECT i.assessment_id, i.error, f.name AS firm_name FROM batch_items i "
            "JOIN assessments a ON a.id = i.assessment_id JOIN firms f ON f.id = a.firm_id "
            "WHERE i.batch_id = ? AND i.status = 'failed' ORDER BY i.position",
            [batch_id],
        )
    )
    return {
        "id": batch_id,
        "status": batch["status"],
        "total": batch["total"],
        "done": counts.get("done", 0),
        "failed": counts.get("failed", 0),
        "queued": counts.get("queued", 0),
        "failures": failures,
        "format": batch["format"],
        "lang": batch["lang"],
        "ready": batch["status"] == "done" and bool(batch["file"]),
        "error": batch["error"],
    }


# --- the tasks (consumer side) -----------------------------------------------------------------


def render_next(app: Any, batch_id: int) -> tuple[bool, bool, int]:
    """Claim the next waiting report of the batch's center (its oldest running batch first),
    render it into the report cache and mark it done or failed: ``(rendered one, its batch
    is now complete, its batch)``. Exactly one caller sees a batch complete (it then
    assembles the file)."""
    from ..storage import connect

    db = connect(app.config["DATABASE"])
    try:
        with transaction(db):
            # a report whose consumer died while rendering it is taken up again
            # the next report of this center's oldest running batch: a center's chains
            # serve its batches in the order they were started
            row = db.execute(
                "SELECT i.batch_id, i.assessment_id, b.lang FROM batch_items i "
                "JOIN batches b ON b.id = i.batch_id WHERE b.status = 'running' "
                "AND b.center_id IS (SELECT center_id FROM batches WHERE id = ?) "
                "AND (i.status = 'queued' OR (i.status = 'rendering' AND i.started_at < ?)) "
                "ORDER BY b.id, i.position LIMIT 1",
                [batch_id, _stale_before(app.config)],
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE batch_items SET status = 'rendering', started_at = ? "
                    "WHERE batch_id = ? AND assessment_id = ?",
                    [now(), row[0], row[1]],
                )
        if row is None:
            return False, False, batch_id
        batch_id, assessment_id, lang = row
        try:
            key, error = reports.render_report_now(app, assessment_id, lang), None
        except Exception as exc:  # any failure of one report: recorded, the others go on
            log.warning("batch %s: report %s failed: %s", batch_id, assessment_id, exc)
            key, error = None, f"{type(exc).__name__}: {exc}"[:500]
        with transaction(db):
            db.execute(
                "UPDATE batch_items SET status = ?, cache_key = ?, error = ?, finished_at = ? "
                "WHERE batch_id = ? AND assessment_id = ?",
                ["failed" if error else "done", key, error, now(), batch_id, assessment_id],
            )
            left = db.execute(
                "SELECT COUNT(*) FROM batch_items WHERE batch_id = ? "
                "AND status IN ('queued', 'rendering')",
                [batch_id],
            ).fetchone()[0]
            complete = (
                left == 0
                and db.execute(
                    "UPDATE batches SET status = 'assembling' WHERE id = ? AND status = 'running'",
                    [batch_id],
                ).rowcount
                == 1
            )
        return True, complete, batch_id
    finally:
        db.conn.close()


def _stale_before(config: Any) -> str:
    """A report rendering since before this was lost with its consumer (a render never runs
    past its time limit)."""
    limit = timedelta(seconds=float(config.get("RENDER_TIMEOUT", 30)) * 2 + 60)
    return (datetime.now(UTC) - limit).isoformat(timespec="seconds")


def stalled(db: sqlite_utils.Database, config: Any, batch_id: int) -> bool:
    """Whether a running batch waits on nothing but reports lost with a dead consumer (the
    page and the command then start a new chain)."""
    row = db.execute(
        "SELECT SUM(status = 'queued'), SUM(status = 'rendering' AND started_at >= ?), "
        "SUM(status = 'rendering' AND started_at < ?) FROM batch_items WHERE batch_id = ?",
        [_stale_before(config), _stale_before(config), batch_id],
    ).fetchone()
    queued, live, lost = (v or 0 for v in row)
    if lost and not queued and not live:
        return True
    # waiting its turn behind the center's earlier batches, whose chains ended just as it
    # was started: nothing of the center rendered for a while
    if queued and not live:
        recent = db.execute(
            "SELECT MAX(i.started_at) FROM batch_items i JOIN batches b ON b.id = i.batch_id "
            "WHERE b.center_id IS (SELECT center_id FROM batches WHERE id = ?)",
            [batch_id],
        ).fetchone()[0]
        created = db.execute("SELECT created_at FROM batches WHERE id = ?", [batch_id]).fetchone()
        last = max(recent or "", created[0] if created else "")
        idle = (datetime.now(UTC) - timedelta(seconds=IDLE_SECONDS)).isoformat(timespec="seconds")
        return last < idle
    return False


IDLE_SECONDS = 20  # a running batch of which nothing rendered this long is taken up again


NAME_LIMIT = 150  # bytes of UTF-8 of a firm's name in a ZIP entry (a file name: 255 at most)


def _file_name(text: str, limit: int = NAME_LIMIT) -> str:
    """A firm's name as part of a file name: no path or reserved characters, no control,
    format or line-separator characters (U+202E turns the name around on screen, U+2028
    breaks lines), NFC, and cut to ``limit`` bytes of UTF-8 (600 bytes break ``unzip``)."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        "_" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") else c
        for c in text
    )
    text = re.sub(r'[\\/:*?"<>|]+', "_", text)
    text = re.sub(r"_+", "_", text).strip(" ._")
    text = text.encode()[:limit].decode(errors="ignore")  # never half a character
    return text.rstrip(" ._") or "report"


def entry_name(position: int, firm_name: str, submitted_at: str, lang: str) -> str:
    """A report's name in a batch ZIP: the firm's name is cut, never the number, date and
    language around it."""
    return f"{position + 1:03d}-{_file_name(firm_name)}-{submitted_at[:10]}-{lang}.pdf"


def assemble(app: Any, batch_id: int) -> Path:
    """Put the batch's rendered reports together (a ZIP or one merged PDF) with a list of
    the reports that failed; mark the batch done and return the file."""
    from .. import jobs
    from ..roadmap.pdf import cache_path
    from ..storage import connect

    db = connect(app.config["DATABASE"])
    try:
        batch = dict(next(iter(db.query("SELECT * FROM batches WHERE id = ?", [batch_id]))))
        rows = list(
            db.query(
                "SELECT i.*, f.name AS firm_name, a.submitted_at FROM batch_items i "
                "JOIN assessments a ON a.id = i.assessment_id JOIN firms f ON f.id = a.firm_id "
                "WHERE i.batch_id = ? ORDER BY i.position",
                [batch_id],
            )
        )
        folder = Path(app.instance_path) / "batches"
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / f"batch-{batch_id}.{batch['format']}"
        cache = jobs.reports_folder(app)
        done = [r for r in rows if r["status"] == "done"]
        failed = [r for r in rows if r["status"] != "done"]
        failures = "".join(
            f"{r['firm_name']} (#{r['assessment_id']}): {r['error'] or 'not rendered'}\n"
            for r in failed
        )
        tmp = target.with_suffix(".tmp")
        if batch["format"] == "zip":
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
                for r in done:
                    name = entry_name(
                        r["position"], r["firm_name"], r["submitted_at"], batch["lang"]
                    )
                    archive.write(cache_path(cache, r["cache_key"]), name)
                if failed:
                    archive.writestr("failed.txt", failures)
        else:
            from pypdf import PdfWriter

            writer = PdfWriter()
            for r in done:
                writer.append(
                    str(cache_path(cache, r["cache_key"])), outline_item=_file_name(r["firm_name"])
                )
            buffer = io.BytesIO()
            writer.write(buffer)
            tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
        with transaction(db):
            db.execute(
                "UPDATE batches SET status = 'done', file = ?, error = ?, finished_at = ? "
                "WHERE id = ?",
                [target.name, failures or None, now(), batch_id],
            )
        log.info("batch %s assembled: %s reports, %s failed", batch_id, len(done), len(failed))
        return target
    except Exception as exc:
        with transaction(db):
            db.execute(
                "UPDATE batches SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                [f"{type(exc).__name__}: {exc}"[:500], now(), batch_id],
            )
        raise
    finally:
        db.conn.close()


def batch_file(instance: Path, batch: dict[str, Any]) -> Path | None:
    if batch["status"] != "done" or not batch["file"]:
        return None
    path = Path(instance) / "batches" / batch["file"]
    return path if path.exists() else None


def selection(
    db: sqlite_utils.Database, user: Any, filters: FirmFilter, firm_ids: list[int] | None
) -> list[int]:
    """The reports a batch prints: the latest diagnosis of each chosen firm (checkboxes), or
    of every firm matching the filter, among the firms the user may see."""
    if firm_ids:
        for firm_id in firm_ids:
            if access.visible_firm(db, user, firm_id) is None:
                raise access.NotFound(firm_id)  # ticked on no page of this user's
    found = caseload.matching_assessments(db, user, filters if not firm_ids else FirmFilter())
    if firm_ids:
        chosen = set(firm_ids)
        found = [f for f in found if f["firm_id"] in chosen]
    return [f["assessment_id"] for f in found]


# --- on the queue --------------------------------------------------------------------------------


def register_tasks(queue: Any, app: Any) -> None:
    """``batch_next``: render the next waiting report of a center's batches, then queue the
    next one (a chain: a center keeps at most ``BATCH_PARALLEL`` tasks in the queue, so
    downloads and new diagnoses never wait behind it); the chain that finishes a batch's
    last report assembles its file."""
    from .. import jobs

    @queue.task(name="batch_next")
    def batch_next(batch_id: int):
        current = app()
        while True:
            rendered, complete, done_batch = render_next(current, batch_id)
            if complete:
                assemble(current, done_batch)
            if not rendered:
                return
            if not queue.immediate:  # inline (the tests) the chain is a loop, not a recursion
                queue.enqueue(batch_next.s(batch_id, priority=jobs.BATCH_PRIORITY))
                return

    queue.report_tasks["batch_next"] = batch_next


def enqueue_batch(batch_id: int, total: int, restart: bool = False) -> None:
    """Start a batch (``create_batch``) on the queue: ``BATCH_PARALLEL`` chains of
    ``batch_next`` tasks when its center has no earlier batch running; none when it has (that
    batch's chains go on with this one, in turn); one to take a stalled batch up again."""
    from flask import current_app

    from .. import jobs
    from ..storage import get_db

    app = current_app._get_current_object()
    queue = app.extensions["queue"]
    task = app.extensions["queue_tasks"]["batch_next"]
    if restart:
        chains = 1
    else:
        others = (
            get_db()
            .execute(
                "SELECT COUNT(*) FROM batches WHERE status = 'running' AND id < ? "
                "AND center_id IS (SELECT center_id FROM batches WHERE id = ?)",
                [batch_id, batch_id],
            )
            .fetchone()[0]
        )
        chains = 0 if others and not queue.immediate else min(total, app.config["BATCH_PARALLEL"])
    for _ in range(max(0, chains)):
        queue.enqueue(task.s(batch_id, priority=jobs.BATCH_PRIORITY))
