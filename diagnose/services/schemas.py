"""The API's request and response models (pydantic): one source for validating a call, for
shaping what is answered and for the OpenAPI document (``web/openapi.py``).

The request model is built from the questionnaire, so each profile field and each item has
its own JSON type: a company name is a string, never a list, a number or ``true``; a single
choice is one option value, never a list. Values are checked further (options, ranges, the
business number's check digit) by the same checks as the interview's pages
(``questionnaire.types``).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticError

from ..questionnaire.schema import Questionnaire

Track = Literal["beginner", "ax", "shared_center"]
_STRICT = ConfigDict(extra="forbid", strict=True)


@cache
def submission_model(questionnaire: Questionnaire) -> type[BaseModel]:
    """``{"profile": {...}, "answers": {...}}`` for one questionnaire version: each field and
    item of the JSON type its type declares (``questionnaire.types``)."""
    profile = create_model(
        "Profile",
        __config__=_STRICT,
        **{f.id: (f.kind.json_type(), None) for f in questionnaire.profile},
    )
    answers = create_model(
        "Answers", __config__=_STRICT, **{i.id: i.kind.json_type() for i in questionnaire.items()}
    )
    return create_model(
        "Submission", __config__=_STRICT, profile=(profile, ...), answers=(answers, ...)
    )


def _expected(questionnaire: Questionnaire, section: str, name: str) -> str:
    if section == "profile":
        spec = next((f for f in questionnaire.profile if f.id == name), None)
        return str(spec.kind.json_help) if spec else gettext("Unknown field.")
    item = questionnaire.find_item(name)
    return str(item.kind.json_help) if item else gettext("Unknown question.")


def check_types(
    questionnaire: Questionnaire, body: Any
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    """The profile and answers of a parsed JSON body, with the fields of a wrong type left out
    and listed as errors ``{field, message}`` in the UI language."""
    if not isinstance(body, dict):
        return {}, {}, [{"field": "", "message": gettext("Send a JSON object.")}]
    errors = [
        {"field": name, "message": gettext("This must be a JSON object.")}
        for name in ("profile", "answers")
        if not isinstance(body.get(name), dict)
    ]
    if errors:
        return {}, {}, errors
    errors += [
        {
            "field": str(name).encode("utf-8", "replace").decode(),
            "message": gettext("Unknown field."),
        }
        for name in body
        if name not in ("profile", "answers")
    ]
    data = {"profile": dict(body["profile"]), "answers": dict(body["answers"])}
    known = {
        "profile": {f.id for f in questionnaire.profile},
        "answers": {i.id for i in questionnaire.items()},
    }
    for section, names in known.items():
        for name in [n for n in data[section] if n not in names]:
            del data[section][name]
            errors.append(
                {
                    "field": f"{section}.{name.encode('utf-8', 'replace').decode()}",
                    "message": _expected(questionnaire, section, name),
                }
            )
    model = submission_model(questionnaire)
    try:
        typed = model.model_validate(data)
    except PydanticError as error:
        bad = {(e["loc"][0], e["loc"][1]) for e in error.errors() if len(e["loc"]) >= 2}
        for section, name in bad:
            data[section].pop(name, None)
            errors.append(
                {"field": f"{section}.{name}", "message": _expected(questionnaire, section, name)}
            )
        try:
            typed = model.model_validate(data)
        except PydanticError:  # nothing of it can be trusted: report what was found
            return {}, {}, sorted(errors, key=lambda e: e["field"])
    dumped = typed.model_dump(exclude_unset=True)
    return dumped["profile"], dumped["answers"], sorted(errors, key=lambda e: e["field"])


# --- responses -------------------------------------------------------------------------------


class DimensionScore(BaseModel):
    score: float | None = Field(None, ge=0, le=100)
    level: int | None = Field(None, ge=1, le=5)
    level_description: str | None = None
    answered: int
    applicable: int


class Reasons(BaseModel):
    against: Track | None = Field(None, description="the next likeliest track")
    summary: list[str] = Field(description="at most three plain reasons, for the firm")
    toward: list[str] = Field(description="every finding for the track, for the consultant")
    away: list[str] = Field(description="findings that point the other way")


class Rule(BaseModel):
    id: str = Field(description="the scorecard rule that decided (diagnose/diagnosis/policy.py)")
    text: str
    track: Track | Literal[""] = Field(description="the scorecard's track")
    source: str = Field("", description="the seed line it follows, or 'tool assumption'")


class ReviewItem(BaseModel):
    kind: Literal["near_line", "one_step", "inconsistent", "above_sme_line"]
    answers: list[str] = Field(description="the answers to re-check (item ids)")
    text: str


class LineUsed(BaseModel):
    line: str
    text: str = Field(description="the firm's value against the line, in words")
    source: str
    assumption: bool = Field(description="a tool assumption, to be validated")
    set_on: str


class OneStep(BaseModel):
    item: str
    before: Any
    after: Any
    track: Track = Field(description="the track this one change alone gives")
    text: str


class Counterfactual(BaseModel):
    target: Track | None = None
    reached: bool
    alternatives: bool = Field(False, description="each change alone is enough")
    text: str
    changes: list[dict[str, Any]]


class QuestionnaireRef(BaseModel):
    id: str
    version: int


class Decision(BaseModel):
    action: Literal["confirm", "override"]
    final_track: Track
    reason: str
    decided_at: str


class Diagnosis(BaseModel):
    """A diagnosis as the API answers it."""

    model_config = ConfigDict(extra="forbid")

    id: int
    questionnaire: QuestionnaireRef
    dimensions: dict[str, DimensionScore]
    readiness: float | None
    track: Track = Field(
        description="the scorecard's track (a consultant's is in `decision`); no model decides"
    )
    track_name: str
    decided_by: Literal["scorecard"]
    needs_review: bool = Field(
        description="some answer should be re-checked: see `review_items` (near a line, one "
        "answer from another track, an inconsistency, above the SME line)"
    )
    review: list[str] = Field(description="the review items in words")
    review_items: list[ReviewItem]
    rule: Rule
    experience: Literal["none", "lacking", "some"] | None = Field(
        description="AI-training experience as graded by the gate (seed 000 line 45)"
    )
    lines: list[LineUsed] = Field(description="the lines compared, each with its source")
    method_note: str
    job_analysis_first: bool = Field(
        description="no concrete problem yet: the job analysis must find one first"
    )
    reasons: Reasons
    sensitivity: list[OneStep] = Field(
        description="every answer one option away that would change the track (exact)"
    )
    counterfactual: Counterfactual | None
    consultants_usually: str | None = Field(
        None, description="a promoted model's view beside the track; never replaces it"
    )
    decision: Decision | None
    diagnosed_at: str = Field(description="when the diagnosis was made (ISO 8601, UTC)")
    roadmap_pdf_url: str = Field(description="the roadmap PDF (for a self-assessment: secret)")
    result_url: str | None = Field(None, description="self-assessments only: the secret link")
    result_token: str | None = Field(None, description="self-assessments only")
    result_expires_at: str | None = Field(None, description="self-assessments only")


SELF_ONLY = ("result_url", "result_token", "result_expires_at")


class FieldError(BaseModel):
    field: str = Field(examples=["profile.business_number"])
    message: str


class Error(BaseModel):
    error: str
    message: str
    errors: list[FieldError] | None = None


# --- the roadmap (GET /api/v1/assessments/<id>/roadmap) --------------------------------------


class TaskTheme(BaseModel):
    theme: str = Field(description="an AI use-case theme id (roadmap_templates/task_themes.yaml)")
    name: str
    confidence: float = Field(ge=0, le=1, description="the task model's calibrated probability")
    confirmed: bool = Field(description="a consultant set or confirmed it")


class ProjectBrief(BaseModel):
    task: str = Field(description="the firm's stated task, in its own words")
    theme: str | None = Field(description="the theme it works on; null: on the firm's words")
    module: str | None = Field(description="the catalogue module that works on it")
    job_group: str
    trainees: int


class ModuleCost(BaseModel):
    firm_pays_krw: int | None = Field(
        description="what the firm pays after the subsidy, for all its trainees; null: the "
        "catalogue has no fee and subsidy with a source, the center confirms it"
    )
    fee_krw_per_person: int | None
    subsidy_share: float | None
    source: str
    checked: str
    known: bool


class ModuleWho(BaseModel):
    job_group: str
    trainees: int
    job: str | None = Field(
        description="the one job of the group that takes it (a project's named job, or "
        "'admin' for the one person who runs training); null: the group's people"
    )
    assumed: bool = Field(
        description="the number of people is the plan's assumption, the firm gave none "
        "(the report prints it as such)"
    )


class ModuleWhen(BaseModel):
    start: str = Field(description="first day of the first month (ISO date)")
    end: str = Field(description="first day of the last month (ISO date)")


class FundingRef(BaseModel):
    id: str
    name: str


class PlannedModule(BaseModel):
    module: str
    title: str
    phase: str = Field(examples=["0-3"])
    why: list[dict[str, Any]] = Field(
        description="what it follows from: answers ({item, answer}), gaps ({dimension, "
        "score}) or the module it prepares ({prerequisite_of})"
    )
    who: ModuleWho
    when: ModuleWhen
    hours_per_person: float
    hours_total: float
    delivery: str
    cost: ModuleCost
    funding_route: FundingRef


class Roadmap(BaseModel):
    """An assessment's training plan, as the report prints it."""

    model_config = ConfigDict(extra="forbid")

    assessment_id: int
    track: Track
    themes: list[TaskTheme] = Field(
        description="the stated task's themes; empty when the model abstained"
    )
    theme_to_confirm: bool = Field(
        description="the model abstained: the plan works on the firm's words, and a "
        "consultant should set the theme"
    )
    suggested_theme: str | None = Field(description="the model's best guess when it abstained")
    start: str
    months: int
    release_hours: float = Field(description="hours a month one person trains, as planned")
    release_hours_stated: float | None
    rediagnosis: str = Field(description="month of the re-diagnosis (ISO date, first day)")
    projects: list[ProjectBrief]
    modules: list[PlannedModule]
    unplaced: list[str] = Field(description="modules that did not fit in the plan's months")
