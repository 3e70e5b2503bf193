"""A center's firms as its people work them: the firm list, assignments to consultants, a
re-diagnosis started from the last answers and confirmed section by section, and the
training a firm took in between.

Every function takes the acting user and checks what their role allows (``access``).
"""

from __future__ import annotations

import logging
import math
from datetime import date
from typing import Any

import sqlite_utils

from ..questionnaire.schema import Questionnaire
from ..records.assessments import (
    NotEditable,
    carried_answers,
    latest_submitted,
    load_answers,
    save_answers,
    start_assessment,
)
from ..records.firms import FirmFilter, list_firms
from ..storage import now, transaction
from ..vocabulary import Role
from . import access, audit

log = logging.getLogger(__name__)


# --- the firm list -----------------------------------------------------------------------------


def firm_list(
    db: sqlite_utils.Database,
    user: Any,
    filters: FirmFilter,
    sort: str = "activity",
    descending: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """One page of the firms the user may see, with the total and the page count."""
    rows, total = list_firms(
        db,
        access.firm_scope(user),
        filters,
        sort,
        descending,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    pages = max(1, math.ceil(total / per_page))
    return {
        "firms": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "first_row": (page - 1) * per_page + 1 if rows else 0,
        "last_row": (page - 1) * per_page + len(rows),
        "filters": filters,
        "sort": sort,
        "descending": descending,
    }


def matching_assessments(
    db: sqlite_utils.Database, user: Any, filters: FirmFilter
) -> list[dict[str, Any]]:
    """The latest submitted diagnosis of every firm the user may see that matches ``filters``
    (what a batch prints and an export covers), with the firm's name."""
    rows, _total = list_firms(db, access.firm_scope(user), filters, "name", False, 0, None)
    return [
        {"assessment_id": r["diagnosed_id"], "firm_id": r["id"], "firm_name": r["name"]}
        for r in rows
        if r["diagnosed_id"]
    ]


# --- assignments -------------------------------------------------------------------------------


class AssignmentError(ValueError):
    """The consultant is not one of the center's, or a firm is not the user's to assign."""


def assign_firms(
    db: sqlite_utils.Database, user: Any, firm_ids: list[int], consultant_id: int | None
) -> int:
    """Give firms of the user's center to one of its consultants (``None``: unassign).
    Staff only; every firm must be the center's. Returns how many changed."""
    access.require(user, access.STAFF)
    with transaction(db):
        if consultant_id is not None:
            row = db.execute(
                "SELECT 1 FROM users WHERE id = ? AND center_id = ? AND disabled_at IS NULL "
                "AND role != ?",
                [consultant_id, user.center_id, Role.ADMINISTRATOR],
            ).fetchone()
            if row is None:
                raise AssignmentError("consultant")
        changed = 0
        for firm_id in firm_ids:
            if access.visible_firm(db, user, firm_id) is None:
                raise access.NotFound(firm_id)
            changed += db.execute(
                "UPDATE firms SET assigned_to = ?, assigned_at = ? WHERE id = ? "
                "AND assigned_to IS NOT ?",
                [consultant_id, now(), firm_id, consultant_id],
            ).rowcount
            audit.record(
                db,
                "assign",
                "firm",
                firm_id,
                center_id=user.center_id,
                user_id=user.id,
                detail=f"to user {consultant_id}" if consultant_id else "unassigned",
            )
    log.info("%s firms assigned to user %s by user %s", changed, consultant_id, user.id)
    return changed


# --- re-diagnosis ------------------------------------------------------------------------------


def start_or_resume(
    db: sqlite_utils.Database, user: Any, firm: dict[str, Any], questionnaire: Questionnaire
) -> tuple[int, bool, bool]:
    """Open the firm's draft, or start one from its last submitted answers:
    ``(assessment id, created, confirm its sections)``. A re-diagnosis confirms or changes
    the carried answers section by section (``carried_sections``); a draft started from the
    firm's own self-assessment has them marked in the interview instead."""
    if not access.may_file_under(db, user, firm):  # the API's rule too (services/submissions)
        raise access.Forbidden("work")
    previous = latest_submitted(db, firm["id"])
    assessment_id, created = start_assessment(db, firm, user.id, questionnaire, based_on=previous)
    base = db.execute(
        "SELECT b.source FROM assessments d JOIN assessments b ON b.id = d.based_on WHERE d.id = ?",
        [assessment_id],
    ).fetchone()
    from_self = base is not None and base[0] == "self"
    return assessment_id, created, not from_self and bool(carried_answers(db, assessment_id))


def carried_sections(
    db: sqlite_utils.Database, questionnaire: Questionnaire, assessment_id: int
) -> list[dict[str, Any]]:
    """Per section of a re-diagnosis draft: the answers still as carried over from the earlier
    diagnosis, and whether the consultant has confirmed or changed them all."""
    carried = carried_answers(db, assessment_id)
    answers, _notes = load_answers(db, assessment_id)
    sections = []
    for dimension in questionnaire.dimensions:
        items = [i for i in dimension.items if i.id in answers]
        waiting = [i for i in items if i.id in carried]
        sections.append(
            {
                "id": dimension.id,
                "title": dimension.title,
                "answered": len(items),
                "waiting": waiting,
                "answers": answers,
                "confirmed": not waiting,
            }
        )
    return sections


def confirm_section(
    db: sqlite_utils.Database,
    user: Any,
    questionnaire: Questionnaire,
    assessment_id: int,
    section_id: str,
) -> int:
    """The consultant confirms that a section's carried answers still hold: they become this
    diagnosis's answers, unchanged. Returns how many were confirmed."""
    dimension = next((d for d in questionnaire.dimensions if d.id == section_id), None)
    if dimension is None:
        raise access.NotFound(section_id)
    ids = [i.id for i in dimension.items]
    with transaction(db):
        row = db.execute("SELECT status FROM assessments WHERE id = ?", [assessment_id]).fetchone()
        if row is None or row[0] != "draft":
            raise NotEditable(assessment_id)
        marks = ",".join("?" * len(ids))
        confirmed = db.execute(
            f"UPDATE answers SET carried_from = NULL, updated_at = ? WHERE assessment_id = ? "
            f"AND carried_from IS NOT NULL AND item_id IN ({marks})",
            [now(), assessment_id, *ids],
        ).rowcount
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [now(), assessment_id])
        audit.record(
            db,
            "confirm",
            "assessment",
            assessment_id,
            center_id=user.center_id,
            user_id=user.id,
            detail=section_id,
        )
    return confirmed


def save_page(
    db: sqlite_utils.Database,
    user: Any,
    assessment_id: int,
    step: str,
    answers: dict[str, Any],
    notes: dict[str, str],
    profile: dict[str, Any] | None = None,
) -> str:
    """Store an interview page as it stands, valid or not, with its audit entry, in one
    transaction (``save_answers``); returns the time of the save."""
    with transaction(db):
        audit.record(
            db,
            "save",
            "assessment",
            assessment_id,
            center_id=user.center_id,
            user_id=user.id,
            detail=step,
        )
        return save_answers(db, assessment_id, answers, notes, profile=profile)


# --- training taken ----------------------------------------------------------------------------


class TrainingError(ValueError):
    """A training record that cannot be stored; ``errors`` maps a field to a message."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))


def record_training(
    db: sqlite_utils.Database,
    user: Any,
    firm: dict[str, Any],
    module_id: str,
    title: str,
    started_on: date,
    ended_on: date | None,
    hours: float,
    trainees: int | None,
) -> int:
    """Record a training the firm took (a catalogue module, its days and hours)."""
    if not access.may_work_on(user, firm):
        raise access.Forbidden("work")
    errors: dict[str, Any] = {}
    if not (0 < hours <= 2000):
        errors["hours"] = "hours"
    if ended_on and ended_on < started_on:
        errors["ended_on"] = "before start"
    if errors:
        raise TrainingError(errors)
    with transaction(db):
        record_id = db.execute(
            "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
            "ended_on, hours, trainees, recorded_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                firm["id"],
                firm["center_id"],
                module_id,
                title,
                started_on.isoformat(),
                ended_on.isoformat() if ended_on else None,
                float(hours),
                trainees,
                user.id,
                now(),
            ],
        ).lastrowid
        audit.record(
            db,
            "record",
            "training",
            record_id,
            center_id=firm["center_id"],
            user_id=user.id,
            detail=f"firm {firm['id']} {module_id}",
        )
    return record_id


def delete_training(db: sqlite_utils.Database, user: Any, firm: dict[str, Any], record_id: int):
    if not access.may_work_on(user, firm):
        raise access.Forbidden("work")
    with transaction(db):
        gone = db.execute(
            "DELETE FROM training_records WHERE id = ? AND firm_id = ?", [record_id, firm["id"]]
        ).rowcount
        if not gone:
            raise access.NotFound(record_id)
        audit.record(
            db,
            "delete",
            "training",
            record_id,
            center_id=firm["center_id"],
            user_id=user.id,
            detail=f"firm {firm['id']}",
        )


def training_of(db: sqlite_utils.Database, firm_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT * FROM training_records WHERE firm_id = ? ORDER BY started_on, id", [firm_id]
        )
    )
