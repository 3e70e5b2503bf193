"""A consultant confirms or overrides a track: stored, audited, and the report is due."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..diagnosis.store import decide
from ..storage import transaction
from . import audit, reports


def record_decision(
    db: sqlite_utils.Database,
    assessment_id: int,
    user: Any,
    final_track: str,
    reason: str = "",
) -> dict[str, Any]:
    """Confirm or override (``DecisionError`` if an override has no reason)."""
    with transaction(db):
        decision = decide(db, assessment_id, user.id, final_track, reason)
        audit.record(
            db,
            "decide",
            "assessment",
            assessment_id,
            center_id=user.center_id,
            user_id=user.id,
            detail=f"{decision['action']} {final_track}",
        )
        _tell_owner(db, assessment_id)
    reports.after_diagnosis(assessment_id)
    _send_mail()
    return decision


def _tell_owner(db: sqlite_utils.Database, assessment_id: int) -> None:
    """A first decision on a diagnosis started from a self-assessment: the owner hears that
    the confirmed roadmap is on their link (``mailing``), where they gave an address."""
    from flask import has_app_context

    first = db.execute(
        "SELECT COUNT(*) FROM decisions WHERE assessment_id = ?", [assessment_id]
    ).fetchone()[0]
    if first == 1 and has_app_context():
        from . import mailing

        mailing.notify_roadmap_ready(db, assessment_id)


def _send_mail() -> None:
    from flask import has_app_context

    if has_app_context():
        from . import mailing

        mailing.send_soon()
