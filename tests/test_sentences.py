"""Every sentence a diagnosis prints is true to the firm's own answers: 600 firms, two languages.

Each sentence is parsed (``tests/sentences.py``) and each claim checked against the firm's
answers and scores: the side of a line from its own score, a one-step change by rescoring the
changed answers in full, a contradiction from the answers it names. 0 false sentences; no line
said on both sides in one diagnosis; every firm one answer from another track is flagged.

The suite checks two blocks of 300 firms, each from its own seed; ``bench/suite_samples.py``
checks ten (3,000 firms, these two among them) with the same functions.
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
TASKS = (
    "용접 불량 사진으로 자동 판정",
    "Forecast weekly demand for our 40 products from three years of orders",
)


def generated(questionnaire, n: int, seed):
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


# Blocks of 300 firms, each drawn from its own seed and each its own test, so that
# pytest-xdist's workers share them; a worker diagnoses a block once.
BLOCK = 300
BLOCKS = range(2)  # 600 firms in the suite; the bench checks range(10)
_DIAGNOSED: dict[int, list] = {}  # block -> [(firm, its scorecard's diagnosis)], per process


def diagnosed(app, block: int) -> list[tuple]:
    """The ``BLOCK`` firms of ``block`` (seeded ``[SEED, block]``), each with its diagnosis."""
    if block not in _DIAGNOSED:
        questionnaire = app.extensions["questionnaires"].current
        _DIAGNOSED[block] = [
            (firm, assess(questionnaire, firm.profile, firm.answers))
            for firm in generated(questionnaire, BLOCK, [SEED, block])
        ]
    return _DIAGNOSED[block]


def false_sentences(app, firms) -> tuple[int, list]:
    """Every sentence of each diagnosis in both languages, checked: (checked, the false ones)."""
    questionnaire = app.extensions["questionnaires"].current
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
    return checked, false


def moving_items(questionnaire, firm, track: str) -> set[str]:
    """The answers that, one option up or down, move the firm off ``track``: each change
    rescored in full, without the scorecard's own search."""
    return {
        item
        for up in (True, False)
        for item, value in scored_steps(questionnaire, firm.answers, up)
        if track_for(Firm.of(questionnaire, firm.profile, {**firm.answers, item: value})) != track
    }


def unflagged_moves(questionnaire, firms) -> tuple[int, list]:
    """(firms one answer from another track, the firms whose flagged items differ from the
    answers that move them or that are not flagged for review)."""
    away, wrong = 0, []
    for firm, prediction in firms:
        moving = moving_items(questionnaire, firm, prediction.track)
        named = {i for r in prediction.review if r["kind"] == "one_step" for i in r["items"]}
        if named != moving or (moving and not prediction.needs_review):
            wrong.append((firm, moving, named))
        away += bool(moving)
    return away, wrong


@pytest.fixture(scope="module")
def make_app_once(tmp_path_factory):
    from diagnose import create_app

    instance = tmp_path_factory.mktemp("sentences") / "instance"
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "DEMO_DATA": False})


@pytest.mark.parametrize("block", BLOCKS)
def test_every_sentence_of_600_firms_in_both_languages_is_true(make_app_once, block):
    firms = diagnosed(make_app_once, block)
    checked, false = false_sentences(make_app_once, firms)
    kinds = Counter(why.split(":")[0] for _lang, _s, why in false)
    assert not false, (kinds.most_common(8), false[:3])
    assert len(firms) == BLOCK and checked > 2 * BLOCK * 5


def test_a_false_sentence_is_caught(make_app_once):
    """The checker is not a rubber stamp: a line on the wrong side, a wrong number, a task the
    firm did not name and an unknown sentence each fail."""
    app = make_app_once
    questionnaire = app.extensions["questionnaires"].current
    firms = diagnosed(app, 0)
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


@pytest.mark.parametrize("block", BLOCKS)
def test_every_firm_one_answer_from_another_track_is_flagged(make_app_once, block):
    """Rescored in full, without the search the scorecard uses: each firm that one answer one
    option away moves to another track is flagged and names that answer (each block's 300
    firms: the same firms as the sentences' test)."""
    questionnaire = make_app_once.extensions["questionnaires"].current
    away, wrong = unflagged_moves(questionnaire, diagnosed(make_app_once, block))
    assert wrong == [], wrong[:3]
    print(f"{away} of {BLOCK} firms one answer from another track")
    assert away > 25  # in each block
