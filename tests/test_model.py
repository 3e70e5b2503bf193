"""The track model: monotone by construction, calibrated, explained by the policy, gated."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from conftest import SMALL_BOOTSTRAP
from test_policy import NO_AI, firm

from diagnose.diagnosis import store
from diagnose.diagnosis.model import TRUSTED_TYPES, TrackModel, firm_features, stage_features
from diagnose.diagnosis.policy import TRACKS, Firm, decide, scored_steps
from diagnose.diagnosis.scorecard import assess
from diagnose.diagnosis.store import SHIPPED_MODELS, current_model_path
from diagnose.diagnosis.synthetic import synthetic_firm
from diagnose.diagnosis.training import (
    MIN_HELD_OUT,
    Example,
    check_firms,
    monotone_violations,
    property_firms,
    release_gates,
    train,
    verdict,
)
from diagnose.questionnaire.schema import load_questionnaire

# the version the app serves, which the shipped model was trained on
Q = load_questionnaire(Path(__file__).parent.parent / "questionnaires/ai_training_needs/v2.yaml")


@pytest.fixture(scope="module")
def shipped():
    return TrackModel.load(current_model_path(Path("/nonexistent")))


@pytest.fixture(scope="module")
def small(small_track_model):
    return small_track_model


def test_training_is_reproducible(small):
    again, _ = train(Q, seed=7, bootstrap_size=SMALL_BOOTSTRAP, evaluate_it=False)
    assert again.version == small.version
    firms = check_firms(Q)[:200]
    assert np.allclose(again.probabilities(Q, firms), small.probabilities(Q, firms))


def test_the_shipped_card_records_data_evaluation_calibration_and_gates(shipped):
    card = shipped.card
    assert card["questionnaire"] == Q.key
    assert card["versions"]["scikit-learn"]
    evaluation = card["evaluation"]
    assert evaluation["macro_f1"] >= 0.9
    assert evaluation["rule_agreement"] >= 0.97
    assert evaluation["ece"]["top_track"] < 0.05
    assert {g["name"] for g in card["release_gates"]} >= {"monotone", "rule_agreement"}
    assert all(g["passed"] for g in card["release_gates"])
    assert card["sanity"]["total_violations"] == 0


def test_only_policy_features_go_in():
    names = {f.name for stage in ("gate", "referral") for f in stage_features(stage)}
    # nothing the generator draws at random: target jobs, urgency, benefits, training mode
    assert not any(n.startswith("opt:") for n in names)
    assert all(
        n.split(":")[0] in ("dim", "readiness", "ai", "need", "capacity", "profile", "policy")
        for n in names
    )
    assert [f.gate for f in stage_features("gate")] == [1] * len(stage_features("gate"))


def test_a_model_loads_only_trusted_types(tmp_path, shipped):
    path = shipped.save(tmp_path)
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    assert TrackModel.load(path).version == shipped.version
    # a file with a type outside the list is refused before anything is built from it
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit([[0], [1]], [0, 1])
    sio.dump(forest, tmp_path / "evil.skops")
    (tmp_path / "evil.json").write_text("{}")
    with pytest.raises(ValueError, match="untrusted types"):
        TrackModel.load(tmp_path / "evil.skops")


def test_the_shipped_model_never_contradicts_the_policys_direction(shipped):
    """250 of the 500 fixed firms, every one-option raise and lower, every need it cannot train
    for: P(not beginner) never falls for a better answer nor rises for a worse one, the track
    never moves toward beginner, P(shared center) never falls for such a need. All 500 are the
    release gate's (the card's sanity, above) and ``bench/suite_samples.py``'s."""
    result = monotone_violations(shipped, Q, property_firms(Q)[:250])
    assert result["firms"] >= 250
    assert result["variants"]["raise"] > 10_000 and result["variants"]["need"] > 500
    assert result["model_violations"] == {"raise": 0, "lower": 0, "need": 0}
    assert result["rule_violations"] == {"raise": 0, "lower": 0, "need": 0}


def test_the_check_can_fail():
    """A model whose gate falls with readiness is caught by the same check."""

    class Backwards:
        def __init__(self, model):
            self.model = model

        def stage_probabilities(self, questionnaire, firms):
            gate, referral = self.model.stage_probabilities(questionnaire, firms)
            readiness = np.array([f.readiness or 0 for f in firms])
            return np.clip(gate - readiness / 400, 0, 1), referral

    shipped = TrackModel.load(current_model_path(Path("/nonexistent")))
    result = monotone_violations(Backwards(shipped), Q, property_firms(Q)[:40])
    assert result["model_violations"]["raise"] > 0


