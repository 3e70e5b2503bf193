"""A prediction in plain Korean or English: the track, why, and what would change it.

The model speaks in feature names (``item:data_collection``); a consultant needs "How is
production data collected: typed in by hand". This module turns one into the other, in the
UI language, for the result page, the API and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..questionnaire.schema import Questionnaire
from ..templating import answer_text
from .model import HANDS_ON, Change, Prediction, Reason
from .policy import HANDS_ON_EQUIPMENT

TRACK_NAMES = {
    "beginner": _l("Beginner"),
    "ax": _l("AX firm (PBL)"),
    "shared_center": _l("Shared training center"),
}
TRACK_SUMMARIES = {
    "beginner": _l(
        "Free online courses, a CEO awareness session and one small first use "
        "case; re-diagnose in about six months."
    ),
    "ax": _l(
        "A job analysis of the target jobs, then project-based training on the firm's "
        "own problems, funded as employer training, with coaching."
    ),
    "shared_center": _l(
        "Referral to a shared AI training center or physical-AI lab that has "
        "the equipment and instructors the firm lacks."
    ),
}


def track_name(track: str) -> str:
    return str(TRACK_NAMES.get(track, track))


def reason_text(
    reason: Reason,
    questionnaire: Questionnaire,
    scores: Mapping[str, Any],
    lang: str,
    answers: Mapping[str, Any] | None = None,
) -> str:
    kind, _sep, key = reason.feature.partition(":")
    if kind == "item" and questionnaire.find_item(key):
        item = questionnaire.item(key)
        value = reason.value
        if value is None:
            return _("%(question)s: not answered", question=item.question.get(lang))
        return f"{item.question.get(lang)} → “{answer_text(item, value, lang)}”"
    if kind == "dim":
        dimension = next((d for d in questionnaire.dimensions if d.id == key), None)
        score = (scores.get(key) or {}).get("score")
        title = dimension.title.get(lang) if dimension else key
        return _(
            "%(dimension)s score %(score)s of 100",
            dimension=title,
            score="–" if score is None else f"{score:.0f}",
        )
    if kind == "opt":
        item_id, _eq, value = key.partition("=")
        if questionnaire.find_item(item_id):
            item = questionnaire.item(item_id)
            return f"{item.question.get(lang)} → “{answer_text(item, value, lang)}”"
    if reason.feature == HANDS_ON and questionnaire.find_item("need_equipment"):
        item = questionnaire.item("need_equipment")
        given = reason.value
        hands_on = [
            v for v in (given if isinstance(given, list) else [given]) if v in HANDS_ON_EQUIPMENT
        ]
        if hands_on:
            return f"{item.question.get(lang)} → “{answer_text(item, hands_on, lang)}”"
        return _("No need for hands-on equipment such as vision inspection or robots")
    if reason.feature == "profile:size":
        return _("Firm size")
    if reason.feature == "profile:manufacturing":
        return _("Industry (manufacturing or not)")
    return reason.feature


def change_text(change: Change, questionnaire: Questionnaire, lang: str) -> str:
    item = questionnaire.item(change.item)
    if item.type == "multi":
        before = change.before if isinstance(change.before, list) else []
        added = [v for v in change.after if v not in before]
        return _(
            "the answer to “%(question)s” also included “%(answer)s”",
            question=item.question.get(lang),
            answer=answer_text(item, added, lang),
        )
    return _(
        "the answer to “%(question)s” became “%(answer)s”",
        question=item.question.get(lang),
        answer=answer_text(item, change.after, lang),
    )


def counterfactual_text(prediction: Prediction, questionnaire: Questionnaire, lang: str) -> str:
    cf = prediction.counterfactual
    if cf is None or not cf.changes:
        return ""
    joiner = " " + _("and") + " "
    if not cf.reached:
        return _(
            "A few changes are not enough to make this firm a candidate for %(track)s; "
            "the steps that take it furthest toward it: %(changes)s.",
            track=track_name(cf.target),
            changes=joiner.join(change_text(c, questionnaire, lang) for c in cf.changes[:3]),
        )
    return _(
        "If %(changes)s, this firm would be a candidate for: %(track)s.",
        changes=joiner.join(change_text(c, questionnaire, lang) for c in cf.changes),
        track=track_name(cf.target),
    )


def _unique(texts) -> list[str]:
    """Two features may read the same (a need, and the option that states it): say it once."""
    return list(dict.fromkeys(texts))


def explain(
    prediction: Prediction,
    questionnaire: Questionnaire,
    scores: Mapping[str, Any],
    lang: str,
) -> dict[str, Any]:
    """The explanation as sentences, ready for a page, a PDF or the API."""
    ranked = sorted(prediction.probabilities, key=prediction.probabilities.get, reverse=True)
    rival = next(t for t in ranked if t != prediction.track)
    return {
        "track_name": track_name(prediction.track),
        "rival": rival,
        "rival_name": track_name(rival),
        "track_summary": str(TRACK_SUMMARIES.get(prediction.track, "")),
        "toward": _unique(reason_text(r, questionnaire, scores, lang) for r in prediction.toward),
        "away": _unique(reason_text(r, questionnaire, scores, lang) for r in prediction.away),
        "counterfactual": counterfactual_text(prediction, questionnaire, lang),
        "needs_review": prediction.needs_review,
    }


def diagnosis_json(
    assessment_id: int,
    questionnaire: Questionnaire,
    diagnosis: Mapping[str, Any],
    lang: str,
) -> dict[str, Any]:
    """The API's view of a diagnosis."""
    prediction: Prediction = diagnosis["prediction"]
    scores = diagnosis["scores"]
    words = explain(prediction, questionnaire, scores, lang)
    decision = diagnosis.get("decision")
    cf = prediction.counterfactual
    return {
        "id": assessment_id,
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version},
        "dimensions": {
            d.id: {
                "score": scores[d.id]["score"],
                "level": scores[d.id]["level"],
                "level_description": d.levels[scores[d.id]["level"] - 1].get(lang)
                if scores[d.id]["level"]
                else None,
                "answered": scores[d.id]["answered"],
                "applicable": scores[d.id]["applicable"],
            }
            for d in questionnaire.dimensions
        },
        "readiness": diagnosis["readiness"],
        "track": prediction.track,
        "track_name": words["track_name"],
        "probabilities": prediction.probabilities,
        "needs_review": prediction.needs_review,
        "model_version": prediction.model_version,
        "reasons": {"against": words["rival"], "toward": words["toward"], "away": words["away"]},
        "counterfactual": {
            "target": cf.target,
            "reached": cf.reached,
            "probability": cf.probability,
            "changes": [{"item": c.item, "from": c.before, "to": c.after} for c in cf.changes],
            "text": words["counterfactual"],
        }
        if cf
        else None,
        "decision": {
            "action": decision["action"],
            "final_track": decision["final_track"],
            "reason": decision["reason"],
            "decided_at": decision["decided_at"],
        }
        if decision
        else None,
        "diagnosed_at": diagnosis["created_at"],
    }
