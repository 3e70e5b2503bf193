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
from ..questionnaire.schema import Questionnaire
from ..records.questionnaire_versions import questionnaire_of
from ..services import self_assessment as service
from ..services.access import Right, requires
from ..services.submissions import InvalidInput
from ..storage import get_db
from .forms import (
    StartForm,
    form_data,
    limit_errors,
    profile_form_class,
    profile_values,
    section_form_class,
    ui_language,
)

bp = Blueprint("self_assessment", __name__)
# About what one question takes on a phone: reading ~160 characters of question and options
# (at ~600 a minute) and a tap. An estimate, stated on the start page as "about N minutes".
SECONDS_PER_QUESTION = 20
# The headings of the screens with the firm's details (services.self_assessment.PROFILE_SCREENS)
PROFILE_TITLES = {
    "company": _l("Your company"),
    "place": _l("Where, and in which industry"),
    "size": _l("Size of the company"),
    "contact": _l("Who we may contact"),
}


def _limit() -> str:
    return current_app.config["SELF_ASSESSMENT_RATE_LIMIT"]


class Answering:
    """The self-assessment a link opens, with its questionnaire version and its screens."""

    def __init__(self, token: str):
        db = get_db()
        self.row = service.by_token(db, token)
        if self.row is None:
            abort(404)
        self.token = token
        self.questionnaire: Questionnaire = questionnaire_of(
            db, current_app.extensions["questionnaires"], self.row
        )
        self.form_kind = self.row["form"]
        self.answers: dict[str, Any] = self.row["answers"]
        self.profile: dict[str, Any] = self.row["profile"]

    @property
    def is_open(self) -> bool:
        return self.row["status"] == "answering"

    @property
    def screens(self) -> list[service.Screen]:
        return service.shown_screens(self.questionnaire, self.form_kind, self.answers)

    def screen(self, key: str) -> service.Screen | None:
        return next(
            (s for s in service.screens(self.questionnaire, self.form_kind) if s.key == key), None
        )

    def neighbour(self, key: str, offset: int) -> str:
        """The shown screen ``offset`` away from ``key`` (a hidden one counts from its place)."""
        every = [s.key for s in service.screens(self.questionnaire, self.form_kind)]
        shown = [s.key for s in self.screens]
        if key in shown:
            index = shown.index(key) + offset
        else:  # hidden now: go on from the next shown screen after its place
            later = [k for k in shown if every.index(k) > every.index(key)]
            index = shown.index(later[0]) + min(offset, 0) if later else len(shown) - 1
        return shown[max(0, min(index, len(shown) - 1))]

    def resume_screen(self) -> str:
        """Where to pick up: the first shown screen whose answers would not pass (missing,
        or not valid as typed), else the review."""
        for screen in self.screens:
            if screen.kind != "review" and not self.form_for(screen, stored_only=True).validate():
                return screen.key
        return service.REVIEW

    def form_for(self, screen: service.Screen, formdata: Any = None, stored_only: bool = False):
        lang = ui_language()
        meta = {"csrf": False} if stored_only else {}
        if screen.kind == "profile":
            cls = profile_form_class(self.questionnaire, lang, screen.fields)
            return cls(formdata=formdata, data=self.profile, meta=meta)
        dimension = next(d for d in self.questionnaire.dimensions if d.id == screen.dimension)
        form = section_form_class(dimension, lang, items=screen.fields, notes=False)(
            formdata=formdata, data=form_data(dimension, self.answers, {}), meta=meta
        )
        form.context_answers = {**self.answers, **form.answers()}
        return form

    def save(self, screen: service.Screen, form) -> str:
        days = current_app.config["RESUME_LINK_DAYS"]
        if screen.kind == "profile":
            values = profile_values(form)
            self.profile.update(values)
            return service.save(get_db(), self.row["id"], days, profile=values)
        values = form.answers()
        self.answers.update({k: v for k, v in values.items() if v not in (None, "", [])})
        for item_id in [k for k, v in values.items() if v in (None, "", [])]:
            self.answers.pop(item_id, None)
        return service.save(get_db(), self.row["id"], days, answers=values)

    def progress(self) -> tuple[int, int]:
        return service.progress(self.questionnaire, self.form_kind, self.answers)


def link_url(token: str) -> str:
    """The link the owner keeps (an absolute address on ``DIAGNOSE_BASE_URL``)."""
    from . import external_url

    return external_url("public.result", token=token)


# --- starting --------------------------------------------------------------------------------


