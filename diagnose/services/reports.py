"""The report service: a diagnosis's roadmap report as issued to the firm, and its PDF.

A report is *issued* the first time it is needed (queued after a diagnosis, or asked for):
its HTML is built (``roadmap.report``) from the diagnosis and from the catalogue and registry
as they are at that moment, and kept in ``issued_reports`` with the version of the catalogue
and registry it was built from (``roadmap_versions`` keeps each version's entries). Every
later download serves that issued report: an edit of the catalogue changes nothing a firm
already has. After such an edit staff or the consultant may *reissue* it (``reissue``): a new
revision, dated and marked as revised in the report, which the firm's link then shows. A new
decision on the track issues the report again (marked revised when the firm had already
downloaded it).

The PDF is rendered on the task queue (``jobs``: a consumer, never a web worker) from the
issued HTML, and cached under the issued cache key. The queue's payload carries ids only, so
no firm's name ever lands in the queue's store. A download asks for a render at most once at
a time per report (the issued row records that it is queued); a render that failed is not
asked for again before a back-off (``RETRY_AFTER``), and its reason is kept for staff
(``failures``).

Entry points: ``after_diagnosis`` (services that store a diagnosis or a decision),
``report_pdf`` (downloads: web page, API), ``render_report_now`` (the command line, batch
printing), ``reissue`` (staff and consultants), ``register_tasks`` (the queue's tasks).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from flask import current_app

from .. import jobs
from ..jobs import QueueFull, ReportFailed, ReportNotReady  # noqa: F401  (their home for callers)
from ..roadmap import pdf
from ..storage import connect, now, transaction
from . import access, audit, roadmaps

log = logging.getLogger(__name__)
LANGUAGES = jobs.LANGUAGES
# A failed render is tried again after 1, 2, 4 … minutes, at most every hour: a report that
# cannot render no longer starts a render at every reload of its page (tool assumption).
RETRY_AFTER = (60, 3600)


def _retry_delay(failures: int) -> int:
    first, most = RETRY_AFTER
    return min(most, first * 2 ** max(0, failures - 1))


def _stale_before(config: Any) -> str:
    """A render queued before this was lost (a render never runs past its time limit, and a
    queued one waits at most a few of them)."""
    limit = timedelta(seconds=float(config.get("RENDER_TIMEOUT", 30)) * 2 + 60)
    return (datetime.now(UTC) - limit).isoformat(timespec="seconds")


# --- issuing -------------------------------------------------------------------------------------


def _diagnosis_stamp(db: sqlite_utils.Database, assessment_id: int) -> str:
    """What the report says about the diagnosis: its newest prediction and decision."""
    row = db.execute(
        "SELECT (SELECT MAX(id) FROM predictions WHERE assessment_id = :a), "
        "(SELECT MAX(id) FROM decisions WHERE assessment_id = :a)",
        {"a": assessment_id},
    ).fetchone()
    return f"p{row[0] or 0}-d{row[1] or 0}"


LINK_EDITION = "-link"


def edition(record: dict[str, Any], lang: str) -> str:
    """The key a report is issued under: the center's edition (``ko``), or the one a result
    link's holder gets (``ko-link``), which names the firm as the holder typed it and leaves
    out a registered firm's history (issue 17: linking never widens what a link shows)."""
    return f"{lang}{LINK_EDITION}" if record.get("link_view") else lang


