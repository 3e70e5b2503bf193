"""The training doctor's pages: firms, and the interview one dimension per page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
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
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from ..diagnosis.explanations import explain
from ..diagnosis.scoring import missing_required
from ..diagnosis.store import DecisionError, latest_diagnosis, override_rates
from ..questionnaire.schema import Questionnaire
from ..records.assessments import firm_assessments, get_assessment, self_assessment_answers
from ..records.firms import (
    FirmFilter,
    create_firm,
    firm_profile,
    firm_with_number,
    get_firm,
    update_firm,
)
from ..records.self_assessed import link_evidence, link_self_assessed
from ..services import access, answering, audit, caseload, lifecycle, reports, submissions
from ..services.access import Right, requires
from ..services.answering import PROFILE, REVIEW
from ..services.decisions import record_decision
from ..services.self_assessment import compare_with_self_assessment
from ..storage import get_db
from . import answering as pages
from . import pdf_download
from .forms import ConfirmForm, DecisionForm, profile_form_class, profile_values, ui_language
from .ids import parse_id

bp = Blueprint("consultant", __name__)


def catalogue():
    return current_app.extensions["questionnaires"]


def _audit(action: str, target: str, target_id: int | None, detail: str = "") -> None:
    audit.record_alone(
        get_db(),
        action,
        target,
        target_id,
        center_id=current_user.center_id,
        user_id=current_user.id,
        detail=detail,
    )


def _login_expired():
    # The page keeps the answers in the browser and asks the user to log in again.
    return jsonify(error="login_required", login_url=url_for("auth.login")), 401


# Each view declares its right (``@requires``); the app's one ``before_request``
# (``access.guard_request``) checks it and the caseload of any firm or assessment the page
# names: another center's firm is a 404, a colleague's draft a 403.


@bp.route("/csrf-token")
@requires(Right.SIGNED_IN, json=True)
def csrf_token():
    """A fresh token for a page whose token was refused (the page renews it and saves again)."""
    return jsonify(csrf_token=generate_csrf())


# --- firms -----------------------------------------------------------------------------------


@bp.route("/firms")
@requires(Right.SIGNED_IN)
def firms():
    """The firms of the user's caseload: filtered, sorted, a page at a time, with the total."""
    from .center_forms import firm_filter_form

    form, query = firm_filter_form(get_db(), current_user, catalogue().current, request.args)
    listing = caseload.firm_list(get_db(), current_user, **query)
    return render_template("firms.html", form=form, questionnaire=catalogue().current, **listing)


@bp.route("/firms/new", methods=["GET", "POST"])
@requires(Right.SIGNED_IN)
def new_firm():
    questionnaire = catalogue().current
    form = profile_form_class(questionnaire, ui_language())()
    if form.validate_on_submit():
        profile = profile_values(form)
        db = get_db()
        existing = firm_with_number(db, current_user.center_id, profile["business_number"])
        if existing:
            form.business_number.errors.append(_already_registered(db, existing))
        else:
            firm_id = create_firm(db, current_user.center_id, current_user.id, profile)
            _audit("create", "firm", firm_id)
            flash(_("Firm registered."), "success")
            return redirect(url_for(".firm", firm_id=firm_id))
    status = 422 if form.is_submitted() else 200
    return render_template("firm_new.html", form=form, questionnaire=questionnaire), status


def _already_registered(db, existing: dict[str, Any]) -> str:
    """Why a business number is refused: the firm's name only to whom may see the firm."""
    if access.visible_firm(db, current_user, existing["id"]) is None:
        return _(
            "A firm with this business registration number is already registered at your "
            "center, outside your caseload: ask your center's staff to assign it to you."
        )
    return _(
        "A firm with this business registration number is already registered: %(name)s.",
        name=existing["name"],
    )


def _firm_or_404(firm_id: int) -> dict[str, Any]:
    firm = get_firm(get_db(), current_user.center_id, firm_id)
    if firm is None:
        abort(404)  # another center's firm looks exactly like a missing one
    return firm


