from pathlib import Path

import pytest

from diagnose.diagnosis.scoring import (
    NOT_APPLICABLE,
    dimension_score,
    dimension_scores,
    item_score,
    level_for,
    missing_required,
    readiness,
)
from diagnose.questionnaire.schema import load_questionnaire

MINI = load_questionnaire(Path(__file__).parent / "data/questionnaires/mini/v1.yaml")
LEAD, USE = MINI.dimensions


def test_weighted_mean_of_answered_items():
    # plan weighs 3 (written = 100), budget weighs 1 (none = 0)
    score = dimension_score(LEAD, {"plan": "written", "budget": "none"})
    assert score.score == 75.0
    assert (score.answered, score.applicable) == (2, 2)


def test_not_applicable_renormalises_over_what_applies():
    score = dimension_score(LEAD, {"plan": "some", "budget": NOT_APPLICABLE})
    assert score.score == 50.0  # budget leaves the mean instead of counting as 0
    assert (score.answered, score.applicable) == (1, 1)


def test_not_applicable_is_ignored_where_the_item_does_not_offer_it():
    score = dimension_score(LEAD, {"plan": NOT_APPLICABLE, "budget": "yes"})
    assert score.score == 100.0
    assert (score.answered, score.applicable) == (1, 2)


def test_unanswered_items_do_not_count_but_are_applicable():
    score = dimension_score(LEAD, {"plan": "written"})
    assert score.score == 100.0
    assert (score.answered, score.applicable) == (1, 2)


def test_no_answer_gives_no_score():
    score = dimension_score(LEAD, {})
    assert score.score is None and score.level is None


def test_a_follow_up_ruled_out_by_its_answer_counts_as_its_lowest_option():
    # "measured" only shows when tools are in use; with "nothing" it is hidden, even if
    # answered, and counts as its floor: no tools in use, nothing measured
    hidden = dimension_score(USE, {"tools": ["nothing"], "hours": "8", "measured": "yes"})
    assert hidden.score == pytest.approx((0 + 50 + 0) / 3, abs=0.05)
    assert hidden.applicable == 3
    shown = dimension_score(USE, {"tools": ["chat"], "hours": "0", "measured": "yes"})
    assert shown.score == pytest.approx((40 + 0 + 100) / 3, abs=0.05)


def test_a_follow_up_of_an_unasked_item_does_not_count():
    # the short form may not ask "tools": then "measured" is not answered, not zero
    score = dimension_score(USE, {"hours": "8"})
    assert score.score == 50.0  # "measured" is shown but unanswered: it does not count


def test_a_worse_answer_that_hides_a_follow_up_never_raises_the_score():
    low_follow_up = {"tools": ["chat"], "hours": "8", "measured": "no"}
    worse = {**low_follow_up, "tools": ["nothing"]}
    assert dimension_score(USE, worse).score <= dimension_score(USE, low_follow_up).score


def test_multi_sums_and_caps_at_100():
    tools = MINI.item("tools")
    assert item_score(tools, ["chat"]) == 40
    assert item_score(tools, ["chat", "vision"]) == 100  # 110 capped
    assert item_score(tools, ["unknown"]) is None


def test_number_bands_and_typos():
    hours = MINI.item("hours")
    assert item_score(hours, "0") == 0
    assert item_score(hours, "7.5") == 50
    assert item_score(hours, "1,000") is None  # beyond the last band
    assert item_score(hours, "12a") is None
    assert item_score(hours, 40) == 100


def test_levels_in_bands_of_twenty():
    assert [level_for(s) for s in (0, 19.9, 20, 59, 60, 80, 100)] == [1, 1, 2, 3, 4, 5, 5]


def test_readiness_is_the_mean_of_known_dimensions():
    scores = dimension_scores(MINI, {"plan": "written", "budget": "yes"})
    assert scores["use"].score is None
    assert readiness(scores) == 100.0


def test_missing_required_respects_skip_logic_and_na():
    answers = {"plan": "written", "budget": NOT_APPLICABLE, "tools": ["nothing"]}
    assert missing_required(MINI, answers) == {"use": ["hours"]}
    answers["tools"] = ["chat"]
    assert missing_required(MINI, answers) == {"use": ["hours", "measured"]}
