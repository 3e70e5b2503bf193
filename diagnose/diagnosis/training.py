"""Training the shadow model: data, calibration, evaluation, the card, release and promotion.

The model learns how consultants decide, not the rules: the scorecard (``policy.py``)
already is the rules. Its labels:
1. consultants' overrides of the scorecard's track: the strongest labels;
2. consultants' confirmations: weaker (a consultant who confirms is anchored by the track
   shown), so they train but never count as independent evidence;
3. self-assessments: none (no one but the firm has looked at them);
4. the bootstrap set, synthetic firms labelled by the rules (``synthetic.py``): a cold start
   only, at a low weight, so the shadow model has a shape before any decision exists.

Until the model beats the scorecard on held-out consultant decisions (``promotion``: at least
``MIN_HELD_OUT`` held-out overrides, and the bootstrap interval of the accuracy difference
above 0) it runs in shadow and is shown on its card only.

One seeded generator drives everything, so the same inputs give the same model. A new model
becomes current only through the release gates (``release_gates``): enough independent
held-out decisions, an improvement beyond a bootstrap interval (a tie keeps the current
model), no track's recall worse, the monotone properties intact, agreement with the rules on
a fixed synthetic check set, and the questionnaire the app serves.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from ..questionnaire.schema import Questionnaire
from .model import (
    FEATURES,
    STAGES,
    TrackModel,
    feature_rows,
    stage_features,
    stage_matrix,
    track_of,
)
from .policy import (
    HANDS_ON_EQUIPMENT,
    TRACKS,
    Firm,
    can_train_alone,
    decide,
    scored_steps,
    track_for,
)
from .synthetic import bootstrap_set, synthetic_firm

log = logging.getLogger(__name__)
BOOTSTRAP_SIZE = 8000
LABEL_NOISE = 0.05
OVERRIDE_WEIGHT = 5.0  # a consultant's override: the strongest label
CONFIRM_WEIGHT = 1.0  # a confirmation of the scorecard's track: weaker evidence
BOOTSTRAP_WEIGHT = 0.2  # a synthetic firm labelled by the rules: a cold start only
CALIBRATION_SHARE = 0.25
# The fixed synthetic firms every model is checked on: the same for every candidate.
CHECK_SEED, CHECK_SIZE = 20261126, 2000
PROPERTY_SEED, PROPERTY_SIZE = 20261127, 500
# Release gates.
MIN_HELD_OUT = 30  # held-out overrides needed to judge a new model on real decisions
HOLD_OUT_SHARE = 0.3
MIN_RULE_AGREEMENT = 0.97
BOOTSTRAP_ROUNDS = 1000


@dataclass(frozen=True)
class Example:
    profile: Mapping[str, Any]
    answers: Mapping[str, Any]
    track: str
    source: str  # "bootstrap", "override" (independent) or "confirm"
    firm: Firm | None = field(default=None, compare=False, repr=False)  # already scored

    @property
    def independent(self) -> bool:
        return self.source == "override"

    @property
    def weight(self) -> float:
        return {
            "override": OVERRIDE_WEIGHT,
            "confirm": CONFIRM_WEIGHT,
            "bootstrap": BOOTSTRAP_WEIGHT,
        }.get(self.source, 0.0)


def bootstrap_examples(
    questionnaire: Questionnaire, seed: int, n: int = BOOTSTRAP_SIZE, noise: float = LABEL_NOISE
) -> list[Example]:
    rng = np.random.default_rng(seed)
    return [
        Example(firm.profile, firm.answers, track, "bootstrap", firm)
        for firm, track in bootstrap_set(questionnaire, n, rng, label_noise=noise)
    ]


_CHECK_FIRMS: dict[tuple[str, int, int], tuple[Firm, ...]] = {}


def check_firms(
    questionnaire: Questionnaire, seed: int = CHECK_SEED, n: int = CHECK_SIZE
) -> list[Firm]:
    """Fixed synthetic firms, never trained on, for checks every model faces alike."""
    key = (questionnaire.key, seed, n)
    if key not in _CHECK_FIRMS:
        rng = np.random.default_rng(seed)
        _CHECK_FIRMS[key] = tuple(synthetic_firm(rng, questionnaire) for _ in range(n))
    return list(_CHECK_FIRMS[key])


def _firms(questionnaire: Questionnaire, examples: Sequence[Example]) -> list[Firm]:
    return [e.firm or Firm.of(questionnaire, e.profile, e.answers) for e in examples]


def _classifier(stage: str, seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.15,
        max_iter=60,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        monotonic_cst=[getattr(f, stage) for f in stage_features(stage)],
        early_stopping=False,
        random_state=seed,
    )


def _fit_stage(stage: str, seed: int, x, y, w, x_cal, y_cal) -> dict[str, Any]:
    classifier = _classifier(stage, seed).fit(x, y, sample_weight=w)
    raw = classifier.predict_proba(x_cal)[:, 1]
    calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y_cal)
    return {"classifier": classifier, "calibrator": calibrator}


def train(
    questionnaire: Questionnaire,
    real: Sequence[Example] = (),
    seed: int = 20261122,
    bootstrap_size: int = BOOTSTRAP_SIZE,
    label_noise: float = LABEL_NOISE,
    evaluate_it: bool = True,
) -> tuple[TrackModel, list[Example]]:
    """Fit both stages on consultants' decisions plus the cold-start bootstrap set; return the
    model and the held-out decisions (30 % of them, once there are ten overrides)."""
    boot = bootstrap_examples(questionnaire, seed, bootstrap_size, label_noise)
    real = [e for e in real if e.source in ("override", "confirm")]  # self-assessments: none
    independent = [e for e in real if e.independent]
    held_out: list[Example] = []
    if len(independent) >= 10:
        _kept, held_out = train_test_split(
            list(real),
            test_size=HOLD_OUT_SHARE,
            random_state=seed,
            stratify=[e.source for e in real],
        )
    held = {id(e) for e in held_out}
    training = [e for e in real if id(e) not in held]
    fit_boot, cal_boot = train_test_split(
        boot,
        test_size=CALIBRATION_SHARE,
        random_state=seed,
        stratify=[e.track for e in boot],
    )
    examples = list(fit_boot) + training
    rows = feature_rows(questionnaire, _firms(questionnaire, examples))
    cal_rows = feature_rows(questionnaire, _firms(questionnaire, cal_boot))
    y = np.array([e.track for e in examples])
    w = np.array([e.weight for e in examples])
    y_cal = np.array([e.track for e in cal_boot])
    stages = {
        "gate": _fit_stage(
            "gate",
            seed,
            stage_matrix(rows, "gate"),
            (y != "beginner").astype(int),
            w,
            stage_matrix(cal_rows, "gate"),
            (y_cal != "beginner").astype(int),
        )
    }
    past, past_cal = y != "beginner", y_cal != "beginner"
    stages["referral"] = _fit_stage(
        "referral",
        seed,
        stage_matrix([r for r, keep in zip(rows, past, strict=True) if keep], "referral"),
        (y[past] == "shared_center").astype(int),
        w[past],
        stage_matrix([r for r, keep in zip(cal_rows, past_cal, strict=True) if keep], "referral"),
        (y_cal[past_cal] == "shared_center").astype(int),
    )
    check = check_firms(questionnaire)
    probe = TrackModel(stages, {"version": "probe"})
    digest = hashlib.sha256(probe.probabilities(questionnaire, check).round(8).tobytes())
    trained_at = datetime.now(UTC)
    version = f"{trained_at:%Y%m%d}-{digest.hexdigest()[:8]}"
    card: dict[str, Any] = {
        "version": version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "questionnaire": questionnaire.key,
        "seed": seed,
        "algorithm": (
            "two stages in the policy's order (gate: beginner or not; referral: shared center "
            "or AX), each a HistGradientBoostingClassifier with monotone constraints and an "
            "isotonic calibration on held-out synthetic firms"
        ),
        "features": [asdict(f) for f in FEATURES],
        "data": {
            "bootstrap": {
                "count": len(boot),
                "generator": "diagnose.diagnosis.synthetic.bootstrap_set",
                "weight": BOOTSTRAP_WEIGHT,
                "use": "cold start only: labelled by the scorecard's rules, not by consultants",
                "label_noise": label_noise,
                "calibration_share": CALIBRATION_SHARE,
                "tracks": {t: sum(e.track == t for e in boot) for t in TRACKS},
            },
            "real_decisions": {
                "count": len(real),
                "overrides": len(independent),
                "confirmations": len(real) - len(independent),
                "used_for_training": len(training),
                "held_out": len(held_out),
                "weights": {"override": OVERRIDE_WEIGHT, "confirm": CONFIRM_WEIGHT},
            },
        },
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
        },
    }
    model = TrackModel(stages, card)
    card["intended_use"] = INTENDED_USE
    card["limitations"] = LIMITATIONS
    card["promotion"] = promotion(model, questionnaire, held_out)
    if evaluate_it:  # the release gates need both; a quick refit in a test may skip them
        card["evaluation"] = evaluate(model, questionnaire, seed)
        card["sanity"] = monotone_violations(model, questionnaire, property_firms(questionnaire))
    return model, held_out


# --- evaluation ------------------------------------------------------------------------------


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


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10):
    """ECE: the gap between stated confidence and observed accuracy, weighted over bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (confidence > low) & (confidence <= high) if low > 0 else confidence <= high
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return round(float(total), 4)