@bp.route("/firms/<int:firm_id>")
@requires(Right.SIGNED_IN)
def firm(firm_id: int):
    firm = _firm_or_404(firm_id)
    _audit("view", "firm", firm_id)
    db = get_db()
    registered = (
        firm_with_number(db, current_user.center_id, firm["business_number"])
        if firm["origin"] == "self"
        else None
    )
    from ..services import requests as firm_requests
    from .center import firm_extras  # training taken, T0 against T1 (the center's part)

    return render_template(
        "firm.html",
        firm=firm,
        assessments=firm_assessments(db, firm_id),
        questionnaire=catalogue().current,
        registered=registered,
        link_evidence=link_evidence(firm, registered) if registered else None,
        firm_requests=firm_requests.firm_requests(db, current_user.center_id, firm_id),
        **firm_extras(firm),
    )


@bp.route("/firms/<int:firm_id>/edit", methods=["GET", "POST"])
@requires(Right.SIGNED_IN)
def edit_firm(firm_id: int):
    """Correct a firm's details (the next diagnosis starts from them)."""
    firm = _firm_or_404(firm_id)
    questionnaire = catalogue().current
    form = profile_form_class(questionnaire, ui_language())(data=firm_profile(firm))
    if form.validate_on_submit():
        profile = profile_values(form)
        db = get_db()
        other = firm_with_number(db, current_user.center_id, profile["business_number"])
        if other and other["id"] != firm_id and firm["origin"] == "center":
            form.business_number.errors.append(_already_registered(db, other))
        else:
            update_firm(db, firm_id, profile)
            _audit("update", "firm", firm_id)
            flash(_("The firm's details are saved."), "success")
            return redirect(url_for(".firm", firm_id=firm_id))
    status = 422 if form.is_submitted() else 200
    return render_template("firm_edit.html", form=form, firm=firm), status


@bp.route("/firms/<int:firm_id>/link", methods=["POST"])
@requires(Right.STAFF)
def link(firm_id: int):
    """File a self-assessment under the center's registered firm (a staff decision)."""
    self_firm = _firm_or_404(firm_id)
    target = parse_id(request.form.get("firm_id", ""))
    if self_firm["origin"] != "self" or target is None:
        abort(400)
    registered = get_firm(get_db(), current_user.center_id, target)
    if registered is None:
        abort(404)
    # The public business number alone is no evidence: the contact must match, or staff
    # confirm that they checked with the firm through the contact the center holds.
    evidence = link_evidence(self_firm, registered)
    if evidence is None and request.form.get("confirmed") == "1":
        evidence = "confirmed"
    if evidence is None:
        flash(
            _(
                "Only the business registration number matches. Check with the firm, through "
                "the contact your center holds, that this self-assessment is theirs, then tick "
                "the box."
            ),
            "error",
        )
        return redirect(url_for(".firm", firm_id=firm_id))
    try:
        link_self_assessed(get_db(), current_user.center_id, firm_id, target, evidence)
    except ValueError:
        abort(404)
    _audit("link", "firm", target, detail=f"self-assessed firm {firm_id} ({evidence})")
    flash(_("The self-assessment is filed under this firm."), "success")
    return redirect(url_for(".firm", firm_id=target))


@bp.route("/firms/<int:firm_id>/erase", methods=["POST"])
@requires(Right.STAFF)
def erase(firm_id: int):
    """Delete a firm's personal data on its request (PIPA), keeping an anonymised record."""
    firm = _firm_or_404(firm_id)
    if request.form.get("confirm") != firm["business_number"]:
        flash(_("Type the firm's business registration number to confirm the deletion."), "error")
        return redirect(url_for(".firm", firm_id=firm_id))
    lifecycle.erase_firm(
        get_db(),
        current_user.center_id,
        firm_id,
        current_user.id,
        Path(current_app.instance_path) / "reports",
        queue=current_app.extensions["queue"],
    )
    flash(_("The firm's personal data is deleted; its anonymised scores remain."), "success")
    return redirect(url_for(".firms"))


