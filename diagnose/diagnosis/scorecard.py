"""The published scorecard as a diagnosis: the rules' track, their reasons, what to re-check.

One function, ``assess``, for every entry point (pages, API, CLI, jobs, benchmarks): the
track and findings from ``policy.decide``, the review items (the answers one step from
another track first, with the lines the firm sits near; then inconsistencies and the SME
line), every one-step answer change that would give another track
(``levers.one_step_changes``, exact), the fewest steps toward
the neighbouring track where no single step is enough, and, when a model is given, its
shadow track beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..questionnaire.schema import Questionnaire
from . import levers
from .model import Change, Counterfactual, Prediction
from .policy import Decision, Firm, decide

if TYPE_CHECKING:
    from .model import TrackModel

SCORECARD = "scorecard"


def _counterfactual(questionnaire: Questionnaire, firm: Firm, decision: Decision):
    found = levers.find(questionnaire, firm, decision.track, decision)
    if found is None:
        return None
    changes = [Change(item, firm.answers.get(item), after) for item, after in found.changes]
    return Counterfactual(found.target, changes, found.reached, None, found.alternatives)


def assess(
    questionnaire: Questionnaire,
    profile: Mapping[str, Any],
    answers: Mapping[str, Any],
    model: TrackModel | None = None,
) -> Prediction:
    """The scorecard's diagnosis of one firm, with the shadow model's track if ``model``."""
    firm = Firm.of(questionnaire, profile, answers)
    decision = decide(firm)
    steps = levers.one_step_changes(questionnaire, firm, decision.track)
    review = [asdict(r) for r in decision.review]
    if steps:
        # one item: the answers to re-check, and the lines the firm sits near as the reason
        # (a line near but out of any one answer's reach raises no item: issue 15)
        review.insert(
            0,
            {
                "kind": "one_step",
                "code": "one_step",
                "items": list(dict.fromkeys(s.item for s in steps)),
                "value": None,
                "threshold": None,
                "detail": sorted({s.track for s in steps}),
                "near": [
                    {"line": f.line, "value": f.value, "threshold": f.threshold}
                    for f in decision.near
                ],
            },
        )
    shadow = model.shadow(questionnaire, firm) if model is not None else None
    return Prediction(
        track=decision.track,
        probabilities=shadow["probabilities"] if shadow else {},
        model_version=shadow["model_version"] if shadow else SCORECARD,
        needs_review=bool(review),
        review=review,
        rule_track=decision.track,
        rule=decision.rule,
        decisive=[asdict(f) for f in decision.decisive],
        others=[asdict(f) for f in decision.others],
        near=[asdict(f) for f in decision.near],
        job_analysis_first=decision.job_analysis_first,
        counterfactual=_counterfactual(questionnaire, firm, decision) if not steps else None,
        sensitivity=[asdict(s) for s in steps],
        experience=decision.experience,
        exceptions=list(decision.exceptions),
        support=list(decision.support),
        shadow=shadow,
    )
