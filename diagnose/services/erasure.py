"""Erasure of a firm's personal data on its request (PIPA), complete and provable.

Kept for statistics: industry, region, size, revenue band, scores, tracks, decisions' tracks,
training modules and hours. Gone or blanked, everywhere the app keeps them:

- the firm's name, business number and contacts (the firm, every assessment's profile);
- free-text answers and notes; a consultant request's name, phone, e-mail and message;
  decisions' free-text reasons; the titles of its training records (typed by staff);
- audit entries' details about the firm or naming it (the entries themselves stay);
- its result links, idempotency keys, issued reports (their HTML names the firm);
- its cached report PDFs and the batch files that hold its report (those of other firms and
  other centers stay: they are found by the firm's own cache keys and batches);
- the search filters and failure lists of batches that printed it.

Deleted rows are overwritten (``secure_delete``) and the WAL is checkpointed, so the bytes do
not linger in the database files; the queue's store never holds a firm's name (its tasks
carry ids), and its WAL is checkpointed and vacuumed all the same.

Each erasure is appended to an erasure log kept beside, not inside, the database
(``<instance>/erasures.jsonl``: ids and times, nothing personal): restoring an older backup
re-applies every erasure made since (``reapply``), so a backup never brings an erased firm
back.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import sqlite_utils

from ..storage import now, transaction
from . import audit, mail

log = logging.getLogger(__name__)
ERASED = "(erased)"
LOG_NAME = "erasures.jsonl"
# What an erasure blanks: the profile fields that name or reach a person or the firm.
PERSONAL_PROFILE_FIELDS = (
    "company_name",
    "business_number",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def erase_firm(
    db: sqlite_utils.Database,
    center_id: int,
    firm_id: int,
    user_id: int | None,
    reports_folder: Path | None = None,
    *,
    queue: Any = None,
    actor: str = "",
    log_entry: bool = True,
) -> dict[str, int]:
    """Erase a firm's personal data (see the module); how many of each were touched.
    ``LookupError`` when the center has no such firm."""
    db.execute("PRAGMA secure_delete = ON")  # deleted and replaced bytes are overwritten
    counts: dict[str, int] = {}
    with transaction(db):
        firm = db.execute(
            "SELECT name, business_number, contact_name, contact_phone, contact_email, "
            "created_at FROM firms WHERE id = ? AND center_id = ?",
            [firm_id, center_id],
        ).fetchone()
        if firm is None:
            raise LookupError(firm_id)
        name, number, contact, phone, email, created_at = firm
        profiles = db.execute(
            "SELECT id, profile FROM assessments WHERE firm_id = ?", [firm_id]
        ).fetchall()
        assessments = [r[0] for r in profiles]
        marks = ", ".join("?" * len(assessments)) or "NULL"
        stamp = now()
        db.execute(
            "UPDATE firms SET name = ?, business_number = ?, contact_name = '', "
            "contact_phone = '', contact_email = '', erased_at = ?, updated_at = ? WHERE id = ?",
            [f"(삭제된 기업 #{firm_id})", f"erased-{firm_id}", stamp, stamp, firm_id],
        )
        for row in profiles:
            profile: dict[str, Any] = json.loads(row[1])
            for field in PERSONAL_PROFILE_FIELDS:
                if field in profile:
                    profile[field] = ""
            db.execute(
                "UPDATE assessments SET profile = ?, result_token_hash = NULL WHERE id = ?",
                [json.dumps(profile, ensure_ascii=False), row[0]],
            )
        text_items = _text_items(db, firm_id)
        db.execute(f"UPDATE answers SET note = '' WHERE assessment_id IN ({marks})", assessments)
        for assessment_id, item_id in text_items:
            db.execute(
                "UPDATE answers SET value = NULL WHERE assessment_id = ? AND item_id = ?",
                [assessment_id, item_id],
            )
        counts["consultant requests"] = db.execute(
            "UPDATE consultant_requests SET contact_name = '', contact_phone = '', "
            "contact_email = '', message = '' WHERE firm_id = ?",
            [firm_id],
        ).rowcount
        db.execute(  # the visit's place is free text too
            "UPDATE consultant_requests SET visit_place = NULL WHERE firm_id = ?", [firm_id]
        )
        mail.erase_for_firm(db, firm_id)  # the mails to the firm: blanked, counted
        counts["cohort invitations"] = db.execute(
            "UPDATE cohort_members SET invited_email = NULL WHERE firm_id = ? "
            "AND invited_email IS NOT NULL",
            [firm_id],
        ).rowcount
        counts["decision reasons"] = db.execute(
            f"UPDATE decisions SET reason = '{ERASED}' "
            f"WHERE assessment_id IN ({marks}) AND reason != ''",
            assessments,
        ).rowcount
        counts["training records"] = db.execute(
            "UPDATE training_records SET title = module_id WHERE firm_id = ?", [firm_id]
        ).rowcount
        db.execute(f"DELETE FROM idempotency_keys WHERE assessment_id IN ({marks})", assessments)
        # the owner's own link to it goes with the result links
        db.execute(f"DELETE FROM self_assessments WHERE assessment_id IN ({marks})", assessments)
        # issued reports name the firm: gone, with their PDFs (a new one, anonymised, is
        # issued if anyone with access asks again)
        keys = {
            r[0]
            for r in db.execute(
                f"SELECT cache_key FROM issued_reports WHERE assessment_id IN ({marks})",
                assessments,
            )
        }
        keys |= {
            r[0]
            for r in db.execute(
                f"SELECT cache_key FROM batch_items WHERE assessment_id IN ({marks}) "
                "AND cache_key IS NOT NULL",
                assessments,
            )
        }
        counts["issued reports"] = db.execute(
            f"DELETE FROM issued_reports WHERE assessment_id IN ({marks})", assessments
        ).rowcount
        # the batches that printed it: their files hold its report, their lists its name
        batches = db.execute(
            f"SELECT DISTINCT b.id, b.file FROM batches b JOIN batch_items i ON i.batch_id = b.id "
            f"WHERE i.assessment_id IN ({marks})",
            assessments,
        ).fetchall()
        for batch_id, _file in batches:
            db.execute(
                "UPDATE batches SET filters = '{}', error = NULL, file = NULL WHERE id = ?",
                [batch_id],
            )
        db.execute(
            f"UPDATE batch_items SET error = NULL WHERE assessment_id IN ({marks})", assessments
        )
        counts["batches"] = len(batches)
        # audit details about the firm or naming it (the entries stay)
        needles = [s for s in (name, number, contact, phone, email) if s and len(s) >= 3]
        like = " OR ".join("instr(detail, ?) > 0" for _ in needles) or "0"
        counts["audit details"] = db.execute(
            f"UPDATE audit_log SET detail = '{ERASED}' WHERE detail NOT IN ('', '{ERASED}') AND "
            f"((target = 'firm' AND target_id = ?) OR "
            f"(target = 'assessment' AND target_id IN ({marks})) OR {like})",
            [firm_id, *assessments, *needles],
        ).rowcount
        audit.record(
            db, "erase", "firm", firm_id, center_id=center_id, user_id=user_id, actor=actor
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old pages leave the WAL
    counts["files"] = 0
    if reports_folder:
        from ..roadmap.pdf import cache_path

        reports_folder = Path(reports_folder)
        for key in keys:
            path = cache_path(reports_folder, key)
            if path.exists():
                path.unlink(missing_ok=True)
                counts["files"] += 1
        for _batch_id, file in batches:
            if file:
                path = reports_folder.parent / "batches" / file
                if path.exists():
                    path.unlink(missing_ok=True)
                    counts["files"] += 1
        if log_entry:
            write_log(reports_folder.parent, firm_id, center_id, created_at, stamp)
    if queue is not None:
        from .. import jobs

        try:
            jobs.forget_everything_stored(queue)
        except Exception:  # a busy queue store: its pages hold ids only
            log.exception("could not compact the queue's store after an erasure")
    log.info("firm %s: personal data erased by user %s (%s)", firm_id, user_id, counts)
    return counts


def _text_items(db: sqlite_utils.Database, firm_id: int) -> list[tuple[int, str]]:
    """The (assessment, item) pairs of a firm's free-text answers, by each version's
    questionnaire definition."""
    pairs = []
    for assessment_id, qid, version in db.execute(
        "SELECT id, questionnaire_id, questionnaire_version FROM assessments WHERE firm_id = ?",
        [firm_id],
    ).fetchall():
        definition = json.loads(
            db.execute(
                "SELECT definition FROM questionnaire_versions "
                "WHERE questionnaire_id = ? AND version = ?",
                [qid, version],
            ).fetchone()[0]
        )
        pairs += [
            (assessment_id, item["id"])
            for dimension in definition["dimensions"]
            for item in dimension["items"]
            if item["type"] == "text"
        ]
    return pairs


# --- the erasure log, outside the database and its backups -------------------------------------


def write_log(instance: Path, firm_id: int, center_id: int, created_at: str, at: str) -> None:
    """Append an erasure to the log (ids and times only: the log itself names no one)."""
    path = Path(instance) / LOG_NAME
    entry = {"firm_id": firm_id, "center_id": center_id, "created_at": created_at, "at": at}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
    path.chmod(0o600)


def logged(instance: Path) -> list[dict[str, Any]]:
    path = Path(instance) / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def reapply(db: sqlite_utils.Database, instance: Path) -> list[int]:
    """Erase again, in a database just restored from a backup, every firm the log says was
    erased and that the backup still holds un-erased (the same id, center and creation
    time); the firms erased again."""
    again = []
    for entry in logged(instance):
        row = db.execute(
            "SELECT erased_at FROM firms WHERE id = ? AND center_id = ? AND created_at = ?",
            [entry["firm_id"], entry["center_id"], entry["created_at"]],
        ).fetchone()
        if row is not None and row[0] is None:
            erase_firm(
                db,
                entry["center_id"],
                entry["firm_id"],
                None,
                Path(instance) / "reports",
                actor="restore",
                log_entry=False,
            )
            again.append(entry["firm_id"])
    return again
