"""Training the track model: data from two sources, evaluation, a model card, safe replacement.

1. the bootstrap set: synthetic firms labelled by the policy rules (``policy.py``);
2. real decisions: every diagnosis a consultant confirmed or overrode.

One seeded generator drives everything, so the same inputs give the same model. A new model
replaces the current one only when it is not worse on real decisions held out from training.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..questionnaire.schema import Questionnaire
from .model import TrackModel, feature_names, features
from .policy import TRACKS, bootstrap_set, synthetic_firm

log = logging.getLogger(__name__)
BOOTSTRAP_SIZE = 3000
REAL_WEIGHT = 5.0  # one consultant's decision counts as five synthetic firms


@dataclass(frozen=True)
class Example:
    profile: Mapping[str, Any]
    answers: Mapping[str, Any]
    track: str
    source: str  # "bootstrap" or "real"


def bootstrap_examples(questionnaire: Questionnaire, seed: int, n: int = BOOTSTRAP_SIZE):
    rng = np.random.default_rng(seed)
    return [
        Example(f.profile, f.answers, track, "bootstrap")
        for f, track in bootstrap_set(questionnaire, n, rng)
    ]


def _pipeline(seed: int) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=0.5, max_iter=2000, random_state=seed)),
        ]
    )


def _matrix(questionnaire: Questionnaire, examples: Sequence[Example], names: list[str]):
    x = np.array([features(questionnaire, e.profile, e.answers, names) for e in examples])
    y = np.array([e.track for e in examples])
    w = np.array([REAL_WEIGHT if e.source == "real" else 1.0 for e in examples])
    return x, y, w


def _metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(TRACKS), zero_division=0
    )
    return {
        "macro_f1": round(
            float(f1_score(y_true, y_pred, labels=list(TRACKS), average="macro", zero_division=0)),
            4,
        ),
        "per_class": {
            t: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for t, p, r, f, s in zip(TRACKS, precision, recall, f1, support, strict=True)
        },
        "confusion_matrix": {
            "labels": list(TRACKS),
            "rows_true_columns_predicted": confusion_matrix(
                y_true, y_pred, labels=list(TRACKS)
            ).tolist(),
        },
    }


def _brier(y_true: Sequence[str], proba: np.ndarray) -> float:
    """Multi-class Brier score: mean squared distance of the probabilities from the truth."""
    onehot = np.array([[1.0 if t == c else 0.0 for c in TRACKS] for t in y_true])
    return round(float(np.mean(np.sum((proba - onehot) ** 2, axis=1))), 4)


def _reliability(y_true: Sequence[str], proba: np.ndarray, bins: int = 5) -> list[dict]:
    """For the top track: stated confidence against observed accuracy, in bins."""
    top = proba.max(axis=1)
    correct = np.array([TRACKS[i] == t for i, t in zip(proba.argmax(axis=1), y_true, strict=True)])
    table = []
    edges = np.linspace(1 / 3, 1.0, bins + 1)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (top >= low) & ((top < high) | (high == 1.0))
        if mask.any():
            table.append(
                {
                    "confidence": f"{low:.2f}-{high:.2f}",
                    "count": int(mask.sum()),
                    "mean_confidence": round(float(top[mask].mean()), 3),
                    "accuracy": round(float(correct[mask].mean()), 3),
                }
            )
    return table


def monotonicity(model: TrackModel, questionnaire: Questionnaire, seed: int, firms: int = 400):
    """How often raising a single scored answer by one option moves a firm toward beginner.

    Returns the share of raises that turn a non-beginner into a beginner, and the share that
    raise P(beginner) by more than one percentage point.
    """
    from .model import _next_option

    rng = np.random.default_rng(seed + 1)
    raises = flips = rises = 0
    for _ in range(firms):
        firm = synthetic_firm(rng, questionnaire)
        base = model.probabilities(
            features(questionnaire, firm.profile, firm.answers, model.names)[None, :]
        )[0]
        variants = []
        for item in questionnaire.items():
            if item.type == "single" and item.is_scored:
                step = _next_option(item, firm.answers.get(item.id))
                if step is not None:
                    variants.append({**firm.answers, item.id: step})
        if not variants:
            continue
        proba = model.probabilities(
            np.array([features(questionnaire, firm.profile, v, model.names) for v in variants])
        )
        raises += len(variants)
        if base.argmax() != 0:
            flips += int(np.sum(proba.argmax(axis=1) == 0))
        rises += int(np.sum(proba[:, 0] > base[0] + 0.01))
    return {
        "raises": raises,
        "flipped_to_beginner": flips,
        "flip_share": round(flips / max(raises, 1), 5),
        "beginner_probability_rose": rises,
        "rise_share": round(rises / max(raises, 1), 5),
    }


def train(
    questionnaire: Questionnaire,
    real: Sequence[Example] = (),
    seed: int = 20261122,
    bootstrap_size: int = BOOTSTRAP_SIZE,
    folds: int = 5,
) -> tuple[TrackModel, list[Example]]:
    """Fit a model on the bootstrap set plus ``real``; return it and the real examples held out.

    With ten or more real decisions, a stratified 30 % of them is held out from training
    for the replacement check.
    """
    names = feature_names(questionnaire)
    boot = bootstrap_examples(questionnaire, seed, bootstrap_size)
    held_out: list[Example] = []
    real_train = list(real)
    if len(real) >= 10:
        labels = [e.track for e in real]
        stratify = labels if min(labels.count(t) for t in set(labels)) >= 2 else None
        real_train, held_out = train_test_split(
            list(real), test_size=0.3, random_state=seed, stratify=stratify
        )
    # The bootstrap features are computed once: cross-validated alone, then fitted with the
    # real decisions appended.
    xb, yb, wb = _matrix(questionnaire, boot, names)
    if real_train:
        xr, yr, wr = _matrix(questionnaire, real_train, names)
        x, y, w = np.vstack([xb, xr]), np.concatenate([yb, yr]), np.concatenate([wb, wr])
    else:
        x, y, w = xb, yb, wb

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    cv_proba = cross_val_predict(_pipeline(seed), xb, yb, cv=cv, method="predict_proba")
    classes = sorted(set(yb))
    cv_proba = cv_proba[:, [classes.index(t) for t in TRACKS]]
    cv_pred = [TRACKS[i] for i in cv_proba.argmax(axis=1)]

    pipeline = _pipeline(seed).fit(x, y, classify__sample_weight=w)
    digest = hashlib.sha256(
        np.concatenate([pipeline[-1].coef_.ravel(), pipeline[-1].intercept_]).round(10).tobytes()
    ).hexdigest()
    trained_at = datetime.now(UTC)
    version = f"{trained_at:%Y%m%d}-{digest[:8]}"
    card = {
        "version": version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "questionnaire": questionnaire.key,
        "seed": seed,
        "algorithm": "StandardScaler + multinomial LogisticRegression(C=0.5)",
        "data": {
            "bootstrap": {
                "count": len(boot),
                "generator": "diagnose.diagnosis.policy.bootstrap_set",
                "label_noise": 0.05,
                "tracks": {t: int(np.sum(yb == t)) for t in TRACKS},
            },
            "real_decisions": {
                "count": len(real),
                "used_for_training": len(real_train),
                "held_out": len(held_out),
                "weight": REAL_WEIGHT,
            },
        },
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
        },
        "cross_validation": {
            "folds": folds,
            "on": "bootstrap set",
            **_metrics(yb, cv_pred),
            "brier": _brier(yb, cv_proba),
            "reliability": _reliability(yb, cv_proba),
        },
        "features": names,
    }
    model = TrackModel(pipeline, card)
    card["sanity"] = monotonicity(model, questionnaire, seed)
    return model, held_out


def score_on(model: TrackModel, questionnaire: Questionnaire, examples: Sequence[Example]):
    """Macro-F1 of a model on examples (the held-out real decisions)."""
    x, y, _ = _matrix(questionnaire, examples, model.names)
    predicted = [TRACKS[i] for i in model.probabilities(x).argmax(axis=1)]
    return float(f1_score(y, predicted, labels=list(TRACKS), average="macro", zero_division=0))


def should_replace(
    new: TrackModel,
    current: TrackModel | None,
    questionnaire: Questionnaire,
    held_out: Sequence[Example],
) -> tuple[bool, str]:
    """A new model replaces the current one only if it is not worse on held-out real decisions."""
    if current is None:
        return True, "no current model"
    if not held_out:
        real = (
            new.card["data"]["real_decisions"]["count"],
            current.card["data"]["real_decisions"]["count"],
        )
        if real == (0, 0):
            return True, "no real decisions yet: both models rest on the bootstrap set"
        return False, "too few real decisions to hold any out (10 needed); keeping the current"
    new_f1, old_f1 = (score_on(m, questionnaire, held_out) for m in (new, current))
    verdict = new_f1 >= old_f1
    return verdict, (
        f"macro-F1 on {len(held_out)} held-out real decisions: new {new_f1:.3f}, "
        f"current {old_f1:.3f}"
    )


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card as a page a reviewer can read."""
    cv = card["cross_validation"]
    matrix = cv["confusion_matrix"]["rows_true_columns_predicted"]
    lines = [
        f"# Track model {card['version']}",
        "",
        f"Trained {card['trained_at']} on questionnaire `{card['questionnaire']}`, seed "
        f"{card['seed']}. Algorithm: {card['algorithm']}.",
        "",
        "## Data",
        f"- bootstrap: {card['data']['bootstrap']['count']} synthetic firms from the policy "
        f"rules in `diagnose/policy.py` ({card['data']['bootstrap']['tracks']}), "
        f"{card['data']['bootstrap']['label_noise']:.0%} of labels moved to a neighbouring track",
        f"- real decisions: {card['data']['real_decisions']['count']} "
        f"({card['data']['real_decisions']['used_for_training']} used for training, "
        f"{card['data']['real_decisions']['held_out']} held out)",
        "",
        "## Versions",
        *(f"- {k} {v}" for k, v in card["versions"].items()),
        "",
        f"## {cv['folds']}-fold stratified cross-validation ({cv['on']})",
        f"- macro-F1 **{cv['macro_f1']}**, Brier score {cv['brier']}",
        "",
        "| track | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *(
            f"| {t} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |"
            for t, m in cv["per_class"].items()
        ),
        "",
        "Confusion matrix (rows: policy track, columns: predicted):",
        "",
        "| | " + " | ".join(TRACKS) + " |",
        "|---|---|---|---|",
        *(
            f"| {t} | " + " | ".join(str(v) for v in row) + " |"
            for t, row in zip(TRACKS, matrix, strict=True)
        ),
        "",
        "Reliability (top track):",
        "",
        "| confidence | count | mean confidence | accuracy |",
        "|---|---|---|---|",
        *(
            f"| {r['confidence']} | {r['count']} | {r['mean_confidence']} | {r['accuracy']} |"
            for r in cv["reliability"]
        ),
        "",
        "## Sanity",
        f"Raising one scored answer by one option, over {card['sanity']['raises']} raises: "
        f"{card['sanity']['flip_share']:.2%} turned a firm into a beginner; "
        f"{card['sanity']['rise_share']:.2%} raised P(beginner) by more than a point.",
    ]
    return "\n".join(lines) + "\n"


def save_model(model: TrackModel, folder: Path) -> Path:
    path = model.save(folder)
    path.with_suffix(".md").write_text(card_markdown(model.card), encoding="utf-8")
    return path
