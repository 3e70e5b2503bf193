"""The center's pages: the dashboard, requests and assignments, batch printing, exports,
re-diagnosis (carried answers confirmed per section, training taken, T0 against T1).

Thin views: each calls one service; the role and caseload checks are the services' and
``access.guard_request``'s, the same as for the consultant's pages and the API.
"""

from __future__ import annotations

import re
import tempfile
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
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..records.assessments import NotEditable, get_assessment
from ..records.questionnaire_versions import questionnaire_of
from ..services import access, batch, caseload, dashboard, export, rediagnosis, requests
from ..services.access import Right, requires
from ..services.logins import consultants_of, user_name
from ..storage import get_db
from . import charts
from .center_forms import (
    SIZE_NAMES,
    ActionForm,
    AssignForm,
    BatchForm,
    TrainingForm,
    firm_filter_form,
)
from .forms import ui_language
from .ids import parse_id

bp = Blueprint("center", __name__)


def catalogue():
    return current_app.extensions["questionnaires"]


def _firm_ids() -> list[int]:
    """The firms ticked in a list (a value that is no id is a firm that does not exist)."""
    ids = [parse_id(v) for v in request.form.getlist("firm")]
    if None in ids:
        abort(404)
    return [i for i in ids if i is not None]


def _forbidden_or_missing(error: Exception):
    abort(403 if isinstance(error, access.Forbidden) else 404)


# --- the dashboard -----------------------------------------------------------------------------


@bp.route("/center/profile", methods=["GET", "POST"])
@requires(Right.STAFF)
def center_profile():
    """The center's phone, e-mail and address, as the firms' reports print them (staff)."""
    from flask_wtf import FlaskForm

    from ..services import center_profile as profile

    db = get_db()
    form = FlaskForm()  # the CSRF token
    values = profile.contact(db, current_user.center_id)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        values = {**values, **{f: request.form.get(f, "") for f in profile.FIELDS}}
        errors = profile.save(db, current_user, request.form)
        if not errors:
            flash(_("Saved: the reports print this contact."), "success")
            return redirect(url_for(".center_profile"))
    return render_template("center/profile.html", form=form, values=values, errors=errors), (
        422 if errors else 200
    )


@bp.route("/center")
@requires(Right.STAFF)
def dashboard_page():
    """The center at a glance, for its staff: the pipeline, tracks, overrides, requests."""
    db = get_db()
    questionnaire = catalogue().current
    form, query = firm_filter_form(db, current_user, questionnaire, request.args)
    data = dashboard.dashboard(
        db, current_user, query["filters"], [d.id for d in questionnaire.dimensions]
    )
    lang = ui_language()
    stage_names = STAGE_NAMES()
    track_series = [(t, _track_name(t)) for t in data["tracks"]]
    industry = questionnaire.profile_field("industry")
    pipeline_rows = [(stage_names[s], n) for s, n in data["pipeline"]]
    industry_rows = [
        (re.sub(r"^[A-Z]\.\s*", "", industry.choice_label(k, lang)), v)
        for k, v in data["by_industry"]
    ]
    size_rows = [(str(SIZE_NAMES()[k]), v) for k, v in data["by_size"]]
    from ..services import center_profile

    return render_template(
        "center/dashboard.html",
        contact_missing=center_profile.missing(db, current_user.center_id),
        form=form,
        data=data,
        stage_names=stage_names,
        industry_rows=industry_rows,
        size_rows=size_rows,
        track_series=track_series,
        questionnaire=questionnaire,
        pipeline_chart=charts.bar_chart(
            pipeline_rows,
            _("Pipeline: firms at each step. %(list)s", list=_listing(pipeline_rows)),
        ),
        industry_chart=charts.stacked_chart(
            industry_rows,
            track_series,
            _("Tracks by industry. %(list)s", list=_stacked_listing(industry_rows, track_series)),
        ),
        size_chart=charts.stacked_chart(
            size_rows,
            track_series,
            _("Tracks by size. %(list)s", list=_stacked_listing(size_rows, track_series)),
        ),
        consultants=consultants_of(db, current_user.center_id),
        assign_form=AssignForm(),
        query_args=form.query_args(page=None),
        followed=_followed(db),
    )


def _followed(db) -> dict[str, Any]:
    """The requests' answering on the dashboard (the page ``/center/requests`` details it),
    with each request's waiting time by its id (``waits``) for the requests listed."""
    promise = requests.answer_days(
        db, current_user.center_id, current_app.config["REQUEST_ANSWER_DAYS"]
    )
    followed = requests.tracking(db, current_user.center_id, promise, rows=False)
    return {**followed, "waits": {r["id"]: r for r in followed["requests"]}}