def evaluate(model: TrackModel, questionnaire: Questionnaire, seed: int) -> dict[str, Any]:
    """Held-out synthetic firms (a seed never trained on), labelled with the same noise as the
    training data: metrics, calibration (ECE) of each stage and of the top track, agreement
    with the rules on the fixed check set."""
    rng = np.random.default_rng(seed + 7919)
    test = bootstrap_set(questionnaire, 2000, rng, label_noise=LABEL_NOISE)
    firms = [f for f, _ in test]
    y = np.array([t for _, t in test])
    gate, referral = model.stage_probabilities(questionnaire, firms)
    predicted = [track_of(g, r) for g, r in zip(gate, referral, strict=True)]
    proba = np.column_stack([1 - gate, gate * (1 - referral), gate * referral])
    onehot = np.array([[1.0 if t == c else 0.0 for c in TRACKS] for t in y])
    top = proba.max(axis=1)
    correct = np.array([TRACKS[i] == t for i, t in zip(proba.argmax(axis=1), y, strict=True)])
    past = y != "beginner"
    return {
        "on": "2000 held-out synthetic firms (label noise as in training)",
        **_metrics(y, predicted),
        "brier": round(float(np.mean(np.sum((proba - onehot) ** 2, axis=1))), 4),
        "ece": {
            "top_track": expected_calibration_error(top, correct),
            "gate": expected_calibration_error(np.maximum(gate, 1 - gate), (gate >= 0.5) == past),
            "referral": expected_calibration_error(
                np.maximum(referral[past], 1 - referral[past]),
                (referral[past] >= 0.5) == (y[past] == "shared_center"),
            ),
        },
        "rule_agreement": rule_agreement(model, questionnaire),
    }


