"""The track policy in plain terms, and synthetic firms to bootstrap the model from it.

Before consultants have confirmed or overridden any diagnosis, the model learns from firms
generated here and labelled by the rules below: the policy of the "AI+ 역량 업" plan as a
training consultant would apply it (see DOMAIN.md). Each rule is a function with a comment
that says which firms it catches and why; review them here, not in a notebook.

The generator draws a firm's hidden traits (digital maturity, sector, size, whether it has an
advanced hands-on need, whether it can train in-house), answers the questionnaire the way such
a firm would, with noise, and labels the *answers* with the rules, so the model learns from
what a consultant can see. A share of labels is flipped to a neighbouring track, as real
consultants disagree on borderline firms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..questionnaire.schema import Item, Questionnaire
from .scoring import NOT_APPLICABLE, dimension_scores, is_visible, readiness

TRACKS = ("beginner", "ax", "shared_center")

# Equipment a firm cannot usually own for training: the mark of a shared-center referral.
HANDS_ON_EQUIPMENT = ("vision", "robot", "automation_line", "gpu")


@dataclass(frozen=True)
class Firm:
    """A diagnosis as the rules see it: profile, answers, and the scores they give."""

    profile: Mapping[str, Any]
    answers: Mapping[str, Any]
    scores: Mapping[str, float]  # dimension id -> 0..100 (0 when nothing was answered)
    readiness: float

    @classmethod
    def of(
        cls, questionnaire: Questionnaire, profile: Mapping[str, Any], answers: Mapping[str, Any]
    ):
        scores = dimension_scores(questionnaire, answers)
        return cls(
            profile=profile,
            answers=answers,
            scores={k: (s.score or 0.0) for k, s in scores.items()},
            readiness=readiness(scores) or 0.0,
        )

    def chose(self, item_id: str, *values: str) -> bool:
        given = self.answers.get(item_id)
        given = given if isinstance(given, list) else [given]
        return any(v in given for v in values)

    @property
    def employees(self) -> int:
        try:
            return int(str(self.profile.get("employees", 0)).replace(",", ""))
        except ValueError:
            return 0


# --- the rules, in the order a consultant applies them ---------------------------------------


def is_beginner(firm: Firm) -> bool:
    # Little AI use, a thin data base and no habit of training: start with free online
    # courses and a CEO awareness session. Either a low overall readiness, or both AI use
    # and the training system near the floor.
    low_overall = firm.readiness < 33
    low_use_and_training = firm.scores["ai_use"] < 22 and firm.scores["training_system"] < 30
    return low_overall or low_use_and_training


def needs_shared_center(firm: Firm) -> bool:
    # A real advanced or hands-on need (vision inspection, robots, automation lines, GPU
    # work) that the firm cannot train for alone: no practice lab, no in-house instructors,
    # or too small to run a course. They go to a shared training center or physical-AI lab.
    hands_on = firm.chose("need_equipment", *HANDS_ON_EQUIPMENT)
    has_lab = firm.chose("train_facility", "practice_lab")
    has_instructors = firm.chose("train_instructors", "some", "pool")
    can_train_alone = has_lab and has_instructors and firm.employees >= 100
    return hands_on and not can_train_alone


def is_ax_firm(firm: Firm) -> bool:
    # Concrete use cases in named jobs, a basic data and digital base, and management
    # commitment: a job analysis, then PBL on the firm's own problems.
    concrete_case = firm.chose("need_problem_clarity", "named", "quantified", "scoped")
    data_base = firm.scores["data_infra"] >= 40
    committed = firm.scores["leadership"] >= 40
    return concrete_case and data_base and committed


def track_for(firm: Firm) -> str:
    """The policy's track for a firm: the first rule that holds, in this order."""
    if is_beginner(firm):
        return "beginner"
    if needs_shared_center(firm):
        return "shared_center"
    if is_ax_firm(firm):
        return "ax"
    # Between the rules: ready enough overall to start PBL, or back to the basics.
    return "ax" if firm.readiness >= 50 else "beginner"


# --- synthetic firms -------------------------------------------------------------------------


@dataclass(frozen=True)
class Traits:
    maturity: float  # 0..1: how far along the firm is digitally
    manufacturing: bool
    employees: int
    hands_on_need: bool  # wants vision inspection, robots, automation or GPU work
    in_house_capacity: bool  # owns a lab and has instructors


