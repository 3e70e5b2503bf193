"""The track classifier: features, prediction, and explanations a consultant can act on.

A multinomial logistic regression on standardised features. It is chosen over stronger
learners on purpose: each feature's push toward a track is its coefficient times its
distance from the average firm, which reads directly as "this answer pushed toward AX",
and the counterfactual search below can ask it hundreds of "what if" questions in
milliseconds.

Models are saved with skops and loaded with an explicit list of trusted types: nothing is
ever unpickled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from ..questionnaire.schema import Item, Questionnaire
from .policy import HANDS_ON_EQUIPMENT, TRACKS
from .scoring import NOT_APPLICABLE, dimension_scores, is_visible, item_score

# The only types a model file may contain; skops refuses anything else.
TRUSTED_TYPES = [
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.str_",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
]
# When the two most likely tracks are this close, the result asks for the consultant's call.
REVIEW_MARGIN = 0.15
# The track a consultant asks "what would it take" about: beginners look to AX; AX firms to
# the hands-on work of a shared center; shared-center firms to training in-house as AX firms.
NEXT_TRACK = {"beginner": "ax", "ax": "shared_center", "shared_center": "ax"}
# The policy's mark of a shared-center firm, as one feature: any hands-on equipment it lacks.
HANDS_ON = "need:hands_on_equipment"


# --- features --------------------------------------------------------------------------------


def feature_names(questionnaire: Questionnaire) -> list[str]:
    names = [f"item:{i.id}" for i in questionnaire.items() if i.is_scored]
    names += [f"dim:{d.id}" for d in questionnaire.dimensions]
    for item in questionnaire.items():
        if not item.is_scored and item.type in ("single", "multi"):
            # An exclusive option ("none of these") is the absence of the others: a feature of
            # its own would let the model explain a firm by what it did not say.
            names += [f"opt:{item.id}={o.value}" for o in item.options if not o.exclusive]
    return names + [HANDS_ON, "profile:size", "profile:manufacturing"]


def features(
    questionnaire: Questionnaire,
    profile: Mapping[str, Any],
    answers: Mapping[str, Any],
    names: list[str],
) -> np.ndarray:
    """One firm as a vector in the order of ``names`` (a model's own feature list).

    Item scores are 0..1; an item not answered, not applicable or hidden takes its dimension's
    score, so a gap neither helps nor hurts. Unscored options are 0/1 flags.
    """
    scores = dimension_scores(questionnaire, answers)
    dims = {k: (s.score or 0.0) / 100 for k, s in scores.items()}
    values: dict[str, float] = {f"dim:{k}": v for k, v in dims.items()}
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            if item.is_scored:
                score = (
                    item_score(item, answers.get(item.id)) if is_visible(item, answers) else None
                )
                values[f"item:{item.id}"] = dims[dimension.id] if score is None else score / 100
            elif item.type in ("single", "multi") and is_visible(item, answers):
                given = answers.get(item.id)
                for value in given if isinstance(given, list) else [given]:
                    values[f"opt:{item.id}={value}"] = 1.0
    given = answers.get("need_equipment")
    chosen = given if isinstance(given, list) else [given]
    values[HANDS_ON] = 1.0 if any(v in HANDS_ON_EQUIPMENT for v in chosen) else 0.0
    values["profile:size"] = _size(profile)
    values["profile:manufacturing"] = 1.0 if profile.get("industry") == "C" else 0.0
    return np.array([values.get(name, 0.0) for name in names], dtype=float)


def _size(profile: Mapping[str, Any]) -> float:
    """log10 of the head count, 0 for one person, 1 at ten, 2 at a hundred."""
    try:
        employees = int(str(profile.get("employees") or 1).replace(",", ""))
    except ValueError:
        employees = 1
    return math.log10(max(1, employees))


# --- prediction ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One feature's push: toward the chosen track (effect > 0) or away from it."""

    feature: str
    effect: float
    value: Any = None


@dataclass(frozen=True)
class Change:
    item: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Counterfactual:
    target: str
    changes: list[Change]
    reached: bool
    probability: float


@dataclass(frozen=True)
class Prediction:
    track: str
    probabilities: dict[str, float]
    model_version: str
    needs_review: bool
    toward: list[Reason] = field(default_factory=list)
    away: list[Reason] = field(default_factory=list)
    counterfactual: Counterfactual | None = None

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
            toward=[Reason(**r) for r in data.get("toward", [])],
            away=[Reason(**r) for r in data.get("away", [])],
            counterfactual=Counterfactual(
                target=cf["target"],
                changes=[Change(**c) for c in cf["changes"]],
                reached=cf["reached"],
                probability=cf["probability"],
            )
            if cf
            else None,
        )