def rule_agreement(model: TrackModel, questionnaire: Questionnaire) -> float:
    firms = check_firms(questionnaire)
    rules = [track_for(f) for f in firms]
    tracks = model.tracks(questionnaire, firms)
    return round(float(np.mean([a == b for a, b in zip(rules, tracks, strict=True)])), 4)


def property_firms(questionnaire: Questionnaire) -> list[Firm]:
    """The fixed firms of the monotone check, generated once per process like ``check_firms``."""
    return check_firms(questionnaire, PROPERTY_SEED, PROPERTY_SIZE)


def monotone_violations(
    model: TrackModel, questionnaire: Questionnaire, firms: Sequence[Firm]
) -> dict[str, Any]:
    """The policy's directions, checked on every one-step variant of every firm.

    - raising any scored answer by one option must never lower P(not beginner) nor turn a
      firm into a beginner (by the model or by the rules);
    - lowering one must never raise P(not beginner) nor take a beginner out;
    - adding a hands-on need the firm cannot train for must never lower P(shared center).
    """
    base_firms, variants, kinds, owners = [], [], [], []
    for index, firm in enumerate(firms):
        base_firms.append(firm)
        for up in (True, False):
            for item_id, value in scored_steps(questionnaire, firm.answers, up=up):
                variants.append(
                    Firm.of(questionnaire, firm.profile, {**firm.answers, item_id: value})
                )
                kinds.append("raise" if up else "lower")
                owners.append(index)
        chosen = [v for v in firm.chosen("need_equipment") if v != "none"]
        for need in HANDS_ON_EQUIPMENT:
            if need in chosen or can_train_alone(firm, need):
                continue
            variants.append(
                Firm.of(
                    questionnaire, firm.profile, {**firm.answers, "need_equipment": [*chosen, need]}
                )
            )
            kinds.append("need")
            owners.append(index)
    base_gate, base_referral = model.stage_probabilities(questionnaire, base_firms)
    gate, referral = model.stage_probabilities(questionnaire, variants)
    base_rules = [track_for(f) for f in base_firms]
    counts = {"raise": 0, "lower": 0, "need": 0}
    wrong = {"raise": 0, "lower": 0, "need": 0}
    rule_wrong = {"raise": 0, "lower": 0, "need": 0}
    eps = 1e-9
    for variant, kind, owner, g, r in zip(variants, kinds, owners, gate, referral, strict=True):
        counts[kind] += 1
        g0, r0 = base_gate[owner], base_referral[owner]
        t0, t = track_of(g0, r0), track_of(g, r)
        rule0, rule = base_rules[owner], track_for(variant)
        if kind == "raise":
            bad = g < g0 - eps or (t == "beginner" and t0 != "beginner")
            rule_bad = rule == "beginner" and rule0 != "beginner"
        elif kind == "lower":
            bad = g > g0 + eps or (t != "beginner" and t0 == "beginner")
            rule_bad = rule != "beginner" and rule0 == "beginner"
        else:
            bad = g * r < g0 * r0 - eps
            rule_bad = rule0 == "shared_center" and rule != "shared_center"
        wrong[kind] += int(bad)
        rule_wrong[kind] += int(rule_bad)
    return {
        "firms": len(firms),
        "variants": counts,
        "model_violations": wrong,
        "rule_violations": rule_wrong,
        "total_violations": sum(wrong.values()) + sum(rule_wrong.values()),
    }


