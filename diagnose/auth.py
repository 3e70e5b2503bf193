"""Logins: consultants and center staff, each belonging to one center."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.security import check_password_hash, generate_password_hash

from .forms import LoginForm
from .storage import get_db, now

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
ROLES = ("consultant", "center_admin")


@dataclass(frozen=True)
class User(UserMixin):
    id: int
    center_id: int
    email: str
    name: str
    role: str

    def get_id(self) -> str:
        return str(self.id)


def _user(row: dict[str, Any] | None) -> User | None:
    if row is None:
        return None
    return User(row["id"], row["center_id"], row["email"], row["name"], row["role"])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    rows = list(get_db().query("SELECT * FROM users WHERE id = ?", [int(user_id)]))
    return _user(rows[0] if rows else None)


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
    role: str = "consultant",
) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return db.execute(
        "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [center_id, email.strip().lower(), name, generate_password_hash(password), role, now()],
    ).lastrowid


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> User | None:
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email.strip().lower()]))
    if rows and check_password_hash(rows[0]["password_hash"], password):
        return _user(rows[0])
    return None


TOKEN_PREFIX = "dg_"


def create_api_token(db: sqlite_utils.Database, user_id: int, label: str = "") -> str:
    """A new API token for a user; only its hash is kept, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
        [user_id, hashlib.sha256(token.encode()).hexdigest(), label, now()],
    )
    return token


def user_for_token(db: sqlite_utils.Database, token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    rows = list(
        db.query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
            [digest],
        )
    )
    return _user(rows[0] if rows else None)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: a login link must not bounce a user to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_db(), form.email.data, form.password.data)
        if user:
            lang = session.get("lang")
            session.clear()  # a fresh session on login: nothing carried over from before
            if lang:
                session["lang"] = lang
            session.permanent = True
            login_user(user)
            log.info("user %s logged in", user.id)
            return redirect(_safe_next(request.args.get("next")) or url_for("consultant.firms"))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("login.html", form=form)


@bp.errorhandler(CSRFError)
def login_page_too_old(_error: CSRFError):
    """A login page left open past its token: ask again, with the email kept."""
    if request.endpoint != "auth.login":
        return render_template("csrf_error.html"), 400
    form = LoginForm()  # a fresh token; the email as typed
    form.password.data = ""
    flash(_("The login page was open too long. Please log in again."), "error")
    return render_template("login.html", form=form), 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