def _traits(rng: np.random.Generator) -> Traits:
    maturity = float(rng.beta(2.0, 2.4))
    manufacturing = bool(rng.random() < 0.6)
    employees = int(np.clip(rng.lognormal(3.4, 0.9), 5, 300))
    hands_on_need = bool(rng.random() < (0.15 + 0.5 * maturity) * (1.0 if manufacturing else 0.4))
    in_house_capacity = bool(rng.random() < 0.6 * maturity * min(1.0, employees / 120))
    return Traits(maturity, manufacturing, employees, hands_on_need, in_house_capacity)


def _pick_level(rng: np.random.Generator, item: Item, level: float) -> str:
    """An option about ``level`` (0..1) up the item's scale, with a consultant's spread."""
    options = sorted(item.options, key=lambda o: o.score)
    index = round(np.clip(level + rng.normal(0, 0.18), 0, 1) * (len(options) - 1))
    return options[int(index)].value


def _answer(rng: np.random.Generator, item: Item, traits: Traits, answers: dict) -> Any:
    level = traits.maturity
    if item.id in ("train_facility", "train_instructors") and traits.in_house_capacity:
        return sorted(item.options, key=lambda o: o.score)[-1].value
    if item.id == "need_equipment":
        if traits.hands_on_need:
            pool = ["vision", "robot", "automation_line"] if traits.manufacturing else ["gpu"]
            chosen = list(rng.choice(pool, size=int(rng.integers(1, len(pool) + 1)), replace=False))
            return chosen + (["iot_sensors"] if rng.random() < 0.3 else [])
        return ["none"] if rng.random() < 0.8 else ["ai_software"]
    if item.id == "need_problem_clarity" and traits.hands_on_need:
        level = min(1.0, level + 0.25)
    if (
        item.allow_na
        and not traits.manufacturing
        and item.id
        in (
            "data_collection",
            "use_area_quality",
            "use_area_maintenance",
            "skill_field_digital",
            "skill_field_ai",
        )
    ):
        return NOT_APPLICABLE
    if item.allow_na and rng.random() < 0.04:
        return NOT_APPLICABLE
    if item.type == "single" and item.is_scored:
        return _pick_level(rng, item, level)
    if item.type == "single":
        return item.options[int(rng.integers(len(item.options)))].value
    if item.type == "multi":
        exclusive = [o.value for o in item.options if o.exclusive]
        others = [o for o in item.options if not o.exclusive]
        chance = 0.1 + 0.5 * level if item.is_scored else 0.3
        chosen = [o.value for o in others if rng.random() < chance]
        return chosen or (exclusive[:1] or [others[0].value])
    if item.type == "number":
        top = min(item.max, 60.0)
        return f"{np.clip(rng.normal(level * top, top * 0.15), item.min, item.max):.0f}"
    return ""


def synthetic_firm(rng: np.random.Generator, questionnaire: Questionnaire) -> Firm:
    traits = _traits(rng)
    answers: dict[str, Any] = {}
    for item in questionnaire.items():
        if item.type == "text" or not is_visible(item, answers):
            continue
        value = _answer(rng, item, traits, answers)
        if value not in ("", None):
            answers[item.id] = value
    profile = {
        "employees": str(traits.employees),
        "industry": "C" if traits.manufacturing else str(rng.choice(["G", "J", "M", "H", "F"])),
    }
    return Firm.of(questionnaire, profile, answers)


NEIGHBOURS = {"beginner": ("ax",), "ax": ("beginner", "shared_center"), "shared_center": ("ax",)}


def bootstrap_set(
    questionnaire: Questionnaire,
    n: int,
    rng: np.random.Generator,
    label_noise: float = 0.05,
    rule: Callable[[Firm], str] = track_for,
) -> list[tuple[Firm, str]]:
    """``n`` synthetic firms with their policy track; ``label_noise`` of them moved one track."""
    firms = []
    for _ in range(n):
        firm = synthetic_firm(rng, questionnaire)
        track = rule(firm)
        if rng.random() < label_noise:
            track = str(rng.choice(NEIGHBOURS[track]))
        firms.append((firm, track))
    return firms