# --- promotion: beating the scorecard on consultants' decisions ------------------------------

INTENDED_USE = (
    "A second opinion for training doctors: how consultants have decided for firms like this "
    "one. It never decides a track (the published scorecard does), and it is shown only once "
    "promoted, as 'consultants usually decide X for firms like this' beside the scorecard's "
    "track. Not for firms, not for funding decisions, not for ranking consultants."
)
LIMITATIONS = [
    "Until consultants' decisions exist it is trained on synthetic firms labelled by the "
    "scorecard's own rules (a cold start): it then imitates the rules and adds nothing.",
    "Confirmations are anchored by the track the consultant was shown; only overrides are "
    "independent, and there are few.",
    "Its probabilities are calibrated on synthetic firms, not on consultants' decisions, so "
    "they are not shown anywhere.",
    "Consultants of one center may decide differently from another's; the decisions are pooled.",
]


def promotion(
    model: TrackModel, questionnaire: Questionnaire, held_out: Sequence[Example]
) -> dict[str, Any]:
    """Whether the model beats the scorecard on held-out consultant decisions.

    Promoted only with at least ``MIN_HELD_OUT`` held-out overrides and a 95 % bootstrap
    interval of the accuracy difference (model minus scorecard) wholly above 0.
    """
    overrides = sum(e.independent for e in held_out)
    result: dict[str, Any] = {
        "promoted": False,
        "held_out": len(held_out),
        "held_out_overrides": overrides,
        "requirement": f"at least {MIN_HELD_OUT} held-out overrides and the 95% bootstrap "
        "interval of (model accuracy - scorecard accuracy) above 0",
    }
    if overrides < MIN_HELD_OUT:
        result["why"] = (
            f"in shadow: {overrides} held-out overrides, {MIN_HELD_OUT} needed to judge it"
        )
        return result
    firms = _firms(questionnaire, held_out)
    labels = [e.track for e in held_out]
    model_ok = np.array(
        [p == t for p, t in zip(model.tracks(questionnaire, firms), labels, strict=True)],
        dtype=float,
    )
    card_ok = np.array([track_for(f) == t for f, t in zip(firms, labels, strict=True)], dtype=float)
    low, high = _paired_interval(model_ok, card_ok, seed=len(labels))
    promoted = bool(low > 0)
    result.update(
        {
            "promoted": promoted,
            "model_accuracy": round(float(model_ok.mean()), 4),
            "scorecard_accuracy": round(float(card_ok.mean()), 4),
            "interval": [round(low, 4), round(high, 4)],
            "why": ("promoted: " if promoted else "in shadow: ")
            + f"accuracy on {len(labels)} held-out decisions, model {model_ok.mean():.3f} vs "
            f"scorecard {card_ok.mean():.3f}, 95% interval of the difference "
            f"[{low:+.3f}, {high:+.3f}]",
        }
    )
    return result


