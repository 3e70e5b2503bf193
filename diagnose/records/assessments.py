"""Assessments and their answers: start a draft (carrying answers over), load and save
answers, submit, record a complete submission in one call, and read assessments back.

Every function takes the database and plain values and returns plain values (dicts), never
Flask objects.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlite_utils

from ..questionnaire.schema import Questionnaire
from ..storage import now, transaction
from .firms import firm_profile, update_firm

log = logging.getLogger(__name__)


class NotEditable(Exception):
    """The assessment was submitted; its answers are frozen."""


# The track an assessment ended with: the consultant's latest decision, else the model's latest
# prediction; ``{id}`` is the SQL expression of the assessment's id.
_TRACK_OF = """COALESCE(
    (SELECT d.final_track FROM decisions d WHERE d.assessment_id = {id} ORDER BY d.id DESC LIMIT 1),
    (SELECT p.track FROM predictions p WHERE p.assessment_id = {id} ORDER BY p.id DESC LIMIT 1))"""


def latest_submitted(db: sqlite_utils.Database, firm_id: int) -> int | None:
    """The firm's most recent submitted assessment (a re-diagnosis starts from it)."""
    row = db.execute(
        "SELECT id FROM assessments WHERE firm_id = ? AND status = 'submitted' "
        "ORDER BY submitted_at DESC, id DESC LIMIT 1",
        [firm_id],
    ).fetchone()
    return row[0] if row else None


def start_assessment(
    db: sqlite_utils.Database,
    firm: dict[str, Any],
    consultant_id: int | None,
    questionnaire: Questionnaire,
    based_on: int | None = None,
) -> tuple[int, bool]:
    """Open a draft for the firm, or return its open draft: ``(id, created)``.

    One open draft per firm: a second "start" from another tab resumes the first. With
    ``based_on`` (an earlier assessment of the same firm: its last diagnosis, or its own
    self-assessment) the draft starts from those answers, each marked as carried over until
    the page that holds it is saved (``carried_answers``).
    """
    with transaction(db):
        row = db.execute(
            "SELECT id FROM assessments WHERE firm_id = ? AND status = 'draft' "
            "ORDER BY updated_at DESC LIMIT 1",
            [firm["id"]],
        ).fetchone()
        if row:
            return row[0], False
        stamp = now()
        cursor = db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, profile, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                firm["id"],
                firm["center_id"],
                consultant_id,
                questionnaire.id,
                questionnaire.version,
                json.dumps(firm_profile(firm), ensure_ascii=False),
                stamp,
                stamp,
            ],
        )
        if based_on is not None:
            _carry_answers(db, questionnaire, based_on, cursor.lastrowid, firm["id"])
    log.info("assessment %s started for firm %s", cursor.lastrowid, firm["id"])
    return cursor.lastrowid, True


def _carry_answers(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    source_id: int,
    target_id: int,
    firm_id: int,
) -> None:
    """Copy the answers and notes of ``source_id`` that this questionnaire version still
    asks, with values it still offers; the caller holds the transaction."""
    source = db.execute(
        "SELECT firm_id FROM assessments WHERE id = ? AND status = 'submitted'", [source_id]
    ).fetchone()
    if source is None or source[0] != firm_id:
        raise ValueError(f"assessment {source_id} is not a submitted assessment of this firm")
    db.execute("UPDATE assessments SET based_on = ? WHERE id = ?", [source_id, target_id])
    answers, notes = load_answers(db, source_id)
    stamp = now()
    for item_id, value in answers.items():
        item = questionnaire.find_item(item_id)
        if item is None or not _still_offered(item, value):
            continue
        db.execute(
            "INSERT INTO answers (assessment_id, item_id, value, note, updated_at, carried_from)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                target_id,
                item_id,
                json.dumps(value, ensure_ascii=False),
                notes.get(item_id, ""),
                stamp,
                source_id,
            ],
        )


def _still_offered(item: Any, value: Any) -> bool:
    """Whether a carried answer is still one of the item's options (or its own text)."""
    if not item.kind.has_options:
        return True
    values = value if isinstance(value, list) else [value]
    return all((v == "_na" and item.allow_na) or item.option(v) is not None for v in values)


def self_assessment_answers(db: sqlite_utils.Database, assessment_id: int | None) -> dict[str, Any]:
    """The answers of a self-assessment (a draft's ``based_on``); empty for anything else."""
    if assessment_id is None:
        return {}
    row = db.execute("SELECT source FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return load_answers(db, assessment_id)[0] if row and row[0] == "self" else {}


def carried_answers(db: sqlite_utils.Database, assessment_id: int) -> dict[str, int]:
    """Answers of a draft still as carried over from an earlier assessment: item -> its id."""
    return {
        row["item_id"]: row["carried_from"]
        for row in db.query(
            "SELECT item_id, carried_from FROM answers WHERE assessment_id = ? "
            "AND carried_from IS NOT NULL",
            [assessment_id],
        )
    }


def get_assessment(
    db: sqlite_utils.Database, center_id: int, assessment_id: int
) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT a.*, f.name AS firm_name FROM assessments a JOIN firms f ON f.id = a.firm_id "
            "WHERE a.id = ? AND a.center_id = ?",
            [assessment_id, center_id],
        )
    )
    if not rows:
        return None
    assessment = rows[0]
    assessment["profile"] = json.loads(assessment["profile"])
    return assessment