class TrackModel:
    """A trained pipeline with the feature list and the card it was saved with."""

    def __init__(self, pipeline: Any, card: dict[str, Any]):
        self.pipeline = pipeline
        self.card = card
        self.names: list[str] = card["features"]
        self.version: str = card["version"]
        self.classes: list[str] = [str(c) for c in pipeline.classes_]

    # -- persistence
    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"track-{self.version}.skops"
        sio.dump(self.pipeline, path)
        (folder / f"track-{self.version}.json").write_text(
            json.dumps(self.card, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return path

    @classmethod
    def load(cls, path: Path) -> TrackModel:
        """Load a model; raise if the file holds any type outside ``TRUSTED_TYPES``."""
        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ValueError(f"{path} holds untrusted types: {sorted(untrusted)}")
        pipeline = sio.load(path, trusted=TRUSTED_TYPES)
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return cls(pipeline, card)

    # -- prediction
    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Rows of P(track) in ``TRACKS`` order."""
        proba = self.pipeline.predict_proba(matrix)
        order = [self.classes.index(t) for t in TRACKS]
        return proba[:, order]

    def predict(
        self,
        questionnaire: Questionnaire,
        profile: Mapping[str, Any],
        answers: Mapping[str, Any],
        explain: bool = True,
    ) -> Prediction:
        x = features(questionnaire, profile, answers, self.names)
        proba = self.probabilities(x[None, :])[0]
        ranked = np.argsort(-proba)
        track = TRACKS[ranked[0]]
        probabilities = {t: round(float(p), 4) for t, p in zip(TRACKS, proba, strict=True)}
        needs_review = bool(proba[ranked[0]] - proba[ranked[1]] < REVIEW_MARGIN)
        if not explain:
            return Prediction(track, probabilities, self.version, needs_review)
        toward, away = self.reasons(x, track, TRACKS[ranked[1]], answers)
        target = NEXT_TRACK[track]
        counterfactual = self.counterfactual(questionnaire, profile, answers, target)
        return Prediction(
            track, probabilities, self.version, needs_review, toward, away, counterfactual
        )

    def _contributions(self, x: np.ndarray, track: str, rival: str) -> np.ndarray:
        """Each feature's share of the log-odds of ``track`` against ``rival``.

        In a multinomial logistic regression, log(P(track) / P(rival)) is exactly the sum of
        these terms plus the intercepts' difference, so the reasons answer the consultant's
        question "why this track rather than the next likeliest one?".
        """
        scaler, classifier = self.pipeline[0], self.pipeline[-1]
        z = (x - scaler.mean_) / scaler.scale_
        coef = classifier.coef_
        return (coef[self.classes.index(track)] - coef[self.classes.index(rival)]) * z

    def reasons(
        self,
        x: np.ndarray,
        track: str,
        rival: str,
        answers: Mapping[str, Any],
        top: int = 4,
    ) -> tuple[list[Reason], list[Reason]]:
        """What pushed toward ``track`` rather than ``rival``, and what pushed the other way."""
        contributions = self._contributions(x, track, rival)
        order = np.argsort(-contributions)

        def reason(i: int) -> Reason:
            name = self.names[i]
            value = None
            if name.startswith("item:"):
                value = answers.get(name.split(":", 1)[1])
            elif name == HANDS_ON:
                value = answers.get("need_equipment")
            return Reason(name, round(float(contributions[i]), 3), value)

        # An option the firm did not choose is no reason a person can read: "you did not pick
        # 'none needed'" only restates what it did pick, so such features are left out.
        shown = [
            i
            for i in range(len(self.names))
            if not (self.names[i].startswith("opt:") and x[i] == 0)
        ]
        shown_order = [i for i in order if i in set(shown)]
        toward = [reason(i) for i in shown_order[:top] if contributions[i] > 0.05]
        away = [reason(i) for i in shown_order[::-1][:top] if contributions[i] < -0.05]
        return toward, away

    def counterfactual(
        self,
        questionnaire: Questionnaire,
        profile: Mapping[str, Any],
        answers: Mapping[str, Any],
        target: str,
        max_changes: int = 4,
    ) -> Counterfactual:
        """The fewest one-step changes of answers (greedy) that make ``target`` the top track.

        A step raises one scored answer by one option, or adds one option to a scored multiple
        choice: changes a firm could make in months, not a different firm. Toward the shared
        center, whose mark is what a firm needs rather than how far along it is, a step may
        also add a stated need (say, vision-inspection equipment).
        """
        current = dict(answers)
        changes: list[Change] = []
        goal = TRACKS.index(target)
        probability = 0.0
        for _ in range(max_changes):
            candidates = list(
                _one_step_changes(questionnaire, current, needs=target == "shared_center")
            )
            if not candidates:
                break
            matrix = np.array(
                [
                    features(questionnaire, profile, {**current, c.item: c.after}, self.names)
                    for c in candidates
                ]
            )
            proba = self.probabilities(matrix)
            rivals = np.delete(proba, goal, axis=1).max(axis=1)
            best = int(np.argmax(proba[:, goal] - rivals))
            change = candidates[best]
            current[change.item] = change.after
            changes.append(change)
            probability = float(proba[best, goal])
            if proba[best, goal] > rivals[best]:
                return Counterfactual(target, changes, True, round(probability, 4))
        return Counterfactual(target, changes, False, round(probability, 4))


def _one_step_changes(questionnaire: Questionnaire, answers: Mapping[str, Any], needs: bool):
    for item in questionnaire.items():
        if item.type not in ("single", "multi") or not is_visible(item, answers):
            continue
        given = answers.get(item.id)
        if item.type == "single" and item.is_scored:
            step = _next_option(item, given)
            if step is not None:
                yield Change(item.id, given, step)
                further = _next_option(item, step)
                if further is not None:
                    yield Change(item.id, given, further)
        elif item.type == "multi":
            chosen = (
                given
                if isinstance(given, list)
                else ([] if given in (None, NOT_APPLICABLE) else [given])
            )
            chosen = [v for v in chosen if not (item.option(v) and item.option(v).exclusive)]
            for option in item.options:
                if option.exclusive or option.value in chosen:
                    continue
                if (item.is_scored and not option.score) or (not item.is_scored and not needs):
                    continue
                yield Change(item.id, given, chosen + [option.value])


def _next_option(item: Item, given: Any) -> str | None:
    """The option one step more mature than ``given`` (the second lowest when unanswered)."""
    ladder = sorted(item.options, key=lambda o: o.score)
    if given in (None, "", NOT_APPLICABLE):
        return None
    values = [o.value for o in ladder]
    if given not in values or values.index(given) == len(values) - 1:
        return None
    return values[values.index(given) + 1]
