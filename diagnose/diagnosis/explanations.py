"""A prediction in plain Korean or English: the track, why, and what would change it.

The reasons are the policy's (``policy.Decision``), not the model's weights: which rule
decided, and how far the firm stands from the line it had to cross ("AI 준비도가 42점으로,
AX 기준 50점에 못 미칩니다"). A firm's CEO gets at most three of them; the consultant gets
them all, with the rule, what pointed the other way and why a result needs a second look.
No reason quotes a question or an interview instruction, none rests on "not applicable",
and no answer is a reason on both sides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..questionnaire.schema import Questionnaire
from .model import Change, Prediction

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
        "Training at an AI joint training center or physical-AI lab, which brings the "
        "equipment and instructors the firm lacks: diagnosis, a CEO course, at least 18 hours "
        "of hands-on problem solving, then coaching."
    ),
}
# Short names of the scored answers, for the levers ("Who is in charge of training: …").
ITEM_NAMES = {
    "lead_ceo_understanding": _l("The CEO's grasp of what AI can do"),
    "lead_strategy_doc": _l("A written AI or digital plan"),
    "lead_budget": _l("Spending on AI and digital"),
    "lead_owner": _l("Who drives AI and digital change"),
    "lead_staff_ideas": _l("How staff ideas are taken up"),
    "lead_external": _l("Outside support used for AI and digital change"),
    "data_storage": _l("Where core business data is kept"),
    "data_collection": _l("How production data is collected"),
    "data_systems": _l("Business systems in use"),
    "data_quality": _l("Who manages data, and how reliable it is"),
    "data_history": _l("How many years of data are kept"),
    "data_cloud": _l("Use of cloud and SaaS"),
    "data_security": _l("Information-security rules"),
    "data_it_staff": _l("Who looks after IT"),
    "use_genai_office": _l("Generative AI in office work"),
    "use_area_quality": _l("AI in quality inspection"),
    "use_area_forecast": _l("AI in forecasting and planning"),
    "use_area_maintenance": _l("AI in predictive maintenance"),
    "use_area_customer": _l("AI in customer service"),
    "use_area_marketing": _l("AI in marketing and sales"),
    "use_rules": _l("Rules for using AI tools"),
    "use_effect_measure": _l("Measuring what AI brings"),
    "skill_exec_ai": _l("Executives' use of AI"),
    "skill_office_digital": _l("Office staff's digital skills"),
    "skill_office_ai": _l("Office staff's use of generative AI"),
    "skill_eng_data": _l("Engineers' data and AI skills"),
    "skill_field_digital": _l("Field staff's digital skills"),
    "skill_field_ai": _l("Field staff's use of AI equipment"),
    "skill_attitude": _l("Staff attitude to AI"),
    "skill_champion": _l("Someone who teaches colleagues AI"),
    "train_past": _l("Training beyond the legal minimum"),
    "train_hrd_owner": _l("Who is in charge of training"),
    "train_employer_funded": _l("Use of employer training subsidies"),
    "train_card": _l("Use of the Tomorrow Learning Card"),
    "train_hours": _l("Training hours per person a year"),
    "train_ai_courses": _l("AI and digital courses taken"),
    "train_instructors": _l("In-house instructors"),
    "train_facility": _l("Training room and practice equipment"),
    "train_evaluation": _l("How training results are checked"),
    "need_problem_clarity": _l("How concrete the problem to solve is"),
    "need_data_ready": _l("Data for that task"),
    "need_owner": _l("A person to carry the AI project"),
    "need_trainees": _l("Staff chosen for the training"),
    "need_release_hours": _l("Hours a month a trainee can be released"),
    "need_budget_commit": _l("What the firm will pay toward training"),
}
AI_USE_NAMES = {
    "use_genai_office": _l("generative AI in office work"),
    "use_area_quality": _l("quality inspection"),
    "use_area_forecast": _l("forecasting and planning"),
    "use_area_maintenance": _l("predictive maintenance"),
    "use_area_customer": _l("customer service"),
    "use_area_marketing": _l("marketing and sales"),
}
EQUIPMENT_NAMES = {
    "vision": _l("vision inspection equipment"),
    "robot": _l("robots"),
    "automation_line": _l("an automation practice line"),
    "gpu": _l("GPU servers"),
    "iot_sensors": _l("IoT sensors"),
}
RULE_NAMES = {
    "no_ai_experience": _l("no AI experience yet: free online courses first"),
    "low_readiness": _l("readiness below the floor for anything but the basics"),
    "not_ready": _l(
        "not ready for AX yet: no concrete problem on a sound base, readiness under 50 "
        "and no hands-on need"
    ),
    "equipment_lacking": _l("lacks the equipment its hands-on need calls for"),
    "cannot_train_alone": _l("cannot train alone for its IoT or GPU needs"),
    "no_training_capacity": _l(
        "a small firm without training capacity: the joint center runs its PBL"
    ),
    "ax_ready": _l("a concrete problem on a sound base"),
    "mature_no_problem": _l("mature, but no concrete problem yet: the job analysis finds it first"),
    "trains_alone": _l("hands-on needs it can train for itself"),
}
JOB_ANALYSIS_FIRST = _l(
    "There is no concrete problem yet: the job analysis starts by finding the task where AI "
    "will help, before any project-based training."
)
CEO_REASONS = 3


def track_name(track: str) -> str:
    return str(TRACK_NAMES.get(track, track))


def item_name(item_id: str, questionnaire: Questionnaire | None = None, lang: str = "ko") -> str:
    """A short name for an answer; the question itself only for an item this code never
    named (a new questionnaire version's)."""
    if item_id in ITEM_NAMES:
        return str(ITEM_NAMES[item_id])
    item = questionnaire.find_item(item_id) if questionnaire else None
    return item.question.get(lang) if item else item_id


def _names(values, names: Mapping[str, Any]) -> str:
    return ", ".join(str(names[v]) for v in values if v in names)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def finding_text(finding: Mapping[str, Any], answers: Mapping[str, Any] | None = None) -> str:
    """One finding of the policy as a plain sentence."""
    code = finding["code"]
    value, threshold = _number(finding.get("value")), _number(finding.get("threshold"))
    detail = finding.get("detail") or ()
    task = str((answers or {}).get("need_task") or "").strip()
    if len(task) > 60:
        task = task[:59].rstrip() + "…"
    texts = {
        "no_ai_use": lambda: _("Hardly anyone uses AI at work yet."),
        "no_ai_training": lambda: _("No one in the firm has had AI training yet."),
        "ai_in_use": lambda: _(
            "AI is already in use: %(uses)s.", uses=_names(detail, AI_USE_NAMES)
        ),
        "ai_training": lambda: _("Staff or executives have already had AI or digital training."),
        "readiness_low": lambda: _(
            "AI readiness is %(value)s, under the %(threshold)s needed to go beyond the basics.",
            value=value,
            threshold=threshold,
        ),
        "ai_use_low": lambda: _(
            "AI use in work scores %(value)s, under the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "training_low": lambda: _(
            "The training system scores %(value)s, under the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "readiness_below_mature": lambda: _(
            "AI readiness is %(value)s, under the AX line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "readiness_mature": lambda: _(
            "AI readiness is %(value)s, above the AX line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "no_concrete_problem": lambda: _("There is no concrete problem to solve with AI yet."),
        "concrete_problem": lambda: (
            _("The firm has a concrete task for AI: ‘%(task)s’.", task=task)
            if task
            else _("The firm can name the task and the problem it wants AI to solve.")
        ),
        "data_base": lambda: _(
            "Its data and digital base scores %(value)s, above the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "data_base_thin": lambda: _(
            "Its data and digital base scores %(value)s, under the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "leadership": lambda: _(
            "Leadership and AI strategy score %(value)s, above the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "leadership_thin": lambda: _(
            "Leadership and AI strategy score %(value)s, under the line of %(threshold)s.",
            value=value,
            threshold=threshold,
        ),
        "equipment_lacking": lambda: _(
            "The training it needs calls for equipment it does not have: %(equipment)s.",
            equipment=_names(detail, EQUIPMENT_NAMES),
        ),
        "cannot_train_alone": lambda: _(
            "It lacks the instructors, room or engineers to train for %(equipment)s itself.",
            equipment=_names(detail, EQUIPMENT_NAMES),
        ),
        "no_training_capacity": lambda: _(
            "With %(employees)s employees and no one in charge of training, no training room "
            "and no instructors, it cannot run project-based training itself.",
            employees=value,
        ),
        "trains_alone": lambda: _(
            "It can provide %(equipment)s itself and train with its own instructors.",
            equipment=_names(detail, EQUIPMENT_NAMES),
        ),
    }
    return texts[code]() if code in texts else code


def _sides(prediction: Prediction) -> tuple[list[dict], list[dict]]:
    """Findings for the given track and against it; an answer is never on both sides."""
    track = prediction.track

    def speaks_for(finding: Mapping[str, Any]) -> bool:
        supports = finding["supports"]
        return supports == track or (supports == "not_beginner" and track != "beginner")

    ordered = list(prediction.decisive) + list(prediction.others)
    pro, con, seen_pro, seen_con = [], [], set(), set()
    for finding in ordered:
        items = set(finding.get("items") or ())
        if speaks_for(finding) and not items & seen_con:
            pro.append(finding)
            seen_pro |= items
        elif not speaks_for(finding) and not items & seen_pro:
            con.append(finding)
            seen_con |= items
    return pro, con


def review_text(code: str, prediction: Prediction) -> str:
    kind, _sep, detail = code.partition(":")
    if kind == "rule_disagrees":
        return _(
            "The policy's rules give %(track)s: the model and the rules differ, so the "
            "consultant decides.",
            track=track_name(prediction.rule_track),
        )
    if kind == "close_call":
        return _("The model's probabilities sit close to the line between two tracks.")
    if kind == "near":
        finding = next(
            (
                f
                for f in [*prediction.near, *prediction.decisive, *prediction.others]
                if f["code"] == detail
            ),
            None,
        )
        return _(
            "Within a few points of a line: %(what)s",
            what=finding_text(finding) if finding else detail,
        )
    if kind == "exception":
        return {
            "no_ai_experience": _(
                "No AI experience sends it to free online courses first, although the rest "
                "of its base is strong."
            ),
            "no_training_capacity": _(
                "Referred for want of training capacity, not of equipment: check whether the "
                "firm could name someone in charge, a room or an instructor."
            ),
            "cannot_train_alone": _(
                "IoT or GPU work goes to a center only because the firm lacks the people to "
                "teach it: check its instructors and engineers."
            ),
            "mature_no_problem": _(
                "Mature enough for AX but without a concrete problem: the job analysis must "
                "find one first."
            ),
        }.get(detail, detail)
    return code


def change_text(change: Change, questionnaire: Questionnaire, lang: str) -> str:
    item = questionnaire.find_item(change.item)
    if item is None:
        return change.item
    values = change.after if isinstance(change.after, list) else [change.after]
    before = change.before if isinstance(change.before, list) else [change.before]
    added = [v for v in values if v not in before] or values
    labels = [o.label.get(lang) for v in added if (o := item.option(v))]
    if item.type == "number":
        unit = item.unit.get(lang) if item.unit else ""
        labels = [f"{change.after}{unit if lang == 'ko' else ' ' + unit}".strip()]
    return _(
        "%(item)s: ‘%(answer)s’",
        item=item_name(change.item, questionnaire, lang),
        answer=", ".join(labels),
    )


def counterfactual_parts(
    prediction: Prediction, questionnaire: Questionnaire, lang: str
) -> tuple[str, list[str]]:
    """The levers as a lead sentence and one line per one-step change ("" and [] if none)."""
    cf = prediction.counterfactual
    if cf is None or not cf.changes:
        return "", []
    steps = [change_text(c, questionnaire, lang) for c in cf.changes]
    track = track_name(cf.target)
    if not cf.reached:
        head = _(
            "A few one-step changes are not enough to reach %(track)s; these go furthest "
            "toward it:",
            track=track,
        )
    elif cf.alternatives:
        head = _("Any one of these would make it %(track)s:", track=track)
    elif len(steps) == 1:
        head = _("One step would make it %(track)s:", track=track)
    else:
        head = _(
            "These %(n)s one-step changes together would make it %(track)s:",
            n=len(steps),
            track=track,
        )
    return head, steps


def counterfactual_text(prediction: Prediction, questionnaire: Questionnaire, lang: str) -> str:
    head, steps = counterfactual_parts(prediction, questionnaire, lang)
    return f"{head} {'; '.join(steps)}." if steps else ""


def explain(
    prediction: Prediction,
    questionnaire: Questionnaire,
    scores: Mapping[str, Any],
    lang: str,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The explanation as sentences, ready for a page, a PDF or the API.

    ``ceo_reasons``: at most three plain sentences for the firm; ``reasons``: every finding
    for the consultant, each marked for or against the track.
    """
    ranked = sorted(prediction.probabilities, key=prediction.probabilities.get, reverse=True)
    rival = next(t for t in ranked if t != prediction.track)
    pro, con = _sides(prediction)
    pro_texts = list(dict.fromkeys(finding_text(f, answers) for f in pro))
    con_texts = list(dict.fromkeys(finding_text(f, answers) for f in con))
    reasons = [{"text": t, "side": "for"} for t in pro_texts] + [
        {"text": t, "side": "against"} for t in con_texts
    ]
    job_analysis_first = prediction.job_analysis_first and prediction.track == "ax"
    return {
        "track_name": track_name(prediction.track),
        "rival": rival,
        "rival_name": track_name(rival),
        "track_summary": str(TRACK_SUMMARIES.get(prediction.track, "")),
        "ceo_reasons": pro_texts[:CEO_REASONS],
        "reasons": reasons,
        "toward": pro_texts,
        "away": con_texts,
        "rule": str(RULE_NAMES.get(prediction.rule, prediction.rule)) if prediction.rule else "",
        "rule_track": prediction.rule_track,
        "rule_track_name": track_name(prediction.rule_track) if prediction.rule_track else "",
        "agrees_with_rules": prediction.rule_track in ("", prediction.track),
        "review": [review_text(code, prediction) for code in prediction.review],
        "job_analysis_first": job_analysis_first,
        "job_analysis_text": str(JOB_ANALYSIS_FIRST) if job_analysis_first else "",
        "counterfactual": counterfactual_text(prediction, questionnaire, lang),
        "counterfactual_head": counterfactual_parts(prediction, questionnaire, lang)[0],
        "counterfactual_steps": counterfactual_parts(prediction, questionnaire, lang)[1],
        "needs_review": prediction.needs_review,
    }


def diagnosis_json(
    assessment_id: int,
    questionnaire: Questionnaire,
    diagnosis: Mapping[str, Any],
    lang: str,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The API's view of a diagnosis."""
    prediction: Prediction = diagnosis["prediction"]
    scores = diagnosis["scores"]
    words = explain(prediction, questionnaire, scores, lang, answers)
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
        "review": words["review"],
        "model_version": prediction.model_version,
        "rule": {
            "id": prediction.rule,
            "text": words["rule"],
            "track": prediction.rule_track,
        },
        "job_analysis_first": words["job_analysis_first"],
        "reasons": {
            "against": words["rival"],
            "summary": words["ceo_reasons"],
            "toward": words["toward"],
            "away": words["away"],
        },
        "counterfactual": {
            "target": cf.target,
            "reached": cf.reached,
            "alternatives": cf.alternatives,
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
