"""The lever search and the one-step sensitivity, fast, give exactly what the plain search gave.

``Reference`` below is the search as it stood before it was made fast (issue 15, item 6:
explanation latency): every candidate rescored through ``scoring.counted`` and
``item.kind``, every step found through ``item.kind.steps``, every firm scored through
``scoring.dimension_scores``. It is the oracle: over generated firms of both populations, of
every questionnaire version and the owner's short form, pushed off the generator's paths
(answers dropped, "not applicable", raised and lowered, other head counts), the fast code
must give the same firms' scores, the same steps in the same order, the same levers and the
same one-step changes, value for value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from diagnose.diagnosis import levers
from diagnose.diagnosis.levers import (
    CAPACITY_ITEMS,
    EXPERIENCE_ITEMS,
    GATE_READS,
    MAX_STEPS,
    PREFERRED,
    Levers,
    OneStep,
)
from diagnose.diagnosis.policy import (
    AI_USE_FLOOR,
    DATA_BASE_MIN,
    LEADERSHIP_MIN,
    READINESS_FLOOR,
    READINESS_MATURE,
    TRACK_READS,
    TRAINING_FLOOR,
    Firm,
    ax_ready,
    decide,
    experience_grade,
    mature,
    scored_steps,
    track_for,
)
from diagnose.diagnosis.scoring import (
    NOT_APPLICABLE,
    counted,
    dimension_scores,
    is_visible,
    item_score,
    readiness,
)
from diagnose.diagnosis.synthetic import synthetic_firm
from diagnose.questionnaire.schema import Questionnaire, load_questionnaire

ROOT = Path(__file__).resolve().parent.parent / "questionnaires/ai_training_needs"
SEED = 20261206  # fresh: no other test or bench draws with it


class Reference:
    """The plain search (levers.py and policy.scored_steps before issue 15's latency work)."""

    def __init__(self, questionnaire: Questionnaire):
        self.q = questionnaire

    def firm(self, profile, answers) -> Firm:
        scores = dimension_scores(self.q, answers)
        return Firm(profile, answers, {k: s.score for k, s in scores.items()}, readiness(scores))

    def scored_steps(self, answers, up=True):
        for item in self.q.items():
            if not item.is_scored or not is_visible(item, answers):
                continue
            given = answers.get(item.id)
            if given in (None, "", [], NOT_APPLICABLE):
                continue
            for value in item.kind.steps(given, up):
                yield item.id, value

    def book(self, firm):
        q = self.q
        sums, parts = {}, {}
        for dimension in q.dimensions:
            total = weight = 0.0
            for item, score in counted(dimension, firm.answers):
                parts[item.id] = (dimension.id, item.weight, score)
                if score is not None:
                    total += score * item.weight
                    weight += item.weight
            sums[dimension.id] = (total, weight)

        def changed(item_id, value):
            dimension, weight, old = parts[item_id]
            new = item_score(q.item(item_id), value)
            total, count = sums[dimension]
            if old is not None:
                total, count = total - old * weight, count - weight
            if new is not None:
                total, count = total + new * weight, count + weight
            scores = dict(firm.scores)
            scores[dimension] = round(total / count, 1) if count else None
            known = [s for s in scores.values() if s is not None]
            return Firm(
                profile=firm.profile,
                answers={**firm.answers, item_id: value},
                scores=scores,
                readiness=round(sum(known) / len(known), 1) if known else None,
            )

        return parts, changed

    def gate_shortfall(self, firm, grades=None):
        if grades is None:
            grade = experience_grade(firm)
        else:
            key = tuple(repr(firm.answers.get(i)) for i in EXPERIENCE_ITEMS)
            grade = grades[key] if key in grades else grades.setdefault(key, experience_grade(firm))
        shortfall = {"none": 100.0, "lacking": 60.0}.get(grade or "", 0.0)
        ready = firm.readiness if firm.readiness is not None else 0.0
        shortfall += max(0.0, READINESS_FLOOR - ready)
        use, training = firm.score("ai_use"), firm.score("training_system")
        if firm.readiness is None:
            shortfall += 1.0
        if use < AI_USE_FLOOR and training < TRAINING_FLOOR:
            shortfall += min(AI_USE_FLOOR - use, TRAINING_FLOOR - training)
        if not (ax_ready(firm) or mature(firm)):
            clarity_item = self.q.find_item("need_problem_clarity")
            clarity = (
                item_score(clarity_item, firm.answers.get("need_problem_clarity")) or 0.0
                if clarity_item
                else 0.0
            )
            to_ax = (
                max(0.0, 50.0 - clarity)
                + max(0.0, DATA_BASE_MIN - firm.score("data_infra"))
                + max(0.0, LEADERSHIP_MIN - firm.score("leadership"))
            )
            shortfall += min(to_ax, max(0.0, READINESS_MATURE - ready))
        return shortfall

    def greedy(self, firm, shortfall, items: Iterable[str] | None = None):
        allowed = set(items) if items is not None else None
        changes: list[tuple[str, Any]] = []
        current = firm
        gap = shortfall(current)
        order = {item: i for i, item in enumerate(PREFERRED)}
        while gap > 0 and len(changes) < MAX_STEPS:
            parts, changed = self.book(current)
            best = None
            for item_id, value in self.scored_steps(current.answers):
                if allowed is not None and item_id not in allowed:
                    continue
                if any(item_id == done for done, _value in changes):
                    continue
                if item_id not in parts:
                    continue
                after = shortfall(changed(item_id, value))
                key = (after, order.get(item_id, len(order)))
                if after < gap and (best is None or key < best[0]):
                    best = (key, item_id, value)
            if best is None:
                break
            _key, item_id, value = best
            changes.append((item_id, value))
            current = self.firm(firm.profile, {**current.answers, item_id: value})
            gap = shortfall(current)
        return changes, current, gap <= 0

    def find(self, firm, track, decision):
        if track != decision.track:
            return None
        if track == "beginner":
            grades: dict = {}
            changes, moved, reached = self.greedy(firm, lambda f: self.gate_shortfall(f, grades))
            if not changes:
                return None
            target = track_for(moved) if reached else "ax"
            return Levers(target, changes if reached else changes[:3], reached)
        if track == "shared_center" and decision.rule == "no_training_capacity":
            parts, changed = self.book(firm)
            options = [
                (item_id, value)
                for item_id, value in self.scored_steps(firm.answers)
                if item_id in CAPACITY_ITEMS
                and item_id in parts
                and track_for(changed(item_id, value)) == "ax"
            ]
            return Levers("ax", options[:3], True, alternatives=True) if options else None
        if track == "shared_center" and decision.rule == "cannot_train_alone":

            def lacking(f):
                moved = decide(f)
                return 0.0 if moved.track == "ax" else float(len(moved.lacking)) + _capacity_gap(f)

            changes, _moved, reached = self.greedy(
                firm,
                lacking,
                items=("train_instructors", "train_facility", "skill_eng_data", "train_past"),
            )
            return Levers("ax", changes, reached) if changes else None
        return None

    def one_step_changes(self, firm, track):
        parts, changed = self.book(firm)
        dependents: dict[str, list] = {}
        for item in self.q.items():
            if item.show_if is not None:
                for cond in item.show_if.referenced():
                    dependents.setdefault(cond.item, []).append(item)
        found = []
        for up in (True, False):
            for item_id, value in self.scored_steps(firm.answers, up):
                answers = {**firm.answers, item_id: value}
                if item_id in parts and not any(
                    is_visible(d, answers) != is_visible(d, firm.answers)
                    for d in dependents.get(item_id, ())
                ):
                    moved = changed(item_id, value)
                else:
                    moved = self.firm(firm.profile, answers)
                after = track_for(moved)
                if after != track:
                    found.append(OneStep(item_id, firm.answers.get(item_id), value, after))
        return found


def _capacity_gap(firm: Firm) -> float:
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


def pushed(rng: np.random.Generator, reference: Reference, firm: Firm) -> Firm:
    """The firm off the generator's paths: answers dropped, "not applicable", steps up and
    down (several, so that skip logic opens and closes), another head count."""
    q, answers, profile = reference.q, dict(firm.answers), dict(firm.profile)
    for _ in range(int(rng.integers(0, 6))):
        steps = list(reference.scored_steps(answers, bool(rng.random() < 0.6)))
        if steps:
            item_id, value = steps[int(rng.integers(len(steps)))]
            answers[item_id] = value
    for item in q.items():
        if item.id in answers and rng.random() < 0.06:
            del answers[item.id]
        elif item.allow_na and item.id in answers and rng.random() < 0.05:
            answers[item.id] = NOT_APPLICABLE
    if q.find_item("need_equipment") and rng.random() < 0.2:  # a need it may teach itself
        answers["need_equipment"] = [str(rng.choice(["iot_sensors", "gpu"]))]
    if rng.random() < 0.3:
        profile["employees"] = str(int(rng.choice([0, 3, 49, 50, 120, 400, 800])))
    return reference.firm(profile, answers)


def _questionnaires() -> list[tuple[str, Questionnaire]]:
    v1, v2 = (load_questionnaire(ROOT / f"v{n}.yaml") for n in (1, 2))
    return [("v1", v1), ("v2", v2), ("v2 short form", v2.short_form())]


# Generated firms of each population, each also pushed off the generator's paths: 60 in the
# suite (240 firms a questionnaire); bench/suite_samples.py checks 90, these 60 among them.
PER_POPULATION = 60


def sample(q: Questionnaire, per_population: int = PER_POPULATION):
    """``(q, the reference search, the firms)`` for the tests below."""
    reference = Reference(q)
    found = []
    for offset, population in enumerate(("even", "programme")):
        rng = np.random.default_rng([SEED, offset])  # the first n of a population's stream
        for _ in range(per_population):
            firm = synthetic_firm(rng, q, population)
            found.append(reference.firm(firm.profile, dict(firm.answers)))
            found.append(pushed(rng, reference, firm))
    return q, reference, found


@pytest.fixture(scope="module", params=_questionnaires(), ids=lambda p: p[0])
def firms(request):
    return sample(request.param[1])


def test_firms_are_scored_as_the_plain_scoring_scores_them(firms):
    q, reference, sample = firms
    for firm in sample:
        fast = Firm.of(q, firm.profile, firm.answers)
        assert (fast.scores, fast.readiness) == (firm.scores, firm.readiness)
        assert list(fast.scores) == list(firm.scores)  # the order readiness sums in


def test_steps_are_the_plain_steps_in_the_same_order(firms):
    q, reference, sample = firms
    for firm in sample:
        for up in (True, False):
            assert list(scored_steps(q, firm.answers, up)) == list(
                reference.scored_steps(firm.answers, up)
            )


def test_one_step_changes_and_levers_are_exactly_the_plain_searchs(firms):
    """The sensitivity is exact (every change, its order, its track) and the levers are the
    same steps; the sample meets every kind of lever and firms with and without changes."""
    q, reference, sample = firms
    met = {"steps": 0, "beginner": 0, "no_training_capacity": 0, "cannot_train_alone": 0}
    for firm in sample:
        decision = decide(firm)
        track = decision.track
        steps = levers.one_step_changes(q, firm, track)
        assert steps == reference.one_step_changes(firm, track)
        met["steps"] += bool(steps)
        found = levers.find(q, firm, track, decision)
        assert found == reference.find(firm, track, decision), decision.rule
        if found is not None:
            met["beginner" if track == "beginner" else decision.rule] += 1
    assert met["steps"] >= 20 and met["beginner"] >= 20, met
    if q.key.endswith("v2") and len(list(q.items())) > 40:
        assert met["no_training_capacity"] >= 1 and met["cannot_train_alone"] >= 1, met


def test_the_rules_read_no_answer_beyond_their_lists(firms):
    """The fast search judges a step on an answer that ``track_for`` (``TRACK_READS``) or the
    gate's shortfall (``GATE_READS``) does not read by its dimension's score alone. So every
    other answer, changed to any other option or dropped with the scores held, moves neither:
    a rule that comes to read another answer fails here until its list names it."""
    q, _reference, sample = firms
    rng = np.random.default_rng(SEED + 1)
    for firm in sample:
        for reads, judge in (
            (TRACK_READS, track_for),
            (GATE_READS, lambda f: levers.gate_shortfall(q, f)),
        ):
            answers = dict(firm.answers)
            for item in q.items():
                if item.id in reads:
                    continue
                if item.options and rng.random() < 0.8:
                    value = str(rng.choice([o.value for o in item.options]))
                    answers[item.id] = [value] if item.type == "multi" else value
                else:
                    answers.pop(item.id, None)
            other = Firm(firm.profile, answers, firm.scores, firm.readiness)
            assert judge(other) == judge(firm)
