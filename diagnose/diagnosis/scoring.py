"""Answers -> item scores -> dimension scores, maturity levels and a readiness index.

Pure functions over a questionnaire and a dict of answers; no Flask, no database.
An answer is what the form sent: an option value, a list of option values (multi), the text
typed for a number, or ``NOT_APPLICABLE``. Unanswered items and "not applicable" answers are
left out, and the dimension's weights renormalise over the rest.

A follow-up hidden by skip logic is ruled out by the answers it follows ("how are AI tools
governed?" after "hardly anyone uses AI"), so it counts as its lowest option: otherwise a
worse answer that hides a weak follow-up would raise the score. A follow-up hidden because
the answers it follows were never given (a short self-assessment) is not answered, not zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..questionnaire.schema import Dimension, Item, Questionnaire

# named here too, where every stage has long found the answers' vocabulary
from ..questionnaire.types import NOT_APPLICABLE, parse_number  # noqa: F401

Answers = Mapping[str, Any]


def is_visible(item: Item, answers: Answers) -> bool:
    return item.shown(answers)


def implied_floor(item: Item, answers: Answers) -> bool:
    """Hidden because the answers it follows are given and rule it out: it scores its lowest."""
    if item.show_if is None or item.show_if.holds(answers):
        return False
    return all(answers.get(cond.item) not in (None, "", []) for cond in item.show_if.referenced())


def floor_score(item: Item) -> float:
    return item.kind.floor()


def counted(dimension: Dimension, answers: Answers):
    """The dimension's scored items that count, each with its score (None: not answered)."""
    for item in dimension.items:
        if not item.is_scored:
            continue
        if not is_visible(item, answers):
            if implied_floor(item, answers):
                yield item, floor_score(item)
            continue
        value = answers.get(item.id)
        if value == NOT_APPLICABLE and item.allow_na:
            continue
        yield item, item_score(item, value)


def is_answered(item: Item, value: Any) -> bool:
    return item.kind.is_answered(value)


def item_score(item: Item, value: Any) -> float | None:
    """The 0–100 maturity score of one answer, or None when it does not count."""
    if not item.is_scored or not is_answered(item, value) or value == NOT_APPLICABLE:
        return None
    return item.kind.score(value)


@dataclass(frozen=True)
class DimensionScore:
    dimension_id: str
    score: float | None  # None when no scored item applies or none is answered
    level: int | None  # 1..5
    answered: int  # scored items that count
    applicable: int  # scored items shown and not marked "not applicable"


def level_for(score: float) -> int:
    """Maturity level 1..5 in bands of 20 points: 0–19 is 1, 80–100 is 5."""
    return min(5, int(score // 20) + 1)


def dimension_score(dimension: Dimension, answers: Answers) -> DimensionScore:
    """Weighted mean of the dimension's scored items that count (see ``counted``)."""
    total = weight = 0.0
    answered = applicable = 0
    for item, score in counted(dimension, answers):
        applicable += 1
        if score is None:
            continue
        answered += 1
        total += score * item.weight
        weight += item.weight
    score = round(total / weight, 1) if weight else None
    return DimensionScore(
        dimension_id=dimension.id,
        score=score,
        level=level_for(score) if score is not None else None,
        answered=answered,
        applicable=applicable,
    )


def dimension_scores(questionnaire: Questionnaire, answers: Answers) -> dict[str, DimensionScore]:
    return {d.id: dimension_score(d, answers) for d in questionnaire.dimensions}


def readiness(scores: Mapping[str, DimensionScore]) -> float | None:
    """The AI-readiness index: the mean of the dimension scores that could be computed."""
    known = [s.score for s in scores.values() if s.score is not None]
    return round(sum(known) / len(known), 1) if known else None


def missing_required(questionnaire: Questionnaire, answers: Answers) -> dict[str, list[str]]:
    """Required, visible items without an answer, by dimension id."""
    missing: dict[str, list[str]] = {}
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            if (
                item.required
                and is_visible(item, answers)
                and not is_answered(item, answers.get(item.id))
            ):
                missing.setdefault(dimension.id, []).append(item.id)
    return missing
