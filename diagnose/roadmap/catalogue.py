"""The training catalogue and the registry of shared training centers, as validated data.

Both live in ``roadmap_templates/`` as YAML that a center can edit. Loading checks every
cross-reference (prerequisites, funding routes, regions, specialisations) and refuses a file
with a cycle of prerequisites, so the planner never meets a module it cannot place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..questionnaire.schema import (
    Condition,
    Problem,
    Questionnaire,
    QuestionnaireError,
    Slug,
    Text,
)

JobGroup = Literal["executives", "office", "engineers", "production"]
Delivery = Literal["free_online", "blended", "onsite_pbl", "shared_center"]
Track = Literal["beginner", "ax", "shared_center"]
JOB_GROUPS: tuple[str, ...] = ("executives", "office", "engineers", "production")
# KSIC sections of firms that make goods (farming and fishing, mining, manufacturing): only
# they read of products, samples and defects.
GOODS_INDUSTRIES = ("A", "B", "C")
PLANT_INDUSTRIES = ("B", "C")  # mining and manufacturing: firms with a plant
# KSIC section G, wholesale and retail: firms that sell goods they do not make. They read of
# their goods (product pages, catalogues), never of production, defects or services.
TRADE_INDUSTRIES = ("G",)


def makes_goods(profile: dict[str, Any]) -> bool:
    return str(profile.get("industry") or "") in GOODS_INDUSTRIES


def sells_goods(profile: dict[str, Any]) -> bool:
    """The firm sells goods it does not make (a shop, a wholesaler)."""
    return str(profile.get("industry") or "") in TRADE_INDUSTRIES


def has_plant(profile: dict[str, Any]) -> bool:
    return str(profile.get("industry") or "") in PLANT_INDUSTRIES


def prerequisites_of(modules: Mapping[str, Module], ids: Iterable[str]) -> set[str]:
    """Every module the modules ``ids`` need before them, all the way down."""
    found: set[str] = set()
    stack = list(ids)
    while stack:
        for prerequisite in modules[stack.pop()].prerequisites:
            if prerequisite not in found:
                found.add(prerequisite)
                stack.append(prerequisite)
    return found


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FundingRoute(_Frozen):
    id: Slug
    name: Text
    # the name in a few words, where a line names the route of every module ("사업주훈련"); the
    # report's funding section gives the full name with its note
    short: Text | None = None
    note: Text
    firm_pays: Text  # what the firm pays in principle, shown where no amount is known
    firm_pays_short: Text  # the same in a few words, for a table cell
    source: Text  # where the route's terms come from
    checked: date

    @property
    def short_name(self) -> Text:
        return self.short or self.name


class Cost(_Frozen):
    """A module's fee and subsidy as published, or ``None`` where no real figure is known:
    the report then shows the funding route and what the firm pays in principle."""

    fee_krw: int | None = Field(default=None, ge=0)  # per person
    subsidy_share: float | None = Field(default=None, ge=0, le=1)
    source: Text
    checked: date

    @property
    def known(self) -> bool:
        return self.fee_krw == 0 or (self.fee_krw is not None and self.subsidy_share is not None)

    def firm_pays(self, people: int) -> int | None:
        """What the firm pays for ``people`` after the subsidy, when both figures are known."""
        if self.fee_krw == 0:
            return 0
        if self.fee_krw is None or self.subsidy_share is None:
            return None
        return round(self.fee_krw * people * (1 - self.subsidy_share))


class Module(_Frozen):
    id: Slug
    title: Text
    summary: Text
    job_groups: tuple[JobGroup, ...] = Field(min_length=1)
    level: int = Field(ge=1, le=3)
    delivery: Delivery
    hours: float = Field(gt=0, le=200)
    prerequisites: tuple[str, ...] = ()
    closes: tuple[str, ...] = Field(min_length=1)
    funding: str
    tracks: tuple[Track, ...] = Field(min_length=1)
    cost: Cost
    # Only for firms whose answers meet this (e.g. a firm with production equipment).
    applies_if: Condition | None = None
    # Per job group ("all" for every group): answers that show the group already has what the
    # module teaches; the module is then never planned for that group.
    has_if: dict[str, Condition] = Field(default_factory=dict)
    # Only planned for a stated task, a piece of equipment or a use the firm named.
    on_request: bool = False
    # Modules teaching the same basics (the relation is symmetric): a person takes one of
    # them, and one taken stands for the others as a prerequisite. The courses of this
    # relation are the catalogue's basics: a group takes them before its first project.
    overlaps: tuple[str, ...] = ()
    # Task themes (``task_themes.yaml``) a basics course suits: of overlapping courses, a
    # group takes one that suits its task's theme where there is one.
    fits_themes: tuple[str, ...] = ()
    # Who the course is for: a firm's staff, or job seekers and people changing careers (the
    # source offers it to them, not to a firm's employees); only the first is planned.
    audience: Literal["staff", "job_seekers"] = "staff"
    # Taken once in a plan, by the group that leads the firm's AI work: one line of the plan.
    once: bool = False
    # The summary said to a firm that makes no goods (KSIC sections other than A, B, C),
    # where the summary speaks of products, samples or defects.
    services_summary: Text | None = None
    # The summary said to a firm that sells goods it does not make (KSIC G: a shop, a
    # wholesaler), where the summary speaks of making them and the services one of services.
    trade_summary: Text | None = None
    # Only for firms with a plant (KSIC B mining, C manufacturing): factory lines, the smart
    # factory; a farm or a shop never reads of them.
    plant_only: bool = False
    # Follows the firm's projects (coaching on their results): taken by each project's team
    # after its project, not by whoever leads the firm's AI work alone.
    follows_projects: bool = False
    # The executives take it with the teams (they follow the effect in numbers).
    lead_joins: bool = False
    # Taken by the one person who runs the firm's training (``train_hrd_owner``: the HR or
    # general-affairs person, else one office person), not by the staff the plan trains.
    training_owner: bool = False

    def summary_for(self, profile: dict[str, Any]) -> Text:
        """The summary said to a firm: the main one to a firm that makes goods; to a shop or
        wholesaler the one written for a firm that sells goods (``trade_summary``), else the
        services one; to every other firm the services one, where the module has one."""
        if makes_goods(profile) or not (self.services_summary or self.trade_summary):
            return self.summary
        if sells_goods(profile) and self.trade_summary:
            return self.trade_summary
        return self.services_summary or self.summary

    def applies(self, answers: dict[str, Any]) -> bool:
        return self.applies_if is None or self.applies_if.holds(answers)

    def already_had(self, group: str, answers: dict[str, Any]) -> bool:
        return any(
            condition.holds(answers)
            for key, condition in self.has_if.items()
            if key in (group, "all")
        )


class Catalogue(_Frozen):
    version: int
    funding_routes: tuple[FundingRoute, ...]
    job_groups: tuple[JobGroup, ...]
    modules: tuple[Module, ...] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, Module]:
        return {m.id: m for m in self.modules}

    def funding(self, route_id: str) -> FundingRoute:
        return next(r for r in self.funding_routes if r.id == route_id)

    @property
    def overlapping(self) -> dict[str, frozenset[str]]:
        """Per module, the modules that teach the same basics (both ways). Not cached: a
        catalogue copied with other modules (``services.registry``) must not keep it."""
        found: dict[str, set[str]] = {m.id: set() for m in self.modules}
        for m in self.modules:
            for other in m.overlaps:
                if other in found:
                    found[m.id].add(other)
                    found[other].add(m.id)
        return {k: frozenset(v) for k, v in found.items()}

    @property
    def basics(self) -> frozenset[str]:
        """The basics courses: the modules that overlap another."""
        return frozenset(k for k, v in self.overlapping.items() if v)


class Specialisation(_Frozen):
    id: Slug
    name: Text


class Center(_Frozen):
    id: Slug
    name: Text
    kind: Literal["shared_training_center", "physical_ai_lab", "polytech"]
    region: str
    serves_regions: tuple[str, ...] = Field(min_length=1)
    specialisations: tuple[str, ...] = Field(min_length=1)
    equipment: Text
    bring: Text
    send: Text
    contact: Text
    sample: bool | None = None  # None: as the registry says


class RegionPoint(_Frozen):
    lat: float = Field(ge=33, le=39)
    lon: float = Field(ge=124, le=132)


class CenterRegistry(_Frozen):
    version: int
    sample: bool = False
    notice: Text | None = None
    specialisations: tuple[Specialisation, ...]
    # Where each region's seat of government is, to rank centers by distance.
    regions: dict[str, RegionPoint]
    centers: tuple[Center, ...] = Field(min_length=1)

    def is_sample(self, center: Center) -> bool:
        return self.sample if center.sample is None else center.sample

    def distance_km(self, region_a: str, region_b: str) -> float:
        """Great-circle distance between two regions' seats (0 within a region)."""
        import math

        if region_a == region_b:
            return 0.0
        a, b = self.regions.get(region_a), self.regions.get(region_b)
        if a is None or b is None:
            return 1e6
        p1, p2 = math.radians(a.lat), math.radians(b.lat)
        dp, dl = p2 - p1, math.radians(b.lon - a.lon)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371 * math.asin(math.sqrt(h))

    def specialisation(self, spec_id: str) -> Specialisation:
        return next(s for s in self.specialisations if s.id == spec_id)

    def center(self, center_id: str) -> Center:
        return next(c for c in self.centers if c.id == center_id)