@bp.route("/firms/<int:firm_id>/assessments", methods=["POST"])
@requires(Right.WORK)
def start(firm_id: int):
    firm = _firm_or_404(firm_id)
    # A re-diagnosis starts from the firm's last answers; each section is then confirmed or
    # changed (center.carried). A firm that assessed itself: the interview starts from its
    # answers, marked as the firm's own.
    assessment_id, created, confirm = caseload.start_or_resume(
        get_db(), current_user, firm, catalogue().current
    )
    if not created:
        flash(_("This firm already has a draft diagnosis: it is opened where you left it."), "info")
    if confirm:
        return redirect(url_for("center.carried", assessment_id=assessment_id))
    return redirect(url_for(".step", assessment_id=assessment_id, step=PROFILE))


# --- the interview ---------------------------------------------------------------------------


class Interview:
    """One assessment of the user's center, answered on the answering engine
    (``services.answering``): its questionnaire version, stored answers and the steps."""

    def __init__(self, assessment_id: int):
        db = get_db()
        self.record = get_assessment(db, current_user.center_id, assessment_id)
        if self.record is None:
            abort(404)
        self.id = assessment_id
        self.answering = answering.interview(db, catalogue(), self.record, current_user)
        self.questionnaire: Questionnaire = self.answering.questionnaire
        self.answers, self.notes = self.answering.answers, self.answering.notes
        self.steps = self.answering.steps
        # Answers still as the firm gave them in its self-assessment, and what it gave.
        self.carried = self.answering.carried
        self.firm_answers = self_assessment_answers(db, self.record.get("based_on"))

    @property
    def is_draft(self) -> bool:
        return self.record["status"] == "draft"

    def dimension(self, step: str):
        return self.answering.dimension(step)

    def form_for(self, step: str, formdata: Any = None, stored_only: bool = False):
        """The step's form, from the request or, with ``formdata=None``, from storage."""
        return pages.page_form(self.answering, self.answering.page(step), formdata, stored_only)

    def progress(self) -> dict[str, dict[str, int]]:
        return self.answering.progress_by_dimension()


def _neighbour(interview: Interview, step: str, offset: int) -> str:
    """The page ``offset`` away, as the engine counts it (a page with nothing to ask is
    passed over, as on the owner's screens)."""
    return interview.answering.neighbour(step, offset)


@bp.route("/assessments/<int:assessment_id>/<step>", methods=["GET", "POST"])
@requires(Right.DRAFT)
def step(assessment_id: int, step: str):
    interview = Interview(assessment_id)
    if not interview.is_draft:
        return redirect(url_for(".result", assessment_id=assessment_id))
    if step not in interview.steps:
        abort(404)
    if step == REVIEW:
        return _review(interview)
    if request.method == "POST":
        form, outcome = pages.take_page(interview.answering, interview.answering.page(step))
        if outcome == "unsaved":  # too long to store, or unstorable characters
            flash(_("Some answers on this page cannot be saved: see the marked fields."), "error")
            return _render_step(interview, step, form), 422
        if outcome == "invalid":  # leaving forward checks the page; back or a jump never blocks
            flash(
                _("Some answers on this page need attention; everything you entered is saved."),
                "error",
            )
            return _render_step(interview, step, form), 422
        action, _sep, target = request.form.get("action", "next").partition(":")
        session["saved_step"] = f"{assessment_id}:{step}"
        if target in interview.steps:
            return redirect(url_for(".step", assessment_id=assessment_id, step=target))
        offset = -1 if action == "back" else 0 if action == "save" else 1
        return redirect(
            url_for(".step", assessment_id=assessment_id, step=_neighbour(interview, step, offset))
        )
    return _render_step(interview, step, interview.form_for(step))


