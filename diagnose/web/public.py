"""Pages without a login: a self-assessed firm's result, reached by its secret link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from .. import assessments as ops
from ..diagnosis.explanations import explain
from ..diagnosis.store import latest_diagnosis
from ..roadmap.report import pdf_response
from ..services import audit
from ..services.submissions import hash_token
from ..storage import get_db, transaction
from .forms import ui_language

bp = Blueprint("public", __name__)


def _record(token: str, action: str):
    """The self-assessment behind a result link (404 once expired); the visit is audited."""
    record = ops.assessment_by_result_token(get_db(), hash_token(token))
    if record is None:
        abort(404)
    with transaction(get_db()) as db:
        audit.record(db, action, "assessment", record["id"], center_id=record["center_id"])
    return record


@bp.route("/r/<token>/roadmap.pdf")
def roadmap_pdf(token: str):
    return pdf_response(_record(token, "download"), ui_language())


@bp.route("/r/<token>")
def result(token: str):
    db = get_db()
    record = _record(token, "view")
    questionnaire = ops.questionnaire_of(db, current_app.extensions["questionnaires"], record)
    diagnosis = latest_diagnosis(db, record["id"])
    return render_template(
        "self_result.html",
        record=record,
        questionnaire=questionnaire,
        diagnosis=diagnosis,
        token=token,
        words=explain(
            diagnosis["prediction"],
            questionnaire,
            diagnosis["scores"],
            ui_language(),
            ops.load_answers(db, record["id"])[0],
        ),
    )
