"""The shadow model: two monotone stages in the policy's order, calibrated. It decides nothing.

The track a firm gets is the scorecard's (``policy.decide``, assembled in ``scorecard.py``).
This model is stored beside each diagnosis (``TrackModel.shadow``) so that it can be judged
against consultants' decisions; it is shown only on its model card until it beats the
scorecard on held-out consultant decisions (``training.promotion``), and then only as
"consultants usually decide X for firms like this" next to the scorecard's track.

The policy (``policy.py``) decides in two stages, and so does the model:

1. the **gate**: P(not a beginner), from the dimension scores, readiness, whether the firm
   has used AI or had AI training, how concrete its problem is, and its hands-on needs;
2. the **referral**: P(shared training center | not a beginner), from the hands-on needs, the
   firm's training capacity (someone in charge, a room, instructors), its engineers and size.

Each stage is a gradient-boosted tree ensemble with monotone constraints where the policy has
a direction (``FEATURES``), followed by an isotonic calibration fitted on held-out firms. So
a better answer can never lower P(not beginner), and a hands-on need can never lower
P(shared center): not as a tendency of the data, by construction. The track is read stage by
stage (beginner when P(gate) < 0.5, else shared center when P(referral) >= 0.5), so the
track obeys the same directions.

Only features with a policy meaning go in: the answers a generator draws at random (target
jobs, urgency, expected benefits, training mode) are not features, so they can never become
a "reason". The reasons themselves come from the policy (``Decision``), in its own terms.

Models are saved with skops and loaded with an explicit list of trusted types: nothing is
ever unpickled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..questionnaire.contract import DIMENSIONS
from ..questionnaire.schema import Questionnaire
from .policy import (
    AI_USE_FLOOR,
    DATA_BASE_MIN,
    HEAVY_EQUIPMENT,
    LEADERSHIP_MIN,
    SMALL_FIRM,
    TRAINING_FLOOR,
    Firm,
    ai_courses,
    ai_uses,
    hands_on_needs,
)
from .scoring import NOT_APPLICABLE, is_visible, item_score

# The only types a model file may contain besides skops' own defaults; anything else refused.
TRUSTED_TYPES = [
    "builtins.dict",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.uint8",
    "numpy.str_",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn.isotonic.IsotonicRegression",
]
STAGES = ("gate", "referral")


@dataclass(frozen=True)
class Feature:
    """A model input, what it means in the policy, and its direction in each stage.

    ``gate`` / ``referral``: +1 the probability may only rise with the feature, -1 only fall,
    0 free, None not used by that stage.
    """

    name: str
    meaning: str
    gate: int | None
    referral: int | None


FEATURES = (
    *(Feature(f"dim:{d}", f"dimension score 0-100: {d}", 1, None) for d in DIMENSIONS),
    Feature("readiness", "mean of the dimension scores", 1, None),
    Feature("ai:used", "AI in use above the floor somewhere (0/1)", 1, None),
    Feature("ai:trained", "staff or executives had AI training (0/1)", 1, None),
    Feature("need:problem", "how concrete the problem is (0-100)", 1, None),
    Feature("need:heavy", "equipment lacked that a firm cannot own (count)", 1, 1),
    Feature("need:iot", "IoT sensors lacked (0/1)", 1, 1),
    Feature("need:gpu", "GPU servers lacked (0/1)", 1, 1),
    # The rules' own composites: each rises with every answer it is made of (or falls, for
    # capacity), so the directions hold, and the trees find the policy's lines sooner.
    Feature("policy:experience", "AI in use or AI training (0/1)", 1, None),
    Feature(
        "policy:use_or_training",
        "AI use over its line of 22 or the training system over its line of 30 (ratio)",
        1,
        None,
    ),
    Feature(
        "policy:ax_ready",
        "the weakest of problem/50, data base/40 and leadership/40 (ratio)",
        1,
        None,
    ),
    # not in the gate: they fall as instructors improve, and the gate may only rise with that
    Feature("policy:iot_alone_gap", "IoT needed without a room and instructors", None, 1),
    Feature("policy:gpu_alone_gap", "GPU needed without engineers and instructors", None, 1),
    Feature(
        "policy:no_capacity",
        "a small firm without anyone in charge of training, a room or instructors",
        None,
        1,
    ),
    Feature("capacity:owner", "someone in charge of training (0-100)", None, -1),
    Feature("capacity:room", "a training room or lab (0-100; none when never trained)", None, -1),
    Feature("capacity:instructors", "in-house instructors (0-100)", None, -1),
    Feature("capacity:engineers", "engineers' data and AI skill (0-100)", None, -1),
    Feature("profile:size", "log10 of the head count", None, -1),
)


def stage_features(stage: str) -> list[Feature]:
    return [f for f in FEATURES if getattr(f, stage) is not None]


def _item(questionnaire: Questionnaire, answers: Mapping[str, Any], item_id: str) -> float:
    item = questionnaire.find_item(item_id)
    if item is None or not is_visible(item, answers):
        return math.nan
    score = item_score(item, answers.get(item_id))
    return math.nan if score is None else float(score)


def firm_features(questionnaire: Questionnaire, firm: Firm) -> dict[str, float]:
    """The model's inputs for one firm: NaN where the firm gave no answer that counts."""
    answers = firm.answers
    values = {
        f"dim:{d}": math.nan if firm.scores.get(d) is None else float(firm.scores[d])
        for d in DIMENSIONS
    }
    values["readiness"] = math.nan if firm.readiness is None else float(firm.readiness)
    values["ai:used"] = 1.0 if ai_uses(firm) else 0.0
    values["ai:trained"] = 1.0 if ai_courses(firm) else 0.0
    values["need:problem"] = _item(questionnaire, answers, "need_problem_clarity")
    needs = hands_on_needs(firm)
    values["need:heavy"] = float(sum(n in HEAVY_EQUIPMENT for n in needs))
    values["need:iot"] = 1.0 if "iot_sensors" in needs else 0.0
    values["need:gpu"] = 1.0 if "gpu" in needs else 0.0
    values["capacity:owner"] = _item(questionnaire, answers, "train_hrd_owner")
    room = questionnaire.find_item("train_facility")
    values["capacity:room"] = (
        _item(questionnaire, answers, "train_facility")
        if room is not None and is_visible(room, answers)
        else 0.0
    )
    values["capacity:instructors"] = _item(questionnaire, answers, "train_instructors")
    engineers = answers.get("skill_eng_data")
    values["capacity:engineers"] = (
        0.0 if engineers == NOT_APPLICABLE else _item(questionnaire, answers, "skill_eng_data")
    )
    values["profile:size"] = math.log10(max(1, firm.employees))
    values.update(_composites(values, firm))
    return values