class LevelTexts(_Frozen):
    """Each maturity level said to the firm's CEO, per dimension (``levels.yaml``)."""

    version: int
    dimensions: dict[str, tuple[Text, Text, Text, Text, Text]]
    # A level's sentence is not printed to a firm whose answers contradict it (by dimension,
    # then level 1..5); the level number still is.
    contradicted_by: dict[str, dict[int, Condition]] = Field(default_factory=dict)
    # The sentence for a firm that makes goods, where it speaks of products (by dimension,
    # then level); every other firm reads the main one.
    goods: dict[str, dict[int, Text]] = Field(default_factory=dict)

    def text_for(
        self, dimension: str, level: int, answers: dict[str, Any], goods: bool = False
    ) -> Text | None:
        """The level's sentence for a firm, or None where its answers say otherwise (a stated
        task is never "not picked yet" or "still vague"); ``goods``: the firm makes goods."""
        texts = self.dimensions.get(dimension)
        if not texts or not 1 <= level <= 5:
            return None
        if goods and level in self.goods.get(dimension, {}):
            texts = tuple(self.goods[dimension][level] if i == level - 1 else t
                          for i, t in enumerate(texts))  # fmt: skip
        condition = self.contradicted_by.get(dimension, {}).get(level)
        if condition is not None and condition.holds(answers):
            return None
        task = answers.get("need_task")
        if dimension == "job_ax_needs" and level <= 2 and isinstance(task, str) and task.strip():
            return None
        return texts[level - 1]