@pytest.mark.parametrize(
    ("answers", "track", "rule"),
    [
        (dict(level=0.8, **NO_AI), "beginner", "experience_lacking"),
        (dict(level=0.45, need_problem_clarity="vague"), "beginner", "not_ready"),
        (dict(level=0.6, need_problem_clarity="quantified"), "ax", "ax_ready"),
        (
            dict(level=0.7, need_problem_clarity="named", need_equipment=["vision"]),
            "shared_center",
            "equipment_lacking",
        ),
        (
            dict(
                level=0.6,
                employees=12,
                need_problem_clarity="quantified",
                train_hrd_owner="none",
                train_facility="none",
                train_instructors="none",
            ),
            "shared_center",
            "no_training_capacity",
        ),
    ],
)
def test_each_track_is_explained_by_the_rule_that_decided_it(shipped, answers, track, rule):
    answers = dict(answers)
    case = firm(answers.pop("level"), employees=answers.pop("employees", 30), **answers)
    prediction = assess(Q, case.profile, case.answers, model=shipped)
    assert (prediction.track, prediction.rule_track, prediction.rule) == (track, track, rule)
    assert abs(sum(prediction.shadow["probabilities"].values()) - 1) < 1e-3
    assert prediction.decisive, "no reason given"
    # what would change the track: every answer one option away that does (exact), or else
    # the fewest steps toward the neighbouring track
    for step in prediction.sensitivity:
        moved = Firm.of(Q, case.profile, {**case.answers, step["item"]: step["after"]})
        assert decide(moved).track == step["track"] != track
    cf = prediction.counterfactual
    if prediction.sensitivity or track == "ax" or rule == "equipment_lacking":
        assert cf is None
    else:
        assert cf is not None and cf.target != track and cf.changes
        for change in cf.changes:  # each lever is one option up from the firm's answer
            assert change.before == case.answers[change.item]
            assert any(i == change.item for i, _ in scored_steps(Q, case.answers))
        applied = dict(case.answers)
        for change in cf.changes[:1] if cf.alternatives else cf.changes:
            applied[change.item] = change.after
        if cf.reached:
            assert decide(Firm.of(Q, case.profile, applied)).track == cf.target


def test_a_shared_firm_without_capacity_is_shown_its_own_capacity(shipped):
    case = firm(
        0.6,
        employees=9,
        industry="M",
        need_problem_clarity="quantified",
        train_hrd_owner="none",
        train_facility="none",
        train_instructors="ojt_only",
    )
    prediction = assess(Q, case.profile, case.answers, model=shipped)
    to_ax = {s["item"] for s in prediction.sensitivity if s["track"] == "ax"}
    assert to_ax >= {"train_hrd_owner", "train_instructors"}
    for step in prediction.sensitivity:  # each one alone is enough
        moved = Firm.of(Q, case.profile, {**case.answers, step["item"]: step["after"]})
        assert decide(moved).track == step["track"]


def test_the_model_never_decides_it_is_kept_beside_the_track(shipped, small):
    """Over 150 firms: the track, reasons and review items are the scorecard's whatever the
    model; the model's own track is stored beside them, in shadow."""
    rng = np.random.default_rng(11)
    differs = 0
    for _ in range(150):
        case = synthetic_firm(rng, Q)
        a = assess(Q, case.profile, case.answers, model=shipped)
        b = assess(Q, case.profile, case.answers, model=small)
        decision = decide(case)
        assert a.track == b.track == decision.track
        assert a.decisive == b.decisive and a.review == b.review
        assert a.shadow["model_version"] == shipped.version and not a.shadow["promoted"]
        differs += a.shadow["track"] != a.track or b.shadow["track"] != b.track
        steps = [r for r in a.review if r["kind"] == "one_step"]  # near lines ride on it
        if steps:
            assert a.needs_review and [n["line"] for n in steps[0]["near"]] == [
                f.line for f in decision.near
            ]
    assert differs < 150


# --- release gates ---------------------------------------------------------------------------


def test_a_tie_keeps_the_current_model(shipped):
    gates = release_gates(shipped, shipped, Q, [], Q.key, real_count=0)
    accepted, why = verdict(gates)
    assert not accepted and "improvement" in why


