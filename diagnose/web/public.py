"""Pages without a login: the start page, and a self-assessed firm's result by its secret link.

A firm owner sees the track in plain words, three reasons, the scores against peers, the
first three actions of the roadmap and the PDF; never a model id, a probability or a
consultant's note. From the result the owner may ask the regional center for a consultant.
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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..diagnosis.explanations import explain
from ..diagnosis.store import latest_diagnosis
from ..limits import limiter
from ..records.assessments import load_answers
from ..records.questionnaire_versions import questionnaire_of
from ..services import audit, requests
from ..services import self_assessment as service
from ..services.access import Right, requires
from ..services.roadmaps import report_context
from ..storage import get_db
from . import pdf_download
from .forms import ConsultantRequestForm, StartForm, ui_language
from .notice_forms import OwnerEmailForm
from .self_assessment import ByLink, link_url, render_start

bp = Blueprint("public", __name__)
FEW_ANSWERS = 0.5  # a dimension's score rests on few answers below this share of its questions


@bp.route("/")
@requires(Right.PUBLIC)
def start():
    """What a firm gets, how long it takes, what is kept and why; staff go to their dashboard,
    consultants to their firms."""
    if current_user.is_authenticated:
        return redirect(url_for(current_user.home))
    return render_start(StartForm(formdata=None))


# --- a result by its link --------------------------------------------------------------------


def _record(token: str, action: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The assessment a link shows (404 once expired), with the self-assessment it came from
    (None for one sent through the API); the visit is audited."""
    db = get_db()
    row, record = service.result_of(db, token)
    if record is None:
        abort(404)
    audit.record_alone(db, action, "assessment", record["id"], center_id=record["center_id"])
    return record, row


@bp.route("/r/<token>/roadmap.pdf")
@requires(Right.PUBLIC)
def roadmap_pdf(token: str):
    record, _row = _record(token, "download")
    return pdf_download(record, ui_language())


@bp.route("/r/<token>/confirmed.pdf")
@requires(Right.PUBLIC)
def confirmed_pdf(token: str):
    """The roadmap the consultant confirmed, for the holder of the link it started from."""
    db = get_db()
    row, record = service.result_of(db, token)
    found = service.confirmed_diagnosis(db, token, row, record) if record else None
    if found is None:
        abort(404)
    audit.record_alone(
        db, "download", "assessment", found["record"]["id"], center_id=record["center_id"]
    )
    return pdf_download(found["record"], ui_language())


@bp.route("/r/<token>")
@requires(Right.PUBLIC)
def result(token: str):
    db = get_db()
    row = service.by_token(db, token)
    if row is not None and row["assessment_id"] is None:  # not submitted yet: carry on
        return redirect(
            url_for("self_assessment.screen", token=token, key=ByLink(token).resume_screen())
        )
    record, row = _record(token, "view")
    lang = ui_language()
    questionnaire = questionnaire_of(db, current_app.extensions["questionnaires"], record)
    diagnosis = latest_diagnosis(db, record["id"])
    answers = load_answers(db, record["id"])[0]
    with force_locale(lang):
        report = report_context(db, record, lang)
    scores = diagnosis["scores"]
    few = [
        d
        for d in questionnaire.dimensions
        if scores[d.id]["applicable"]
        and scores[d.id]["answered"] < FEW_ANSWERS * scores[d.id]["applicable"]
    ]
    left = (
        service.questions_left(questionnaire, "full", answers)
        if row is not None and row["form"] == "short" and questionnaire.has_short_form
        else 0
    )
    return render_template(
        "self_result.html",
        record=record,
        row=row,
        token=token,
        questionnaire=questionnaire,
        diagnosis=diagnosis,
        words=explain(diagnosis["prediction"], questionnaire, scores, lang, answers),
        report=report,
        scores=scores,
        few=few,
        left=left,
        left_minutes=max(1, round(left * service.SECONDS_PER_QUESTION / 60)),
        sharpening=row is not None and row["status"] == "answering",
        link=link_url(token),
        center=service.center_of(db, record["center_id"]),
        request_made=service.open_request(db, record["id"]),
        confirmed=_confirmed(db, token, row, record, lang),
        email_form=OwnerEmailForm(formdata=None) if row is not None else None,
    )


def _confirmed(db, token: str, row, record, lang: str) -> dict[str, Any] | None:
    """The consultant's decision on the diagnosis started from this link's self-assessment:
    the confirmed track and roadmap, dated (what the firm typed, and that decision, only)."""
    found = service.confirmed_diagnosis(db, token, row, record)
    if found is None:
        return None
    with force_locale(lang):
        found["report"] = report_context(db, found["record"], lang)
    return found


# --- asking the regional center for a consultant ---------------------------------------------


@bp.route("/r/<token>/consultant", methods=["GET", "POST"])
@requires(Right.PUBLIC)
@limiter.limit(lambda: current_app.config["SELF_ASSESSMENT_RATE_LIMIT"], methods=["POST"])
def consultant_request(token: str):
    db = get_db()
    _row, record = service.result_of(db, token)
    if record is None:
        abort(404)
    profile = record["profile"]
    form = ConsultantRequestForm(
        data={
            "contact_name": profile.get("contact_name", ""),
            "contact_phone": profile.get("contact_phone", ""),
            "contact_email": profile.get("contact_email", ""),
        }
    )
    if form.validate_on_submit():
        try:
            requests.request_consultant(
                db,
                record["id"],
                {
                    "contact_name": form.contact_name.data,
                    "contact_phone": form.contact_phone.data,
                    "contact_email": form.contact_email.data,
                    "message": form.message.data,
                },
                consent=bool(form.consent.data),
                lang=ui_language(),
            )
        except requests.RequestError:
            abort(400)
        if form.contact_email.data and _row is not None and not _row.get("notify_email"):
            from ..services import mailing

            # The address given for the request also hears when the confirmed roadmap is
            # ready (the request's consent: to arrange and follow the consultation).
            mailing.owner_gives_email(
                db, _row, token, form.contact_email.data, ui_language(), send_link=False
            )
        flash(_("Your request is received. The center will contact you."), "success")
        return redirect(url_for(".result", token=token, _anchor="request"))
    status = 200 if request.method == "GET" else (400 if form.website.errors else 422)
    return render_template(
        "self_request.html",
        form=form,
        record=record,
        token=token,
        center=service.center_of(db, record["center_id"]),
    ), status