# --- release gates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    value: str
    requirement: str


def _paired_interval(new_ok: np.ndarray, old_ok: np.ndarray, seed: int) -> tuple[float, float]:
    """95 % bootstrap interval of the difference in accuracy, new minus current."""
    rng = np.random.default_rng(seed)
    n = len(new_ok)
    diffs = []
    for _ in range(BOOTSTRAP_ROUNDS):
        sample = rng.integers(0, n, n)
        diffs.append(new_ok[sample].mean() - old_ok[sample].mean())
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def release_gates(
    new: TrackModel,
    current: TrackModel | None,
    questionnaire: Questionnaire,
    held_out: Sequence[Example],
    serving: str,
    real_count: int = 0,
    stop_early: bool = False,
) -> list[Gate]:
    """Every gate a new model must pass to become current, each with its value.

    With held-out independent decisions the comparison is on them; a model trained on the
    bootstrap set alone (no real decisions at all) is compared on the fixed check set with
    the rules' tracks as labels. ``stop_early`` skips the costly checks once a gate failed.
    """
    gates = [
        Gate(
            "questionnaire",
            new.card["questionnaire"] == serving,
            new.card["questionnaire"],
            f"trained on the questionnaire the app serves ({serving})",
        )
    ]
    gates += _comparison_gates(new, current, questionnaire, held_out, real_count)
    if stop_early and not all(g.passed for g in gates):
        return gates
    if not real_count:
        # a cold-start model is meant to imitate the rules; one trained on consultants'
        # decisions is meant to differ from them where consultants do
        agreement = rule_agreement(new, questionnaire)
        gates.append(
            Gate(
                "rule_agreement",
                agreement >= MIN_RULE_AGREEMENT,
                f"{agreement:.4f}",
                f">= {MIN_RULE_AGREEMENT} on {CHECK_SIZE} fixed synthetic firms (cold start)",
            )
        )
        if stop_early and not gates[-1].passed:
            return gates
    sanity = new.card.get("sanity") or monotone_violations(
        new, questionnaire, property_firms(questionnaire)
    )
    gates.append(
        Gate(
            "monotone",
            sanity["total_violations"] == 0,
            f"{sanity['total_violations']} violations over {sum(sanity['variants'].values())} "
            f"one-step variants of {sanity['firms']} firms",
            "0 violations",
        )
    )
    return gates