@dataclass(frozen=True)
class RoadmapData:
    catalogue: Catalogue
    centers: CenterRegistry
    levels: LevelTexts


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireError([Problem(str(path), "file", str(exc))]) from exc
    except ValidationError as exc:
        raise QuestionnaireError(
            [
                Problem(str(path), ".".join(str(p) for p in err["loc"]), err["msg"])
                for err in exc.errors()
            ]
        ) from None


def _condition_breaks(condition: Condition, questionnaire: Questionnaire):
    """What a catalogue condition names that the questionnaire does not have."""
    for leaf in condition.referenced():
        item = questionnaire.find_item(leaf.item)
        if item is None:
            yield f"names item '{leaf.item}', which the questionnaire does not have"
            continue
        known = {o.value for o in item.options}
        for value in (leaf.in_ or ()) + (leaf.not_in or ()):
            if value not in known:
                yield f"names option '{value}' of '{leaf.item}', which it does not have"


def load_roadmap_data(
    folder: Path,
    dimension_ids: set[str],
    region_ids: set[str],
    questionnaire: Questionnaire | None = None,
) -> RoadmapData:
    """Load ``catalogue.yaml``, ``centers.yaml`` and ``levels.yaml``; raise with every broken
    reference, including answers (item ids and option values) of ``questionnaire`` that a
    module's ``applies_if`` or ``has_if`` names and the questionnaire does not have."""
    catalogue = _load(folder / "catalogue.yaml", Catalogue)
    centers = _load(folder / "centers.yaml", CenterRegistry)
    levels = _load(folder / "levels.yaml", LevelTexts)
    data = RoadmapData(catalogue, centers, levels)
    problems = roadmap_problems(
        data,
        dimension_ids,
        region_ids,
        questionnaire,
        (str(folder / "catalogue.yaml"), str(folder / "centers.yaml"), str(folder / "levels.yaml")),
    )
    if problems:
        raise QuestionnaireError(problems)
    return data


