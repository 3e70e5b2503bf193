"""Logging in and out: the login page (its limits per address and per account) and logout.

Who is logged in, their sessions and passwords are ``auth.py``'s; these are its pages, on
the ``auth`` blueprint (``/login``, ``/logout``).
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf.csrf import CSRFError

from ..auth import SESSION_KEY, authenticate, end_session, open_session
from ..limits import limiter
from ..services.access import Right, requires
from ..storage import get_db
from .forms import LoginForm

log = logging.getLogger("diagnose.auth")  # the log name the logins were always written under
bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: a login link must not bounce a user to another host.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/\t/evil.example`` is ``//evil.example`` to them: any such character refuses the target.
    """
    if not target or any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """Failed logins count per account too, whatever address they come from."""
    email = request.form.get("email", "")
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@requires(Right.PUBLIC)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        user = authenticate(db, form.email.data, form.password.data)
        if user:
            lang = session.get("lang")
            end_session(db, session.get(SESSION_KEY))
            session.clear()  # a fresh session on login: nothing carried over from before
            if lang:
                session["lang"] = lang
            session.permanent = True
            session[SESSION_KEY] = open_session(db, user.id)
            login_user(user)
            log.info("user %s logged in", user.id)
            return redirect(_safe_next(request.args.get("next")) or url_for(user.home))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("login.html", form=form)


def _login_again(message: str, status: int):
    """The login form again with why: the email as typed, a fresh CSRF token."""
    flash(message, "error")
    return render_template("login.html", form=LoginForm()), status


@bp.errorhandler(429)
def too_many_logins(_error):
    return _login_again(
        _(
            "Too many failed logins from this address or for this account. Wait a few minutes "
            "and try again."
        ),
        429,
    )


@bp.errorhandler(CSRFError)
def login_page_too_old(_error: CSRFError):
    """A login page left open past its token: ask again, with the email kept."""
    if request.endpoint != "auth.login":
        return render_template("csrf_error.html"), 400
    return _login_again(_("The login page was open too long. Please log in again."), 400)


@bp.route("/logout", methods=["POST"])
@requires(Right.SIGNED_IN)
def logout():
    end_session(get_db(), session.pop(SESSION_KEY, None))
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
