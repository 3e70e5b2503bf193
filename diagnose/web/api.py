"""The JSON API (v1): the questionnaire, and diagnoses for integration and self-assessment.

Authentication is a consultant's bearer token, never the browser session, so the API needs
no CSRF token. Without a token, a POST is an anonymous self-assessment: rate-limited per
client and answered with a secret link to the result.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from .. import inputs
from ..auth import user_for_token
from ..diagnosis.explanations import diagnosis_json
from ..diagnosis.store import latest_diagnosis
from ..limits import limiter
from ..links import external_url
from ..questionnaire.types import NOT_APPLICABLE
from ..records.assessments import get_assessment, load_answers
from ..records.questionnaire_versions import questionnaire_of
from ..records.self_assessed import assessment_by_result_token
from ..services import access, audit, schemas, submissions
from ..services.access import Right, requires
from ..services.submissions import hash_token
from ..storage import get_db
from . import pdf_download
from .forms import ui_language
from .openapi import (
    ANONYMOUS,
    CONSULTANT,
    MAX_ID,
    RESULT_HOLDER,
    Failure,
    Json,
    Pdf,
    documented,
    header,
    openapi_spec,
    query,
)

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


@bp.before_request
def _unknown_language_is_refused():
    """``?lang=`` names a language the reports exist in (as documented), or is left out."""
    if "lang" in request.args and request.args["lang"] not in ("ko", "en"):
        return _error(400, "invalid_lang", _("The language must be ko or en."))
    return None


@bp.route("/questionnaire")
@requires(Right.PUBLIC)
@documented(
    "The current questionnaire: sections, items, options with scores, profile fields",
    {
        200: Json(
            {"type": "object", "required": ["id", "version", "sections", "profile"]},
            "the questionnaire",
        )
    },
)
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
                **f.kind.json_extra(),
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
                        **i.kind.json_extra(),
                    }
                    for i in d.items
                ],
            }
            for d in q.dimensions
        ],
        "not_applicable_value": NOT_APPLICABLE,
    }


def _self_assessment_limit() -> str:
    return current_app.config["SELF_ASSESSMENT_RATE_LIMIT"]


def _json_body() -> Any:
    """The request's JSON, or None when it is not JSON, too deep or not valid text."""
    raw = request.get_data(cache=True)
    if inputs.json_too_deep(raw):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


@bp.route("/assessments", methods=["POST"])
@requires(Right.API)
@limiter.limit(
    _self_assessment_limit, exempt_when=lambda: _token_user() is not None, methods=["POST"]
)
@documented(
    "Diagnose a firm. Without a token: an anonymous self-assessment, rate-limited per client, "
    "answered with a secret result link; it never attaches to a firm a center registered.",
    {
        201: Json(schemas.Diagnosis, "diagnosed and stored"),
        400: "invalid input (not JSON, a wrong type or value, a too long Idempotency-Key); "
        "nothing stored. `errors` lists each field with its message",
        422: "the Idempotency-Key was used for another request",
        429: "too many anonymous self-assessments from this address",
        503: "no track model is loaded: diagnoses cannot be made now",
    },
    security=(ANONYMOUS, CONSULTANT),
    parameters=(
        header(
            "Idempotency-Key",
            {"type": "string", "maxLength": 200},
            "the same key with the same request gives the first call's diagnosis again "
            "instead of a second one",
        ),
    ),
    body=schemas.submission_model,
)
def create_assessment():
    """Diagnose a firm in one call: validate everything, then store it all or nothing."""
    body = _json_body()
    if not isinstance(body, dict):
        return _error(400, "invalid_json", _("Send a JSON object with 'profile' and 'answers'."))
    user = _token_user()
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        return _error(
            400, "invalid_idempotency_key", _("An Idempotency-Key has at most 200 characters.")
        )
    scope = f"user:{user.id}" if user else f"address:{request.remote_addr}"
    try:
        submitted = submissions.intake(
            get_db(),
            current_app.extensions["track_model"],
            catalogue().current,
            body,
            user=user,
            idempotency=(scope, key) if key else None,
            result_link_days=current_app.config["RESULT_LINK_DAYS"],
        )
    except submissions.InvalidInput as invalid:
        return _error(400, "invalid_input", _("The request has errors."), invalid.errors)
    except access.NotInCaseload:
        return _error(
            403,
            "not_in_caseload",
            _(
                "A firm with this business registration number is registered at your center but "
                "is not in your caseload: ask your center's staff to assign it to you."
            ),
        )
    except submissions.IdempotencyKeyReused:
        return _error(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used for a different request."),
        )
    response = jsonify(
        _diagnosis_body(
            submitted.assessment_id,
            catalogue().current,
            submitted.diagnosis,
            submitted.result_token,
            submitted.result_expires_at,
        )
    )
    response.status_code = 201
    response.headers["Location"] = url_for(".assessment", assessment_id=submitted.assessment_id)
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _diagnosis_body(
    assessment_id: int,
    questionnaire,
    diagnosis: dict[str, Any],
    result_token: str | None = None,
    result_expires_at: str | None = None,
) -> dict[str, Any]:
    """The API's answer, shaped and checked by the same model the OpenAPI document shows."""
    answers, _notes = load_answers(get_db(), assessment_id)
    body = diagnosis_json(assessment_id, questionnaire, diagnosis, ui_language(), answers)
    if result_token:
        body["consultants_usually"] = None  # the model's view is for consultants only
        body["result_url"] = external_url("public.result", token=result_token)
        body["result_token"] = result_token
        body["result_expires_at"] = result_expires_at
        # a plain link the firm can open anywhere, the token being part of it
        body["roadmap_pdf_url"] = external_url("public.roadmap_pdf", token=result_token)
    else:
        body["roadmap_pdf_url"] = external_url(".roadmap_pdf", assessment_id=assessment_id)
    checked = schemas.Diagnosis.model_validate(body).model_dump(mode="json")
    return {k: v for k, v in checked.items() if v is not None or k not in schemas.SELF_ONLY}