def roadmap_problems(
    data: RoadmapData,
    dimension_ids: set[str],
    region_ids: set[str],
    questionnaire: Questionnaire | None = None,
    files: tuple[str, str, str] = ("catalogue", "centers", "levels"),
) -> list[Problem]:
    """Every broken cross-reference of the catalogue, the registry and the level texts: what
    loading the files checks, and what an edit in the app is checked against too."""
    catalogue, centers, levels = data.catalogue, data.centers, data.levels
    problems: list[Problem] = []
    cat_file, centers_file, levels_file = files
    routes = {r.id for r in catalogue.funding_routes}
    for module in catalogue.modules:
        where = f"module {module.id}"
        problems += [
            Problem(cat_file, where, f"unknown prerequisite '{p}'")
            for p in module.prerequisites
            if p not in catalogue.by_id
        ]
        problems += [
            Problem(cat_file, where, f"unknown dimension '{d}'")
            for d in module.closes
            if d not in dimension_ids
        ]
        problems += [
            Problem(cat_file, where, f"unknown overlapping module '{o}'")
            for o in module.overlaps
            if o not in catalogue.by_id
        ]
        if module.funding not in routes:
            problems.append(Problem(cat_file, where, f"unknown funding route '{module.funding}'"))
        problems += [
            Problem(cat_file, where, f"has_if for unknown job group '{g}'")
            for g in module.has_if
            if g != "all" and g not in JOB_GROUPS
        ]
        if questionnaire is not None:
            conditions = [("applies_if", module.applies_if)] if module.applies_if else []
            conditions += [(f"has_if.{g}", c) for g, c in module.has_if.items()]
            for key, condition in conditions:
                problems += [
                    Problem(cat_file, f"{where} {key}", message)
                    for message in _condition_breaks(condition, questionnaire)
                ]
    if len(catalogue.by_id) != len(catalogue.modules):
        problems.append(Problem(cat_file, "modules", "duplicate module ids"))
    if not problems:
        cycle = _cycle(catalogue)
        if cycle:
            problems.append(Problem(cat_file, "prerequisites", f"cycle: {' -> '.join(cycle)}"))
    specs = {s.id for s in centers.specialisations}
    problems += [
        Problem(centers_file, "regions", f"no position for region '{r}'")
        for r in sorted(region_ids - set(centers.regions))
    ]
    if len({c.id for c in centers.centers}) != len(centers.centers):
        problems.append(Problem(centers_file, "centers", "duplicate center ids"))
    for center in centers.centers:
        where = f"center {center.id}"
        problems += [
            Problem(centers_file, where, f"unknown region '{r}'")
            for r in (center.region, *center.serves_regions)
            if r not in region_ids
        ]
        problems += [
            Problem(centers_file, where, f"unknown specialisation '{s}'")
            for s in center.specialisations
            if s not in specs
        ]
    problems += [
        Problem(levels_file, "dimensions", f"no level texts for '{d}'")
        for d in sorted(dimension_ids - set(levels.dimensions))
    ]
    return problems


def _cycle(catalogue: Catalogue) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(module_id: str, path: list[str]) -> list[str] | None:
        if state.get(module_id) == 1:
            return path[path.index(module_id) :] + [module_id]
        if state.get(module_id) == 2:
            return None
        state[module_id] = 1
        for prerequisite in catalogue.by_id[module_id].prerequisites:
            found = visit(prerequisite, path + [module_id])
            if found:
                return found
        state[module_id] = 2
        return None

    for module in catalogue.modules:
        found = visit(module.id, [])
        if found:
            return found
    return None