def link_view(db: sqlite_utils.Database, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as its result link shows it: named as the self-assessment typed it."""
    from ..records.assessments import assessment_record

    origin = record
    if record.get("based_on"):
        origin = assessment_record(db, record["based_on"]) or record
    name = (origin.get("profile") or {}).get("company_name") or record["firm_name"]
    return {
        **record,
        "firm_name": name,
        "profile": {**record["profile"], "company_name": name},
        "link_view": True,
    }


def current_issue(db: sqlite_utils.Database, assessment_id: int, lang: str) -> dict | None:
    """The newest issued revision of a report (without its HTML), or None."""
    rows = list(
        db.query(
            "SELECT assessment_id, lang, revision, roadmap_revision, diagnosis, cache_key, "
            "issued_at, issued_by, delivered_at, render_state, render_queued_at, render_error, "
            "render_failures, retry_after FROM issued_reports "
            "WHERE assessment_id = ? AND lang = ? ORDER BY revision DESC LIMIT 1",
            [assessment_id, lang],
        )
    )
    return rows[0] if rows else None


def _snapshot(db: sqlite_utils.Database, app: Any) -> tuple[int, Any]:
    """The catalogue and registry now, and their version (kept in ``roadmap_versions``)."""
    from .registry import current_data

    def version() -> int:
        return db.execute("SELECT revision FROM roadmap_revision WHERE id = 1").fetchone()[0]

    for _attempt in range(3):
        revision = version()
        data = current_data(db, app)
        if version() == revision:
            break
    if data is not None:
        entries = {
            "modules": [json.loads(m.model_dump_json()) for m in data.catalogue.modules],
            "centers": [json.loads(c.model_dump_json()) for c in data.centers.centers],
        }
        db.execute(
            "INSERT OR IGNORE INTO roadmap_versions (revision, data, created_at) VALUES (?, ?, ?)",
            [revision, json.dumps(entries, ensure_ascii=False), now()],
        )
    return revision, data


def issue(
    db: sqlite_utils.Database,
    record: dict[str, Any],
    lang: str,
    *,
    user_id: int | None = None,
    revise: bool = False,
) -> dict[str, Any]:
    """The report of ``record`` in ``lang`` as issued: the newest revision, issued now if
    there is none, if the diagnosis changed since (a new decision), or if ``revise``.
    Runs in an app context (the report's words are translated)."""
    from ..templating import KST

    key_lang = edition(record, lang)
    found = current_issue(db, record["id"], key_lang)
    stamp = _diagnosis_stamp(db, record["id"])
    if found and not revise and found["diagnosis"] == stamp:
        return found
    app = current_app._get_current_object()
    revision = found["revision"] + 1 if found else 1
    first = _first_issued_at(db, record["id"], key_lang) or now()
    roadmap_revision, data = _snapshot(db, app)
    # revised: the firm may have had the earlier one (downloaded), or staff asked for it
    revised = bool(found and (revise or found["delivered_at"]))
    if found and not revised:
        revision = found["revision"]  # the same issue, before anyone received it
    stamp_now = now()

    def day(moment: str) -> str:
        from ..roadmap.report import day_label

        return day_label(datetime.fromisoformat(moment).astimezone(KST).date(), lang)

    mark = (
        {"revision": revision, "revised_on": day(stamp_now), "first_issued_on": day(first)}
        if revised or (found and found["revision"] > 1 and revision == found["revision"])
        else None
    )
    html = roadmaps.report_html(db, record, lang, data=data, issue=mark)
    key = pdf.cache_key(html)
    with transaction(db):
        db.execute(
            "INSERT INTO issued_reports (assessment_id, lang, revision, roadmap_revision, "
            "diagnosis, html, cache_key, issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (assessment_id, lang, revision) DO UPDATE SET "
            "roadmap_revision = excluded.roadmap_revision, diagnosis = excluded.diagnosis, "
            "html = excluded.html, cache_key = excluded.cache_key, "
            "issued_by = COALESCE(excluded.issued_by, issued_by), render_state = 'new', "
            "render_queued_at = NULL, render_error = NULL, render_failures = 0, "
            "retry_after = NULL WHERE issued_reports.delivered_at IS NULL",
            [
                record["id"],
                key_lang,
                revision,
                roadmap_revision,
                stamp,
                html,
                key,
                stamp_now,
                user_id,
            ],
        )
    log.info("assessment %s (%s): report issued, revision %s", record["id"], key_lang, revision)
    return current_issue(db, record["id"], key_lang)


def _first_issued_at(db: sqlite_utils.Database, assessment_id: int, lang: str) -> str | None:
    row = db.execute(
        "SELECT issued_at FROM issued_reports WHERE assessment_id = ? AND lang = ? "
        "ORDER BY revision LIMIT 1",
        [assessment_id, lang],
    ).fetchone()
    return row[0] if row else None


def issued_html(db: sqlite_utils.Database, assessment_id: int, lang: str) -> str | None:
    row = db.execute(
        "SELECT html FROM issued_reports WHERE assessment_id = ? AND lang = ? "
        "ORDER BY revision DESC LIMIT 1",
        [assessment_id, lang],
    ).fetchone()
    return row[0] if row else None


def reissue(db: sqlite_utils.Database, user: Any, assessment_id: int) -> list[dict[str, Any]]:
    """Issue a submitted diagnosis's report again, in both languages, from the catalogue and
    registry as they are now (after an edit): dated and marked as revised; the firm's link
    then gives this one. For whoever may work on the firm (its consultant, its center's staff)."""
    from ..records.assessments import assessment_record

    firm, row = access.assessment_access(db, user, assessment_id)
    if not access.may_work_on(user, firm):
        raise access.Forbidden("reissue")
    if row["status"] != "submitted":
        raise access.NotFound(assessment_id)
    record = assessment_record(db, assessment_id)
    issued = [issue(db, record, lang, user_id=user.id, revise=True) for lang in LANGUAGES]
    for lang in LANGUAGES:  # the firm's link, where it has had its own edition, too
        if current_issue(db, assessment_id, lang + LINK_EDITION):
            issue(db, link_view(db, record), lang, user_id=user.id, revise=True)
    with transaction(db):
        audit.record(
            db,
            "reissue",
            "assessment",
            assessment_id,
            center_id=user.center_id,
            user_id=user.id,
            detail=f"revision {issued[0]['revision']}",
        )
    enqueue_report(assessment_id)
    return issued


def failures(db: sqlite_utils.Database, assessment_ids: list[int]) -> list[dict[str, Any]]:
    """The reports among these assessments whose last render failed: why, and when the next
    try is (what staff see on the firm's page)."""
    if not assessment_ids:
        return []
    marks = ", ".join("?" * len(assessment_ids))
    return list(
        db.query(
            "SELECT assessment_id, lang, revision, render_error, render_failures, retry_after "
            f"FROM issued_reports WHERE assessment_id IN ({marks}) AND render_state = 'failed' "
            "ORDER BY assessment_id, lang",
            assessment_ids,
        )
    )


def issue_state(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """What staff and the consultant see of a diagnosis's issued report: its revision and
    date, whether the catalogue or registry changed since (a reissue would differ), and a
    failed render with its reason and next try."""
    rows = list(
        db.query(
            "SELECT lang, revision, roadmap_revision, issued_at, render_state, render_error, "
            "retry_after FROM issued_reports r WHERE assessment_id = ? AND revision = "
            "(SELECT MAX(revision) FROM issued_reports WHERE assessment_id = r.assessment_id "
            "AND lang = r.lang) ORDER BY lang DESC",
            [assessment_id],
        )
    )
    if not rows:
        return None
    current = db.execute("SELECT revision FROM roadmap_revision WHERE id = 1").fetchone()[0]
    newest = max(rows, key=lambda r: r["issued_at"])
    return {
        "revision": max(r["revision"] for r in rows),
        "issued_at": newest["issued_at"],
        "catalogue_changed": any(r["roadmap_revision"] != current for r in rows),
        "failed": [
            {**r, "why": failure_reason(r["render_error"] or "")}
            for r in rows
            if r["render_state"] == "failed"
        ],
    }


def failure_reason(error: str) -> str:
    """A failed render's reason in the user's language, the technical text after it."""
    from flask_babel import gettext as _

    if "took longer than" in error:
        said = _("the report took longer to lay out than the time limit (DIAGNOSE_RENDER_TIMEOUT)")
    elif "memory limit or crash" in error:
        said = _("the render ran out of memory or crashed (DIAGNOSE_RENDER_MEMORY_MB)")
    else:
        said = _("an error in the report")
    return f"{said} — {error}"


# --- the PDF -------------------------------------------------------------------------------------


def report_pdf(record: dict[str, Any], lang: str, wait: float | None = None) -> Path:
    """The issued report's PDF: at once when it is cached, else after asking the queue for it
    (once: not again while it is queued) and waiting up to ``wait`` seconds (``RENDER_WAIT``).

    Raises ``QueueFull`` when too many renders people wait for are queued, ``ReportNotReady``
    when the render takes longer than the wait, and ``ReportFailed`` when its last render
    failed and its back-off has not passed (or it fails now).
    """
    from ..storage import get_db

    app = current_app._get_current_object()
    db = get_db()
    found = issue(db, record, lang)
    folder = jobs.reports_folder(app)
    path = pdf.cache_path(folder, found["cache_key"])
    if path.exists():
        return path
    stamp = now()
    if found["render_state"] == "failed" and (found["retry_after"] or "") > stamp:
        raise ReportFailed(found["render_error"] or "")
    queue = app.extensions["queue"]
    if _claim_render(db, app.config, found):
        if not queue.immediate and jobs.people_waiting(queue) >= app.config["RENDER_QUEUE_LIMIT"]:
            _release_render(db, found)
            raise QueueFull(record["id"])
        task = app.extensions["queue_tasks"]["render_issued"]
        try:
            queue.enqueue(
                task.s(record["id"], found["lang"], found["revision"], priority=jobs.WAITING)
            )
        except Exception as exc:  # the queue's store is unreachable
            log.exception("could not queue report %s (%s)", record["id"], lang)
            _release_render(db, found)
            raise ReportNotReady(record["id"]) from exc
    deadline = time.monotonic() + (app.config["RENDER_WAIT"] if wait is None else wait)
    pause = 0.02
    while True:
        if path.exists():
            return path
        state = db.execute(
            "SELECT render_state, render_error FROM issued_reports "
            "WHERE assessment_id = ? AND lang = ? AND revision = ?",
            [record["id"], found["lang"], found["revision"]],
        ).fetchone()
        if state and state[0] == "failed":
            raise ReportFailed(state[1] or "")
        if time.monotonic() >= deadline:
            raise ReportNotReady(record["id"])
        time.sleep(pause)
        pause = min(0.1, pause * 1.5)


def _claim_render(db: sqlite_utils.Database, config: Any, found: dict[str, Any]) -> bool:
    """Mark the report as queued unless a live render of it is queued already: one render
    per report at a time, whichever web worker asks."""
    with transaction(db):
        claimed = db.execute(
            "UPDATE issued_reports SET render_state = 'queued', render_queued_at = ? "
            "WHERE assessment_id = ? AND lang = ? AND revision = ? AND (render_state IN "
            "('new', 'done') OR (render_state = 'failed' AND COALESCE(retry_after, '') <= ?) "
            "OR (render_state = 'queued' AND render_queued_at < ?))",
            [
                now(),
                found["assessment_id"],
                found["lang"],
                found["revision"],
                now(),
                _stale_before(config),
            ],
        ).rowcount
    return claimed == 1


def _release_render(db: sqlite_utils.Database, found: dict[str, Any]) -> None:
    with transaction(db):
        db.execute(
            "UPDATE issued_reports SET render_state = 'new', render_queued_at = NULL "
            "WHERE assessment_id = ? AND lang = ? AND revision = ? AND render_state = 'queued'",
            [found["assessment_id"], found["lang"], found["revision"]],
        )


def delivered(db: sqlite_utils.Database, assessment_id: int, lang: str) -> None:
    """The report was sent to someone: a later change of it is a revision."""
    found = current_issue(db, assessment_id, lang)
    if found is None or found["delivered_at"]:
        return  # the usual case: no write, no write lock
    with transaction(db):
        db.execute(
            "UPDATE issued_reports SET delivered_at = ? WHERE assessment_id = ? AND lang = ? "
            "AND delivered_at IS NULL AND revision = (SELECT MAX(revision) FROM issued_reports "
            "WHERE assessment_id = ? AND lang = ?)",
            [now(), assessment_id, lang, assessment_id, lang],
        )


def _render_issued(
    database: str, folder: Path, config: Any, assessment_id: int, lang: str, revision: int
) -> str | None:
    """Render an issued report into the cache (the consumer's side); record a failure with
    its reason and the time of the next try. The cache key, or None when it failed."""
    db = connect(database)
    try:
        row = db.execute(
            "SELECT html, cache_key, render_failures FROM issued_reports "
            "WHERE assessment_id = ? AND lang = ? AND revision = ?",
            [assessment_id, lang, revision],
        ).fetchone()
        if row is None:
            return None  # erased, or replaced before anyone received it
        html, key, failed_before = row
        try:
            render_key(folder, config, html, key)
        except Exception as exc:  # the render's time or memory limit, or a bug
            reason = f"{type(exc).__name__}: {exc}"[:500]
            retry = datetime.now(UTC) + timedelta(seconds=_retry_delay(failed_before + 1))
            log.warning("report %s (%s) failed: %s", assessment_id, lang, reason)
            with transaction(db):
                db.execute(
                    "UPDATE issued_reports SET render_state = 'failed', render_error = ?, "
                    "render_failures = render_failures + 1, retry_after = ? "
                    "WHERE assessment_id = ? AND lang = ? AND revision = ?",
                    [
                        reason,
                        retry.isoformat(timespec="seconds"),
                        assessment_id,
                        lang,
                        revision,
                    ],
                )
            return None
        with transaction(db):
            db.execute(
                "UPDATE issued_reports SET render_state = 'done', render_error = NULL, "
                "render_failures = 0, retry_after = NULL "
                "WHERE assessment_id = ? AND lang = ? AND revision = ?",
                [assessment_id, lang, revision],
            )
        return key
    finally:
        db.conn.close()


def render_key(folder: Path, config: Any, html: str, key: str) -> str:
    """Render ``html`` into the cache under ``key`` (the issued key) unless it is there."""
    path = pdf.cache_path(folder, key)
    if path.exists():
        return key
    if pdf.cache_key(html) == key:
        return jobs.render_into(folder, config, html)
    # issued under an earlier stylesheet: rendered now, kept under the key it was issued with
    rendered = jobs.render_into(folder, config, html)
    pdf.store(folder, key, pdf.cache_path(folder, rendered).read_bytes())
    return key


def render_report_now(app: Any, assessment_id: int, lang: str) -> str:
    """Issue (if not issued) and render a submitted assessment's report into the cache, in a
    render child of this process; its cache key. Raises ``LookupError`` for an unknown or
    draft assessment and ``RenderError`` when the render fails."""
    from ..records.assessments import assessment_record

    db = connect(app.config["DATABASE"])
    try:
        record = assessment_record(db, assessment_id)
        if record is None or record["status"] != "submitted":
            raise LookupError(f"no submitted assessment {assessment_id}")
        with app.test_request_context():
            found = issue(db, record, lang)
            html = issued_html(db, assessment_id, lang)
    finally:
        db.conn.close()
    return render_key(jobs.reports_folder(app), app.config, html, found["cache_key"])


# --- after a diagnosis ---------------------------------------------------------------------------


def after_diagnosis(assessment_id: int) -> None:
    """A diagnosis was stored or a consultant's decision recorded: the roadmap PDF is due.

    Called once from every place that does either (``services.submissions``,
    ``services.decisions``), after the transaction committed. Both languages are queued,
    Korean first, so the download is a cached file; a full queue never fails the caller.
    """
    log.info("assessment %s: report due", assessment_id)
    enqueue_report(assessment_id)


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
            if jobs.people_waiting(queue) >= app.config["RENDER_QUEUE_LIMIT"]:
                log.warning("render queue full: report %s (%s) not queued", assessment_id, code)
                return
            queue.enqueue(task.s(assessment_id, code, priority=jobs.PRIORITY.get(code, 0)))
        except Exception:  # the queue's store is down: the download will ask again
            log.exception("could not queue report %s (%s)", assessment_id, code)


# --- the queue's tasks ---------------------------------------------------------------------------


def register_tasks(queue: Any, config: Any, instance: Path, app: Any) -> None:
    """The report tasks: ``render_issued`` renders an issued report (needs no app, so a
    consumer just started answers a waiting download at once); ``render_report`` issues and
    renders a new diagnosis's report (builds the app on first use)."""
    folder = Path(instance) / "reports"

    @queue.task(name="render_issued")
    def render_issued(assessment_id: int, lang: str, revision: int):
        _render_issued(config["DATABASE"], folder, config, assessment_id, lang, revision)

    @queue.task(name="render_report")
    def render_report(assessment_id: int, lang: str):
        current = app()
        db = connect(current.config["DATABASE"])
        try:
            from ..records.assessments import assessment_record

            record = assessment_record(db, assessment_id)
            if record is None or record["status"] != "submitted":
                return
            with current.test_request_context():
                found = issue(db, record, lang)
        finally:
            db.conn.close()
        _render_issued(config["DATABASE"], folder, config, assessment_id, lang, found["revision"])

    queue.report_tasks.update(render_issued=render_issued, render_report=render_report)
