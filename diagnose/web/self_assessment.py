"""A firm owner's self-assessment: a screen at a time, on a phone, without an account.

Everything hangs on the secret link ``/r/<token>``: the screens, their background save and
the review live under it, so the owner who bookmarks or copies it comes back to the same
answers anywhere (and access logs hide it with the result links). Pages call
``services.self_assessment``; checking a screen uses the interview's own forms.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf

from ..limits import limiter
from ..links import external_url
from ..questionnaire.schema import Questionnaire
from ..services import self_assessment as service
from ..services.access import Right, requires
from ..services.submissions import InvalidInput
from ..storage import get_db
from . import answering as pages
from .forms import StartForm, ui_language
from .owner import remember, remembered

bp = Blueprint("self_assessment", __name__)
# The headings of the screens with the firm's details (services.self_assessment.PROFILE_SCREENS)
PROFILE_TITLES = {
    "company": _l("Your company"),
    "place": _l("Where, and in which industry"),
    "size": _l("Size of the company"),
    "contact": _l("Who we may contact"),
}


def _limit() -> str:
    return current_app.config["SELF_ASSESSMENT_RATE_LIMIT"]


class ByLink:
    """The self-assessment a link opens, answered on the answering engine
    (``services.answering``): its questionnaire version and its screens."""

    def __init__(self, token: str):
        db = get_db()
        self.row = service.by_token(db, token)
        if self.row is None:
            abort(404)
        self.token = token
        self.answering = service.answering(
            db,
            current_app.extensions["questionnaires"],
            self.row,
            current_app.config["RESUME_LINK_DAYS"],
        )
        self.questionnaire: Questionnaire = self.answering.questionnaire
        self.form_kind = self.row["form"]
        self.answers: dict[str, Any] = self.answering.answers
        self.profile: dict[str, Any] = self.answering.profile

    @property
    def is_open(self) -> bool:
        return self.row["status"] == "answering"

    @property
    def screens(self) -> list[service.Screen]:
        return self.answering.shown_pages

    def screen(self, key: str) -> service.Screen | None:
        return self.answering.page(key)

    def neighbour(self, key: str, offset: int) -> str:
        return self.answering.neighbour(key, offset)

    def resume_screen(self) -> str:
        """Where to pick up: the first shown screen whose answers would not pass (missing,
        or not valid as typed), else the review."""
        return self.answering.resume(lambda page: pages.is_valid(self.answering, page))

    def form_for(self, screen: service.Screen, formdata: Any = None, stored_only: bool = False):
        return pages.page_form(self.answering, screen, formdata, stored_only)

    def progress(self) -> tuple[int, int]:
        return self.answering.progress()


def link_url(token: str) -> str:
    """The link the owner keeps (an absolute address on ``DIAGNOSE_BASE_URL``)."""
    return external_url("public.result", token=token)


# --- starting --------------------------------------------------------------------------------


def render_start(form: StartForm):
    """The start page (``public.start``): what a firm gets, how long it takes, what is kept."""
    questionnaire = current_app.extensions["questionnaires"].current
    asked = service.asked_items(questionnaire, "short")
    return render_template(
        "start.html",
        form=form,
        questions=len(asked),
        minutes=max(1, round((len(asked) + 4) * service.SECONDS_PER_QUESTION / 60)),
        result_days=current_app.config["RESULT_LINK_DAYS"],
        resume_days=current_app.config["RESUME_LINK_DAYS"],
        remembered=remembered(),
    )


@bp.route("/self", methods=["POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def start():
    """Consent given on the start page: open a self-assessment and go to its first screen."""
    form = StartForm()
    if not form.validate_on_submit():
        return render_start(form), 422 if not form.website.errors else 400
    questionnaire = current_app.extensions["questionnaires"].current
    _row_id, token = service.start(
        get_db(), questionnaire, ui_language(), current_app.config["RESUME_LINK_DAYS"]
    )
    session["new_link"] = True  # the first screen shows the link prominently, once
    first = service.screens(questionnaire, "short")[0].key
    # "continue where you left off" on this device
    return remember(redirect(url_for(".screen", token=token, key=first)), token)


@bp.route("/self/csrf-token")
@requires(Right.PUBLIC)
def csrf_token():
    """A fresh token for a screen whose token was refused (a new browser session)."""
    return jsonify(csrf_token=generate_csrf())


# --- the screens -----------------------------------------------------------------------------


@bp.route("/r/<token>/q/<key>", methods=["GET", "POST"])
@requires(Right.PUBLIC)
def screen(token: str, key: str):
    answering = ByLink(token)
    if not answering.is_open:
        return redirect(url_for("public.result", token=token))
    if key == service.REVIEW:
        return redirect(url_for(".review", token=token))
    screen = answering.screen(key)
    if screen is None:
        abort(404)
    if request.method == "POST":
        form, outcome = pages.take_page(answering.answering, screen)
        if outcome != "saved":  # not stored (too long…), or leaving forward with problems
            return _render(answering, screen, form), 422
        action = request.form.get("action", "next")
        session["saved_step"] = f"self-{answering.row['id']}:{key}"
        target = answering.neighbour(key, -1 if action == "back" else 1)
        if target == service.REVIEW:
            return redirect(url_for(".review", token=token))
        return redirect(url_for(".screen", token=token, key=target))
    if not answering.answering.is_shown(screen):
        target = answering.neighbour(key, 1)  # a follow-up the answers no longer ask
        return redirect(
            url_for(".review", token=token)
            if target == service.REVIEW
            else url_for(".screen", token=token, key=target)
        )
    return _render(answering, screen, answering.form_for(screen))


def _render(answering: ByLink, screen: service.Screen, form, notice: str | None = None):
    saved = session.pop("saved_step", "")
    prefix = f"self-{answering.row['id']}:"
    shown = [s for s in answering.screens if s.kind != "review"]
    position = next((i for i, s in enumerate(shown) if s.key == screen.key), 0)
    return render_template(
        "self_screen.html",
        answering=answering,
        screen=screen,
        form=form,
        dimension=next(
            (d for d in answering.questionnaire.dimensions if d.id == screen.dimension), None
        ),
        profile_titles=PROFILE_TITLES,
        position=position + 1,
        count=len(shown),
        first=position == 0,
        saved_step=saved[len(prefix) :] if saved.startswith(prefix) else "",
        new_link=session.pop("new_link", False),
        link=link_url(answering.token),
        notice=notice,
        choice_answers=answering.answering.choice_answers(),
    )


@bp.route("/r/<token>/continue")
@requires(Right.PUBLIC)
def resume(token: str):
    """Where the owner left off."""
    answering = ByLink(token)
    if not answering.is_open:
        return redirect(url_for("public.result", token=token))
    return redirect(url_for(".screen", token=token, key=answering.resume_screen()))


@bp.route("/r/<token>/autosave", methods=["POST"])
@requires(Right.PUBLIC)
def autosave(token: str):
    """The screen's background save: its fields, kept without judging them."""
    answering = ByLink(token)
    if not answering.is_open:
        return jsonify(error="submitted"), 409
    screen = answering.screen(request.form.get("step", ""))
    if screen is None or screen.kind == "review":
        return jsonify(error="unknown_step"), 400
    return pages.autosave(answering.answering, screen)


