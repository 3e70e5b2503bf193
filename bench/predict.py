"""The scorecard's figures (issue 15, item 6), and the shadow model's, from one run.

    .venv/bin/python bench/predict.py [--firms 3000] [--seed 20261203]

Prints, for two generated samples (``synthetic_firm(..., population=...)``): ``even``, spread
evenly around the scorecard's lines (what the tests exercise), and ``programme``, the firms the
programme meets as the brief describes them (small, new to AI, ~6 % trained at all: the
sample the review target of issue 15 is measured on), each with its composition (tracks,
AI-training experience, size). No thresholds, no pass/fail; the machine it runs on says how
noisy the timings are:
- false sentences: every sentence of every generated firm's diagnosis, in Korean and English,
  parsed and checked against the firm's own answers and scores (``tests/sentences.py``);
- wrong-way moves: one-option raises that move a firm toward beginner, lowers that move it
  out, needs it cannot train for that take it away from a center (the scorecard's rules);
- review: the share flagged, by kind, and the share of one-answer-away firms flagged (found
  here by rescoring every one-step change in full, not by the scorecard's own search), with
  what flags the firms that are not one answer away;
- gate moves from a single tick: one lacked piece of equipment, one free online course, "a
  few staff use generative AI on personal accounts", each added to a gated beginner;
- explanation latency: the scorecard's diagnosis (track, review items, one-step changes) and
  its sentences, p50/p90;
- the shadow model: its agreement with the scorecard and its promotion status.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask_babel import force_locale  # noqa: E402
from sentences import Case, FalseSentence, check_sentence, sentences_of  # noqa: E402

from diagnose import create_app  # noqa: E402
from diagnose.diagnosis.explanations import explain  # noqa: E402
from diagnose.diagnosis.model import TrackModel  # noqa: E402
from diagnose.diagnosis.policy import (  # noqa: E402
    HANDS_ON_EQUIPMENT,
    Firm,
    can_train_alone,
    scored_steps,
    track_for,
)
from diagnose.diagnosis.scorecard import assess  # noqa: E402
from diagnose.diagnosis.store import current_model_path  # noqa: E402
from diagnose.diagnosis.synthetic import synthetic_firm  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def sample_figures(app, questionnaire, firms, rescored: int) -> list:
    """Every figure on one sample of firms; returns the diagnoses."""
    # --- the diagnoses, timed with their sentences
    timings, cpu, predictions = [], [], []
    with app.test_request_context():
        explain(assess(questionnaire, firms[0].profile, firms[0].answers), questionnaire, {}, "ko")
        for firm in firms:
            start, start_cpu = time.perf_counter(), time.process_time()
            prediction = assess(questionnaire, firm.profile, firm.answers)
            explain(prediction, questionnaire, {}, "ko", firm.answers)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            predictions.append(prediction)
    print(
        f"explanation latency (diagnosis + sentences): p50 {1000 * statistics.median(timings):.1f}"
        f" ms, p90 {1000 * percentile(timings, 0.9):.1f} ms wall; CPU p50 "
        f"{1000 * statistics.median(cpu):.1f} ms, p90 {1000 * percentile(cpu, 0.9):.1f} ms"
    )

    # --- composition
    n = len(firms)
    tracks = Counter(p.track for p in predictions)
    grades = Counter(p.experience or "unknown" for p in predictions)
    print(
        "composition: tracks "
        + ", ".join(f"{t} {tracks[t] / n:.1%}" for t in ("beginner", "ax", "shared_center"))
        + "; AI-training experience "
        + ", ".join(f"{g} {c / n:.1%}" for g, c in grades.most_common())
        + f"; employees median {statistics.median(f.employees for f in firms):.0f}, "
        f"above 50 {sum(f.employees >= 50 for f in firms) / n:.1%}"
    )

    # --- false sentences
    checked, false = 0, []
    with app.test_request_context():
        for lang in ("ko", "en"):
            with force_locale(lang):
                for firm, prediction in zip(firms, predictions, strict=True):
                    words = explain(prediction, questionnaire, {}, lang, firm.answers)
                    case = Case(questionnaire, firm, prediction, lang)
                    for sentence in sentences_of(words):
                        checked += 1
                        try:
                            check_sentence(case, sentence)
                        except FalseSentence as exc:
                            false.append((lang, sentence, str(exc)))
    print(f"false sentences: {len(false)} of {checked} ({n} firms x 2 languages)")
    for lang, sentence, why in false[:5]:
        print(f"   [{lang}] {sentence} <- {why}")

    # --- wrong-way moves, one-answer-away firms, review
    moves = Counter()
    wrong = Counter()
    away = flagged_away = 0
    sample = list(zip(firms, predictions, strict=True))[:rescored]
    for firm, prediction in sample:
        before = prediction.track
        moved = False
        for up in (True, False):
            for item, value in scored_steps(questionnaire, firm.answers, up):
                after = track_for(
                    Firm.of(questionnaire, firm.profile, {**firm.answers, item: value})
                )
                moves["raise" if up else "lower"] += 1
                moved |= after != before
                if up and after == "beginner" != before or not up and before == "beginner" != after:
                    wrong["raise" if up else "lower"] += 1
        chosen = [v for v in firm.chosen("need_equipment") if v != "none"]
        for need in HANDS_ON_EQUIPMENT:
            if need in chosen or can_train_alone(firm, need):
                continue
            after = track_for(
                Firm.of(
                    questionnaire, firm.profile, {**firm.answers, "need_equipment": [*chosen, need]}
                )
            )
            moves["need"] += 1
            wrong["need"] += before == "shared_center" != after
        away += moved
        flagged_away += moved and prediction.needs_review
    print(
        f"wrong-way moves: {sum(wrong.values())} of {sum(moves.values())} one-step variants "
        f"({dict(wrong)} of {dict(moves)})"
    )
    flagged = [p for p in predictions if p.needs_review]
    kinds = Counter(r["kind"] for p in flagged for r in p.review)
    print(
        f"needs_review: {len(flagged)} of {n} ({len(flagged) / n:.1%}); items by kind "
        f"{dict(kinds.most_common())}"
    )
    not_away = [p for p in flagged if not any(r["kind"] == "one_step" for r in p.review)]
    why = Counter(r["kind"] for p in not_away for r in p.review)
    print(
        f"one answer from another track (of the first {len(sample)}, rescored in full): "
        f"{away} firms ({away / max(1, len(sample)):.1%}), flagged {flagged_away} "
        f"({flagged_away / max(1, away):.0%}); flagged though not one answer away: "
        f"{len(not_away)} ({len(not_away) / n:.1%}: {dict(why.most_common())})"
    )

    # --- gate moves from a single tick
    gated = [f for f, p in zip(firms, predictions, strict=True) if p.rule == "experience_lacking"]
    beginners = [f for f, p in zip(firms, predictions, strict=True) if p.track == "beginner"]
    ticks = {"equipment": [0, 0], "free_online": [0, 0], "genai_individual": [0, 0]}
    for firm in beginners:
        chosen = [v for v in firm.chosen("need_equipment") if v != "none"]
        for need in HANDS_ON_EQUIPMENT:
            if need not in chosen:
                moved = Firm.of(
                    questionnaire,
                    firm.profile,
                    {**firm.answers, "need_equipment": [*chosen, need]},
                )
                ticks["equipment"][0] += 1
                ticks["equipment"][1] += track_for(moved) != "beginner"
    for firm in gated:
        courses = [v for v in firm.chosen("train_ai_courses") if v != "none"]
        if "free_online" not in courses:
            moved = Firm.of(
                questionnaire,
                firm.profile,
                {**firm.answers, "train_ai_courses": [*courses, "free_online"]},
            )
            ticks["free_online"][0] += 1
            ticks["free_online"][1] += track_for(moved) != "beginner" and not courses
        if firm.answers.get("use_genai_office") == "none":
            moved = Firm.of(
                questionnaire, firm.profile, {**firm.answers, "use_genai_office": "individual"}
            )
            ticks["genai_individual"][0] += 1
            ticks["genai_individual"][1] += track_for(moved) != "beginner"
    print(
        "gate moves from a single tick: "
        + "; ".join(f"{k} {moved} of {tried}" for k, (tried, moved) in ticks.items())
        + " (free_online: firms with no course before)"
    )
    return predictions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument(
        "--rescored", type=int, default=1000, help="firms whose every one-step change is rescored"
    )
    args = parser.parse_args()
    app = create_app({"INSTANCE_PATH": "/tmp/diagnose-bench", "DEMO_DATA": False})
    questionnaire = app.extensions["questionnaires"].current
    samples = {
        "even": "spread evenly around the scorecard's lines: every rule exercised (tests)",
        "programme": "the programme's firms as the brief describes them (the review target); "
        "shares: DOMAIN.md's 6 % trained at all, the rest tool assumptions "
        "(diagnose/diagnosis/synthetic.py, PROGRAMME_ASSUMPTIONS)",
    }
    for offset, (population, what) in enumerate(samples.items()):
        rng = np.random.default_rng(args.seed + offset)
        firms = [synthetic_firm(rng, questionnaire, population) for _ in range(args.firms)]
        print(
            f"\n== {population}: {len(firms)} generated firms (seed {args.seed + offset}), "
            f"questionnaire {questionnaire.key}\n   {what}"
        )
        predictions = sample_figures(app, questionnaire, firms, args.rescored)
        if population == "even":
            even = (firms, predictions)

    # --- the shadow model
    firms, predictions = even
    model = TrackModel.load(current_model_path(Path("/nonexistent")))
    shadow = model.tracks(questionnaire, firms)
    agree = np.mean([s == p.track for s, p in zip(shadow, predictions, strict=True)])
    promotion = model.card.get("promotion") or {}
    print(
        f"\nshadow model {model.version}: agrees with the scorecard on {agree:.1%} (even sample); "
        f"{'promoted' if model.promoted else 'in shadow'} "
        f"({promotion.get('why', 'trained on generated firms only (cold start)')})"
    )


if __name__ == "__main__":
    main()
