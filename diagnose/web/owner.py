"""A firm owner's link by e-mail, sent again when lost, and remembered on the same device.

- ``/r/<token>/email``: the owner gives an address (optional, with consent); the link goes
  there at once, and later news of their request (``mailing``) too.
- ``/link``: "I lost my link": every link given with that address is sent to it again; the
  page says the same whether or not the address is known.
- A cookie remembers the link on the device that started it, so ``/`` offers "continue
  where you left off" (``remember`` / ``remembered``).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..limits import limiter
from ..services import mailing
from ..services import self_assessment as service
from ..services.access import Right, requires
from ..storage import get_db
from .forms import ui_language
from .notice_forms import LostLinkForm, OwnerEmailForm

bp = Blueprint("owner", __name__)
COOKIE = "diagnose_link"


def _limit() -> str:
    return current_app.config["SELF_ASSESSMENT_RATE_LIMIT"]


# --- the device remembers the link -------------------------------------------------------------


def remember(response, token: str):
    """Keep the link on this device for as long as an unsubmitted draft lasts."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=current_app.config["RESUME_LINK_DAYS"] * 86400,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )
    return response


def remembered() -> dict[str, Any] | None:
    """The link this device started, while it still opens something: its URL and whether
    the answers are still being given."""
    token = request.cookies.get(COOKIE, "")
    row = service.by_token(get_db(), token) if token else None
    if row is None:
        return None
    return {
        "url": url_for("public.result", token=token),
        "answering": row["status"] == "answering",
        "updated_at": row["updated_at"],
    }


@bp.route("/forget-link", methods=["POST"])
@requires(Right.PUBLIC)
def forget():
    """Forget the link on this device (a shared computer)."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        abort(400)
    response = redirect(url_for("public.start"))
    response.delete_cookie(COOKIE, path="/")
    return response


# --- the link by e-mail ------------------------------------------------------------------------


@bp.route("/r/<token>/email", methods=["POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def give_email(token: str):
    db = get_db()
    row = service.by_token(db, token)
    if row is None:
        abort(404)
    form = OwnerEmailForm()
    if not form.validate_on_submit():
        status = 400 if form.website.errors else 422
        return render_template("owner_email.html", form=form, token=token), status
    mailing.owner_gives_email(db, row, token, form.email.data, ui_language())
    mailing.send_soon()
    flash(_("Your link is on its way to %(email)s.", email=form.email.data), "success")
    back = request.form.get("next_url", "")
    if not back.startswith(f"/r/{token}"):  # only back to this link's own pages
        back = url_for("public.result", token=token)
    return redirect(back)


@bp.route("/link", methods=["GET", "POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def lost_link():
    form = LostLinkForm()
    if form.validate_on_submit():
        db = get_db()
        mailing.notify_link_again_now(db, form.email.data)
        # The same answer whether or not the address is known: nobody learns who asked.
        return render_template("lost_link.html", form=None, sent_to=form.email.data)
    status = 200 if request.method == "GET" else (400 if form.website.errors else 422)
    return render_template("lost_link.html", form=form, sent_to=None), status
