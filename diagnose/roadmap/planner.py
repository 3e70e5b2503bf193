"""Scores + track + answers + catalogue -> a phased training plan (plain data, no Flask).

The plan follows how a training consultant builds one:
- the biggest gaps come first;
- the track decides the delivery mix: a beginner starts with free online courses, an AX firm
  with a job analysis and then PBL projects on its own problems, a shared-center firm with a
  referral to the centers that have the equipment it lacks;
- modules respect their prerequisites;
- hours per month stay within what a firm of that size can release.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from ..diagnosis.scoring import NOT_APPLICABLE
from .catalogue import JOB_GROUPS, Center, Module, RoadmapData

PHASES = (("0-3", 0, 3), ("3-6", 3, 6), ("6-12", 6, 12))
REDIAGNOSE_MONTHS = {"beginner": 6, "ax": 12, "shared_center": 9}
# Delivery modes each track draws on, in the order they are preferred.
DELIVERY_MIX = {
    "beginner": ("free_online", "blended"),
    "ax": ("onsite_pbl", "blended", "free_online"),
    "shared_center": ("shared_center", "blended", "free_online", "onsite_pbl"),
}
# Which job group an answer about the workforce speaks for.
SKILL_ITEMS = {
    "executives": ("skill_exec_ai",),
    "office": ("skill_office_digital", "skill_office_ai"),
    "engineers": ("skill_eng_data",),
    "production": ("skill_field_digital", "skill_field_ai"),
}
# Target jobs named in the interview, by job group.
JOB_TO_GROUP = {
    "planning": "office",
    "sales_marketing": "office",
    "admin": "office",
    "purchasing_logistics": "office",
    "customer_service": "office",
    "production": "production",
    "quality": "production",
    "maintenance": "production",
    "rnd": "engineers",
    "it_data": "engineers",
}
# The equipment a firm lacks, and the center specialisations that supply it.
NEED_TO_SPECIALISATIONS = {
    "vision": ("vision_inspection",),
    "robot": ("robotics",),
    "automation_line": ("smart_factory_data", "robotics"),
    "gpu": ("gpu_model_training", "llm_applications"),
    "iot_sensors": ("predictive_maintenance", "smart_factory_data"),
    "ai_software": ("llm_applications",),
}
USE_AREA_TO_SPECIALISATION = {
    "use_area_quality": "vision_inspection",
    "use_area_maintenance": "predictive_maintenance",
    "use_area_forecast": "smart_factory_data",
}


@dataclass(frozen=True)
class PlannedModule:
    module_id: str
    job_group: str
    trainees: int
    hours: float  # per person
    delivery: str
    funding: str
    start_month: int

    @property
    def total_hours(self) -> float:
        return self.hours * self.trainees


@dataclass(frozen=True)
class Phase:
    key: str  # "0-3"
    start_month: int
    end_month: int
    modules: list[PlannedModule]
    hours: float  # person-hours in the phase
    capacity: float


@dataclass(frozen=True)
class ProjectBrief:
    """A PBL project on one target job, drawn from the firm's own answers."""

    job: str  # a need_target_jobs value
    job_group: str
    task: str
    problem: str
    data_ready: str | None  # a need_data_ready value
    data_description: str
    benefits: list[str]
    urgency: str | None


@dataclass(frozen=True)
class Referral:
    center_id: str
    matched: list[str]  # specialisation ids
    same_region: bool


@dataclass(frozen=True)
class Plan:
    track: str
    gaps: list[tuple[str, float]]  # (dimension id, score), biggest gap first
    job_groups: list[str]  # the groups the plan trains, most urgent first
    trainees: dict[str, int]
    monthly_capacity: float  # person-hours a month the firm can release
    phases: list[Phase]
    briefs: list[ProjectBrief] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    rediagnose_on: str = ""
    unplaced: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def total_hours(self) -> float:
        return sum(p.hours for p in self.phases)


def employees_of(profile: Mapping[str, Any]) -> int:
    try:
        return max(1, int(str(profile.get("employees") or 1).replace(",", "")))
    except ValueError:
        return 1


def monthly_capacity(employees: int, release_hours: float | None) -> float:
    """Person-hours a month a firm can release for training.

    About one in ten staff can be away for training at a time (at least one, at most twelve),
    each for the hours the firm said it can release (four when it did not say), capped at
    sixteen: beyond that a small firm's work stops.
    """
    people = min(12, max(1, math.ceil(employees * 0.1)))
    hours = min(16.0, release_hours if release_hours and release_hours > 0 else 4.0)
    return people * hours