def _ratio(value: float, line: float) -> float:
    return min(2.0, value / line) if not math.isnan(value) else math.nan


def _composites(values: Mapping[str, float], firm: Firm) -> dict[str, float]:
    def known(name: str) -> float:
        return 0.0 if math.isnan(values[name]) else values[name]

    use = _ratio(values["dim:ai_use"], AI_USE_FLOOR)
    training = _ratio(values["dim:training_system"], TRAINING_FLOOR)
    ready = [
        _ratio(values["need:problem"], 50.0),
        _ratio(values["dim:data_infra"], DATA_BASE_MIN),
        _ratio(values["dim:leadership"], LEADERSHIP_MIN),
    ]
    instructors, room = known("capacity:instructors"), known("capacity:room")
    engineers, owner = known("capacity:engineers"), known("capacity:owner")
    small = 1.0 if 0 < firm.employees < SMALL_FIRM else 0.0
    return {
        "policy:experience": max(values["ai:used"], values["ai:trained"]),
        # the larger of the two that are known (np.nanmax's answer, at a tenth of its cost)
        "policy:use_or_training": max(
            (v for v in (use, training) if not math.isnan(v)), default=math.nan
        ),
        "policy:ax_ready": min(0.0 if math.isnan(r) else r for r in ready),
        "policy:iot_alone_gap": values["need:iot"] * max(0.0, 1 - min(instructors, room) / 70),
        "policy:gpu_alone_gap": values["need:gpu"]
        * max(0.0, 1 - min(instructors / 70, engineers / 50)),
        "policy:no_capacity": small
        * max(0.0, 1 - min(1.0, max(owner / 35, room / 35, instructors / 70))),
    }


def feature_rows(questionnaire: Questionnaire, firms: Sequence[Firm]) -> list[dict[str, float]]:
    """Every feature of each firm, computed once for both stages (most of a prediction's CPU)."""
    return [firm_features(questionnaire, firm) for firm in firms]


def stage_matrix(rows: Sequence[Mapping[str, float]], stage: str) -> np.ndarray:
    """One stage's columns of ``feature_rows``."""
    names = [f.name for f in stage_features(stage)]
    return np.array([[row[n] for n in names] for row in rows], dtype=float)


# --- prediction ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    item: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Counterfactual:
    """One-step answer changes that would move the firm to ``target`` under the policy.

    ``alternatives``: each change alone is enough (e.g. naming someone in charge of training,
    or a room, or an instructor); ``changes``: all of them together are needed.
    ``probability`` is unused since the scorecard decides (kept for stored diagnoses).
    """

    target: str
    changes: list[Change]
    reached: bool
    probability: float | None = None
    alternatives: bool = False


