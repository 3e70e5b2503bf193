"""The track model: reproducible training, safe loading, explanations, sanity."""

from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from diagnose.diagnosis.model import TRUSTED_TYPES, TrackModel, feature_names, features
from diagnose.diagnosis.policy import TRACKS, Firm, bootstrap_set, track_for
from diagnose.diagnosis.store import SHIPPED_MODELS, current_model_path
from diagnose.diagnosis.training import Example, monotonicity, should_replace, train
from diagnose.questionnaire.schema import load_questionnaire

Q = load_questionnaire(Path(__file__).parent.parent / "questionnaires/ai_training_needs/v1.yaml")


@pytest.fixture(scope="module")
def shipped():
    return TrackModel.load(current_model_path(Path("/nonexistent")))


@pytest.fixture(scope="module")
def small():
    model, _ = train(Q, seed=7, bootstrap_size=600, folds=3)
    return model


def _firm(track, seed=0):
    rng = np.random.default_rng(seed)
    for firm, label in bootstrap_set(Q, 400, rng, label_noise=0):
        if label == track and track_for(firm) == track:
            return firm
    raise AssertionError(track)


def test_training_is_reproducible(small):
    again, _ = train(Q, seed=7, bootstrap_size=600, folds=3)
    assert again.version == small.version
    assert np.allclose(again.pipeline[-1].coef_, small.pipeline[-1].coef_)


def test_the_card_records_data_versions_and_evaluation(small):
    card = small.card
    assert card["data"]["bootstrap"]["count"] == 600
    assert card["data"]["real_decisions"]["count"] == 0
    assert card["versions"]["scikit-learn"]
    cv = card["cross_validation"]
    assert 0.6 < cv["macro_f1"] <= 1
    assert set(cv["per_class"]) == set(TRACKS)
    assert np.array(cv["confusion_matrix"]["rows_true_columns_predicted"]).sum() == 600
    assert 0 <= cv["brier"] < 1
    assert card["sanity"]["raises"] > 0


def test_the_shipped_model_is_good_and_sane(shipped):
    card = shipped.card
    assert card["cross_validation"]["macro_f1"] >= 0.85
    assert card["sanity"]["flip_share"] < 0.005
    assert card["features"] == feature_names(Q)


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


@pytest.mark.parametrize("track", TRACKS)
def test_each_track_is_predicted_with_reasons_and_a_counterfactual(shipped, track):
    firm = _firm(track)
    prediction = shipped.predict(Q, firm.profile, firm.answers)
    assert prediction.track == track
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-3
    assert prediction.model_version == shipped.version
    assert prediction.toward, "no reason given"
    assert all(r.effect > 0 for r in prediction.toward)
    cf = prediction.counterfactual
    assert cf.target != track and cf.changes
    if cf.reached:  # applying the changes really moves the firm
        changed = dict(firm.answers)
        for change in cf.changes:
            changed[change.item] = change.after
        assert shipped.predict(Q, firm.profile, changed, explain=False).track == cf.target


@pytest.mark.parametrize("track", TRACKS)
def test_reasons_add_up_to_the_odds_against_the_runner_up(shipped, track):
    """The reasons are the exact terms of log(P(track) / P(runner-up)), not a rough guess."""
    firm = _firm(track, seed=3)
    x = features(Q, firm.profile, firm.answers, shipped.names)
    proba = shipped.probabilities(x[None, :])[0]
    own, rival = (TRACKS[i] for i in np.argsort(-proba)[:2])
    classifier = shipped.pipeline[-1]
    intercepts = (
        classifier.intercept_[shipped.classes.index(own)]
        - classifier.intercept_[shipped.classes.index(rival)]
    )
    terms = shipped._contributions(x, own, rival)
    log_odds = np.log(proba[TRACKS.index(own)] / proba[TRACKS.index(rival)])
    assert terms.sum() + intercepts == pytest.approx(log_odds, abs=1e-6)
    toward, away = shipped.reasons(x, own, rival, firm.answers)
    assert [r.effect for r in toward] == sorted((r.effect for r in toward), reverse=True)
    assert all(r.effect < 0 for r in away)


def test_a_beginner_is_shown_the_way_to_ax(shipped):
    prediction = shipped.predict(Q, _firm("beginner").profile, _firm("beginner").answers)
    assert prediction.counterfactual.target == "ax"


def test_close_calls_are_flagged_for_the_consultant(shipped):
    rng = np.random.default_rng(3)
    flags = [
        shipped.predict(Q, f.profile, f.answers, explain=False)
        for f, _ in bootstrap_set(Q, 300, rng)
    ]
    flagged = [p for p in flags if p.needs_review]
    assert 0 < len(flagged) < len(flags) / 2
    for p in flagged:
        top, second = sorted(p.probabilities.values(), reverse=True)[:2]
        assert top - second < 0.15 + 1e-3


def test_raising_an_answer_almost_never_makes_a_beginner(shipped):
    result = monotonicity(shipped, Q, seed=99, firms=150)
    assert result["raises"] > 3000
    assert result["flip_share"] < 0.005


def test_features_fill_gaps_with_the_dimension_score():
    names = feature_names(Q)
    answers = {"lead_ceo_understanding": "leading"}  # 100; the rest of leadership unanswered
    x = dict(zip(names, features(Q, {"employees": "100"}, answers, names), strict=True))
    assert x["item:lead_ceo_understanding"] == 1.0
    assert x["dim:leadership"] == 1.0
    assert x["item:lead_budget"] == 1.0  # imputed from its dimension: neither helps nor hurts
    assert x["profile:size"] == 2.0


def test_policy_rules_in_plain_cases():
    firm = _firm("shared_center")
    assert firm.chose("need_equipment", "vision", "robot", "automation_line", "gpu")
    empty = Firm.of(Q, {"employees": "10"}, {})
    assert track_for(empty) == "beginner"


def test_a_new_model_replaces_only_if_not_worse_on_held_out_decisions(small, shipped):
    """Held-out labels chosen so that the verdict is known without scoring the models here."""
    rng = np.random.default_rng(3)
    firms, disagreements = [], 0
    for firm, _label in bootstrap_set(Q, 400, rng, label_noise=0):
        theirs = shipped.predict(Q, firm.profile, firm.answers).track
        ours = small.predict(Q, firm.profile, firm.answers).track
        disagreements += theirs != ours
        firms.append((firm, theirs))
        if disagreements >= 3 and len(firms) >= 30:
            break
    assert disagreements >= 3, "the two models should differ on some firms"
    # The labels are the shipped model's own tracks: it is perfect on them, the other is not.
    held_out = [Example(f.profile, f.answers, track, "real") for f, track in firms]
    accepted, why = should_replace(small, shipped, Q, held_out)
    assert accepted is False and "held-out real decisions" in why
    assert "current 1.000" in why
    assert should_replace(shipped, small, Q, held_out)[0] is True
    assert should_replace(shipped, shipped, Q, held_out)[0] is True  # equal is not worse
    assert should_replace(small, None, Q, held_out)[0] is True  # nothing to compare with


def test_shipped_model_files_are_present():
    assert (SHIPPED_MODELS / "CURRENT").exists()
