"""The training catalogue and the registry of shared training centers, as validated data.

Both live in ``roadmap_templates/`` as YAML that a center can edit. Loading checks every
cross-reference (prerequisites, funding routes, regions, specialisations) and refuses a file
with a cycle of prerequisites, so the planner never meets a module it cannot place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..questionnaire.schema import Problem, QuestionnaireError, Slug, Text

JobGroup = Literal["executives", "office", "engineers", "production"]
Delivery = Literal["free_online", "blended", "onsite_pbl", "shared_center"]
Track = Literal["beginner", "ax", "shared_center"]
JOB_GROUPS: tuple[str, ...] = ("executives", "office", "engineers", "production")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FundingRoute(_Frozen):
    id: Slug
    name: Text
    note: Text


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


class CenterRegistry(_Frozen):
    version: int
    sample: bool = False
    notice: Text | None = None
    specialisations: tuple[Specialisation, ...]
    centers: tuple[Center, ...] = Field(min_length=1)

    def specialisation(self, spec_id: str) -> Specialisation:
        return next(s for s in self.specialisations if s.id == spec_id)

    def center(self, center_id: str) -> Center:
        return next(c for c in self.centers if c.id == center_id)


@dataclass(frozen=True)
class RoadmapData:
    catalogue: Catalogue
    centers: CenterRegistry


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


def load_roadmap_data(folder: Path, dimension_ids: set[str], region_ids: set[str]) -> RoadmapData:
    """Load ``catalogue.yaml`` and ``centers.yaml``; raise with every broken reference."""
    catalogue = _load(folder / "catalogue.yaml", Catalogue)
    centers = _load(folder / "centers.yaml", CenterRegistry)
    problems: list[Problem] = []
    cat_file, centers_file = str(folder / "catalogue.yaml"), str(folder / "centers.yaml")
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
        if module.funding not in routes:
            problems.append(Problem(cat_file, where, f"unknown funding route '{module.funding}'"))
    if len(catalogue.by_id) != len(catalogue.modules):
        problems.append(Problem(cat_file, "modules", "duplicate module ids"))
    if not problems:
        cycle = _cycle(catalogue)
        if cycle:
            problems.append(Problem(cat_file, "prerequisites", f"cycle: {' -> '.join(cycle)}"))
    specs = {s.id for s in centers.specialisations}
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
    if problems:
        raise QuestionnaireError(problems)
    return RoadmapData(catalogue, centers)


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