def _render_step(interview: Interview, step: str, form, notice: str | None = None):
    saved_step = session.pop("saved_step", "")
    return render_template(
        "interview_step.html",
        interview=interview,
        step=step,
        form=form,
        dimension=None if step == PROFILE else interview.dimension(step),
        previous=_neighbour(interview, step, -1),
        saved_step=saved_step.split(":", 1)[1] if saved_step.startswith(f"{interview.id}:") else "",
        notice=notice,
        choice_answers=interview.answering.choice_answers(),
    )


@bp.route("/assessments/<int:assessment_id>/autosave", methods=["POST"])
@requires(Right.DRAFT, json=True)
def autosave(assessment_id: int):
    """The page's background save: the same fields as the page, saved without judging them."""
    interview = Interview(assessment_id)
    step = request.form.get("step", "")
    if not interview.is_draft:
        return jsonify(error="submitted"), 409
    if step not in interview.steps or step == REVIEW:
        return jsonify(error="unknown_step"), 400
    # What cannot be stored is refused whole; the page keeps what was typed and says why.
    return pages.autosave(interview.answering, interview.answering.page(step))


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """A refused token never costs answers: the background save renews it and tries again,
    and a page sent with an old token comes back with everything as typed, unsaved."""
    if request.endpoint == "consultant.autosave":
        if not current_user.is_authenticated:
            return _login_expired()
        return jsonify(error="csrf", reason=error.description), 400
    if request.endpoint == "consultant.step" and current_user.is_authenticated:
        # The token is checked before the page's right: check it here before showing answers.
        try:
            access.check_page(get_db(), current_user, Right.DRAFT, request.view_args, "POST")
        except (access.NotFound, access.Forbidden):
            return render_template("csrf_error.html"), 400
        interview = Interview(request.view_args["assessment_id"])
        step = request.view_args["step"]
        if interview.is_draft and step in interview.steps and step != REVIEW:
            notice = _(
                "Your page was open too long to be saved safely. Your answers are shown "
                "as you entered them: press Save to keep them."
            )
            return _render_step(
                interview, step, interview.form_for(step, request.form), notice
            ), 400
    return render_template("csrf_error.html"), 400


def _review(interview: Interview):
    """The last step: what is still missing, then submit."""
    profile_form = interview.form_for(PROFILE, formdata=None, stored_only=True)
    profile_form.validate()
    profile_errors = profile_form.errors
    missing = missing_required(interview.questionnaire, interview.answers)
    invalid = _invalid_answers(interview)
    confirm = ConfirmForm() if request.method == "POST" else ConfirmForm(formdata=None)
    confirmed = request.method == "POST" and confirm.validate_on_submit()
    if confirmed and not (profile_errors or missing or invalid):
        # Submitted and diagnosed together, or neither; a second click finds it done.
        if submissions.submit_draft(
            get_db(),
            current_app.extensions["track_model"],
            interview.questionnaire,
            interview.id,
            current_user.id,
            profile_values(profile_form),
            interview.answers,
        ):
            flash(_("Diagnosis submitted."), "success")
        return redirect(url_for(".result", assessment_id=interview.id))
    if request.method == "POST" and (profile_errors or missing or invalid):
        flash(
            _("The diagnosis cannot be submitted yet: complete the answers listed below."), "error"
        )
    return render_template(
        "interview_review.html",
        interview=interview,
        step=REVIEW,
        profile_form=profile_form,
        profile_errors=profile_errors,
        missing=missing,
        invalid=invalid,
        confirm=confirm,
        previous=_neighbour(interview, REVIEW, -1),
    ), (422 if request.method == "POST" else 200)


def _invalid_answers(interview: Interview) -> dict[str, list[str]]:
    """Stored answers that would not pass their page's checks (e.g. a number with a letter).

    Missing answers are listed apart, so only answers that were given are looked at here.
    """
    invalid: dict[str, list[str]] = {}
    for dimension in interview.questionnaire.dimensions:
        errors = pages.stored_errors(interview.answering, interview.answering.page(dimension.id))
        for item in dimension.items:
            if item.id in errors and interview.answers.get(item.id) not in (None, "", []):
                invalid.setdefault(dimension.id, []).append(item.id)
    return invalid


