"""The track policy, stated once: which firm goes to which track, and why.

This is the "AI+ 역량 업" plan (see DOMAIN.md and seed 000) as a training consultant applies
it. The rules are decided in two stages, in the policy's own order:

1. **Beginner or not.** The plan names AI-training *experience*, not general maturity, as the
   gate: a firm that has not used AI and has had no AI training starts on free online courses,
   however good its digital base. Past that gate a firm still starts as a beginner when its
   readiness is low, or when it has neither a concrete problem on a sound base, nor the
   maturity to find one in a job analysis, nor a hands-on need.
2. **Shared training center or AX (PBL), among the others.** The AI joint training centers
   run consortium training (an expert diagnosis, a roadmap, a CEO course, at least 18 hours
   of hands-on problem solving, coaching) for the employees of SMEs that cannot train alone:
   - a firm that lacks the equipment a hands-on need calls for (vision inspection, robots,
     an automation line) goes there, judged per need: its own lab does not hold what it lacks;
   - IoT sensors and GPU work are within reach of a firm that can teach itself (sensors are
     cheap and GPUs can be rented by the hour), so they send a firm to a center only when it
     lacks the people or room to train for them (see ``can_train_alone``);
   - a small firm with no one in charge of training, no room and no instructors is served
     better by a center running its PBL than by employer training it cannot organise;
   - every other firm past the gate is an AX firm: a job analysis, then PBL on its own
     problems. A mature firm without a concrete problem is one too, but its job analysis
     must first find the problem, and the result says so.

**A software firm wanting GPU work** is an AX firm when its engineers already work with data
in code and it has instructors: it rents cloud GPUs for its PBL. Otherwise the center's GPU
lab and instructors teach it (``shared_center``). What decides is its people, not its sector.

Each rule is monotone by construction: a better answer can only take a firm out of the
beginner track, never into it; a hands-on need it cannot train for can only take it toward
the shared center. ``tests/test_policy.py`` checks both over a sample of firms.

The generator at the end draws synthetic firms and labels their *answers* with these rules,
so the model learns from what a consultant can see.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..questionnaire.schema import Item, Questionnaire
from ..vocabulary import TRACKS  # noqa: F401  (stated once there; imported from here)
from .scoring import NOT_APPLICABLE, dimension_scores, is_visible, item_score, readiness

# --- thresholds (scores are 0..100) ----------------------------------------------------------
READINESS_FLOOR = 33.0  # below: too early for anything but the basics
AI_USE_FLOOR = 22.0  # AI use and the training system both below their floors: basics first
TRAINING_FLOOR = 30.0
READINESS_MATURE = 50.0  # at or above: mature enough for a job analysis to find the problem
DATA_BASE_MIN = 40.0  # a concrete problem needs a data base and management behind it
LEADERSHIP_MIN = 40.0
SMALL_FIRM = 50  # employees: below, a firm without training staff cannot run PBL itself
NEAR = 2.0  # a score this close to a threshold asks for the consultant's judgement

# --- the answers the rules read (declared in questionnaire/contract.py) ----------------------
AI_USE_ITEMS = (
    "use_genai_office",
    "use_area_quality",
    "use_area_forecast",
    "use_area_maintenance",
    "use_area_customer",
    "use_area_marketing",
)
# An AI-use answer at or below these options is no use of AI yet ("considering" is not use).
AI_USE_FLOOR_OPTIONS = frozenset({"none", "not_used", "considering"})
CONCRETE_PROBLEM = ("named", "quantified", "scoped")
# Equipment a firm cannot own for training: lacking it, it trains where the equipment is.
HEAVY_EQUIPMENT = ("vision", "robot", "automation_line")
# Equipment a firm that can teach itself buys or rents for its own PBL.
LIGHT_EQUIPMENT = ("iot_sensors", "gpu")
HANDS_ON_EQUIPMENT = HEAVY_EQUIPMENT + LIGHT_EQUIPMENT
INSTRUCTORS = ("some", "pool")  # in-house instructors who teach from prepared materials
TRAINING_ROOM = ("training_room", "practice_lab")
ENGINEERS_WHO_CODE = ("coding", "prototype", "production")
NO_INSTRUCTORS = ("none", "ojt_only")


@dataclass(frozen=True)
class Firm:
    """A diagnosis as the rules see it: profile, answers, and the scores they give."""

    profile: Mapping[str, Any]
    answers: Mapping[str, Any]
    scores: Mapping[str, float | None]  # dimension id -> 0..100, None when nothing counts
    readiness: float | None

    @classmethod
    def of(
        cls, questionnaire: Questionnaire, profile: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> Firm:
        scores = dimension_scores(questionnaire, answers)
        return cls(
            profile=profile,
            answers=answers,
            scores={k: s.score for k, s in scores.items()},
            readiness=readiness(scores),
        )

    def chosen(self, item_id: str) -> list[str]:
        given = self.answers.get(item_id)
        if given in (None, "", NOT_APPLICABLE):
            return []
        return [v for v in (given if isinstance(given, list) else [given]) if v != NOT_APPLICABLE]

    def chose(self, item_id: str, *values: str) -> bool:
        return any(v in self.chosen(item_id) for v in values)

    def score(self, dimension: str) -> float:
        return self.scores.get(dimension) or 0.0

    @property
    def employees(self) -> int:
        return employees_of(self.profile)


def employees_of(profile: Mapping[str, Any]) -> int:
    try:
        return max(0, int(str(profile.get("employees") or 0).replace(",", "")))
    except ValueError:
        return 0


# --- what the rules look at ------------------------------------------------------------------


def ai_uses(firm: Firm) -> list[str]:
    """The AI-use items answered above the floor: the firm uses AI there."""
    return [
        i for i in AI_USE_ITEMS if firm.chosen(i) and firm.chosen(i)[0] not in AI_USE_FLOOR_OPTIONS
    ]


def ai_courses(firm: Firm) -> list[str]:
    """The AI or digital courses staff or executives took (``train_ai_courses``)."""
    return [v for v in firm.chosen("train_ai_courses") if v != "none"]


def no_ai_experience(firm: Firm) -> bool:
    """No AI use above the floor and no AI training, both answered: free online courses first."""
    answered_use = any(firm.chosen(i) for i in AI_USE_ITEMS)
    return answered_use and not ai_uses(firm) and firm.chosen("train_ai_courses") == ["none"]


def low_readiness(firm: Firm) -> bool:
    """Readiness under the floor, or AI use and the training system both under theirs."""
    if firm.readiness is None:
        return True
    return firm.readiness < READINESS_FLOOR or (
        firm.score("ai_use") < AI_USE_FLOOR and firm.score("training_system") < TRAINING_FLOOR
    )


def concrete_problem(firm: Firm) -> bool:
    return firm.chose("need_problem_clarity", *CONCRETE_PROBLEM)


def ax_ready(firm: Firm) -> bool:
    """A concrete problem on a data base, with management behind it."""
    return (
        concrete_problem(firm)
        and firm.score("data_infra") >= DATA_BASE_MIN
        and firm.score("leadership") >= LEADERSHIP_MIN
    )


def mature(firm: Firm) -> bool:
    return (firm.readiness or 0.0) >= READINESS_MATURE


def hands_on_needs(firm: Firm) -> list[str]:
    """The hands-on equipment the firm needs for the training it wants and does not have."""
    return [v for v in firm.chosen("need_equipment") if v in HANDS_ON_EQUIPMENT]


def can_train_alone(firm: Firm, need: str) -> bool:
    """Whether the firm can train for ``need`` without a center's equipment and instructors.

    Judged per need: never for equipment it lacks and cannot own (vision, robots, lines);
    for IoT sensors when it has a training room and instructors; for GPU work when its
    engineers already work with data in code and it has instructors (GPUs are rented).
    """
    instructors = firm.chose("train_instructors", *INSTRUCTORS)
    if need == "iot_sensors":
        return instructors and firm.chose("train_facility", *TRAINING_ROOM)
    if need == "gpu":
        return instructors and firm.chose("skill_eng_data", *ENGINEERS_WHO_CODE)
    return False


def no_training_capacity(firm: Firm) -> bool:
    """A small firm with no one in charge of training, no room and no instructors.

    A firm that never trained is not asked about its room (skip logic): it has none in use.
    """
    room = firm.chosen("train_facility")
    return (
        0 < firm.employees < SMALL_FIRM
        and firm.chosen("train_hrd_owner") == ["none"]
        and (not room or room == ["none"])
        and firm.chose("train_instructors", *NO_INSTRUCTORS)
    )


# --- the decision, with what decided it -------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One observation the rules rest on, and the side it speaks for.

    ``supports`` is a track, or ``"not_beginner"`` for what opens the gate to either of the
    other two. ``value`` and ``threshold`` say how far the firm is from a line it must cross.
    """

    code: str
    supports: str
    items: tuple[str, ...] = ()
    value: float | None = None
    threshold: float | None = None
    detail: tuple[str, ...] = ()

    def near(self) -> bool:
        return (
            self.value is not None
            and self.threshold is not None
            and abs(self.value - self.threshold) < NEAR
        )