def _readable(assessment_id: int) -> dict[str, Any] | None:
    """The assessment if the caller may read it: a consultant of its center, or the holder
    of its result token (``X-Result-Token`` or ``?token=``)."""
    db = get_db()
    user = _token_user()
    if not 0 < assessment_id <= MAX_ID:  # beyond SQLite's integers: nothing has that id
        return None
    if user:
        record = get_assessment(db, user.center_id, assessment_id)
        try:  # the same role and caseload as the pages (services/access.py)
            access.assessment_access(db, user, assessment_id)
        except access.NotFound:
            record = None
    else:
        token = request.headers.get("X-Result-Token") or request.args.get("token", "")
        record = assessment_by_result_token(db, hash_token(token)) if token else None
        if record and record["id"] != assessment_id:
            record = None
    return record if record and record["status"] == "submitted" else None


def _audit_read(record: dict[str, Any], action: str) -> None:
    user = _token_user()
    audit.record_alone(
        get_db(),
        action,
        "assessment",
        record["id"],
        center_id=record["center_id"],
        user_id=user.id if user else None,
        actor="api token" if user else "",
    )


# Who may read an assessment: a consultant of its center (bearer token), or whoever holds its
# result link's token (X-Result-Token, or ?token= as in the link).
_READERS = (CONSULTANT, RESULT_HOLDER)
_TOKEN_QUERY = query("token", {"type": "string"}, "the result token, as in the result link")
_BAD_LANG = "`invalid_lang`: the language is neither ko nor en"
_NOT_FOUND = (
    "no such assessment for this caller; also without credentials, so that the API never "
    "says which ids exist"
)


@bp.route("/assessments/<int:assessment_id>")
@requires(Right.API)
@documented(
    "A diagnosis, for a consultant of its center or the holder of its result token",
    {200: Json(schemas.Diagnosis, "the diagnosis"), 404: _NOT_FOUND},
    security=_READERS,
    parameters=(_TOKEN_QUERY,),
)
def assessment(assessment_id: int):
    """A diagnosis, for a consultant of its center or the holder of its secret link."""
    record = _readable(assessment_id)
    if record is None:
        return _error(404, "not_found", _("No such assessment."))
    db = get_db()
    questionnaire = questionnaire_of(db, catalogue(), record)
    diagnosis = latest_diagnosis(db, assessment_id)
    if diagnosis is None:
        return _error(404, "not_found", _("No such assessment."))
    _audit_read(record, "view")
    return jsonify(_diagnosis_body(assessment_id, questionnaire, diagnosis))


@bp.route("/assessments/<int:assessment_id>/roadmap.pdf")
@requires(Right.API)
@documented(
    "The training roadmap as a PDF, for the same callers",
    {
        200: Pdf("the roadmap"),
        400: _BAD_LANG,
        404: _NOT_FOUND,
        503: Failure(
            "the report is not ready: `report_not_ready` (being rendered, ask again after "
            "`Retry-After` seconds), `queue_full` (many reports waiting), `report_failed` (its "
            "render failed; tried again after a pause)",
            {"Retry-After": "seconds to wait before asking again"},
        ),
    },
    security=_READERS,
    parameters=(_TOKEN_QUERY, query("lang", {"type": "string", "enum": ["ko", "en"]})),
)
def roadmap_pdf(assessment_id: int):
    """The roadmap PDF, for the same callers as the assessment."""
    record = _readable(assessment_id)
    if record is None:
        return _error(404, "not_found", _("No such assessment."))
    _audit_read(record, "download")
    return pdf_download(record, ui_language())


@bp.route("/assessments/<int:assessment_id>/roadmap")
@requires(Right.API)
@documented(
    "The training plan as data: the task's themes, each module with why, who, when, hours, "
    "cost and funding route",
    {200: Json(schemas.Roadmap, "the plan"), 400: _BAD_LANG, 404: _NOT_FOUND},
    security=_READERS,
    parameters=(_TOKEN_QUERY, query("lang", {"type": "string", "enum": ["ko", "en"]})),
)
def roadmap(assessment_id: int):
    """The training plan as JSON, for the same callers as the assessment."""
    from ..services.roadmaps import roadmap_json

    record = _readable(assessment_id)
    if record is None:
        return _error(404, "not_found", _("No such assessment."))
    lang = request.args.get("lang")  # ko, en or none (checked before the view)
    _audit_read(record, "view")
    return jsonify(roadmap_json(get_db(), current_app, record, lang or ui_language()))


@bp.route("/openapi.json")
@requires(Right.PUBLIC)
@documented("This document", {200: Json({"type": "object"}, "the OpenAPI document")})
def openapi():
    return jsonify(openapi_spec(current_app, catalogue().current))


@bp.errorhandler(429)
def too_many(_error_):
    return _error(
        429, "rate_limited", _("Too many self-assessments from this address; try again later.")
    )


@bp.errorhandler(404)
def not_found(_error_):
    return _error(404, "not_found", _("No such assessment."))