@dataclass(frozen=True)
class Prediction:
    """A diagnosis's track and reasons: the scorecard's (``policy.decide``), never the model's.

    ``probabilities`` and ``model_version`` are the shadow model's, kept beside the diagnosis
    (``shadow`` says whether it is promoted); ``review`` the review items (dicts, see
    ``policy.ReviewItem``; codes in diagnoses stored before them); ``sensitivity`` every one-step
    answer change that gives another track.
    """

    track: str
    probabilities: dict[str, float]
    model_version: str
    needs_review: bool
    review: list[Any] = field(default_factory=list)
    rule_track: str = ""
    rule: str = ""
    decisive: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)
    near: list[dict[str, Any]] = field(default_factory=list)  # lines within a few points
    job_analysis_first: bool = False
    counterfactual: Counterfactual | None = None
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    experience: str | None = None
    exceptions: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)  # AX support used (seed 000 line 57)
    shadow: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Prediction:
        cf = data.get("counterfactual")
        return cls(
            track=data["track"],
            probabilities=dict(data["probabilities"]),
            model_version=data["model_version"],
            needs_review=data["needs_review"],
            review=list(data.get("review", [])),
            rule_track=data.get("rule_track", ""),
            rule=data.get("rule", ""),
            decisive=list(data.get("decisive", [])),
            others=list(data.get("others", [])),
            near=list(data.get("near", [])),
            job_analysis_first=bool(data.get("job_analysis_first", False)),
            counterfactual=Counterfactual(
                target=cf["target"],
                changes=[Change(**c) for c in cf["changes"]],
                reached=cf["reached"],
                probability=cf.get("probability"),
                alternatives=cf.get("alternatives", False),
            )
            if cf
            else None,
            sensitivity=list(data.get("sensitivity", [])),
            experience=data.get("experience"),
            exceptions=list(data.get("exceptions", [])),
            support=list(data.get("support", [])),
            shadow=data.get("shadow"),
        )


def track_of(gate: float, referral: float) -> str:
    """The track, stage by stage: so a higher P(gate) can never make a beginner."""
    if gate < 0.5:
        return "beginner"
    return "shared_center" if referral >= 0.5 else "ax"


class TrackModel:
    """Two calibrated stages with the card they were saved with."""

    def __init__(self, stages: Mapping[str, Mapping[str, Any]], card: dict[str, Any]):
        self.stages = stages
        self.card = card
        self.version: str = card["version"]

    # -- persistence
    def save(self, folder: Path) -> Path:
        import skops.io as sio  # here, not at import: a report renderer never loads a model

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"track-{self.version}.skops"
        sio.dump({k: dict(v) for k, v in self.stages.items()}, path)
        (folder / f"track-{self.version}.json").write_text(
            json.dumps(self.card, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return path

    @classmethod
    def load(cls, path: Path) -> TrackModel:
        """Load a model; raise if the file holds any type outside ``TRUSTED_TYPES``."""
        import skops.io as sio

        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ValueError(f"{path} holds untrusted types: {sorted(untrusted)}")
        stages = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if not isinstance(stages, dict) or set(stages) != set(STAGES):
            raise ValueError(f"{path} is not a two-stage track model")
        return cls(stages, card)

    # -- probabilities
    def stage_probability(self, stage: str, x: np.ndarray) -> np.ndarray:
        parts = self.stages[stage]
        raw = parts["classifier"].predict_proba(x)[:, 1]
        return np.clip(parts["calibrator"].predict(raw), 0.0, 1.0)

    def stage_probabilities(
        self, questionnaire: Questionnaire, firms: Sequence[Firm]
    ) -> tuple[np.ndarray, np.ndarray]:
        """P(not beginner) and P(shared center | not beginner) for each firm."""
        rows = feature_rows(questionnaire, firms)
        return (
            self.stage_probability("gate", stage_matrix(rows, "gate")),
            self.stage_probability("referral", stage_matrix(rows, "referral")),
        )

    def probabilities(self, questionnaire: Questionnaire, firms: Sequence[Firm]) -> np.ndarray:
        """Rows of P(track) in ``TRACKS`` order."""
        gate, referral = self.stage_probabilities(questionnaire, firms)
        return np.column_stack([1 - gate, gate * (1 - referral), gate * referral])

    def tracks(self, questionnaire: Questionnaire, firms: Sequence[Firm]) -> list[str]:
        gate, referral = self.stage_probabilities(questionnaire, firms)
        return [track_of(g, r) for g, r in zip(gate, referral, strict=True)]

    # -- one firm
    @property
    def promoted(self) -> bool:
        """Whether the model beat the scorecard on held-out consultants' decisions."""
        return bool((self.card.get("promotion") or {}).get("promoted"))

    def shadow(self, questionnaire: Questionnaire, firm: Firm) -> dict[str, Any]:
        """The model's track for a firm, stored beside the diagnosis; it decides nothing."""
        gate, referral = (float(p[0]) for p in self.stage_probabilities(questionnaire, [firm]))
        return {
            "track": track_of(gate, referral),
            "probabilities": {
                "beginner": round(1 - gate, 4),
                "ax": round(gate * (1 - referral), 4),
                "shared_center": round(gate * referral, 4),
            },
            "model_version": self.version,
            "promoted": self.promoted,
        }
