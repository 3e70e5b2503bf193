"""Logins: administrators, center staff and consultants, each belonging to one center.

What each role may do is decided in one place, ``services/access.py``; this module knows who
is logged in. An administrator works across centers: the center they act for is kept in the
session (``ACTING_CENTER``) and becomes the user's ``center_id``, so every query scoped to a
center serves them unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlite_utils
from flask import (
    Flask,
    current_app,
    session,
)
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .storage import get_db, now, transaction
from .vocabulary import ROLES, Role

log = logging.getLogger(__name__)
login_manager = LoginManager()
ADMINISTRATOR, CENTER_STAFF, CONSULTANT = Role.ADMINISTRATOR, Role.CENTER_STAFF, Role.CONSULTANT
# The role called center_admin before migration 20: a center's staff member.
LEGACY_ROLES = {"center_admin": CENTER_STAFF}
ACTING_CENTER = "acting_center"  # the session's entry: the center an administrator acts for


@dataclass(frozen=True)
class User(UserMixin):
    id: int
    center_id: int  # the center this login acts for (an administrator's choice, else home)
    email: str
    name: str
    role: str
    home_center_id: int = 0

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_administrator(self) -> bool:
        return self.role == ADMINISTRATOR

    @property
    def is_staff(self) -> bool:
        """Center staff, or an administrator (who is staff of every center)."""
        return self.role in (CENTER_STAFF, ADMINISTRATOR)

    @property
    def home(self) -> str:
        """The endpoint a signed-in user starts from: staff their dashboard, consultants
        their firms."""
        return "center.dashboard_page" if self.is_staff else "consultant.firms"


def _user(row: dict[str, Any] | None, acting_center: int | None = None) -> User | None:
    if row is None or row.get("disabled_at"):
        return None
    center = acting_center if acting_center and row["role"] == ADMINISTRATOR else None
    return User(
        row["id"],
        center or row["center_id"],
        row["email"],
        row["name"],
        row["role"],
        row["center_id"],
    )


SESSION_KEY = "login_session"  # the session's entry holding the login-session token


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this browser's login session, if that session is still open on the server.

    The session cookie alone is not enough: it is signed, not secret from its holder, and a
    copy of it (or a late response that sets it again) must not outlive a logout.
    """
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not user_id.isdigit():
        return None
    rows = list(
        get_db().query(
            "SELECT u.* FROM login_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.user_id = ? AND s.ended_at IS NULL "
            "AND u.disabled_at IS NULL "
            "AND s.created_at > ?",
            [_digest(token), int(user_id), _oldest_open_session()],
        )
    )
    acting = session.get(ACTING_CENTER)
    if rows and isinstance(acting, int):
        exists = get_db().execute("SELECT 1 FROM centers WHERE id = ?", [acting]).fetchone()
        acting = acting if exists else None
    return _user(rows[0] if rows else None, acting if isinstance(acting, int) else None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _oldest_open_session() -> str:
    lifetime = current_app.permanent_session_lifetime
    return (datetime.now(UTC) - lifetime).isoformat(timespec="seconds")


def open_session(db: sqlite_utils.Database, user_id: int) -> str:
    """Record a new login session; its token goes in the signed cookie, its hash in the db."""
    token = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO login_sessions (user_id, token_hash, created_at) VALUES (?, ?, ?)",
        [user_id, _digest(token), now()],
    )
    return token


def end_session(db: sqlite_utils.Database, token: str | None) -> None:
    if token:
        db.execute(
            "UPDATE login_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            [now(), _digest(token)],
        )


def end_user_sessions(db: sqlite_utils.Database, user_id: int) -> int:
    """End every open login session of a user; return how many there were."""
    return db.execute(
        "UPDATE login_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
        [now(), user_id],
    ).rowcount


def revoke_user_tokens(db: sqlite_utils.Database, user_id: int) -> int:
    """Revoke every live API token of a user; return how many there were."""
    return db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [now(), user_id],
    ).rowcount


def create_center(db: sqlite_utils.Database, name: str, region: str) -> int:
    return db.execute(
        "INSERT INTO centers (name, region, created_at) VALUES (?, ?, ?)", [name, region, now()]
    ).lastrowid


def create_user(
    db: sqlite_utils.Database,
    center_id: int,
    email: str,
    name: str,
    password: str,
    role: str = CONSULTANT,
) -> int:
    """A new login; ``LoginExists`` if the email has one (checked and inserted in one write
    transaction, so two creations at once give one login and one clear refusal)."""
    role = LEGACY_ROLES.get(role, role)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    password_hash = generate_password_hash(password)  # slow: hashed before taking the lock
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE email = ?", [email]).fetchone():
            raise LoginExists(email)
        try:
            return db.execute(
                "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [center_id, email, name, password_hash, role, now()],
            ).lastrowid
        except sqlite3.IntegrityError as error:  # the unique email, if a writer slipped in
            if "users.email" in str(error):
                raise LoginExists(email) from error
            raise


class LoginExists(ValueError):
    """A login with this email exists already."""


@cache
def _decoy_hash() -> str:
    """A hash to check a password against when the email has no account, so that the answer
    takes as long as for a real account and timing tells nothing."""
    return generate_password_hash(secrets.token_urlsafe(16))


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    db.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?",
        [generate_password_hash(password), user_id],
    )


def new_password() -> str:
    """A password to hand to a person once (they should change it)."""
    return secrets.token_urlsafe(12)


def user_by_email(db: sqlite_utils.Database, email: str) -> User | None:
    """The enabled login with this email (the command line's ``--as``), else None."""
    rows = list(
        db.query(
            "SELECT * FROM users WHERE email = ? AND disabled_at IS NULL", [email.strip().lower()]
        )
    )
    return _user(rows[0]) if rows else None


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> User | None:
    rows = list(
        db.query(
            "SELECT * FROM users WHERE email = ? AND disabled_at IS NULL", [email.strip().lower()]
        )
    )
    stored = rows[0]["password_hash"] if rows else _decoy_hash()
    if check_password_hash(stored, password) and rows:
        return _user(rows[0])
    return None


TOKEN_PREFIX = "dg_"


def create_api_token(
    db: sqlite_utils.Database, user_id: int, label: str = "", days: int = 90
) -> str:
    """A new API token for a user, valid for ``days``; only its hash is kept (shown once)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")
    db.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [user_id, _digest(token), label, now(), expires],
    )
    return token


LAST_USED_PRECISION = timedelta(minutes=1)  # a busy integration writes once a minute, not per call


def user_for_token(db: sqlite_utils.Database, token: str) -> User | None:
    """The user of a live token (not revoked, not expired); notes when it was last used."""
    stamp = now()
    rows = list(
        db.query(
            "SELECT u.*, t.id AS token_id, t.last_used_at FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled_at IS NULL "
            "AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)",
            [_digest(token), stamp],
        )
    )
    if not rows:
        return None
    last = rows[0]["last_used_at"]
    if last is None or datetime.fromisoformat(last) < datetime.now(UTC) - LAST_USED_PRECISION:
        db.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [stamp, rows[0]["token_id"]]
        )
    return _user(rows[0])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
