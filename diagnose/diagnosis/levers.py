"""Levers: the fewest one-option answer changes that carry a firm across a policy line.

A consultant's question "what would it take?" has an answer only where the firm can act:
- a **beginner** looks to the gate: a first use of AI or a first AI course, a concrete
  problem on a sound base, or enough readiness for a job analysis to find one;
- a **shared-center** firm sent there for want of training capacity looks to its own: any
  one of someone in charge of training, a room or an instructor makes it an AX firm; one sent
  for want of the people to teach IoT or GPU work looks to its instructors and engineers;
- a firm that lacks equipment it cannot own has no lever (the equipment is why it goes to a
  center), nor has an AX firm (the track the policy works toward).

Every step is one option up the item's own scale (``policy.scored_steps``): never two. The
search rescores one changed answer in constant time, so it costs a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..questionnaire.schema import Questionnaire
from . import scoring
from .policy import (
    AI_USE_FLOOR,
    AI_USE_ITEMS,
    DATA_BASE_MIN,
    LEADERSHIP_MIN,
    READINESS_FLOOR,
    READINESS_MATURE,
    TRACK_READS,
    TRAINING_FLOOR,
    Decision,
    Firm,
    ax_ready,
    decide,
    experience_grade,
    mature,
    scored_steps,
    track_for,
)
from .scoring import is_visible

MAX_STEPS = 4
CAPACITY_ITEMS = ("train_hrd_owner", "train_facility", "train_instructors")
# Where a beginner's first steps are looked for first, when two steps go equally far.
PREFERRED = (*AI_USE_ITEMS, "train_ai_courses", "need_problem_clarity")


@dataclass(frozen=True)
class Levers:
    target: str
    changes: list[tuple[str, Any]]
    reached: bool
    alternatives: bool = False  # each change alone is enough


class _Book:
    """A firm's dimension sums, so that one changed answer is rescored in constant time."""

    def __init__(self, questionnaire: Questionnaire, firm: Firm):
        self.scorer = scorer = scoring.scorer(questionnaire)
        self.firm = firm
        self.sums: dict[str, tuple[float, float]] = {}
        self.parts: dict[str, tuple[str, float, float | None]] = {}
        answers = firm.answers
        for dimension, entries in scorer.dimensions:
            total = weight = 0.0
            for entry, score in scorer.counted(entries, answers):
                self.parts[entry.id] = (dimension, entry.weight, score)
                if score is not None:
                    total += score * entry.weight
                    weight += entry.weight
            self.sums[dimension] = (total, weight)

    def changed(self, item_id: str, value: Any) -> Firm:
        """The firm with one answer changed, rescored."""
        return self.varied(item_id, value, *self.score_after(item_id, value))

    def score_after(self, item_id: str, value: Any) -> tuple[str, float | None]:
        """The item's dimension and its score with the one answer changed."""
        dimension, weight, old = self.parts[item_id]
        new = self.scorer.score(item_id, value)
        total, count = self.sums[dimension]
        if old is not None:
            total, count = total - old * weight, count - weight
        if new is not None:
            total, count = total + new * weight, count + weight
        return dimension, round(total / count, 1) if count else None

    def varied(self, item_id: str, value: Any, dimension: str, score: float | None) -> Firm:
        """The firm with one answer changed and its dimension scored ``score``."""
        scores = dict(self.firm.scores)
        scores[dimension] = score
        known = [s for s in scores.values() if s is not None]
        readiness = round(sum(known) / len(known), 1) if known else None
        return self.firm.varied(item_id, value, scores, readiness)


EXPERIENCE_ITEMS = (*AI_USE_ITEMS, "train_ai_courses")  # all that ``experience_grade`` reads
# Every answer ``gate_shortfall`` reads besides the scores: the grade's, and the problem's
# (``ax_ready``'s concrete problem and its score).
GATE_READS = (*EXPERIENCE_ITEMS, "need_problem_clarity")


