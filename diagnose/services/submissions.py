"""Submitting and diagnosing: a consultant's draft, an API call with a token, an anonymous
self-assessment. One function each; every way in (pages, API, CLI, jobs) calls these.

Each one checks, stores and diagnoses inside one write transaction, so two identical calls
at once give one diagnosis: the second finds the first's work and returns it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from ..diagnosis.store import diagnose, latest_diagnosis
from ..questionnaire.schema import Questionnaire
from ..records.assessments import record_submitted_assessment, submit_assessment
from ..records.firms import create_firm, firm_with_number, self_assessed_firm
from ..records.self_assessed import center_for_region
from ..storage import now, transaction
from . import access, audit, reports, schemas

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """No track model is loaded: nothing can be diagnosed (answered as 503)."""


class InvalidInput(ValueError):
    """The submission has errors; nothing was stored. ``errors``: ``[{field, message}]``."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


class IdempotencyKeyReused(ValueError):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True)
class Submitted:
    assessment_id: int
    diagnosis: dict[str, Any]
    result_token: str | None = None  # anonymous self-assessments: the secret link's token
    result_expires_at: str | None = None
    replayed: bool = False  # an earlier call with the same Idempotency-Key made it


def effective_track(diagnosis: Mapping[str, Any] | None) -> str | None:
    """The track a firm is on: the consultant's latest decision, else the model's."""
    if not diagnosis:
        return None
    decision = diagnosis.get("decision")
    return decision["final_track"] if decision else diagnosis["prediction"].track


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require(model: Any) -> None:
    if model is None:
        raise ModelUnavailable("no track model is loaded")


# --- a consultant's interview ----------------------------------------------------------------


def submit_draft(
    db: sqlite_utils.Database,
    model: Any,
    questionnaire: Questionnaire,
    assessment_id: int,
    user_id: int,
    profile: dict[str, Any],
    answers: Mapping[str, Any],
) -> bool:
    """Submit a checked draft and diagnose it; False if it was already submitted (a second
    click, another tab): the first submission stands and nothing else happens."""
    _require(model)
    with transaction(db):
        row = db.execute(
            "SELECT status, center_id FROM assessments WHERE id = ?", [assessment_id]
        ).fetchone()
        if row is None or row[0] != "draft":
            return False
        submit_assessment(db, assessment_id, profile)
        diagnose(
            db,
            model,
            questionnaire,
            assessment_id,
            profile,
            questionnaire.visible(answers),
        )
        audit.record(db, "submit", "assessment", assessment_id, center_id=row[1], user_id=user_id)
    reports.after_diagnosis(assessment_id)
    return True


def diagnose_late(
    db: sqlite_utils.Database,
    model: Any,
    questionnaire: Questionnaire,
    record: Mapping[str, Any],
    answers: Mapping[str, Any],
) -> dict[str, Any]:
    """The diagnosis of an assessment submitted before diagnoses existed: made once, now."""
    _require(model)
    with transaction(db):
        diagnosis = latest_diagnosis(db, record["id"])
        if diagnosis is None:
            diagnosis = diagnose(db, model, questionnaire, record["id"], record["profile"], answers)
    reports.after_diagnosis(record["id"])
    return diagnosis


# --- a whole submission at once: the API, self-assessment, jobs ------------------------------