def STAGE_NAMES() -> dict[str, str]:  # noqa: N802  (a table in the UI language)
    return {
        "registered": _("Registered"),
        "requested": _("Requested a consultant"),
        "draft": _("Diagnosis in progress"),
        "diagnosed": _("Diagnosed"),
        "referred": _("Referred to a shared center"),
        "in_training": _("In training"),
        "rediagnosed": _("Re-diagnosed"),
    }


def _track_name(track: str) -> str:
    from ..diagnosis.explanations import track_name

    return track_name(track)


def _listing(rows) -> str:
    return "; ".join(f"{label} {value}" for label, value in rows) + "."


def _stacked_listing(rows, series) -> str:
    parts = []
    for label, values in rows:
        inner = ", ".join(f"{name} {values.get(key, 0)}" for key, name in series)
        parts.append(f"{label}: {inner}")
    return "; ".join(parts) + "." if parts else _("No diagnosed firms.")


# --- requests and assignments ------------------------------------------------------------------


@bp.route("/center/requests/<int:request_id>/assign", methods=["POST"])
@requires(Right.STAFF)
def assign_request(request_id: int):
    """Give a self-assessed firm's request to a consultant; the firm joins their caseload."""
    db = get_db()
    if requests.get_request(db, current_user.center_id, request_id) is None:
        abort(404)  # another center's request looks like a missing one
    form = AssignForm()
    form.consultant.choices = [
        (str(c["id"]), c["name"]) for c in consultants_of(db, current_user.center_id)
    ]
    if not form.validate_on_submit():
        flash(_("Choose a consultant of your center."), "error")
        return redirect(url_for(".dashboard_page") + "#requests")
    try:
        done = requests.assign_request(
            db, current_user.center_id, request_id, int(form.consultant.data), current_user.id
        )
    except requests.RequestError as error:
        if "request" in error.errors and error.errors["request"] == "no such request":
            abort(404)
        flash(
            _(
                "This request cannot be assigned: it is closed or the consultant is not of "
                "your center."
            ),
            "error",
        )
        return redirect(url_for(".dashboard_page") + "#requests")
    flash(
        _("The request is assigned to %(name)s.", name=done.get("assigned_name") or ""), "success"
    )
    return redirect(url_for(".dashboard_page") + "#requests")


