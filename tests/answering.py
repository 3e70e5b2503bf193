"""Answer sets for a questionnaire, as a consultant would post them."""

from __future__ import annotations

from diagnose.diagnosis.scoring import is_visible
from diagnose.questionnaire.schema import Dimension, Item, Questionnaire


def first_answer(item: Item) -> str | list[str]:
    """A valid answer: the most mature option, a mid-range number, or a sentence."""
    if item.type == "single":
        return item.options[-1].value
    if item.type == "multi":
        return [o.value for o in item.options if not o.exclusive][:2]
    if item.type == "number":
        return f"{(item.min + item.max) / 10:g}"
    return "생산 라인의 불량 판정을 사람이 눈으로 합니다."


def page_answers(dimension: Dimension, context: dict | None = None) -> dict:
    """Form data answering every item of a page that is shown given the answers so far."""
    answers = dict(context or {})
    data: dict = {}
    for item in dimension.items:
        if not is_visible(item, answers):
            continue
        value = first_answer(item)
        answers[item.id] = value
        data[item.id] = value
    return data


def all_answers(questionnaire: Questionnaire) -> dict[str, dict]:
    """Form data for every page, by dimension id."""
    answers: dict = {}
    pages = {}
    for dimension in questionnaire.dimensions:
        pages[dimension.id] = page_answers(dimension, answers)
        answers.update(pages[dimension.id])
    return pages