@bp.route("/assessments/<int:assessment_id>")
@requires(Right.SIGNED_IN)
def result(assessment_id: int):
    interview = Interview(assessment_id)
    if interview.is_draft:
        return redirect(url_for(".step", assessment_id=assessment_id, step=PROFILE))
    _audit("view", "assessment", assessment_id)
    return _render_result(interview, DecisionForm())


def _render_result(interview: Interview, form: DecisionForm, status: int = 200):
    db = get_db()
    diagnosis = latest_diagnosis(db, interview.id)
    if diagnosis is None:  # submitted before this release: diagnose it now
        diagnosis = submissions.diagnose_late(
            db,
            current_app.extensions["track_model"],
            interview.questionnaire,
            interview.record,
            interview.answers,
        )
    lang = ui_language()
    return render_template(
        "result.html",
        interview=interview,
        diagnosis=diagnosis,
        form=form,
        scores=diagnosis["scores"],
        words=explain(
            diagnosis["prediction"],
            interview.questionnaire,
            diagnosis["scores"],
            lang,
            interview.answers,
        ),
        track=submissions.effective_track(diagnosis),
        comparison=compare_with_self_assessment(
            db, interview.questionnaire, interview.record, lang
        ),
        issued=reports.issue_state(db, interview.id),
    ), status


@bp.route("/assessments/<int:assessment_id>/decision", methods=["POST"])
@requires(Right.WORK)
def decision(assessment_id: int):
    """The consultant confirms the track or overrides it with a reason."""
    interview = Interview(assessment_id)
    if interview.is_draft:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_result(interview, form, 422)
    try:
        record_decision(
            get_db(), assessment_id, current_user, form.final_track.data, form.reason.data or ""
        )
    except DecisionError:
        form.reason.errors.append(_("Say why you chose a different track."))
        return _render_result(interview, form, 422)
    flash(_("Your decision is recorded."), "success")
    return redirect(url_for(".result", assessment_id=assessment_id))


@bp.route("/assessments/<int:assessment_id>/reissue", methods=["POST"])
@requires(Right.WORK)
def reissue(assessment_id: int):
    """Issue the report again from the catalogue and registry as they are now: dated and
    marked as revised; the firm's link then gives this one."""
    try:
        issued = reports.reissue(get_db(), current_user, assessment_id)
    except access.NotFound:
        abort(404)
    except access.Forbidden:
        abort(403)
    flash(
        _(
            "The report is reissued as revision %(n)s; the firm's link now gives it.",
            n=issued[0]["revision"],
        ),
        "success",
    )
    return redirect(url_for(".result", assessment_id=assessment_id))


@bp.route("/assessments/<int:assessment_id>/roadmap.pdf")
@requires(Right.SIGNED_IN)
def roadmap_pdf(assessment_id: int):
    """The firm's training roadmap as a PDF, in the UI language or ``?lang=``."""
    record = get_assessment(get_db(), current_user.center_id, assessment_id)
    if record is None or record["status"] != "submitted":
        abort(404)
    _audit("download", "assessment", assessment_id)
    return pdf_download(record, ui_language())


@bp.route("/assessments/<int:assessment_id>/task", methods=["GET", "POST"])
@requires(Right.SIGNED_IN)
def task_and_answers(assessment_id: int):
    """The stated task's themes (the model's reading, or the consultant's setting, which is
    kept and becomes a label) and the answers, a record apart from the CEO's report."""
    from ..services.roadmaps import set_task_themes, task_view
    from .forms import TaskThemesForm

    db = get_db()
    record = get_assessment(db, current_user.center_id, assessment_id)
    if record is None or record["status"] != "submitted":
        abort(404)
    lang = ui_language()
    view = task_view(db, current_app, record, lang)
    form = TaskThemesForm()
    form.themes.choices = view["choices"]
    if request.method == "POST":
        if form.validate_on_submit():
            set_task_themes(db, assessment_id, form.themes.data, current_user)
            flash(_("The kind of AI work is set; the plan follows it."), "success")
            return redirect(url_for(".task_and_answers", assessment_id=assessment_id))
        status = 422
    else:
        form.themes.data = [t["id"] for t in view["themes"]]
        _audit("view", "assessment", assessment_id, "task and answers")
        status = 200
    return render_template("task_answers.html", record=record, view=view, form=form), status