def check(questionnaire: Questionnaire, body: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """A JSON submission's profile and answers, checked: types first, then values with the
    checks of the interview's pages (``questionnaire.types``): answers to items the other
    answers hide are dropped, whatever they hold. Raises ``InvalidInput`` listing every
    problem, fields named ``profile.<id>`` and ``answers.<item id>``, in the UI language."""
    profile, answers, type_errors = schemas.check_types(questionnaire, body)
    if type_errors and not (profile or answers):
        raise InvalidInput(type_errors)
    profile, profile_errors = questionnaire.check_profile(profile)
    answers, answer_errors = questionnaire.check_answers(answers)
    value_errors = [
        {"field": f"{section}.{name}", "message": str(message)}
        for section, problems in (("profile", profile_errors), ("answers", answer_errors))
        for name, message in problems
    ]
    typed = {e["field"] for e in type_errors}
    errors = type_errors + [e for e in value_errors if e["field"] not in typed]
    if errors:
        raise InvalidInput(errors)
    return profile, answers


def _fingerprint(profile: Mapping[str, Any], answers: Mapping[str, Any]) -> str:
    canonical = json.dumps([profile, answers], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def intake(
    db: sqlite_utils.Database,
    model: Any,
    questionnaire: Questionnaire,
    body: Any,
    *,
    user: Any = None,
    idempotency: tuple[str, str] | None = None,
    result_link_days: int = 90,
    short_form: bool = False,
    result_token: str | None = None,
    self_firm_id: int | None = None,
) -> Submitted:
    """Check, store and diagnose a whole submission.

    With ``user`` (a consultant's API token) the firm is filed in the user's center, found by
    its business number or registered; a registered firm outside the user's caseload (or
    assigned to a colleague) raises ``access.NotInCaseload`` and nothing is stored. Without,
    it is an anonymous self-assessment: a firm record of its own in the region's center, never
    one of the center's firms (even with the same business number), answered with a secret
    result link. ``idempotency`` is
    ``(scope, key)``: the same key in the same scope gives the first call's assessment again.

    For a firm owner's self-assessment by link (``services.self_assessment``):
    ``short_form`` says only the short-form (``self``) items were asked, so the others are
    not answered rather than missing; ``result_token`` is the result link's secret (derived
    from the owner's link, so a second submit of the same answers fails on its unique hash
    instead of diagnosing twice); ``self_firm_id`` is the self-assessed firm an earlier
    submission by the same link created, which a sharpened self-assessment is filed with.
    """
    _require(model)
    profile, answers = check(questionnaire.short_form() if short_form else questionnaire, body)
    fingerprint = _fingerprint(profile, answers)
    with transaction(db):
        if idempotency:
            earlier = _earlier(db, idempotency, fingerprint)
            if earlier:
                return earlier
        if user:
            center_id = user.center_id
            firm = firm_with_number(db, center_id, profile["business_number"])
            if firm and not access.may_file_under(db, user, firm):
                raise access.NotInCaseload(firm["id"])  # a colleague's firm: nothing stored
            firm_id = firm["id"] if firm else create_firm(db, center_id, user.id, profile)
            token = expires = None
        else:
            own = self_assessed_firm(db, self_firm_id) if self_firm_id else None
            center_id = own["center_id"] if own else center_for_region(db, profile["region"])
            firm_id = own["id"] if own else create_firm(db, center_id, None, profile, "self")
            token = result_token or secrets.token_urlsafe(24)
            expires = (datetime.now(UTC) + timedelta(days=result_link_days)).isoformat(
                timespec="seconds"
            )
        assessment_id = record_submitted_assessment(
            db,
            firm_id,
            center_id,
            user.id if user else None,
            questionnaire,
            profile,
            answers,
            source="api" if user else "self",
            result_token_hash=hash_token(token) if token else None,
            result_expires_at=expires,
        )
        diagnosis = diagnose(db, model, questionnaire, assessment_id, profile, answers)
        audit.record(
            db,
            "submit",
            "assessment",
            assessment_id,
            center_id=center_id,
            user_id=user.id if user else None,
            actor="" if user else "self-assessment",
        )
        if idempotency:
            db.execute(
                "INSERT INTO idempotency_keys (scope, key_hash, fingerprint, assessment_id, "
                "result_token, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    idempotency[0],
                    hash_token(idempotency[1]),
                    fingerprint,
                    assessment_id,
                    token,
                    now(),
                ],
            )
    reports.after_diagnosis(assessment_id)
    return Submitted(assessment_id, diagnosis, token, expires)


def _earlier(
    db: sqlite_utils.Database, idempotency: tuple[str, str], fingerprint: str
) -> Submitted | None:
    row = db.execute(
        "SELECT k.fingerprint, k.assessment_id, k.result_token, a.result_expires_at "
        "FROM idempotency_keys k JOIN assessments a ON a.id = k.assessment_id "
        "WHERE k.scope = ? AND k.key_hash = ?",
        [idempotency[0], hash_token(idempotency[1])],
    ).fetchone()
    if row is None:
        return None
    if row[0] != fingerprint:
        raise IdempotencyKeyReused(idempotency[1])
    return Submitted(row[1], latest_diagnosis(db, row[1]), row[2], row[3], replayed=True)