def _comparison_gates(
    new: TrackModel,
    current: TrackModel | None,
    questionnaire: Questionnaire,
    held_out: Sequence[Example],
    real_count: int,
) -> list[Gate]:
    """Enough independent decisions, an improvement beyond chance, no track's recall worse."""
    gates = []
    if real_count:
        overrides = sum(e.independent for e in held_out)
        gates.append(
            Gate(
                "independent_decisions",
                overrides >= MIN_HELD_OUT,
                f"{overrides} overrides held out of {real_count} real decisions",
                f"at least {MIN_HELD_OUT} held-out overrides; confirmations of the "
                "scorecard's track do not count",
            )
        )
        if overrides < MIN_HELD_OUT:
            return gates
    if current is None:
        return [*gates, Gate("improvement", True, "no current model", "better than the current")]
    if held_out:
        firms = _firms(questionnaire, held_out)
        labels = [e.track for e in held_out]
        where = f"{len(held_out)} held-out independent decisions"
    else:
        firms = check_firms(questionnaire)
        labels = [track_for(f) for f in firms]
        where = f"{len(firms)} fixed synthetic firms (no real decisions yet)"
    new_tracks = new.tracks(questionnaire, firms)
    try:
        old_tracks = current.tracks(questionnaire, firms)
    except (KeyError, ValueError, AttributeError) as exc:  # a model of another design
        log.warning("current model cannot be evaluated (%s); comparing against nothing", exc)
        old_tracks = ["?"] * len(firms)
        where += "; the current model has other features and scores nothing here"
    new_ok = np.array([p == t for p, t in zip(new_tracks, labels, strict=True)], dtype=float)
    old_ok = np.array([p == t for p, t in zip(old_tracks, labels, strict=True)], dtype=float)
    low, high = _paired_interval(new_ok, old_ok, seed=len(labels))
    value = (
        f"accuracy new {new_ok.mean():.4f}, current {old_ok.mean():.4f}; 95% interval of "
        f"the difference [{low:+.4f}, {high:+.4f}] on {where}"
    )
    if current.card.get("questionnaire") != new.card["questionnaire"]:
        # The current model answers an older questionnaire version: a model of the version
        # the app serves replaces it unless it is worse.
        gates.append(
            Gate(
                "improvement",
                high >= 0,
                f"{value}; the current model was trained on {current.card.get('questionnaire')}",
                "not worse than the current model of an older questionnaire version",
            )
        )
    else:
        gates.append(
            Gate(
                "improvement",
                low > 0,
                value,
                "the interval's lower end above 0 (a tie keeps the current model)",
            )
        )
    recalls = []
    worse = []
    for track in TRACKS:
        rows = np.array([t == track for t in labels])
        if not rows.any():
            continue
        _low_t, high_t = _paired_interval(new_ok[rows], old_ok[rows], seed=int(rows.sum()))
        recalls.append(
            f"{track} {new_ok[rows].mean():.3f} (current {old_ok[rows].mean():.3f}, "
            f"n={int(rows.sum())})"
        )
        if high_t < 0:
            worse.append(track)
    gates.append(
        Gate(
            "recall_per_track",
            not worse,
            ", ".join(recalls),
            "no track's recall worse than the current model's beyond its 95% interval",
        )
    )
    return gates


def verdict(gates: Sequence[Gate]) -> tuple[bool, str]:
    failed = [g for g in gates if not g.passed]
    if not failed:
        return True, "all release gates passed"
    return False, "refused by " + "; ".join(f"{g.name} ({g.value})" for g in failed)