@pytest.fixture(scope="module")
def worse(poor_track_model):
    """A model trained on noisy labels (no test changes it)."""
    return poor_track_model


def test_a_model_of_the_served_version_replaces_one_of_an_older_version_unless_worse(
    shipped, worse
):
    older = TrackModel(shipped.stages, {**shipped.card, "questionnaire": "ai_training_needs@v0"})
    gates = release_gates(shipped, older, Q, [], Q.key, real_count=0, stop_early=True)
    assert next(g for g in gates if g.name == "improvement").passed  # a tie is enough here
    gates = release_gates(worse, older, Q, [], Q.key, real_count=0, stop_early=True)
    assert not next(g for g in gates if g.name == "improvement").passed


def test_a_worse_model_is_refused(shipped, worse):
    gates = release_gates(worse, shipped, Q, [], Q.key, real_count=0, stop_early=True)
    accepted, why = verdict(gates)
    assert not accepted


def test_a_model_for_another_questionnaire_is_refused(small, shipped):
    gates = release_gates(
        small, shipped, Q, [], f"{Q.id}@v{Q.version + 1}", real_count=0, stop_early=True
    )
    assert not next(g for g in gates if g.name == "questionnaire").passed


def _real(track_of, n, seed, source="override"):
    rng = np.random.default_rng(seed)
    firms = [synthetic_firm(rng, Q) for _ in range(n)]
    return [Example(f.profile, f.answers, track_of(f, rng), source) for f in firms]


def test_randomly_labelled_decisions_are_refused(shipped):
    """Batches of random 'overrides' never make a model current: too few held out, or no
    improvement beyond the interval."""
    for batch, n in enumerate((40, 40, 40, 150)):
        real = _real(lambda f, rng: str(rng.choice(TRACKS)), n, seed=100 + batch)
        # 40 decisions hold out 12 overrides: refused before any model is judged, whatever
        # the bootstrap set
        size = SMALL_BOOTSTRAP if n >= 100 else 200
        model, held_out = train(Q, real, seed=batch, bootstrap_size=size, evaluate_it=False)
        gates = release_gates(model, shipped, Q, held_out, Q.key, len(real), stop_early=True)
        accepted, why = verdict(gates)
        assert not accepted, why


def test_confirmations_are_not_independent_labels(shipped):
    real = _real(lambda f, rng: decide(f).track, 120, seed=5, source="confirm")
    model, held_out = train(Q, real, seed=5, bootstrap_size=SMALL_BOOTSTRAP, evaluate_it=False)
    assert held_out == []
    gates = release_gates(model, shipped, Q, held_out, Q.key, len(real), stop_early=True)
    independent = next(g for g in gates if g.name == "independent_decisions")
    assert not independent.passed and f"at least {MIN_HELD_OUT}" in independent.requirement


def test_model_train_and_ship_are_refused_by_the_gates(tmp_path, make_app, monkeypatch):
    shipped_copy = tmp_path / "trained_models"
    shutil.copytree(SHIPPED_MODELS, shipped_copy)
    monkeypatch.setattr(store, "SHIPPED_MODELS", shipped_copy)
    before = (shipped_copy / "CURRENT").read_text()
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["model", "train", "--ship", "--bootstrap-size", "400", "--label-noise", "0.3"]
    )
    assert result.exit_code != 0
    assert "NOT made current" in result.output and "| improvement | **no** |" in result.output
    assert (shipped_copy / "CURRENT").read_text() == before
    assert sorted(p.name for p in shipped_copy.iterdir()) == sorted(
        p.name for p in SHIPPED_MODELS.iterdir()
    )


def test_features_leave_gaps_as_gaps():
    case = Firm.of(Q, {"employees": "100"}, {"lead_ceo_understanding": "leading"})
    values = firm_features(Q, case)
    assert values["dim:leadership"] == 100.0
    assert np.isnan(values["dim:data_infra"])  # not answered is not zero
    assert values["profile:size"] == 2.0


def test_shipped_model_files_are_present():
    assert (SHIPPED_MODELS / "CURRENT").exists()


