"""Every sentence a diagnosis prints is true to the firm's own answers: 3,000 firms, two languages.

Each sentence is parsed (``tests/sentences.py``) and each claim checked against the firm's
answers and scores: the side of a line from its own score, a one-step change by rescoring the
changed answers in full, a contradiction from the answers it names. 0 false sentences; no line
said on both sides in one diagnosis; every firm one answer from another track is flagged.
"""

from collections import Counter

import numpy as np
import pytest
from flask_babel import force_locale
from sentences import Case, FalseSentence, check_sentence, sentences_of

from diagnose.diagnosis.explanations import explain
from diagnose.diagnosis.policy import Firm, scored_steps, track_for
from diagnose.diagnosis.scorecard import assess
from diagnose.diagnosis.synthetic import synthetic_firm

SEED = 20261202  # fresh: the training, check and property sets use other seeds
FIRMS = 3000
TASKS = (
    "용접 불량 사진으로 자동 판정",
    "Forecast weekly demand for our 40 products from three years of orders",
)


def generated(questionnaire, n: int, seed: int):
    rng = np.random.default_rng(seed)
    firms = []
    for index in range(n):
        firm = synthetic_firm(rng, questionnaire)
        if index % 2 and firm.answers.get("need_problem_clarity") not in (None, "none"):
            # a firm's own words, for the "concrete task" sentence
            answers = {**firm.answers, "need_task": TASKS[index % 4 // 2]}
            firm = Firm.of(questionnaire, firm.profile, answers)
        firms.append(firm)
    return firms


# The 3,000 firms are checked in blocks of 500, each its own test, so that pytest-xdist's
# workers share them; a worker generates the 3,000 once (the same firms as one run over all of
# them) and diagnoses only the blocks it is given.
BLOCK = 500
BLOCKS = range(FIRMS // BLOCK)
assert len(BLOCKS) * BLOCK == FIRMS
_FIRMS: list = []  # the generated firms, once per process
_DIAGNOSED: dict[int, tuple] = {}  # firm index -> (firm, its scorecard's diagnosis)


def diagnosed(app, start: int, stop: int) -> list[tuple]:
    """Firms ``start`` to ``stop`` of the 3,000, each with its scorecard's diagnosis."""
    questionnaire = app.extensions["questionnaires"].current
    if not _FIRMS:
        _FIRMS.extend(generated(questionnaire, FIRMS, SEED))
    for index in range(start, stop):
        if index not in _DIAGNOSED:
            firm = _FIRMS[index]
            _DIAGNOSED[index] = (firm, assess(questionnaire, firm.profile, firm.answers))
    return [_DIAGNOSED[index] for index in range(start, stop)]


@pytest.fixture(scope="module")
def make_app_once(tmp_path_factory):
    from diagnose import create_app

    instance = tmp_path_factory.mktemp("sentences") / "instance"
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "DEMO_DATA": False})


@pytest.mark.parametrize("block", BLOCKS)
def test_every_sentence_of_3000_firms_in_both_languages_is_true(make_app_once, block):
    app = make_app_once
    questionnaire = app.extensions["questionnaires"].current
    firms = diagnosed(app, block * BLOCK, (block + 1) * BLOCK)
    checked, false = 0, []
    with app.test_request_context():
        for lang in ("ko", "en"):
            with force_locale(lang):
                for firm, prediction in firms:
                    words = explain(prediction, questionnaire, {}, lang, firm.answers)
                    case = Case(questionnaire, firm, prediction, lang)
                    for sentence in sentences_of(words):
                        checked += 1
                        try:
                            check_sentence(case, sentence)
                        except FalseSentence as exc:
                            false.append((lang, sentence, str(exc)))
    kinds = Counter(why.split(":")[0] for _lang, _s, why in false)
    assert not false, (kinds.most_common(8), false[:3])
    assert len(firms) == BLOCK and checked > 2 * BLOCK * 5


def test_a_false_sentence_is_caught(make_app_once):
    """The checker is not a rubber stamp: a line on the wrong side, a wrong number, a task the
    firm did not name and an unknown sentence each fail."""
    app = make_app_once
    questionnaire = app.extensions["questionnaires"].current
    firms = diagnosed(app, 0, BLOCK)
    firm, prediction = next((f, p) for f, p in firms if f.readiness and 35 < f.readiness < 48)
    case = Case(questionnaire, firm, prediction, "en")
    value = f"{firm.readiness:.0f}"
    wrong = [
        f"AI readiness is {value}, at or above 50, the tool's provisional line for an AX job "
        "analysis.",
        "AI readiness is 12, under 50, the tool's provisional line for an AX job analysis.",
        "AI readiness is 50, under 50, the tool's provisional line for an AX job analysis.",
        "The firm has a concrete task for AI: ‘something it never said’.",
        "Everything is fine.",
    ]
    with app.test_request_context(), force_locale("en"):
        check_sentence(
            case,
            f"AI readiness is {value}, under 50, the tool's provisional line for an AX job "
            "analysis.",
        )
        for sentence in wrong:
            with pytest.raises(FalseSentence):
                check_sentence(Case(questionnaire, firm, prediction, "en"), sentence)


@pytest.mark.parametrize("start", [0, 300])
def test_every_firm_one_answer_from_another_track_is_flagged(make_app_once, start):
    """Rescored in full, without the search the scorecard uses: each firm that one answer one
    option away moves to another track is flagged and names that answer (the first 600 firms,
    in two halves that the workers share)."""
    questionnaire = make_app_once.extensions["questionnaires"].current
    away = 0
    for firm, prediction in diagnosed(make_app_once, start, start + 300):
        moving = {
            item
            for up in (True, False)
            for item, value in scored_steps(questionnaire, firm.answers, up)
            if track_for(Firm.of(questionnaire, firm.profile, {**firm.answers, item: value}))
            != prediction.track
        }
        named = {i for r in prediction.review if r["kind"] == "one_step" for i in r["items"]}
        assert named == moving
        if moving:
            away += 1
            assert prediction.needs_review
    print(f"{away} of 300 firms one answer from another track")
    assert away > 25  # in each half (> 50 of the 600 before the halves)