def gate_shortfall(
    questionnaire: Questionnaire, firm: Firm, grades: dict[tuple, str | None] | None = None
) -> float:
    """How far a firm is from the gate out of the beginner track: 0 exactly when it is out.

    ``grades`` keeps the experience grade by the answers it reads, for a search that rescores
    many one-answer variants of one firm (most of which leave those answers alone)."""
    if grades is None:
        grade = experience_grade(firm)
    else:
        key = repr(tuple(map(firm.answers.get, EXPERIENCE_ITEMS)))
        grade = grades[key] if key in grades else grades.setdefault(key, experience_grade(firm))
    # graded like the gate: trying AI or one short course is a step toward it, not past it
    shortfall = {"none": 100.0, "lacking": 60.0}.get(grade or "", 0.0)
    readiness = firm.readiness if firm.readiness is not None else 0.0
    shortfall += max(0.0, READINESS_FLOOR - readiness)
    use, training = firm.score("ai_use"), firm.score("training_system")
    if firm.readiness is None:
        shortfall += 1.0
    if use < AI_USE_FLOOR and training < TRAINING_FLOOR:
        shortfall += min(AI_USE_FLOOR - use, TRAINING_FLOOR - training)
    if not (ax_ready(firm) or mature(firm)):
        clarity = (
            scoring.scorer(questionnaire).score(
                "need_problem_clarity", firm.answers.get("need_problem_clarity")
            )
            or 0.0
            if questionnaire.find_item("need_problem_clarity")
            else 0.0
        )
        to_ax = (
            max(0.0, 50.0 - clarity)
            + max(0.0, DATA_BASE_MIN - firm.score("data_infra"))
            + max(0.0, LEADERSHIP_MIN - firm.score("leadership"))
        )
        shortfall += min(to_ax, max(0.0, READINESS_MATURE - readiness))
    return shortfall


def _greedy(
    questionnaire: Questionnaire,
    firm: Firm,
    shortfall,
    items: Iterable[str] | None = None,
    reads: Iterable[str] | None = None,
) -> tuple[list[tuple[str, Any]], Firm, bool]:
    """Take the one-option step that closes the most of ``shortfall``, up to ``MAX_STEPS``.

    ``reads``: the answers ``shortfall`` reads besides the scores (None: it may read any).
    A step on any other answer then matters only by the score it gives its dimension, so
    steps that give one dimension the same score are judged once."""
    reads = frozenset(reads) if reads is not None else None
    allowed = set(items) if items is not None else None
    changes: list[tuple[str, Any]] = []
    done: set[str] = set()
    current = firm
    gap = shortfall(current)
    order = {item: i for i, item in enumerate(PREFERRED)}
    while gap > 0 and len(changes) < MAX_STEPS:
        book = _Book(questionnaire, current)
        judged: dict[tuple[str, float | None], float] = {}  # by dimension and its new score
        best = None
        for item_id, value in scored_steps(questionnaire, current.answers):
            if allowed is not None and item_id not in allowed:
                continue
            if item_id in done:
                continue  # one step per answer: a lever, not a leap
            if item_id not in book.parts:
                continue
            dimension, score = book.score_after(item_id, value)
            if reads is None or item_id in reads:
                after = shortfall(book.varied(item_id, value, dimension, score))
            elif (after := judged.get((dimension, score))) is None:
                after = shortfall(book.varied(item_id, value, dimension, score))
                judged[dimension, score] = after
            key = (after, order.get(item_id, len(order)))
            if after < gap and (best is None or key < best[0]):
                best = (key, item_id, value)
        if best is None:
            break
        _key, item_id, value = best
        changes.append((item_id, value))
        done.add(item_id)
        current = Firm.of(questionnaire, firm.profile, {**current.answers, item_id: value})
        gap = shortfall(current)
    return changes, current, gap <= 0


