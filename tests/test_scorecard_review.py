"""Review items on the programme's firms (issue 15): "look at this answer", not an always-on label.

The sample is ``synthetic_firm(..., population="programme")``: small firms new to AI, ~6 % of
which ever trained (DOMAIN.md), every other share a tool assumption written beside its number
in ``diagnose/diagnosis/synthetic.py``. Every firm one answer from another track (rescored in
full here, not by the scorecard's own search) is flagged and named; a line the firm is near
rides on that item as its reason and raises nothing alone; every sentence is true.
"""

import numpy as np
import pytest
from flask_babel import force_locale
from sentences import Case, FalseSentence, check_sentence, sentences_of
from test_sentences import moving_items

from diagnose.diagnosis.explanations import explain
from diagnose.diagnosis.scorecard import assess
from diagnose.diagnosis.synthetic import TRAINED_AT_ALL, synthetic_firm

SEED = 20261205  # fresh: no other test or bench draws the programme sample with it
FIRMS = 300


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from diagnose import create_app

    instance = tmp_path_factory.mktemp("review") / "instance"
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "DEMO_DATA": False})


@pytest.fixture(scope="module")
def programme(app):
    questionnaire = app.extensions["questionnaires"].current
    rng = np.random.default_rng(SEED)
    firms = [synthetic_firm(rng, questionnaire, "programme") for _ in range(FIRMS)]
    return questionnaire, [(f, assess(questionnaire, f.profile, f.answers)) for f in firms]


def trained_share(questionnaire, n: int, seed: int = SEED + 1) -> float:
    """The share of ``n`` generated programme firms that ever trained."""
    rng = np.random.default_rng(seed)
    firms = [synthetic_firm(rng, questionnaire, "programme") for _ in range(n)]
    return float(np.mean([f.answers.get("train_past") not in (None, "none") for f in firms]))


def test_the_programme_sample_holds_the_briefs_one_figure(app):
    """DOMAIN.md: ~6 % of insured SME workplaces trained at all; the sample draws that share
    (1,000 firms: a binomial spread of about 0.75 points; the evenly spread sample trains at
    about 84 %). ``bench/suite_samples.py`` prints it for 3,000, these 1,000 among them."""
    questionnaire = app.extensions["questionnaires"].current
    trained = trained_share(questionnaire, 1000)
    assert abs(trained - TRAINED_AT_ALL) < 0.025, trained
    with pytest.raises(ValueError):
        synthetic_firm(np.random.default_rng(SEED), questionnaire, "everyone")


def test_every_programme_firm_one_answer_away_is_flagged_and_named(programme):
    questionnaire, firms = programme
    away = flagged = 0
    for firm, prediction in firms:
        moving = moving_items(questionnaire, firm, prediction.track)
        steps = [r for r in prediction.review if r["kind"] == "one_step"]
        assert {i for r in steps for i in r["items"]} == moving
        away += bool(moving)
        flagged += prediction.needs_review
        for item in prediction.review:
            assert item["kind"] != "near_line"  # a near line is a reason, never an item
            assert item["items"], item  # every item names what to re-check
        for line in steps[0]["near"] if steps else ():
            assert abs(line["value"] - line["threshold"]) < 2.0
    assert away >= 5, away  # the sample does hold firms one answer away
    # the review target (issue 15: about 10-15 % of a realistic sample; bench/predict.py
    # prints the figure): a guard that needs_review stays a signal, not an always-on label
    assert flagged / len(firms) < 0.2, flagged / len(firms)


def test_every_sentence_of_the_programme_sample_is_true(app, programme):
    questionnaire, firms = programme
    checked, false = 0, []
    with app.test_request_context():
        for lang in ("ko", "en"):
            with force_locale(lang):
                for firm, prediction in firms:
                    words = explain(prediction, questionnaire, {}, lang, firm.answers)
                    assert len(words["review_parts"]) == len(words["review"])
                    case = Case(questionnaire, firm, prediction, lang)
                    for sentence in sentences_of(words):
                        checked += 1
                        try:
                            check_sentence(case, sentence)
                        except FalseSentence as exc:
                            false.append((lang, sentence, str(exc)))
    assert checked > 5 * len(firms)
    assert not false, false[:5]