@dataclass(frozen=True)
class Decision:
    """The policy's track for a firm, the rule that decided it and everything it weighed.

    ``decisive`` are the findings that decided the track (most important first); ``others``
    the rest, for the consultant. ``exceptions`` names the rules that set aside the usual
    course; ``near`` the thresholds the firm is within ``NEAR`` points of.
    """

    track: str
    rule: str
    decisive: tuple[Finding, ...]
    others: tuple[Finding, ...] = ()
    exceptions: tuple[str, ...] = ()
    near: tuple[Finding, ...] = ()
    job_analysis_first: bool = False
    lacking: tuple[str, ...] = field(default=())  # hands-on needs it cannot train for alone

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.decisive + self.others


def _dimension(firm: Firm, code: str, supports: str, dimension: str, threshold: float):
    return Finding(
        code, supports, (f"dim:{dimension}",), round(firm.score(dimension), 1), threshold
    )


def decide(firm: Firm) -> Decision:
    """The policy's track for ``firm``, the first rule that holds in the policy's order."""
    uses, courses = ai_uses(firm), ai_courses(firm)
    readiness_value = round(firm.readiness or 0.0, 1)
    experience = (
        Finding("ai_in_use", "not_beginner", tuple(uses), detail=tuple(uses)) if uses else None,
        Finding("ai_training", "not_beginner", ("train_ai_courses",), detail=tuple(courses))
        if courses
        else None,
    )
    needs = hands_on_needs(firm)
    problem = (
        Finding("concrete_problem", "not_beginner", ("need_problem_clarity",))
        if concrete_problem(firm)
        else Finding("no_concrete_problem", "beginner", ("need_problem_clarity",))
    )
    readiness_line = Finding(
        "readiness_mature" if mature(firm) else "readiness_below_mature",
        "not_beginner" if mature(firm) else "beginner",
        ("readiness",),
        readiness_value,
        READINESS_MATURE,
    )
    near: list[Finding] = []

    # Stage 1: the gate.
    if no_ai_experience(firm):
        return Decision(
            "beginner",
            "no_ai_experience",
            (
                Finding("no_ai_use", "beginner", AI_USE_ITEMS),
                Finding("no_ai_training", "beginner", ("train_ai_courses",)),
            ),
            (readiness_line,) if mature(firm) else (),
            exceptions=("no_ai_experience",) if mature(firm) or ax_ready(firm) else (),
        )
    gate = Finding("readiness_low", "beginner", ("readiness",), readiness_value, READINESS_FLOOR)
    use_floor = _dimension(firm, "ai_use_low", "beginner", "ai_use", AI_USE_FLOOR)
    training_floor = _dimension(firm, "training_low", "beginner", "training_system", TRAINING_FLOOR)
    # A line counts as near only where crossing it alone would change the track.
    near += [gate] if gate.near() else []
    near += [use_floor] if use_floor.near() and training_floor.value < TRAINING_FLOOR else []
    near += [training_floor] if training_floor.near() and use_floor.value < AI_USE_FLOOR else []
    if low_readiness(firm):
        # What holds it back: the line it is under first, then the weakest of the rest a CEO
        # can act on (AI use, the training system, a concrete problem).
        below = [f for f in (use_floor, training_floor) if (f.value or 0.0) < (f.threshold or 0.0)]
        if firm.readiness is None or readiness_value < READINESS_FLOOR:
            decisive = (gate, *below)
        else:
            decisive = (use_floor, training_floor)
        if not concrete_problem(firm):
            decisive = (*decisive, problem)
        return Decision(
            "beginner",
            "low_readiness",
            decisive,
            tuple(f for f in experience if f),
            near=tuple(near),
        )

    data = _dimension(firm, "data_base", "not_beginner", "data_infra", DATA_BASE_MIN)
    leadership = _dimension(firm, "leadership", "not_beginner", "leadership", LEADERSHIP_MIN)
    other_path = mature(firm) or bool(needs)
    if concrete_problem(firm) and not other_path:
        near += [f for f in (data, leadership) if f.near()]
    if readiness_line.near() and not (ax_ready(firm) or needs):
        near.append(readiness_line)
    if not (ax_ready(firm) or mature(firm) or needs):
        missing = [problem] if not concrete_problem(firm) else []
        missing += [
            Finding(f"{f.code}_thin", "beginner", f.items, f.value, f.threshold)
            for f in (data, leadership)
            if concrete_problem(firm) and (f.value or 0) < (f.threshold or 0)
        ]
        return Decision(
            "beginner",
            "not_ready",
            (readiness_line, *missing),
            tuple(f for f in experience if f),
            near=tuple(near),
        )

    # Stage 2: who cannot train alone goes to a shared center; the rest are AX firms.
    opened = [f for f in experience if f]
    if ax_ready(firm):
        opened = [problem, data, leadership, *opened]
    elif mature(firm):
        opened = [readiness_line, problem, *opened]
    lacking = tuple(n for n in needs if not can_train_alone(firm, n))
    alone = tuple(n for n in needs if can_train_alone(firm, n))
    heavy = tuple(n for n in lacking if n in HEAVY_EQUIPMENT)
    light = tuple(n for n in lacking if n not in HEAVY_EQUIPMENT)
    capacity_items = ("train_hrd_owner", "train_facility", "train_instructors")
    if heavy or light:
        decisive = []
        if heavy:
            decisive.append(
                Finding("equipment_lacking", "shared_center", ("need_equipment",), detail=heavy)
            )
        if light:
            decisive.append(
                Finding(
                    "cannot_train_alone",
                    "shared_center",
                    ("need_equipment", "train_instructors", "train_facility", "skill_eng_data"),
                    detail=light,
                )
            )
        return Decision(
            "shared_center",
            "equipment_lacking" if heavy else "cannot_train_alone",
            tuple(decisive),
            tuple(opened),
            exceptions=("cannot_train_alone",) if light else (),
            near=tuple(near),
            lacking=lacking,
        )
    if no_training_capacity(firm):
        return Decision(
            "shared_center",
            "no_training_capacity",
            (
                Finding(
                    "no_training_capacity",
                    "shared_center",
                    capacity_items,
                    float(firm.employees),
                    float(SMALL_FIRM),
                ),
            ),
            tuple(opened),
            exceptions=("no_training_capacity",),
            near=tuple(near),
        )
    ready = ax_ready(firm)
    first = not ready
    decisive = tuple(opened[:3]) if ready else (readiness_line, problem)
    others = [f for f in opened if f not in decisive]
    if alone:
        others.append(
            Finding(
                "trains_alone",
                "ax",
                ("need_equipment", "train_instructors", "skill_eng_data", "train_facility"),
                detail=alone,
            )
        )
    return Decision(
        "ax",
        "ax_ready" if ready else "mature_no_problem" if mature(firm) else "trains_alone",
        decisive,
        tuple(others),
        exceptions=("mature_no_problem",) if first and mature(firm) else (),
        near=tuple(near),
        job_analysis_first=first,
    )


