"""The audit log: who viewed, changed or downloaded what. Append-only (the database refuses
updates and deletes of it), readable by the staff of the center it concerns.

Entries name things by id, never by a person's or firm's name, so erasing a firm's personal
data leaves nothing of it here.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from ..storage import now, transaction

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


def record_alone(db: sqlite_utils.Database, *args: Any, **kwargs: Any) -> None:
    """``record`` in a transaction of its own: a read, a visit or a download audited apart
    from any change (the arguments are ``record``'s)."""
    with transaction(db):
        record(db, *args, **kwargs)


def entries(
    db: sqlite_utils.Database,
    center_id: int,
    before: int | None = None,
    limit: int = 200,
    *,
    action: str = "",
    user_id: int | None = None,
    since: str = "",
    until: str = "",
) -> list[dict[str, Any]]:
    """A center's entries, newest first, ``limit`` at a time (``before``: an entry's id);
    optionally of one action, one user, and days (``YYYY-MM-DD``, Korea time) in a range."""
    where, params = ["l.center_id = ?", "l.id < ?"], [center_id, before or 2**62]
    if action:
        where.append("l.action = ?")
        params.append(action)
    if user_id is not None:
        where.append("l.user_id = ?")
        params.append(user_id)
    if since:
        where.append("date(l.at, '+9 hours') >= ?")
        params.append(since)
    if until:
        where.append("date(l.at, '+9 hours') <= ?")
        params.append(until)
    return list(
        db.query(
            "SELECT l.*, u.name AS user_name, u.email AS user_email FROM audit_log l "
            f"LEFT JOIN users u ON u.id = l.user_id WHERE {' AND '.join(where)} "
            "ORDER BY l.id DESC LIMIT ?",
            [*params, limit],
        )
    )


def actions_and_people(db: sqlite_utils.Database, center_id: int) -> tuple[list[str], list]:
    """The actions recorded in a center and the people who acted, for the log's filters."""
    actions = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT action FROM audit_log WHERE center_id = ? ORDER BY action",
            [center_id],
        )
    ]
    people = list(
        db.query(
            "SELECT DISTINCT u.id, u.name FROM audit_log l JOIN users u ON u.id = l.user_id "
            "WHERE l.center_id = ? ORDER BY u.name",
            [center_id],
        )
    )
    return actions, people
