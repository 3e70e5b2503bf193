"""The full-size runs of the suite's sampled checks: what the tests check on a sample, here on
all of it, with the tests' own functions and seeds (the suite's sample is part of each run).

    .venv/bin/python bench/suite_samples.py [--only sentences,levers,monotone,programme,keys]

- sentences (``tests/test_sentences.py``, 600 firms in the suite): every sentence of 3,000
  generated firms' diagnoses (ten blocks of 300, block b seeded [SEED, b]), in Korean and
  English, checked against the firm's answers; and every firm one answer from another track
  flagged with the answers that move it;
- levers (``tests/test_levers_fast.py``, 60 firms of each population in the suite): the fast
  lever search and one-step changes against the plain search, 90 firms of each population
  (each also pushed off the generator's paths) for every questionnaire version;
- monotone (``tests/test_model.py``, 250 firms in the suite): the shipped model and the rules
  over all 500 fixed property firms, every one-option raise and lower and every need the firm
  cannot train for (the release gate's own check);
- programme (``tests/test_scorecard_review.py``, 1,000 firms in the suite): the share of
  3,000 generated programme firms that ever trained, against DOMAIN.md's 6 % (within 1.5
  points);
- keys (``tests/test_config.py``, 20,000 keys in the suite): 200,000 random
  ``token_hex(16)``-like keys, none refused by the secret key check.

Each prints its figure, CPU seconds and whether it holds what the test asserts; the exit
status is 1 if any does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from diagnose import create_app  # noqa: E402


def sentences(app) -> bool:
    import test_sentences as t

    questionnaire = app.extensions["questionnaires"].current
    checked = away = 0
    false, unflagged = [], []
    for block in range(10):
        firms = t.diagnosed(app, block)
        n, wrong = t.false_sentences(app, firms)
        checked += n
        false += wrong
        moved, missed = t.unflagged_moves(questionnaire, firms)
        away += moved
        unflagged += missed
    kinds = Counter(why.split(":")[0] for _lang, _s, why in false)
    print(
        f"sentences: {len(false)} false of {checked} ({10 * t.BLOCK} firms x 2 languages, "
        f"seeds [{t.SEED}, 0..9]); {kinds.most_common(8)}"
    )
    for lang, sentence, why in false[:5]:
        print(f"   [{lang}] {sentence} <- {why}")
    print(
        f"one answer from another track: {away} firms, {len(unflagged)} of them not flagged "
        "or flagged with other answers"
    )
    return not false and not unflagged


def monotone(app) -> bool:
    from diagnose.diagnosis.model import TrackModel
    from diagnose.diagnosis.store import current_model_path
    from diagnose.diagnosis.training import monotone_violations, property_firms

    questionnaire = app.extensions["questionnaires"].current
    shipped = TrackModel.load(current_model_path(Path("/nonexistent")))
    result = monotone_violations(shipped, questionnaire, property_firms(questionnaire))
    print(
        f"monotone: shipped model {shipped.version} over {result['firms']} firms, variants "
        f"{result['variants']}: model violations {result['model_violations']}, rule "
        f"violations {result['rule_violations']}"
    )
    return result["total_violations"] == 0


def programme(app) -> bool:
    from test_scorecard_review import trained_share

    from diagnose.diagnosis.synthetic import TRAINED_AT_ALL

    share = trained_share(app.extensions["questionnaires"].current, 3000)
    print(f"programme: {share:.2%} of 3,000 generated firms ever trained (DOMAIN.md: 6 %)")
    return abs(share - TRAINED_AT_ALL) < 0.015


def keys(_app) -> bool:
    from test_config import refused_random_keys

    refused = refused_random_keys(200_000)
    print(f"keys: {len(refused)} of 200,000 random keys refused {refused[:5]}")
    return not refused


def levers(_app) -> bool:
    import test_levers_fast as t

    for name, questionnaire in t._questionnaires():
        found = t.sample(questionnaire, 90)
        for check in (
            t.test_firms_are_scored_as_the_plain_scoring_scores_them,
            t.test_steps_are_the_plain_steps_in_the_same_order,
            t.test_one_step_changes_and_levers_are_exactly_the_plain_searchs,
            t.test_the_rules_read_no_answer_beyond_their_lists,
        ):
            try:
                check(found)
            except AssertionError as exc:
                print(f"levers: {name}: {check.__name__} fails: {str(exc)[:300]}")
                return False
        print(f"levers: {name}: {len(found[2])} firms, the fast search gives the plain one's")
    return True


RUNS = {
    "sentences": sentences,
    "levers": levers,
    "monotone": monotone,
    "programme": programme,
    "keys": keys,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--only", default=",".join(RUNS), help="comma-separated: " + ", ".join(RUNS)
    )
    args = parser.parse_args()
    app = create_app({"INSTANCE_PATH": "/tmp/diagnose-bench", "DEMO_DATA": False})
    failed = []
    for name in args.only.split(","):
        start = time.process_time()
        holds = RUNS[name](app)
        print(
            f"   {'holds' if holds else 'DOES NOT HOLD'}; {time.process_time() - start:.1f} CPU s"
        )
        if not holds:
            failed.append(name)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