@bp.errorhandler(CSRFError)
def csrf_refused(_error: CSRFError):
    """An old token never costs answers: the background save renews it and tries again; a
    screen sent with one comes back with everything as typed, to be sent again."""
    if request.endpoint == "self_assessment.autosave":
        return jsonify(error="csrf"), 400
    if request.endpoint == "self_assessment.screen" and service.by_token(
        get_db(), request.view_args["token"]
    ):  # an unknown link: the plain answer below (an abort here would be a 500)
        answering = ByLink(request.view_args["token"])
        screen = answering.screen(request.view_args["key"])
        if answering.is_open and screen is not None:
            notice = _(
                "This screen was open too long to be sent safely. Your answers are shown as "
                "you entered them: press the button again."
            )
            return _render(answering, screen, answering.form_for(screen, request.form), notice), 400
    return render_template(
        "error.html", code=400, message=_("The page was open too long. Go back and try again.")
    ), 400


# --- review, submission, sharpening ----------------------------------------------------------


def _problems(answering: ByLink) -> list[dict[str, Any]]:
    """What would stop the submission, screen by screen, in the UI language."""
    problems = []
    for screen in answering.screens:
        if screen.kind != "review" and (errors := pages.stored_errors(answering.answering, screen)):
            problems.append({"screen": screen, "fields": list(errors)})
    return problems


@bp.route("/r/<token>/review", methods=["GET", "POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def review(token: str):
    answering = ByLink(token)
    if not answering.is_open:
        return redirect(url_for("public.result", token=token))
    problems = _problems(answering)
    form = FlaskForm()  # the token only: the review itself asks the owner to look, not to tick
    if request.method == "POST" and not problems and form.validate_on_submit():
        try:
            service.submit(
                get_db(),
                current_app.extensions["track_model"],
                answering.questionnaire,
                token,
                current_app.config["RESULT_LINK_DAYS"],
            )
        except InvalidInput as invalid:  # what the screens let through and the intake did not
            return _render_review(answering, [], form, invalid.errors), 422
        flash(_("Your answers are submitted. This is your diagnosis."), "success")
        return redirect(url_for("public.result", token=token))
    status = 422 if request.method == "POST" else 200
    return _render_review(answering, problems, form), status


def _render_review(answering: ByLink, problems, form, errors=()):
    answered, shown = answering.progress()
    return render_template(
        "self_review.html",
        answering=answering,
        profile_titles=PROFILE_TITLES,
        problems=problems,
        errors=errors,
        form=form,
        answered=answered,
        shown=shown,
        link=link_url(answering.token),
        previous=answering.neighbour(service.REVIEW, -1),
    )


@bp.route("/r/<token>/sharpen", methods=["POST"])
@requires(Right.PUBLIC)
def sharpen(token: str):
    """Answer the questions the short form left out: the result gets sharper."""
    answering = ByLink(token)
    if answering.row["assessment_id"] is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.sharpen(get_db(), answering.row["id"], current_app.config["RESUME_LINK_DAYS"])
    again = ByLink(token)
    return redirect(url_for(".screen", token=token, key=again.resume_screen()))