def test_a_model_better_on_held_out_overrides_is_accepted():
    """The gates are not a wall: a sound model beats a poor one on real overrides (the monotone
    gate runs the full check: the card of a model trained without evaluation has none)."""
    poor, _ = train(Q, seed=4, bootstrap_size=600, label_noise=0.35, evaluate_it=False)
    real = _real(lambda f, rng: decide(f).track, 160, seed=9)
    model, held_out = train(Q, real, seed=9, bootstrap_size=SMALL_BOOTSTRAP, evaluate_it=False)
    assert len(held_out) >= MIN_HELD_OUT
    gates = release_gates(model, poor, Q, held_out, Q.key, len(real))
    accepted, why = verdict(gates)
    assert accepted, why
    assert [g.name for g in gates] == [
        "questionnaire",
        "independent_decisions",
        "improvement",
        "recall_per_track",
        "monotone",  # no rule-agreement gate: it is meant to differ where consultants do
    ]


# --- promotion: beating the scorecard on consultants' decisions ------------------------------


def _consultants(n_overrides: int, n_confirms: int, seed: int, rule):
    """Decisions by consultants who decide as ``rule`` says: an override where that differs
    from the scorecard, a confirmation where it agrees."""
    rng = np.random.default_rng(seed)
    overrides, confirms = [], []
    while len(overrides) < n_overrides or len(confirms) < n_confirms:
        f = synthetic_firm(rng, Q)
        track, card = rule(f, rng), decide(f).track
        if track != card and len(overrides) < n_overrides:
            overrides.append(Example(f.profile, f.answers, track, "override", f))
        elif track == card and len(confirms) < n_confirms:
            confirms.append(Example(f.profile, f.answers, track, "confirm", f))
    return overrides + confirms


def _trained_lacking_but_ready(f, rng):
    """Consultants who send a firm with any AI course and a readiness of 45 or more past the
    beginner track, where the scorecard's graded gate holds it back."""
    card = decide(f)
    courses = f.chosen("train_ai_courses") != ["none"]
    if card.rule == "experience_lacking" and courses and (f.readiness or 0) >= 45:
        return "ax"
    return card.track


def test_a_model_that_learned_how_consultants_decide_is_promoted():
    real = _consultants(120, 200, seed=31, rule=_trained_lacking_but_ready)
    model, held_out = train(Q, real, seed=31, bootstrap_size=SMALL_BOOTSTRAP, evaluate_it=False)
    promotion = model.card["promotion"]
    assert promotion["held_out_overrides"] >= MIN_HELD_OUT
    assert promotion["promoted"], promotion["why"]
    assert promotion["interval"][0] > 0
    assert model.promoted
    # shown beside the scorecard's track, never in its place
    f = next(e.firm for e in held_out if e.source == "override")
    prediction = assess(Q, f.profile, f.answers, model=model)
    assert prediction.track == decide(f).track and prediction.shadow["promoted"]


def test_a_model_stays_in_shadow_without_30_held_out_overrides_or_without_beating_it(shipped):
    from diagnose.diagnosis.training import promotion

    few = _consultants(29, 60, seed=32, rule=_trained_lacking_but_ready)
    judged = promotion(shipped, Q, few)
    assert not judged["promoted"] and "30 needed" in judged["why"]
    # consultants who agree with the scorecard: a model that imitates the rules ties at best
    agree = _consultants(40, 100, seed=33, rule=lambda f, rng: _agree_but_flip(f, rng))
    judged = promotion(shipped, Q, agree)
    assert judged["held_out_overrides"] >= MIN_HELD_OUT
    assert not judged["promoted"], judged["why"]


def _agree_but_flip(f, rng):
    """Consultants whose overrides follow no pattern at all."""
    card = decide(f).track
    return str(rng.choice([t for t in TRACKS if t != card])) if rng.random() < 0.3 else card


def test_the_card_states_intended_use_limitations_and_the_cold_start(small):
    from diagnose.diagnosis.training import card_markdown

    card = {**small.card, "evaluation": _EVAL, "sanity": _SANITY}
    text = card_markdown(card)
    assert "## Intended use" in text and "## Limitations" in text
    assert "In shadow" in text and "cold start" in text
    assert "synthetic firms labelled by the scorecard's own rules" in text


_EVAL = {
    "on": "x",
    "macro_f1": 1,
    "brier": 0,
    "ece": {"top_track": 0, "gate": 0, "referral": 0},
    "rule_agreement": 1.0,
    "per_class": {},
    "confusion_matrix": {"rows_true_columns_predicted": [[0, 0, 0]] * 3},
}
_SANITY = {"firms": 1, "variants": {}, "model_violations": {}, "rule_violations": {}}
