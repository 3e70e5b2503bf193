"""The questionnaire contract: every item and option id the code relies on, in one place.

The questionnaire is data that people who are not programmers edit and version. The policy,
the model, the planner and the report read some of its answers by id ("need_equipment",
option "vision"). A new version that renames or drops one of them would silently change
diagnoses, so loading checks every version of a contracted questionnaire against this list
(``schema.breaks``) and refuses to start with all the breaks listed, each with who depends
on it.

``tests/test_contract.py`` keeps the list honest: every item id written in the code of the
stages must be declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The questionnaires the diagnosis and the roadmap are built for.
CONTRACTED = ("ai_training_needs",)


@dataclass(frozen=True)
class Needs:
    """An item the code reads: its type, the option values it names, and who reads it."""

    item: str
    types: tuple[str, ...]
    options: tuple[str, ...] = ()
    scored: bool | None = None
    users: tuple[str, ...] = ()


AI_USE_AREA = ("not_used", "considering", "prototyping", "testing", "operating")
DIMENSIONS = (
    "leadership",
    "data_infra",
    "ai_use",
    "workforce_skills",
    "training_system",
    "job_ax_needs",
)
ITEMS = (
    Needs("use_genai_office", ("single",), ("none",), True, ("policy", "model")),
    *(
        Needs(item, ("single",), AI_USE_AREA, True, ("policy", "model", "planner"))
        for item in ("use_area_quality", "use_area_forecast", "use_area_maintenance")
    ),
    *(
        Needs(item, ("single",), AI_USE_AREA, True, ("policy", "model"))
        for item in ("use_area_customer", "use_area_marketing")
    ),
    Needs(
        "data_collection", ("single",), ("none", "paper_then_typed"), True, ("generator", "report")
    ),
    # read by the review items only (consistency checks, AX support already received): the
    # track never depends on them, so the owner's short form need not ask them
    Needs(
        "data_storage",
        ("single",),
        ("paper", "personal_files", "shared_files", "system", "integrated"),
        True,
        ("review", "report"),
    ),
    Needs("data_systems", ("multi",), ("none",), None, ("review", "report")),
    Needs("data_it_staff", ("single",), ("none", "dedicated", "team"), None, ("review", "report")),
    # what the report's area sentences name as still missing (report.data_infra_text)
    Needs("data_history", ("single",), ("none", "under_1_year"), True, ("report",)),
    Needs("data_quality", ("single",), ("unreliable", "person_dependent"), True, ("report",)),
    Needs("data_security", ("single",), ("none", "verbal"), True, ("report",)),
    Needs("lead_external", ("multi",), ("smart_factory", "voucher"), None, ("review",)),
    Needs("train_ai_courses", ("multi",), ("none",), True, ("policy", "model")),
    # set by the generator's programme sample only (diagnosis/synthetic.py)
    Needs("train_hours", ("number",), (), None, ("generator",)),
    Needs("train_employer_funded", ("single",), ("unaware", "aware_unused"), None, ("generator",)),
    Needs("train_card", ("single",), ("none", "few_personal"), None, ("generator",)),
    Needs("train_past", ("single",), ("none",), True, ("levers",)),
    Needs("train_hrd_owner", ("single",), ("none",), True, ("policy", "model", "levers")),
    Needs(
        "train_facility",
        ("single",),
        ("none", "shared_room", "training_room", "practice_lab"),
        True,
        ("policy", "model", "levers"),
    ),
    Needs(
        "train_instructors",
        ("single",),
        ("none", "ojt_only", "some", "pool"),
        True,
        ("policy", "model", "levers"),
    ),
    Needs(
        "skill_eng_data",
        ("single",),
        ("none", "spreadsheet", "coding", "prototype", "production"),
        True,
        ("policy", "model", "levers", "planner"),
    ),
    *(
        Needs(item, ("single",), (), True, ("planner",))
        for item in (
            "skill_exec_ai",
            "skill_office_digital",
            "skill_office_ai",
            "skill_field_digital",
            "skill_field_ai",
        )
    ),
    Needs(
        "need_problem_clarity",
        ("single",),
        ("none", "vague", "named", "quantified", "scoped"),
        True,
        ("policy", "model", "levers"),
    ),
    Needs(
        "need_equipment",
        ("multi",),
        ("vision", "robot", "automation_line", "gpu", "iot_sensors", "ai_software", "none"),
        False,
        ("policy", "model", "planner"),
    ),
    Needs(
        "need_target_jobs",
        ("multi",),
        (
            "planning",
            "sales_marketing",
            "admin",
            "purchasing_logistics",
            "production",
            "quality",
            "maintenance",
            "rnd",
            "it_data",
            "customer_service",
        ),
        False,
        ("planner",),
    ),
    Needs(
        "need_urgent_group",
        ("single",),
        ("executives", "office", "engineers", "production"),
        False,
        ("planner",),
    ),
    Needs("need_urgency", ("single",), (), False, ("planner", "report")),
    Needs("need_benefit", ("multi",), (), False, ("planner", "report")),
    Needs("need_data_ready", ("single",), (), True, ("planner", "report")),
    Needs("need_release_hours", ("number",), (), True, ("planner",)),
    Needs("need_owner", ("single",), (), True, ("planner", "report")),
    # what the report's AX-needs sentence names as still open (report.ax_needs_text)
    Needs(
        "need_trainees",
        ("single",),
        ("none", "department", "named", "named_cover"),
        True,
        ("report",),
    ),
    Needs("need_budget_commit", ("single",), ("free_only",), True, ("report",)),
    Needs("need_task", ("text",), (), False, ("explanations", "planner", "report")),
    Needs("need_problem", ("text",), (), False, ("planner", "report")),
    Needs("need_data_desc", ("text",), (), False, ("planner", "report")),
)