def find(questionnaire: Questionnaire, firm: Firm, track: str, decision: Decision) -> Levers | None:
    """The levers toward the neighbouring track, or None where the firm has none to pull."""
    if track != decision.track:
        return None  # the model and the rules disagree: the consultant decides, not a lever
    if track == "beginner":
        grades: dict[str, str | None] = {}
        changes, moved, reached = _greedy(
            questionnaire,
            firm,
            lambda f: gate_shortfall(questionnaire, f, grades),
            reads=GATE_READS,
        )
        if not changes:
            return None
        target = track_for(moved) if reached else "ax"
        return Levers(target, changes if reached else changes[:3], reached)
    if track == "shared_center" and decision.rule == "no_training_capacity":
        book = _Book(questionnaire, firm)
        options = [
            (item_id, value)
            for item_id, value in scored_steps(questionnaire, firm.answers)
            if item_id in CAPACITY_ITEMS
            and item_id in book.parts
            and track_for(book.changed(item_id, value)) == "ax"
        ]
        return Levers("ax", options[:3], True, alternatives=True) if options else None
    if track == "shared_center" and decision.rule == "cannot_train_alone":

        def lacking(f: Firm) -> float:
            moved = decide(f)
            return 0.0 if moved.track == "ax" else float(len(moved.lacking)) + _capacity_gap(f)

        changes, _moved, reached = _greedy(
            questionnaire,
            firm,
            lacking,
            items=("train_instructors", "train_facility", "skill_eng_data", "train_past"),
        )
        return Levers("ax", changes, reached) if changes else None
    return None


@dataclass(frozen=True)
class OneStep:
    """One answer changed by one option, and the track it gives the firm."""

    item: str
    before: Any
    after: Any
    track: str


def one_step_changes(questionnaire: Questionnaire, firm: Firm, track: str) -> list[OneStep]:
    """Every answer that, one option up or down its own scale (``policy.scored_steps``), gives
    the firm another track: computed exactly, by the rules, for each such change.

    The scales are the questionnaire's; the hands-on equipment the firm lacks is a list of
    wants, not a scale, so its effect is the rule's own (``equipment_lacking``). A change that
    shows or hides other questions (skip logic) is rescored in full; the rest in constant time.
    """
    book = _Book(questionnaire, firm)
    dependents = _dependents(questionnaire)
    # a change to an answer the rules do not read moves the track only by its dimension's
    # score: the track is looked up once per dimension and score
    judged: dict[tuple[str, float | None], str] = {}
    found = []
    for up in (True, False):
        for item_id, value in scored_steps(questionnaire, firm.answers, up):
            shows = dependents.get(item_id, ())
            answers = {**firm.answers, item_id: value} if shows else None
            if item_id not in book.parts or any(
                is_visible(d, answers) != is_visible(d, firm.answers) for d in shows
            ):
                after = track_for(
                    Firm.of(questionnaire, firm.profile, {**firm.answers, item_id: value})
                )
            else:
                dimension, score = book.score_after(item_id, value)
                if item_id in TRACK_READS:
                    after = track_for(book.varied(item_id, value, dimension, score))
                elif (after := judged.get((dimension, score))) is None:
                    after = track_for(book.varied(item_id, value, dimension, score))
                    judged[dimension, score] = after
            if after != track:
                found.append(OneStep(item_id, firm.answers.get(item_id), value, after))
    return found


_DEPENDENTS: dict[str, dict[str, tuple]] = {}


def _dependents(questionnaire: Questionnaire) -> dict[str, tuple]:
    """The items each answer shows or hides, by the item it depends on."""
    if questionnaire.key not in _DEPENDENTS:
        found: dict[str, list] = {}
        for item in questionnaire.items():
            if item.show_if is not None:
                for cond in item.show_if.referenced():
                    found.setdefault(cond.item, []).append(item)
        _DEPENDENTS[questionnaire.key] = {k: tuple(v) for k, v in found.items()}
    return _DEPENDENTS[questionnaire.key]


def _capacity_gap(firm: Firm) -> float:
    """Option steps still missing toward instructors, a room and engineers who code."""
    ladders: Mapping[str, tuple[str, ...]] = {
        "train_instructors": ("none", "ojt_only", "some"),
        "train_facility": ("none", "shared_room", "training_room"),
        "skill_eng_data": ("none", "spreadsheet", "coding"),
    }
    gap = 0.0
    for item_id, ladder in ladders.items():
        given = firm.chosen(item_id)
        index = ladder.index(given[0]) if given and given[0] in ladder else len(ladder) - 1
        if not given and item_id == "train_facility":
            index = 0
        gap += (len(ladder) - 1 - index) / 10
    return gap
