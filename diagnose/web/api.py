"""The JSON API (v1): the questionnaire, and diagnoses for integration and self-assessment.

Authentication is a consultant's bearer token, never the browser session, so the API needs
no CSRF token. Without a token, a POST is an anonymous self-assessment: rate-limited per
client and answered with a secret link to the result.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from .. import assessments as ops
from .. import jobs  # issue 8: reports are rendered by the task queue
from ..auth import user_for_token
from ..diagnosis.explanations import diagnosis_json
from ..diagnosis.store import diagnose, latest_diagnosis
from ..limits import limiter
from ..roadmap.report import pdf_response
from ..storage import get_db, transaction
from .forms import check_submission, ui_language
from .openapi import openapi_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def catalogue():
    return current_app.extensions["questionnaires"]


def _token_user():
    """The consultant behind ``Authorization: Bearer <token>``, or None."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        g.api_user = user_for_token(get_db(), token) if token else None
    return g.api_user


def _error(status: int, code: str, message: str, errors: list | None = None):
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


@bp.before_request
def _bad_token_is_refused():
    header = request.headers.get("Authorization")
    if header is not None and _token_user() is None:
        return _error(401, "invalid_token", _("The API token is not valid."))
    return None


@bp.route("/questionnaire")
def questionnaire():
    """The current questionnaire, with every option's maturity score."""
    return jsonify(questionnaire_json(catalogue().current))


def questionnaire_json(q) -> dict[str, Any]:
    def text(t):
        return {"ko": t.ko, "en": t.en} if t else None

    return {
        "id": q.id,
        "version": q.version,
        "published": q.published.isoformat(),
        "title": text(q.title),
        "profile": [
            {
                "id": f.id,
                "type": f.type,
                "required": f.required,
                "label": text(f.label),
                **(
                    {"choices": [{"value": c.value, "label": text(c.label)} for c in f.choices]}
                    if f.choices
                    else {}
                ),
                **({"min": f.min, "max": f.max} if f.type == "integer" else {}),
            }
            for f in q.profile
        ],
        "sections": [
            {
                "id": d.id,
                "dimension": d.id,
                "title": text(d.title),
                "levels": [text(level) for level in d.levels],
                "items": [
                    {
                        "id": i.id,
                        "type": i.type,
                        "dimension": d.id,
                        "required": i.required,
                        "scored": i.is_scored,
                        "weight": i.weight,
                        "allow_na": i.allow_na,
                        "question": text(i.question),
                        "help": text(i.help),
                        "show_if": i.show_if.model_dump(by_alias=True, exclude_none=True)
                        if i.show_if
                        else None,
                        **(
                            {
                                "options": [
                                    {
                                        "value": o.value,
                                        "label": text(o.label),
                                        "score": o.score,
                                        "exclusive": o.exclusive,
                                    }
                                    for o in i.options
                                ]
                            }
                            if i.options
                            else {}
                        ),
                        **(
                            {
                                "min": i.min,
                                "max": i.max,
                                "unit": text(i.unit),
                                "score_bands": [b.model_dump() for b in i.score_bands],
                            }
                            if i.type == "number"
                            else {}
                        ),
                    }
                    for i in d.items
                ],
            }
            for d in q.dimensions
        ],
        "not_applicable_value": "_na",
    }


def _self_assessment_limit() -> str:
    return current_app.config["SELF_ASSESSMENT_RATE_LIMIT"]


@bp.route("/assessments", methods=["POST"])
@limiter.limit(
    _self_assessment_limit, exempt_when=lambda: _token_user() is not None, methods=["POST"]
)
def create_assessment():
    """Diagnose a firm in one call: validate everything, then store it all or nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_json", _("Send a JSON object with 'profile' and 'answers'."))
    profile, answers = body.get("profile"), body.get("answers")
    shape_errors = [
        {"field": name, "message": _("This must be a JSON object.")}
        for name, value in (("profile", profile), ("answers", answers))
        if not isinstance(value, dict)
    ]
    if shape_errors:
        return _error(400, "invalid_input", _("The request has errors."), shape_errors)
    questionnaire = catalogue().current
    profile, answers, errors = check_submission(questionnaire, profile, answers)
    if errors:
        return _error(400, "invalid_input", _("The request has errors."), errors)

    db = get_db()
    user = _token_user()
    result_token = None if user else secrets.token_urlsafe(24)
    with transaction(db):
        center_id = user.center_id if user else ops.center_for_region(db, profile["region"])
        firm = ops.firm_with_number(db, center_id, profile["business_number"])
        firm_id = (
            firm["id"]
            if firm
            else ops.create_firm(db, center_id, user.id if user else None, profile)
        )
        assessment_id = ops.record_submitted_assessment(
            db,
            firm_id,
            center_id,
            user.id if user else None,
            questionnaire,
            profile,
            answers,
            source="api" if user else "self",
            result_token_hash=hash_token(result_token) if result_token else None,
        )
        diagnosis = diagnose(
            db,
            current_app.extensions["track_model"],
            questionnaire,
            assessment_id,
            profile,
            answers,
        )
    jobs.enqueue_report(assessment_id)  # issue 8: render its report in the background
    body = diagnosis_json(assessment_id, questionnaire, diagnosis, ui_language())
    if result_token:
        body["result_url"] = url_for("public.result", token=result_token, _external=True)
        body["result_token"] = result_token
        # a plain link the firm can open anywhere, the token being part of it
        body["roadmap_pdf_url"] = url_for("public.roadmap_pdf", token=result_token, _external=True)
    else:
        body["roadmap_pdf_url"] = url_for(
            ".roadmap_pdf", assessment_id=assessment_id, _external=True
        )
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for(".assessment", assessment_id=assessment_id)
    return response


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _readable(assessment_id: int) -> dict[str, Any] | None:
    """The assessment if the caller may read it: a consultant of its center, or the holder
    of its result token (``X-Result-Token`` or ``?token=``)."""
    db = get_db()
    user = _token_user()
    if user:
        record = ops.get_assessment(db, user.center_id, assessment_id)
    else:
        token = request.headers.get("X-Result-Token") or request.args.get("token", "")
        record = ops.assessment_by_result_token(db, hash_token(token)) if token else None
        if record and record["id"] != assessment_id:
            record = None
    return record if record and record["status"] == "submitted" else None


@bp.route("/assessments/<int:assessment_id>")
def assessment(assessment_id: int):
    """A diagnosis, for a consultant of its center or the holder of its secret link."""
    record = _readable(assessment_id)
    if record is None:
        return _error(404, "not_found", _("No such assessment."))
    db = get_db()
    questionnaire = ops.questionnaire_of(db, catalogue(), record)
    body = diagnosis_json(
        assessment_id, questionnaire, latest_diagnosis(db, assessment_id), ui_language()
    )
    body["roadmap_pdf_url"] = url_for(".roadmap_pdf", assessment_id=assessment_id, _external=True)
    return jsonify(body)


@bp.route("/assessments/<int:assessment_id>/roadmap.pdf")
def roadmap_pdf(assessment_id: int):
    """The roadmap PDF, for the same callers as the assessment."""
    record = _readable(assessment_id)
    if record is None:
        return _error(404, "not_found", _("No such assessment."))
    return pdf_response(record, ui_language())


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_spec())


@bp.errorhandler(429)
def too_many(_error_):
    return _error(
        429, "rate_limited", _("Too many self-assessments from this address; try again later.")
    )


@bp.errorhandler(404)
def not_found(_error_):
    return _error(404, "not_found", _("No such assessment."))
