"""Accuracy and abstain rate of the task-theme model (diagnose/roadmap/themes.py).

Five-fold cross-validation over the labelled statements (roadmap_templates/task_themes.yaml),
stratified by first theme, seeded: a statement counts as right when the themes taken include
one of its labels and nothing outside them; an abstention is counted apart. Also the issue's
own tasks, printed with the themes read.

    PYTHONPATH=. python bench/themes.py
"""

from __future__ import annotations

import time

from sklearn.model_selection import StratifiedKFold

from diagnose.roadmap import themes

ISSUE_TASKS = [
    "프레스 라인 설비의 고장 예측(예지보전)과 프레스 부품 외관 불량 검출",
    "Automate the routine weekly report",
    "time wasted on meeting notes",
    "reduce errors - especially in invoices",
    "fine-tuning a language model on our support tickets",
    "수산물 포장 라벨의 유통기한 인쇄 오류 검출",
]


def cross_validate(corpus: themes.Corpus, folds: int = 5) -> dict[str, float]:
    first = [label[0] for label in corpus.labels]
    split = StratifiedKFold(folds, shuffle=True, random_state=themes.SEED)
    right = wrong = abstained = 0
    for train_rows, test_rows in split.split(corpus.texts, first):
        model = themes.train(corpus, indices=list(train_rows))
        probs = model.probabilities([corpus.texts[i] for i in test_rows])
        for i, p in zip(test_rows, probs, strict=True):
            reading = themes.reading_of(p)
            if reading.abstained:
                abstained += 1
            elif {t.theme for t in reading.themes} <= set(corpus.labels[i]):
                right += 1
            else:
                wrong += 1
    n = right + wrong + abstained
    return {
        "statements": n,
        "accuracy_answered": right / max(1, right + wrong),
        "accuracy_all": right / n,
        "abstain_rate": abstained / n,
    }


def main() -> None:
    corpus = themes.load_corpus()
    started = time.perf_counter()
    result = cross_validate(corpus)
    print(
        f"corpus v{corpus.version} ({corpus.digest()}): {result['statements']} statements, "
        f"{len(corpus.themes)} themes"
    )
    print(
        f"5-fold CV: accuracy on answered {result['accuracy_answered']:.1%}, "
        f"on all {result['accuracy_all']:.1%}, abstain rate {result['abstain_rate']:.1%} "
        f"(line {themes.ABSTAIN_LINE}); {time.perf_counter() - started:.1f} s"
    )
    model = themes.current_model()
    for task in ISSUE_TASKS:
        reading = model.read(task)
        taken = ", ".join(f"{t.theme} {t.confidence:.2f}" for t in reading.themes) or (
            f"abstains (best {reading.best.theme} {reading.best.confidence:.2f})"
        )
        print(f"  {task[:60]!r}: {taken}")


if __name__ == "__main__":
    main()
