"""Synthetic firms for tests, benchmarks and the shadow model's cold start: never for a track.

The generator draws a firm's traits (maturity, sector, size, AI experience, hands-on needs,
training capacity), then answers every visible item from them with a consultant's spread. Its
firms are labelled with the scorecard's rules (``policy.decide``) only to start the shadow
model before consultants' decisions exist; no firm a center serves is ever given a track from
them. Moved out of ``policy.py`` so the policy module holds the rules alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..questionnaire.schema import Item, Questionnaire
from ..questionnaire.types import FreeText, ItemType, MultiChoice, NumberItem, SingleChoice
from .policy import (
    AI_USE_FLOOR_OPTIONS,
    AI_USE_ITEMS,
    NO_INSTRUCTORS,
    SMALL_FIRM,
    Firm,
    track_for,
)
from .scoring import NOT_APPLICABLE, is_visible

# --- synthetic firms -------------------------------------------------------------------------


@dataclass(frozen=True)
class Traits:
    maturity: float  # 0..1: how far along the firm is digitally
    manufacturing: bool
    employees: int
    experience: str  # "none", "use" (AI in use, no AI training), "training" or "both"
    hands_on_need: bool  # wants vision inspection, robots, automation, sensors or GPU work
    in_house_capacity: bool  # owns a lab and has instructors
    no_training_staff: bool  # a small firm with no one for training, no room, no instructors


def _traits(rng: np.random.Generator) -> Traits:
    maturity = float(rng.beta(2.0, 2.4))
    manufacturing = bool(rng.random() < 0.6)
    # a few firms above the SME line, as centers will meet them
    employees = int(np.clip(rng.lognormal(3.4, 0.95), 3, 1500))
    # AI experience: none at all, AI in use, AI training, or both; the plan's gate reads it
    # apart from maturity, so the generator draws it apart too (with a lean toward maturity)
    if rng.random() >= 0.55 + 0.45 * maturity:
        experience = "none"
    else:
        experience = str(rng.choice(["use", "training", "both"], p=[0.2, 0.2, 0.6]))
    hands_on_need = bool(rng.random() < (0.15 + 0.5 * maturity) * (1.0 if manufacturing else 0.4))
    in_house_capacity = bool(rng.random() < 0.6 * maturity * min(1.0, employees / 120))
    no_training_staff = not in_house_capacity and employees < SMALL_FIRM and rng.random() < 0.3
    return Traits(
        maturity,
        manufacturing,
        employees,
        experience,
        hands_on_need,
        in_house_capacity,
        no_training_staff,
    )


def _pick_level(rng: np.random.Generator, item: Item, level: float) -> str:
    """An option about ``level`` (0..1) up the item's scale, with a consultant's spread."""
    options = sorted(item.options, key=lambda o: o.score)
    index = round(np.clip(level + rng.normal(0, 0.18), 0, 1) * (len(options) - 1))
    return options[int(index)].value


FIELD_ONLY_ITEMS = (
    "data_collection",
    "use_area_quality",
    "use_area_maintenance",
    "skill_field_digital",
    "skill_field_ai",
)


def _answer(rng: np.random.Generator, item: Item, traits: Traits, answers: dict) -> Any:
    level = traits.maturity
    if item.id in ("train_facility", "train_instructors") and traits.in_house_capacity:
        return sorted(item.options, key=lambda o: o.score)[-1].value
    if traits.no_training_staff and item.id in ("train_hrd_owner", "train_facility"):
        return "none"
    if traits.no_training_staff and item.id == "train_instructors":
        return str(rng.choice(NO_INSTRUCTORS))
    if item.id == "need_equipment":
        if traits.hands_on_need:
            pool = (
                ["vision", "robot", "automation_line", "iot_sensors"]
                if traits.manufacturing
                else ["gpu", "iot_sensors"]
            )
            size = int(rng.integers(1, len(pool) + 1))
            chosen = list(rng.choice(pool, size=size, replace=False))
            return chosen + (["ai_software"] if rng.random() < 0.2 else [])
        return ["none"] if rng.random() < 0.8 else ["ai_software"]
    if item.id == "need_problem_clarity" and traits.hands_on_need:
        level = min(1.0, level + 0.25)
    if item.allow_na and not traits.manufacturing and item.id in FIELD_ONLY_ITEMS:
        return NOT_APPLICABLE
    if traits.experience != "use" and item.id in AI_USE_ITEMS:
        floor = [o for o in item.options if o.value in AI_USE_FLOOR_OPTIONS]
        return floor[int(rng.integers(len(floor)))].value if rng.random() < 0.3 else floor[0].value
    if traits.experience in ("none", "use") and item.id == "train_ai_courses":
        return ["none"]
    if item.id == "train_ai_courses" and rng.random() < 0.7:
        others = [o.value for o in item.options if not o.exclusive]
        return list(rng.choice(others, size=int(rng.integers(1, 3)), replace=False))
    if item.allow_na and rng.random() < 0.04:
        return NOT_APPLICABLE
    return _BY_TYPE[type(item.kind)](rng, item, level)


def _single(rng: np.random.Generator, item: Item, level: float) -> Any:
    if item.is_scored:
        return _pick_level(rng, item, level)
    return item.options[int(rng.integers(len(item.options)))].value


def _multi(rng: np.random.Generator, item: Item, level: float) -> Any:
    exclusive = [o.value for o in item.options if o.exclusive]
    others = [o for o in item.options if not o.exclusive]
    chance = 0.1 + 0.5 * level if item.is_scored else 0.3
    chosen = [o.value for o in others if rng.random() < chance]
    return chosen or (exclusive[:1] or [others[0].value])


def _number(rng: np.random.Generator, item: Item, level: float) -> Any:
    top = min(item.max, 60.0)
    return f"{np.clip(rng.normal(level * top, top * 0.15), item.min, item.max):.0f}"


# How a made-up firm answers an item of each type
_BY_TYPE: dict[type[ItemType], Callable[[np.random.Generator, Item, float], Any]] = {
    SingleChoice: _single,
    MultiChoice: _multi,
    NumberItem: _number,
    FreeText: lambda rng, item, level: "",
}


def synthetic_firm(rng: np.random.Generator, questionnaire: Questionnaire) -> Firm:
    traits = _traits(rng)
    answers: dict[str, Any] = {}
    for item in questionnaire.items():
        if item.kind.free_text or not is_visible(item, answers):
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
