"""Prediction latency and three example firms (one per track) with their explanations.

    .venv/bin/python bench/predict.py

Prints medians over repeated calls on this machine; no thresholds, no pass/fail.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from diagnose import create_app
from diagnose.diagnosis.explanations import explain
from diagnose.diagnosis.model import TrackModel
from diagnose.diagnosis.policy import TRACKS, bootstrap_set, track_for
from diagnose.diagnosis.scoring import dimension_scores
from diagnose.diagnosis.store import current_model_path
from diagnose.questionnaire.schema import load_questionnaire

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    questionnaire = load_questionnaire(ROOT / "questionnaires/ai_training_needs/v1.yaml")
    start = time.perf_counter()
    model = TrackModel.load(current_model_path(Path("/nonexistent")))
    print(f"model {model.version}: load {1000 * (time.perf_counter() - start):.1f} ms")
    firms = [f for f, _ in bootstrap_set(questionnaire, 50, np.random.default_rng(1), 0)]

    for label, explain_it in (
        ("track + probabilities", False),
        ("with reasons and counterfactual", True),
    ):
        times = []
        for firm in firms:
            times += timed(
                lambda f=firm, e=explain_it: model.predict(
                    questionnaire, f.profile, f.answers, explain=e
                ),
                5,
            )
        times.sort()
        print(
            f"predict one firm, {label}: median {1000 * statistics.median(times):.2f} ms, "
            f"p90 {1000 * times[int(0.9 * len(times))]:.2f} ms over {len(times)} calls"
        )

    app = create_app({"INSTANCE_PATH": "/tmp/diagnose-bench", "DEMO_DATA": False})
    rng = np.random.default_rng(2026)
    examples = {}
    for firm, track in bootstrap_set(questionnaire, 600, rng, 0):
        if track not in examples and track_for(firm) == track:
            examples[track] = firm
    for track in TRACKS:
        firm = examples[track]
        prediction = model.predict(questionnaire, firm.profile, firm.answers)
        scores = {
            k: {"score": v.score} for k, v in dimension_scores(questionnaire, firm.answers).items()
        }
        print(
            f"\n== example firm, policy track {track}: {firm.profile['employees']} employees, "
            f"industry {firm.profile['industry']}, readiness {firm.readiness:.0f}"
        )
        print(
            "   probabilities:", prediction.probabilities, "needs review:", prediction.needs_review
        )
        for lang in ("ko", "en"):
            with app.test_request_context(f"/?lang={lang}"):
                words = explain(prediction, questionnaire, scores, lang)
            print(f"   [{lang}] {words['track_name']}")
            for reason in words["toward"]:
                print(f"     + {reason}")
            for reason in words["away"][:2]:
                print(f"     - {reason}")
            print(f"     → {words['counterfactual']}")


if __name__ == "__main__":
    main()