@bp.route("/center/requests/<int:request_id>/close", methods=["POST"])
@requires(Right.STAFF)
def close_request(request_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        requests.close_request(get_db(), current_user.center_id, request_id, current_user.id)
    except requests.RequestError:
        abort(404)
    flash(_("The request is closed."), "success")
    return redirect(url_for(".dashboard_page") + "#requests")


@bp.route("/firms/assign", methods=["POST"])
@requires(Right.STAFF)
def assign_firms():
    """Give the firms ticked in the list to a consultant (or take them back)."""
    db = get_db()
    if not ActionForm().validate_on_submit():
        abort(400)
    target = request.form.get("consultant", "")
    firm_ids = _firm_ids()
    back = request.form.get("back", "")
    back = back if back.startswith("/firms") else url_for("consultant.firms")
    if not firm_ids:
        flash(_("Tick the firms to assign first."), "error")
        return redirect(back)
    if any(access.visible_firm(db, current_user, f) is None for f in firm_ids):
        abort(404)  # a firm of another center, or not this user's to see
    consultant = parse_id(target)
    if consultant is None and target != "none":
        flash(_("Choose a consultant of your center."), "error")
        return redirect(back)
    try:
        changed = caseload.assign_firms(db, current_user, firm_ids, consultant)
    except caseload.AssignmentError:
        flash(_("Choose a consultant of your center."), "error")
        return redirect(back)
    except (access.NotFound, access.Forbidden) as error:
        _forbidden_or_missing(error)
    flash(_("%(n)s firms assigned.", n=changed), "success")
    return redirect(back)


# --- batch printing ----------------------------------------------------------------------------


@bp.route("/center/batches", methods=["POST"])
@requires(Right.SIGNED_IN)
def start_batch():
    """Print the reports of the ticked firms, or of every firm matching the filter."""
    db = get_db()
    form = BatchForm()
    if not form.validate_on_submit():
        abort(400)
    filter_form, query = firm_filter_form(db, current_user, catalogue().current, request.args)
    firm_ids = _firm_ids()
    if request.form.get("scope") == "filter":
        firm_ids = []
    try:
        chosen = batch.selection(db, current_user, query["filters"], firm_ids or None)
    except access.NotFound:
        abort(404)
    if not chosen:
        flash(_("None of these firms has a diagnosis to print."), "error")
        return redirect(url_for("consultant.firms", **filter_form.query_args(page=None)))
    try:
        batch_id = batch.create_batch(
            db,
            current_user,
            chosen,
            form.lang.data,
            form.format.data,
            query["filters"].as_dict(),
        )
    except batch.BatchError:
        flash(
            _("A batch prints at most %(n)s reports: narrow the filter.", n=batch.MAX_REPORTS),
            "error",
        )
        return redirect(url_for("consultant.firms", **filter_form.query_args(page=None)))
    except (access.NotFound, access.Forbidden) as error:
        _forbidden_or_missing(error)
    batch.enqueue_batch(batch_id, len(chosen))
    return redirect(url_for(".batch_page", batch_id=batch_id))


def _batch_or_404(batch_id: int) -> dict[str, Any]:
    try:
        return batch.batch_for_user(get_db(), current_user, batch_id)
    except access.NotFound:
        abort(404)


@bp.route("/center/batches/<int:batch_id>")
@requires(Right.SIGNED_IN)
def batch_page(batch_id: int):
    _batch_or_404(batch_id)
    return render_template("center/batch.html", progress=batch.progress(get_db(), batch_id))


@bp.route("/center/batches/<int:batch_id>/status")
@requires(Right.SIGNED_IN, json=True)
def batch_status(batch_id: int):
    """The batch's progress as JSON, for the page's progress bar."""
    _batch_or_404(batch_id)
    progress = batch.progress(get_db(), batch_id)
    if progress["status"] == "running" and batch.stalled(get_db(), current_app.config, batch_id):
        batch.enqueue_batch(batch_id, 1, restart=True)  # a dead consumer, or chains that ended
    finished = progress["done"] + progress["failed"]
    return jsonify(
        status=progress["status"],
        total=progress["total"],
        done=progress["done"],
        failed=progress["failed"],
        percent=round(100 * finished / progress["total"]) if progress["total"] else 100,
        message=_(
            "%(finished)s of %(total)s reports done, %(failed)s failed.",
            finished=finished,
            total=progress["total"],
            failed=progress["failed"],
        ),
        failures=[
            {"firm": f["firm_name"], "assessment_id": f["assessment_id"]}
            for f in progress["failures"]
        ],
        download_url=url_for(".batch_download", batch_id=batch_id) if progress["ready"] else None,
    )


@bp.route("/center/batches/<int:batch_id>/download")
@requires(Right.SIGNED_IN)
def batch_download(batch_id: int):
    found = _batch_or_404(batch_id)
    path = batch.batch_file(Path(current_app.instance_path), found)
    if path is None:
        abort(404)
    mimetype = "application/zip" if found["format"] == "zip" else "application/pdf"
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"roadmaps-{found['id']}-{found['lang']}.{found['format']}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- exports -----------------------------------------------------------------------------------


@bp.route("/center/export.<file_format>")
@requires(Right.STAFF)
def export_file(file_format: str):
    """The dashboard's firms as CSV or XLSX, with Korean headers."""
    if file_format not in export.FORMATS:
        abort(404)
    db = get_db()
    questionnaire = catalogue().current
    _form, query = firm_filter_form(db, current_user, questionnaire, request.args)
    # Written row by row into an unnamed temporary file and sent from there: the worker never
    # holds the export, whatever its size (the file is gone when the response closes).
    out = tempfile.TemporaryFile(dir=Path(current_app.instance_path))  # noqa: SIM115 (sent)
    try:
        export.export(db, current_user, query["filters"], file_format, questionnaire, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = send_file(
        out,
        mimetype=export.CONTENT_TYPES[file_format],
        as_attachment=True,
        download_name=f"diagnoses-{date.today().isoformat()}.{file_format}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- re-diagnosis ------------------------------------------------------------------------------


@bp.route("/assessments/<int:assessment_id>/carried", methods=["GET"])
@requires(Right.DRAFT)
def carried(assessment_id: int):
    """A re-diagnosis draft: per section, the answers carried over from the last diagnosis,
    each section confirmed as still true or opened to change."""
    db = get_db()
    record = get_assessment(db, current_user.center_id, assessment_id)
    if record is None:
        abort(404)
    if record["status"] != "draft":
        return redirect(url_for("consultant.result", assessment_id=assessment_id))
    questionnaire = questionnaire_of(db, catalogue(), record)
    return render_template(
        "center/carried.html",
        record=record,
        questionnaire=questionnaire,
        sections=caseload.carried_sections(db, questionnaire, assessment_id),
        form=ActionForm(),
    )


@bp.route("/assessments/<int:assessment_id>/carried/<section>", methods=["POST"])
@requires(Right.DRAFT)
def confirm_section(assessment_id: int, section: str):
    db = get_db()
    record = get_assessment(db, current_user.center_id, assessment_id)
    if record is None or not ActionForm().validate_on_submit():
        abort(404 if record is None else 400)
    questionnaire = questionnaire_of(db, catalogue(), record)
    try:
        count = caseload.confirm_section(db, current_user, questionnaire, assessment_id, section)
    except access.NotFound:
        abort(404)
    except NotEditable:
        return redirect(url_for("consultant.result", assessment_id=assessment_id))
    flash(_("%(n)s answers confirmed as still true.", n=count), "success")
    return redirect(url_for(".carried", assessment_id=assessment_id) + f"#s-{section}")


def _training_choices() -> list[tuple[str, str]]:
    from ..services import registry

    lang = ui_language()
    data = registry.current_data(get_db(), current_app)
    return [(m.id, m.title.get(lang)) for m in data.catalogue.modules] if data else []


@bp.route("/firms/<int:firm_id>/training", methods=["POST"])
@requires(Right.SIGNED_IN)
def add_training(firm_id: int):
    """Record a training the firm took between two diagnoses."""
    db = get_db()
    firm = access.visible_firm(db, current_user, firm_id)
    if firm is None:
        abort(404)
    form = TrainingForm()
    form.module.choices = _training_choices()
    if not form.validate_on_submit():
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
        return redirect(url_for("consultant.firm", firm_id=firm_id) + "#training")
    titles = dict(form.module.choices)
    try:
        caseload.record_training(
            db,
            current_user,
            firm,
            form.module.data,
            titles.get(form.module.data, form.module.data),
            form.started_on.data,
            form.ended_on.data,
            float(form.hours.data),
            form.trainees.data,
        )
    except access.Forbidden:
        abort(403)
    flash(_("The training is recorded."), "success")
    return redirect(url_for("consultant.firm", firm_id=firm_id) + "#training")


@bp.route("/firms/<int:firm_id>/training/<int:record_id>/delete", methods=["POST"])
@requires(Right.SIGNED_IN)
def delete_training(firm_id: int, record_id: int):
    db = get_db()
    firm = access.visible_firm(db, current_user, firm_id)
    if firm is None or not ActionForm().validate_on_submit():
        abort(404 if firm is None else 400)
    try:
        caseload.delete_training(db, current_user, firm, record_id)
    except (access.NotFound, access.Forbidden) as error:
        _forbidden_or_missing(error)
    flash(_("The training record is deleted."), "success")
    return redirect(url_for("consultant.firm", firm_id=firm_id) + "#training")


def firm_extras(firm: dict[str, Any]) -> dict[str, Any]:
    """What the firm page shows besides its profile and diagnoses: the training it took,
    T0 against T1, and the form to record training (for the firm page's template)."""
    from ..roadmap.movement import movement_table

    db = get_db()
    lang = ui_language()
    latest = rediagnosis.latest_decided(db, firm["id"])  # decided against decided only
    compared = None
    if latest:
        record = get_assessment(db, firm["center_id"], latest)
        questionnaire = questionnaire_of(db, catalogue(), record)
        compared = rediagnosis.comparison(db, questionnaire, latest, lang)
    table = None
    if compared:
        table = movement_table(
            compared["dimensions"],
            {
                "caption": _(
                    "Scores out of 100: the earlier diagnosis (%(t0)s, grey) against the latest "
                    "(%(t1)s, blue).",
                    t0=compared["t0"]["submitted_at"][:10],
                    t1=compared["t1"]["submitted_at"][:10],
                ),
                "area": _("Area"),
                "t0": _("Before"),
                "t1": _("Now"),
                "change": _("Score change"),
                "chart": _("Chart"),
            },
        )
    form = TrainingForm()
    form.module.choices = _training_choices()
    return {
        "assignee_name": user_name(db, firm["assigned_to"]),
        "training": caseload.training_of(db, firm["id"]),
        "training_form": form,
        "comparison": compared,
        "movement_table": table,
        "may_work": access.may_work_on(current_user, firm),
        "action_form": ActionForm(),
    }