def track_for(firm: Firm) -> str:
    """The policy's track for a firm."""
    return decide(firm).track


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
    employees = int(np.clip(rng.lognormal(3.4, 0.9), 3, 300))
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


# --- one-step changes: what "improving an answer" means ---------------------------------------


def scored_steps(questionnaire: Questionnaire, answers: Mapping[str, Any], up: bool = True):
    """Every answer changed by one option on its own scale: ``(item id, new value)``.

    Up: a single choice one option higher, a multiple choice with one more scored option (the
    "none" option dropped), a number into the next score band. Down: the reverse. Items that
    are hidden, unanswered or "not applicable" have no step.
    """
    for item in questionnaire.items():
        if not item.is_scored or not is_visible(item, answers):
            continue
        given = answers.get(item.id)
        if given in (None, "", [], NOT_APPLICABLE):
            continue
        if item.type == "single":
            ladder = [o.value for o in sorted(item.options, key=lambda o: o.score)]
            if given not in ladder:
                continue
            index = ladder.index(given) + (1 if up else -1)
            if 0 <= index < len(ladder):
                yield item.id, ladder[index]
        elif item.type == "multi":
            chosen = [v for v in (given if isinstance(given, list) else [given]) if item.option(v)]
            real = [v for v in chosen if not item.option(v).exclusive]
            if up:
                for option in item.options:
                    if not option.exclusive and option.value not in real and option.score:
                        yield item.id, real + [option.value]
            else:
                for value in real:
                    rest = [v for v in real if v != value]
                    exclusive = [o.value for o in item.options if o.exclusive]
                    yield item.id, rest or exclusive[:1] or []
        elif item.type == "number":
            step = _number_step(item, given, up)
            if step is not None:
                yield item.id, step


def _number_step(item: Item, given: Any, up: bool) -> str | None:
    """A number in the next band up (its lowest value) or down (that band's top)."""
    from .scoring import parse_number

    number = parse_number(given)
    if number is None:
        return None
    bands = list(item.score_bands)
    index = next((i for i, b in enumerate(bands) if number <= b.max), len(bands) - 1)
    target = index + (1 if up else -1)
    if not 0 <= target < len(bands):
        return None
    # up: the next band's lowest whole number; down: the top of the band below
    value = math.floor(bands[index].max) + 1 if up else bands[target].max
    value = min(max(value, item.min or 0), item.max if item.max is not None else value)
    if item_score(item, f"{value:g}") == item_score(item, given):
        return None
    return f"{value:g}"