@bp.route("/center/overrides")
@requires(Right.SIGNED_IN)
def overrides():
    """How often this center's consultants override the model, per track and per person
    (a consultant: their own decisions only, not their colleagues')."""
    from ..services.dashboard import overrides as override_reasons

    return render_template(
        "overrides.html",
        rates=override_rates(
            get_db(), current_user.center_id, None if current_user.is_staff else current_user.id
        ),
        # the reasons, of the firms this user may see (a consultant: their caseload's)
        reasons=override_reasons(get_db(), current_user, FirmFilter(), 20),
    )


@bp.route("/center/audit")
@requires(Right.STAFF)
def audit_log():
    """Who viewed, changed or downloaded what in this center (its staff only)."""
    db = get_db()
    args = request.args
    before = args.get("before", "")
    if before and parse_id(before) is None:
        abort(400)  # not an entry's id
    who = args.get("user", "")
    days = {}
    for key in ("since", "until"):
        try:
            days[key] = date.fromisoformat(args.get(key, "")).isoformat()
        except ValueError:
            days[key] = ""  # an unreadable day filters nothing; the field shows what was typed
    actions, people = audit.actions_and_people(db, current_user.center_id)
    entries = audit.entries(
        db,
        current_user.center_id,
        parse_id(before),
        action=args.get("action", "") if args.get("action") in actions else "",
        user_id=parse_id(who),
        **days,
    )
    return render_template(
        "audit.html",
        entries=entries,
        actions=actions,
        people=people,
        action_names=AUDIT_ACTIONS(),
        target_names=AUDIT_TARGETS(),
        actor_names={
            "result link": _("the firm's result link"),
            "command line": _("the command line"),
            "self-assessment": _("the firm's self-assessment"),
            "api token": _("an API token"),
        },
        chosen=args,
        filter_args={k: v for k, v in args.items() if k != "before" and v},
    )


def AUDIT_ACTIONS() -> dict[str, str]:  # noqa: N802  (a table in the UI language)
    """What each recorded action is called in the log (a code not listed shows as it is)."""
    return {
        "act": _("acted for a center"),
        "assign": _("assigned"),
        "close": _("closed"),
        "cohort_answer": _("recorded a cohort answer"),
        "cohort_form": _("formed a cohort"),
        "cohort_invite": _("invited a cohort"),
        "confirm": _("confirmed"),
        "create": _("created"),
        "decide": _("decided the track"),
        "delete": _("deleted"),
        "disable": _("disabled"),
        "download": _("downloaded"),
        "edit": _("edited"),
        "enable": _("enabled"),
        "erase": _("erased personal data"),
        "export": _("exported"),
        "link": _("filed a self-assessment"),
        "print": _("printed"),
        "record": _("recorded"),
        "request": _("asked for a consultant"),
        "reset_password": _("reset the password"),
        "revoke_tokens": _("revoked API tokens"),
        "save": _("saved"),
        "submit": _("submitted"),
        "update": _("changed"),
        "view": _("viewed"),
    }


def AUDIT_TARGETS() -> dict[str, str]:  # noqa: N802
    return {
        "assessment": _("diagnosis"),
        "batch": _("batch print"),
        "catalogue_module": _("training module"),
        "center": _("center"),
        "cohorts": _("cohort"),
        "consultant_request": _("request"),
        "firm": _("firm"),
        "firms": _("the firm list"),
        "registry_center": _("joint center"),
        "training": _("training record"),
        "user": _("login"),
    }
