"""The audit log: who viewed, changed or downloaded what. Append-only (the database refuses
updates and deletes of it), readable by the staff of the center it concerns.

Entries name things by id, never by a person's or firm's name, so erasing a firm's personal
data leaves nothing of it here.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from ..storage import now

log = logging.getLogger(__name__)
ANONYMOUS = "result link"


def record(
    db: sqlite_utils.Database,
    action: str,
    target: str,
    target_id: int | None,
    *,
    center_id: int | None,
    user_id: int | None = None,
    actor: str = "",
    detail: str = "",
) -> None:
    """Append one entry; ``actor`` says who when there is no user (a result link, the CLI)."""
    db.execute(
        "INSERT INTO audit_log (at, center_id, user_id, actor, action, target, target_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            now(),
            center_id,
            user_id,
            actor or ("" if user_id else ANONYMOUS),
            action,
            target,
            target_id,
            detail,
        ],
    )


def entries(
    db: sqlite_utils.Database, center_id: int, before: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """A center's entries, newest first, ``limit`` at a time (``before``: an entry's id)."""
    return list(
        db.query(
            "SELECT l.*, u.name AS user_name, u.email AS user_email FROM audit_log l "
            "LEFT JOIN users u ON u.id = l.user_id WHERE l.center_id = ? AND l.id < ? "
            "ORDER BY l.id DESC LIMIT ?",
            [center_id, before or 2**62, limit],
        )
    )