@bp.route("/self", methods=["POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def start():
    """Consent given on the start page: open a self-assessment and go to its first screen."""
    form = StartForm()
    if not form.validate_on_submit():
        from .public import render_start

        return render_start(form), 422 if not form.website.errors else 400
    questionnaire = current_app.extensions["questionnaires"].current
    _row_id, token = service.start(
        get_db(), questionnaire, ui_language(), current_app.config["RESUME_LINK_DAYS"]
    )
    session["new_link"] = True  # the first screen shows the link prominently, once
    first = service.screens(questionnaire, "short")[0].key
    from .owner import remember  # "continue where you left off" on this device

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
    answering = Answering(token)
    if not answering.is_open:
        return redirect(url_for("public.result", token=token))
    if key == service.REVIEW:
        return redirect(url_for(".review", token=token))
    screen = answering.screen(key)
    if screen is None:
        abort(404)
    if request.method == "POST":
        form = answering.form_for(screen, request.form)
        if limit_errors(form):
            form.validate()
            return _render(answering, screen, form), 422
        answering.save(screen, form)
        action = request.form.get("action", "next")
        if action == "next" and not form.validate():
            return _render(answering, screen, form), 422
        session["saved_step"] = f"self-{answering.row['id']}:{key}"
        target = answering.neighbour(key, -1 if action == "back" else 1)
        if target == service.REVIEW:
            return redirect(url_for(".review", token=token))
        return redirect(url_for(".screen", token=token, key=target))
    if not service.shown(answering.questionnaire, screen, answering.answers):
        target = answering.neighbour(key, 1)  # a follow-up the answers no longer ask
        return redirect(
            url_for(".review", token=token)
            if target == service.REVIEW
            else url_for(".screen", token=token, key=target)
        )
    return _render(answering, screen, answering.form_for(screen))


def _render(answering: Answering, screen: service.Screen, form, notice: str | None = None):
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
        choice_answers={
            item.id: value if isinstance(value, list) else [value]
            for item in answering.questionnaire.items()
            if item.type in ("single", "multi") and (value := answering.answers.get(item.id))
        },
    )


@bp.route("/r/<token>/continue")
@requires(Right.PUBLIC)
def resume(token: str):
    """Where the owner left off."""
    answering = Answering(token)
    if not answering.is_open:
        return redirect(url_for("public.result", token=token))
    return redirect(url_for(".screen", token=token, key=answering.resume_screen()))


@bp.route("/r/<token>/autosave", methods=["POST"])
@requires(Right.PUBLIC)
def autosave(token: str):
    """The screen's background save: its fields, kept without judging them."""
    answering = Answering(token)
    if not answering.is_open:
        return jsonify(error="submitted"), 409
    screen = answering.screen(request.form.get("step", ""))
    if screen is None or screen.kind == "review":
        return jsonify(error="unknown_step"), 400
    form = answering.form_for(screen, request.form)
    if problems := limit_errors(form):
        errors = [{"field": f, "message": m} for f, messages in problems.items() for m in messages]
        return jsonify(
            error="invalid_input", message=_("Some answers cannot be saved."), errors=errors
        ), 422
    return jsonify(saved_at=answering.save(screen, form))


@bp.errorhandler(CSRFError)
def csrf_refused(_error: CSRFError):
    """An old token never costs answers: the background save renews it and tries again; a
    screen sent with one comes back with everything as typed, to be sent again."""
    if request.endpoint == "self_assessment.autosave":
        return jsonify(error="csrf"), 400
    if request.endpoint == "self_assessment.screen" and service.by_token(
        get_db(), request.view_args["token"]
    ):  # an unknown link: the plain answer below (an abort here would be a 500)
        answering = Answering(request.view_args["token"])
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


def _problems(answering: Answering) -> list[dict[str, Any]]:
    """What would stop the submission, screen by screen, in the UI language."""
    problems = []
    for screen in answering.screens:
        if screen.kind == "review":
            continue
        form = answering.form_for(screen, stored_only=True)
        if not form.validate():
            problems.append({"screen": screen, "fields": list(form.errors)})
    return problems


@bp.route("/r/<token>/review", methods=["GET", "POST"])
@requires(Right.PUBLIC)
@limiter.limit(_limit, methods=["POST"])
def review(token: str):
    answering = Answering(token)
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


def _render_review(answering: Answering, problems, form, errors=()):
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
    answering = Answering(token)
    if answering.row["assessment_id"] is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.sharpen(get_db(), answering.row["id"], current_app.config["RESUME_LINK_DAYS"])
    again = Answering(token)
    return redirect(url_for(".screen", token=token, key=again.resume_screen()))
