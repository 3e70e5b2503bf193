"""Logins and the centers they belong to: the people pages' reads and changes, each change in
one transaction with its audit entry (``web/admin.py`` and any other entry point call these).

``actor`` is the user making the change; ``target`` the login changed, as
``access.manageable_user`` returned it (the caller has checked the actor may manage it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from ..auth import create_user, end_user_sessions, revoke_user_tokens, set_password
from ..storage import now, transaction
from ..vocabulary import Role
from . import audit


def centers(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every center, by name (an administrator's center switch, the new-login form)."""
    return list(db.query("SELECT id, name, region FROM centers ORDER BY name"))


def act_for(db: sqlite_utils.Database, actor: Any, center_id: int) -> None:
    """Audit an administrator choosing the center they act for."""
    audit.record_alone(db, "act", "center", center_id, center_id=center_id, user_id=actor.id)


def create_login(
    db: sqlite_utils.Database,
    actor: Any,
    center_id: int,
    email: str,
    name: str,
    password: str,
    role: str,
    phone: str = "",
) -> int:
    """A new login (``auth.LoginExists`` when the email has one already); returns its id."""
    with transaction(db):
        user_id = create_user(db, center_id, email, name, password, role)
        if phone:
            db.execute("UPDATE users SET phone = ? WHERE id = ?", [phone, user_id])
        audit.record(
            db, "create", "user", user_id, center_id=center_id, user_id=actor.id, detail=role
        )
    return user_id


def logins_seen_by(db: sqlite_utils.Database, actor: Any) -> list[dict[str, Any]]:
    """The logins ``actor`` manages (an administrator: every center's; staff: their home
    center's, administrators left out), with each one's live API tokens, by center and name."""
    condition = "1" if actor.is_administrator else "u.center_id = ? AND u.role != ?"
    params = [] if actor.is_administrator else [actor.home_center_id, Role.ADMINISTRATOR]
    return list(
        db.query(
            f"""SELECT u.*, c.name AS center_name,
                   (SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id
                    AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?))
                    AS live_tokens
                FROM users u JOIN centers c ON c.id = u.center_id
                WHERE {condition} ORDER BY c.name, u.name""",
            [date.today().isoformat(), *params],
        )
    )


def consultants_of(db: sqlite_utils.Database, center_id: int) -> list[dict[str, Any]]:
    """The center's consultants (active), by name: whom the assign lists offer. Staff assign
    firms; they are not offered themselves."""
    return list(
        db.query(
            "SELECT id, name, email, role FROM users WHERE center_id = ? AND disabled_at IS NULL "
            "AND role = ? ORDER BY name",
            [center_id, Role.CONSULTANT],
        )
    )


def user_name(db: sqlite_utils.Database, user_id: int | None) -> str:
    """A login's name ("" for none or an unknown id)."""
    row = db.execute("SELECT name FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else ""


def reset_password(
    db: sqlite_utils.Database, actor: Any, target: dict[str, Any], password: str
) -> None:
    """Set a new password; the person's sessions end."""
    with transaction(db):
        set_password(db, target["id"], password)
        end_user_sessions(db, target["id"])
        audit.record(
            db,
            "reset_password",
            "user",
            target["id"],
            center_id=target["center_id"],
            user_id=actor.id,
        )


def revoke_tokens(db: sqlite_utils.Database, actor: Any, target: dict[str, Any]) -> int:
    """Revoke every API token of the login; returns how many."""
    with transaction(db):
        count = revoke_user_tokens(db, target["id"])
        audit.record(
            db,
            "revoke_tokens",
            "user",
            target["id"],
            center_id=target["center_id"],
            user_id=actor.id,
        )
    return count


def disable(db: sqlite_utils.Database, actor: Any, target: dict[str, Any]) -> None:
    """Disable a login (a person who left): sessions end, tokens are revoked; firms stay."""
    with transaction(db):
        db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [now(), target["id"]])
        end_user_sessions(db, target["id"])
        revoke_user_tokens(db, target["id"])
        audit.record(
            db, "disable", "user", target["id"], center_id=target["center_id"], user_id=actor.id
        )


def enable(db: sqlite_utils.Database, actor: Any, target: dict[str, Any]) -> None:
    """Enable a disabled login again."""
    with transaction(db):
        db.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", [target["id"]])
        audit.record(
            db, "enable", "user", target["id"], center_id=target["center_id"], user_id=actor.id
        )
