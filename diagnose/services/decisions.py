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
    reports.after_diagnosis(assessment_id)
    return decision
