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

from collections.abc import Iterator, Mapping
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


# --- the same scoring, compiled once per questionnaire, for searches over many variants --------


class _Scored:
    """One scored item as the scorer reads it: looked up once, not at every answer."""

    __slots__ = ("item", "id", "dimension", "weight", "show_if", "follows", "allow_na", "kind")

    def __init__(self, item: Item, dimension: str):
        self.item, self.id, self.dimension = item, item.id, dimension
        self.weight, self.show_if, self.allow_na = item.weight, item.show_if, item.allow_na
        self.follows = (
            tuple(c.item for c in item.show_if.referenced()) if item.show_if is not None else ()
        )
        self.kind = item.kind

    def visible(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.holds(answers)

    def implied_floor(self, answers: Answers) -> bool:
        """``implied_floor`` for an item already found hidden."""
        return all(answers.get(i) not in (None, "", []) for i in self.follows)


def _key(value: Any) -> Any:
    """A memo key that tells apart what ``==`` does not (``True == 1``, a list and a tuple)."""
    if value.__class__ is str:
        return value
    if isinstance(value, list):
        return (list, tuple(value))
    return (value.__class__, value)


class Scorer:
    """A questionnaire's scoring compiled once: for the searches that score many one-answer
    variants of a firm (``levers``), and for ``policy.Firm.of``.

    Each scored item's dimension, weight and skip logic are looked up once, and each answer's
    score and one-option steps computed once per value. The sums are those of ``counted``,
    ``dimension_score`` and ``readiness``, in the same order: the same floats
    (``tests/test_levers_fast.py`` holds them against the plain functions).
    """

    MEMO = 20_000  # answers remembered per item at most (a number item can take any value)

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.dimensions: list[tuple[str, tuple[_Scored, ...]]] = [
            (d.id, tuple(_Scored(i, d.id) for i in d.items if i.is_scored))
            for d in questionnaire.dimensions
        ]
        self.scored = [entry for _d, entries in self.dimensions for entry in entries]
        self.by_id = {entry.id: entry for entry in self.scored}
        self._scores: dict[str, dict[Any, float | None]] = {e.id: {} for e in self.scored}
        self._steps: dict[str, dict[Any, tuple]] = {e.id: {} for e in self.scored}

    def score(self, item_id: str, value: Any) -> float | None:
        """``item_score`` of the item with this id, remembered by value."""
        memo = self._scores.get(item_id)
        if memo is None:
            return item_score(self.questionnaire.item(item_id), value)
        try:
            key = _key(value)
            return memo[key]
        except KeyError:
            if len(memo) >= self.MEMO:
                memo.clear()
            found = memo[key] = item_score(self.by_id[item_id].item, value)
            return found
        except TypeError:  # an answer that cannot be a key (a list of lists)
            return item_score(self.by_id[item_id].item, value)

    def counted(
        self, entries: tuple[_Scored, ...], answers: Answers
    ) -> Iterator[tuple[_Scored, float | None]]:
        """``counted`` over one dimension's scored items."""
        for entry in entries:
            if entry.show_if is not None and not entry.show_if.holds(answers):
                if entry.implied_floor(answers):
                    yield entry, floor_score(entry.item)
                continue
            value = answers.get(entry.id)
            if value == NOT_APPLICABLE and entry.allow_na:
                continue
            yield entry, self.score(entry.id, value)

    def dimension(self, entries: tuple[_Scored, ...], answers: Answers) -> float | None:
        """``dimension_score(...).score``."""
        total = weight = 0.0
        for entry, score in self.counted(entries, answers):
            if score is None:
                continue
            total += score * entry.weight
            weight += entry.weight
        return round(total / weight, 1) if weight else None

    def scores(self, answers: Answers) -> tuple[dict[str, float | None], float | None]:
        """The dimension scores by id and the readiness index: ``dimension_scores`` and
        ``readiness``."""
        scores = {d: self.dimension(entries, answers) for d, entries in self.dimensions}
        known = [s for s in scores.values() if s is not None]
        return scores, round(sum(known) / len(known), 1) if known else None

    def steps(self, answers: Answers, up: bool = True) -> Iterator[tuple[str, Any]]:
        """``policy.scored_steps``: every answer one option up (down) its own scale."""
        for entry in self.scored:
            if entry.show_if is not None and not entry.show_if.holds(answers):
                continue
            given = answers.get(entry.id)
            if given in (None, "", [], NOT_APPLICABLE):
                continue
            memo = self._steps[entry.id]
            try:
                key = (up, _key(given))
                found = memo.get(key)
            except TypeError:
                key, found = None, None
            if found is None:
                found = tuple(entry.kind.steps(given, up))
                if key is not None:
                    if len(memo) >= self.MEMO:
                        memo.clear()
                    memo[key] = found
            for value in found:
                # a fresh list each time: a step becomes an answer someone may keep
                yield entry.id, list(value) if isinstance(value, list) else value


_SCORERS: dict[int, tuple[Questionnaire, Scorer]] = {}


def scorer(questionnaire: Questionnaire) -> Scorer:
    """The questionnaire's compiled scorer (kept for the last few questionnaires seen; by
    identity, since a copy of a version may differ from it)."""
    kept = _SCORERS.get(id(questionnaire))
    if kept is not None and kept[0] is questionnaire:
        return kept[1]
    if len(_SCORERS) >= 16:
        del _SCORERS[next(iter(_SCORERS))]
    found = Scorer(questionnaire)
    _SCORERS[id(questionnaire)] = (questionnaire, found)
    return found