def trainees_per_group(employees: int, groups: list[str]) -> dict[str, int]:
    """How many people of each group take a module: one or two executives, a few of the rest."""
    others = min(6, max(1, round(employees * 0.05)))
    return {g: (1 if employees < 50 else 2) if g == "executives" else others for g in groups}


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None


def job_groups_to_train(answers: Mapping[str, Any], track: str) -> list[str]:
    """The firm's job groups, most urgent first; groups it said it does not have are left out."""
    present = [
        g for g in JOB_GROUPS if not all(answers.get(i) == NOT_APPLICABLE for i in SKILL_ITEMS[g])
    ]
    named = answers.get("need_target_jobs") or []
    named_groups = {JOB_TO_GROUP.get(j) for j in (named if isinstance(named, list) else [named])}
    urgent = answers.get("need_urgent_group")

    def rank(group: str) -> tuple[int, int, int]:
        return (group != urgent, group not in named_groups, JOB_GROUPS.index(group))

    ordered = sorted(present, key=rank)
    if track == "beginner":  # awareness starts at the top: executives always come first
        ordered = ["executives"] + [g for g in ordered if g != "executives"]
    return ordered


def _module_level_fits(module: Module, scores: Mapping[str, float | None]) -> bool:
    """Level 1 for gaps below 40, level 2 from 25, level 3 from 55 (bands overlap on purpose)."""
    relevant = [scores.get(d) or 0.0 for d in module.closes]
    score = min(relevant) if relevant else 0.0
    return {1: score < 60, 2: score >= 25, 3: score >= 55}[module.level]


def plan(
    scores: Mapping[str, float | None],
    track: str,
    answers: Mapping[str, Any],
    profile: Mapping[str, Any],
    data: RoadmapData,
    diagnosed_on: date,
) -> Plan:
    """The phased plan for one firm."""
    catalogue = data.catalogue
    employees = employees_of(profile)
    gaps = sorted(((d, s or 0.0) for d, s in scores.items()), key=lambda g: g[1])
    gap_of = {d: 100.0 - (s or 0.0) for d, s in scores.items()}
    groups = job_groups_to_train(answers, track)
    trainees = trainees_per_group(employees, groups)
    capacity = monthly_capacity(employees, _number(answers.get("need_release_hours")))
    mix = DELIVERY_MIX[track]

    # Candidate (module, group) pairs, most valuable first: the gaps they close, the group's
    # urgency, the track's preferred delivery, then the lower level.
    candidates: list[tuple[float, Module, str]] = []
    for module in catalogue.modules:
        if track not in module.tracks or module.delivery not in mix:
            continue
        if not _module_level_fits(module, scores):
            continue
        for group in module.job_groups:
            if group not in groups:
                continue
            value = sum(gap_of.get(d, 0.0) for d in module.closes) / len(module.closes)
            value *= 1.0 - 0.15 * groups.index(group)
            value *= 1.0 - 0.2 * mix.index(module.delivery)
            candidates.append((value, module, group))
    candidates.sort(key=lambda c: (-c[0], c[1].level, c[1].id))
    chosen = _with_prerequisites(candidates, catalogue.by_id, groups, limit=_limit(track, groups))
    phases, unplaced = _schedule(chosen, catalogue.by_id, trainees, capacity)
    return Plan(
        track=track,
        gaps=[(d, round(s, 1)) for d, s in gaps],
        job_groups=groups,
        trainees=trainees,
        monthly_capacity=capacity,
        phases=phases,
        briefs=project_briefs(answers) if track == "ax" else [],
        referrals=referrals(answers, profile, data) if track == "shared_center" else [],
        rediagnose_on=(
            diagnosed_on + timedelta(days=round(30.4 * REDIAGNOSE_MONTHS[track]))
        ).isoformat(),
        unplaced=unplaced,
    )


def _limit(track: str, groups: list[str]) -> int:
    """How many module placements a plan holds: enough for a year, few enough to read."""
    return min(14, 3 + 3 * len(groups)) if track != "beginner" else min(10, 2 + 2 * len(groups))


