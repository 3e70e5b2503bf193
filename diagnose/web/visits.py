"""A request followed to the visit, and the outbox: pages for consultants and center staff.

A consultant sees the requests assigned to them ("my assignments", unanswered first) and
moves their own on; center staff see and move every request of their center, merge
duplicates, and see the mails waiting in the outbox. The service (``services/requests.py``)
checks the center and, for a consultant, that the request is theirs.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import mail, mailing, requests
from ..services.access import Right, requires
from ..storage import get_db
from .center_forms import ActionForm
from .notice_forms import CloseForm, PromiseForm, VisitForm

bp = Blueprint("visits", __name__)


def _mine() -> int | None:
    """Whose requests this user may move: a consultant only their own, staff any."""
    return None if current_user.is_staff else current_user.id


def _visible_or_404(request_id: int) -> None:
    """A request of another center, or a consultant's colleague's, is not found: checked
    before the form, so a wrong form never tells that the request exists."""
    try:
        requests.require_visible(get_db(), current_user.center_id, request_id, _mine())
    except requests.RequestError:
        abort(404)


def _back(request_id: int):
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target + f"#req-{request_id}")
    return redirect(url_for(".mine") + f"#req-{request_id}")


@bp.route("/requests")
@requires(Right.SIGNED_IN)
def mine():
    """A consultant's assignments: those not answered yet first."""
    return render_template(
        "requests/mine.html", rows=requests.consultant_requests(get_db(), current_user.id)
    )


@bp.route("/center/requests")
@requires(Right.STAFF)
def center_list(form: PromiseForm | None = None):
    """Every request of the center with its waiting time and the promise kept or not."""
    db = get_db()
    promise = requests.answer_days(
        db, current_user.center_id, current_app.config["REQUEST_ANSWER_DAYS"]
    )
    return render_template(
        "requests/center.html",
        data=requests.tracking(db, current_user.center_id, promise),
        promise_form=form or PromiseForm(formdata=None, data={"answer_days": promise}),
    )


@bp.route("/center/requests/promise", methods=["POST"])
@requires(Right.STAFF)
def promise():
    """The center's own promise, in business days."""
    form = PromiseForm()
    if not form.validate_on_submit():
        return center_list(form), 422
    requests.set_answer_days(
        get_db(), current_user.center_id, form.answer_days.data, current_user.id
    )
    flash(_("Saved."), "success")
    return redirect(url_for(".center_list"))


@bp.route("/requests/<int:request_id>/<any(contacted, visited):step>", methods=["POST"])
@requires(Right.SIGNED_IN)
def step(request_id: int, step: str):
    _visible_or_404(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        requests.advance(
            get_db(),
            current_user.center_id,
            request_id,
            step,
            current_user.id,
            consultant_id=_mine(),
        )
    except requests.RequestError as error:
        if error.errors.get("request"):
            abort(404)
        flash(_("This step does not follow the request's current one."), "error")
        return _back(request_id)
    flash(_("Saved."), "success")
    return _back(request_id)


@bp.route("/requests/<int:request_id>/visit", methods=["POST"])
@requires(Right.SIGNED_IN)
def book(request_id: int):
    _visible_or_404(request_id)
    form = VisitForm()
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(
            " ".join(str(m) for m in messages) or _("Check the visit's date, time and place."),
            "error",
        )
        return _back(request_id)
    try:
        requests.advance(
            get_db(),
            current_user.center_id,
            request_id,
            "booked",
            current_user.id,
            consultant_id=_mine(),
            visit={
                "on": form.visit_on.data,
                "at": form.visit_time.data,
                "place": form.visit_place.data,
            },
        )
    except requests.RequestError as error:
        if error.errors.get("request"):
            abort(404)
        flash(_("This step does not follow the request's current one."), "error")
        return _back(request_id)
    flash(
        _("The visit is booked; the firm gets an invitation by e-mail if it gave an address."),
        "success",
    )
    return _back(request_id)


@bp.route("/requests/<int:request_id>/close", methods=["POST"])
@requires(Right.SIGNED_IN)
def close(request_id: int):
    _visible_or_404(request_id)
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        requests.close_request(
            get_db(),
            current_user.center_id,
            request_id,
            current_user.id,
            reason=form.reason.data,
            consultant_id=_mine(),
        )
    except requests.RequestError:
        abort(404)
    flash(_("The request is closed."), "success")
    return _back(request_id)


@bp.route("/center/requests/merge", methods=["POST"])
@requires(Right.STAFF)
def merge():
    if not ActionForm().validate_on_submit():
        abort(400)
    merged = requests.merge_duplicates(get_db(), current_user.center_id, current_user.id)
    flash(_("%(n)s duplicate requests merged.", n=merged), "success")
    return redirect(url_for(".center_list"))


@bp.route("/center/outbox")
@requires(Right.STAFF)
def outbox():
    """The center's mails: waiting (no mail server yet, or it refused) and sent."""
    return render_template(
        "requests/outbox.html",
        rows=mail.center_outbox(get_db(), current_user.center_id),
        configured=mailing.configured(current_app),
    )


@bp.route("/center/outbox/send", methods=["POST"])
@requires(Right.STAFF)
def send_outbox():
    if not ActionForm().validate_on_submit():
        abort(400)
    if not mailing.configured(current_app):
        flash(_("No mail server is set (DIAGNOSE_MAIL_SERVER): the mails keep waiting."), "error")
        return redirect(url_for(".outbox"))
    queued = mailing.send_soon(mail.unsent(get_db(), current_user.center_id))
    flash(_("%(n)s mails queued for sending.", n=queued), "success")
    return redirect(url_for(".outbox"))