# --- the card --------------------------------------------------------------------------------


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card as a page a reviewer can read."""
    ev = card["evaluation"]
    matrix_rows = ev["confusion_matrix"]["rows_true_columns_predicted"]
    real = card["data"]["real_decisions"]
    boot = card["data"]["bootstrap"]
    sanity = card["sanity"]
    promotion_ = card.get("promotion") or {}
    lines = [
        f"# Track model {card['version']} (shadow model: the scorecard decides)",
        "",
        f"Trained {card['trained_at']} on questionnaire `{card['questionnaire']}`, seed "
        f"{card['seed']}. Algorithm: {card['algorithm']}.",
        "",
        "## Status",
        "",
        f"**{'Promoted' if promotion_.get('promoted') else 'In shadow'}**: "
        f"{promotion_.get('why', 'never judged on consultants decisions (an older card)')}. "
        f"Requirement: {promotion_.get('requirement', '-')}.",
        "",
        "## Intended use",
        "",
        card.get("intended_use", INTENDED_USE),
        "",
        "## Limitations",
        "",
        *(f"- {item}" for item in card.get("limitations", LIMITATIONS)),
        "",
        "## Features and their directions",
        "",
        "| feature | meaning | gate | referral |",
        "|---|---|---|---|",
        *(
            f"| `{f['name']}` | {f['meaning']} | {_direction(f['gate'])} | "
            f"{_direction(f['referral'])} |"
            for f in card["features"]
        ),
        "",
        "## Data",
        f"- bootstrap (cold start only, generated firms): {boot['count']} synthetic firms "
        f"labelled by the rules in `diagnose/diagnosis/policy.py` ({boot['tracks']}), "
        f"{boot['label_noise']:.0%} of labels moved to a neighbouring track; "
        f"{boot['calibration_share']:.0%} kept for calibration; weight "
        f"{boot.get('weight', 1.0)} each",
        f"- real decisions: {real['count']} ({real['overrides']} overrides, "
        f"{real['confirmations']} confirmations; {real['used_for_training']} used for training, "
        f"{real['held_out']} overrides held out)",
        "",
        "## Versions",
        *(f"- {k} {v}" for k, v in card["versions"].items()),
        "",
        f"## Evaluation on {ev['on']} (how well it imitates the rules, not consultants)",
        f"- macro-F1 **{ev['macro_f1']}**, Brier score {ev['brier']}",
        f"- expected calibration error: top track {ev['ece']['top_track']}, gate "
        f"{ev['ece']['gate']}, referral {ev['ece']['referral']}",
        f"- agreement with the rules on {CHECK_SIZE} fixed synthetic firms: "
        f"**{ev['rule_agreement']:.2%}**",
        "",
        "| track | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *(
            f"| {t} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |"
            for t, m in ev["per_class"].items()
        ),
        "",
        "Confusion matrix (rows: label, columns: predicted):",
        "",
        "| | " + " | ".join(TRACKS) + " |",
        "|---|---|---|---|",
        *(
            f"| {t} | " + " | ".join(str(v) for v in row) + " |"
            for t, row in zip(TRACKS, matrix_rows, strict=True)
        ),
        "",
        "## Monotone properties",
        f"Over {sanity['firms']} fixed firms and their one-step variants {sanity['variants']}: "
        f"model violations {sanity['model_violations']}, rule violations "
        f"{sanity['rule_violations']}.",
    ]
    gates = card.get("release_gates")
    if gates:
        lines += [
            "",
            "## Release gates",
            "",
            "| gate | passed | value | requirement |",
            "|---|---|---|---|",
            *(
                f"| {g['name']} | {'yes' if g['passed'] else '**no**'} | {g['value']} | "
                f"{g['requirement']} |"
                for g in gates
            ),
        ]
    if card.get("replacement"):
        lines += ["", f"Decision: {card['replacement']['why']}."]
    return "\n".join(lines) + "\n"


def _direction(value: int | None) -> str:
    return {None: "–", 0: "free", 1: "rises with it", -1: "falls with it"}[value]


def save_model(model: TrackModel, folder: Path) -> Path:
    path = model.save(folder)
    path.with_suffix(".md").write_text(card_markdown(model.card), encoding="utf-8")
    return path


__all__ = [
    "STAGES",
    "Example",
    "Gate",
    "card_markdown",
    "decide",
    "release_gates",
    "save_model",
    "train",
    "verdict",
]