def firm_assessments(db: sqlite_utils.Database, firm_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"""
            SELECT a.*, u.name AS consultant_name, {_TRACK_OF.format(id="a.id")} AS track,
                   (SELECT d.action FROM decisions d WHERE d.assessment_id = a.id
                    ORDER BY d.id DESC LIMIT 1) AS decision,
                   (SELECT p.readiness FROM predictions p WHERE p.assessment_id = a.id
                    ORDER BY p.id DESC LIMIT 1) AS readiness
            FROM assessments a LEFT JOIN users u ON u.id = a.consultant_id
            WHERE a.firm_id = ? ORDER BY a.created_at DESC
            """,
            [firm_id],
        )
    )


def load_answers(
    db: sqlite_utils.Database, assessment_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(answers, notes)`` of an assessment, by item id."""
    answers: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for row in db.query(
        "SELECT item_id, value, note FROM answers WHERE assessment_id = ?", [assessment_id]
    ):
        if row["value"] is not None:
            answers[row["item_id"]] = json.loads(row["value"])
        if row["note"]:
            notes[row["item_id"]] = row["note"]
    return answers, notes


def save_answers(
    db: sqlite_utils.Database,
    assessment_id: int,
    answers: dict[str, Any],
    notes: dict[str, str],
    profile: dict[str, Any] | None = None,
) -> str:
    """Store a page's answers, notes and (on the profile page) profile, valid or not.

    Drafts keep whatever was typed, even a number with a letter in it, so nothing is ever lost;
    validation happens when the page is left and when the assessment is submitted.
    Returns the time of the save.
    """
    stamp = now()
    with transaction(db):
        _require_draft(db, assessment_id)
        for item_id in answers.keys() | notes.keys():
            value = answers.get(item_id)
            stored = None if value in (None, "", []) else json.dumps(value, ensure_ascii=False)
            db.execute(
                "INSERT INTO answers (assessment_id, item_id, value, note, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (assessment_id, item_id) DO UPDATE SET "
                "value = excluded.value, note = excluded.note, updated_at = excluded.updated_at, "
                "carried_from = NULL",  # saved on its page: confirmed or changed
                [assessment_id, item_id, stored, notes.get(item_id, ""), stamp],
            )
        if profile is not None:
            db.execute(
                "UPDATE assessments SET profile = ? WHERE id = ?",
                [json.dumps(profile, ensure_ascii=False), assessment_id],
            )
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [stamp, assessment_id])
    return stamp


def submit_assessment(
    db: sqlite_utils.Database, assessment_id: int, profile: dict[str, Any]
) -> None:
    """Close the draft: freeze its answers and carry the checked profile over to the firm."""
    stamp = now()
    with transaction(db):
        firm_id = _require_draft(db, assessment_id)
        db.execute(
            "UPDATE assessments SET status = 'submitted', submitted_at = ?, updated_at = ?, "
            "profile = ? WHERE id = ?",
            [stamp, stamp, json.dumps(profile, ensure_ascii=False), assessment_id],
        )
        update_firm(db, firm_id, profile)
    log.info("assessment %s submitted", assessment_id)


def _require_draft(db: sqlite_utils.Database, assessment_id: int) -> int:
    row = db.execute(
        "SELECT status, firm_id FROM assessments WHERE id = ?", [assessment_id]
    ).fetchone()
    if row is None or row[0] != "draft":
        raise NotEditable(assessment_id)
    return row[1]


def record_submitted_assessment(
    db: sqlite_utils.Database,
    firm_id: int,
    center_id: int,
    consultant_id: int | None,
    questionnaire: Questionnaire,
    profile: dict[str, Any],
    answers: dict[str, Any],
    source: str,
    result_token_hash: str | None = None,
    result_expires_at: str | None = None,
) -> int:
    """Store a complete, validated submission as a submitted assessment (one transaction)."""
    stamp = now()
    with transaction(db):
        assessment_id = db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, status, profile, created_at, updated_at, submitted_at, "
            "source, result_token_hash, result_expires_at) "
            "VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?)",
            [
                firm_id,
                center_id,
                consultant_id,
                questionnaire.id,
                questionnaire.version,
                json.dumps(profile, ensure_ascii=False),
                stamp,
                stamp,
                stamp,
                source,
                result_token_hash,
                result_expires_at,
            ],
        ).lastrowid
        for item_id, value in answers.items():
            db.execute(
                "INSERT INTO answers (assessment_id, item_id, value, updated_at) "
                "VALUES (?, ?, ?, ?)",
                [assessment_id, item_id, json.dumps(value, ensure_ascii=False), stamp],
            )
    log.info("assessment %s recorded from %s for firm %s", assessment_id, source, firm_id)
    return assessment_id


def assessment_record(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """An assessment whatever its center: for command-line tools run by an administrator."""
    row = db.execute("SELECT center_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return get_assessment(db, row[0], assessment_id) if row else None