def _with_prerequisites(candidates, modules: Mapping[str, Module], groups: list[str], limit: int):
    """Take candidates in order, each with its missing prerequisites before it."""
    chosen: list[tuple[Module, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(module: Module, group: str) -> None:
        for prerequisite in module.prerequisites:
            required = modules[prerequisite]
            # A prerequisite is taken by the same group when it can be, else by the first
            # group it serves among the firm's.
            target = (
                group
                if group in required.job_groups
                else next((g for g in groups if g in required.job_groups), required.job_groups[0])
            )
            add(required, target)
        if (module.id, group) not in seen:
            seen.add((module.id, group))
            chosen.append((module, group))

    for _value, module, group in candidates:
        if len(chosen) >= limit:
            break
        add(module, group)
    return chosen


def _schedule(chosen, modules: Mapping[str, Module], trainees: Mapping[str, int], capacity: float):
    """Place modules into the three phases in order, after their prerequisites, within the
    hours the firm can release; what does not fit in twelve months is reported, not hidden."""
    used = {key: 0.0 for key, _s, _e in PHASES}
    placed: dict[tuple[str, str], int] = {}
    placed_any: dict[str, int] = {}
    entries: dict[str, list[PlannedModule]] = {key: [] for key, _s, _e in PHASES}
    unplaced: list[str] = []
    for module, group in chosen:
        people = trainees.get(group, 1)
        need = module.hours * people
        earliest = max(
            (
                placed.get((p, group), placed_any.get(p, 0)) + 1
                for p in module.prerequisites
                if p in placed_any
            ),
            default=0,
        )
        for index, (key, start, end) in enumerate(PHASES):
            if index < earliest:
                continue
            room = capacity * (end - start) - used[key]
            if need <= room or (not entries[key] and need <= capacity * (end - start) * 1.5):
                used[key] += need
                entries[key].append(
                    PlannedModule(
                        module.id,
                        group,
                        people,
                        module.hours,
                        module.delivery,
                        module.funding,
                        start,
                    )
                )
                placed[(module.id, group)] = index
                placed_any[module.id] = min(placed_any.get(module.id, index), index)
                break
        else:
            unplaced.append(module.id)
    phases = [
        Phase(
            key, start, end, entries[key], round(used[key], 1), round(capacity * (end - start), 1)
        )
        for key, start, end in PHASES
    ]
    # A module placed for one group but not another is not "left for next year".
    unplaced = [m for m in dict.fromkeys(unplaced) if m not in placed_any]
    return phases, unplaced


def project_briefs(answers: Mapping[str, Any]) -> list[ProjectBrief]:
    """One PBL brief per target job the firm named (at most three), from its own words."""
    jobs = answers.get("need_target_jobs") or []
    jobs = jobs if isinstance(jobs, list) else [jobs]
    benefits = answers.get("need_benefit") or []
    briefs = []
    for job in jobs[:3]:
        briefs.append(
            ProjectBrief(
                job=job,
                job_group=JOB_TO_GROUP.get(job, "office"),
                task=str(answers.get("need_task") or "").strip(),
                problem=str(answers.get("need_problem") or "").strip(),
                data_ready=answers.get("need_data_ready"),
                data_description=str(answers.get("need_data_desc") or "").strip(),
                benefits=benefits if isinstance(benefits, list) else [benefits],
                urgency=answers.get("need_urgency"),
            )
        )
    return briefs


def referrals(
    answers: Mapping[str, Any],
    profile: Mapping[str, Any],
    data: RoadmapData,
    top: int = 3,
) -> list[Referral]:
    """The one to three centers that best match the firm's needs and region."""
    needs = answers.get("need_equipment") or []
    wanted: list[str] = []
    for need in needs if isinstance(needs, list) else [needs]:
        wanted += NEED_TO_SPECIALISATIONS.get(need, ())
    for item_id, spec in USE_AREA_TO_SPECIALISATION.items():
        if answers.get(item_id) in ("considering", "prototyping", "testing"):
            wanted.append(spec)
    wanted = list(dict.fromkeys(wanted))
    region = profile.get("region", "")

    def fit(center: Center) -> tuple[int, bool, bool]:
        matched = [s for s in wanted if s in center.specialisations]
        return len(matched), center.region == region, region in center.serves_regions

    ranked = sorted(data.centers.centers, key=lambda c: (fit(c), c.id), reverse=True)
    chosen = [c for c in ranked if fit(c)[0] > 0 and fit(c)[2]][:top]
    if not chosen:  # nobody serves the region with a match: the best match anywhere
        chosen = [c for c in ranked if fit(c)[0] > 0][:1]
    return [
        Referral(c.id, [s for s in wanted if s in c.specialisations], c.region == region)
        for c in chosen
    ]
