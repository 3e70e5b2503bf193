"""Scores + track + answers + catalogue -> a phased training plan (plain data, no Flask).

The plan starts from what the firm said, the way a training consultant builds one:
- every stated task becomes a project brief in the firm's own words, with its data, owner,
  trainees and success measure, and the module that works on it (a PBL project for an AX
  firm, the matching practice at a shared center, a first use case for a beginner);
- other modules close a gap the firm has, for a job group it has, in its industry; nothing
  the firm already has is planned (each module says which answers show that);
- the track decides the delivery mix and the plan's length: the re-diagnosis comes after the
  plan, six months for a beginner, nine for a shared-center firm, twelve for an AX firm;
- each person trains within the hours a month the firm said it can release (a stated figure
  beyond a working week is capped, and the report says so); each group's modules follow one
  another, after their prerequisites, and every phase holds something;
- modules start on calendar months counted from the month after the diagnosis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from ..diagnosis.scoring import NOT_APPLICABLE
from ..profile import employees_of
from .catalogue import JOB_GROUPS, Center, Module, RoadmapData, has_plant, prerequisites_of
from .themes import TASK_ITEMS

PLAN_MONTHS = {"beginner": 6, "ax": 12, "shared_center": 9}
REDIAGNOSE_MONTHS = PLAN_MONTHS  # the re-diagnosis comes when the plan ends
# Delivery modes each track draws on, in the order they are preferred.
DELIVERY_MIX = {
    "beginner": ("free_online", "blended"),
    "ax": ("onsite_pbl", "blended", "free_online"),
    "shared_center": ("shared_center", "blended", "free_online", "onsite_pbl"),
}
# A dimension scoring at least this has no gap a module should close.
GAP_CEILING = 75.0
# Hours a month one person is planned for when the firm gave no figure, and at most.
DEFAULT_RELEASE_HOURS = 4.0
MAX_RELEASE_HOURS = 40.0  # a working week a month: beyond it the work stops
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
# Words in a stated task that say which job it belongs to (Korean and English). An English
# word is read as a word with its endings ("route": routes, routed, routing; never "routine"),
# a word in capitals as written ("AS", never the "as" of "wasted"); a Korean word anywhere
# (particles and compounds attach to it), except inside the words of ``NOT_INSIDE``.
TASK_WORDS = {
    "purchasing_logistics": (
        "배차",
        "운송",
        "경로",
        "물류",
        "화물",
        "배송",
        "재고",
        "발주",
        "구매",
        "창고",
        "입출고",
        "dispatch",
        "route",
        "logistic",
        "freight",
        "deliver",
        "delivery",
        "stock",
        "inventory",
        "purchase",
    ),
    "quality": ("검사", "불량", "품질", "외관", "비전", "inspect", "defect", "quality", "vision"),
    "maintenance": ("설비", "고장", "보전", "정비", "예지", "maintenance", "breakdown"),
    "admin": (
        "회계",
        "세무",
        "신고",
        "증빙",
        "전표",
        "장부",
        "급여",
        "인사",
        "총무",
        "서류",
        "문서",
        "account",
        "tax",
        "bookkeep",
        "payroll",
        "invoice",
        "receipt",
        "filing",
    ),
    "sales_marketing": ("영업", "마케팅", "홍보", "광고", "제안서", "견적", "sales", "marketing"),
    "customer_service": (
        "상담",
        "고객",
        "문의",
        "AS",
        "customer",
        "enquiry",
        "enquire",
        "after-sales",
    ),
    "production": ("생산", "공정", "작업", "조립", "가공", "포장", "production", "process"),
    "planning": ("기획", "전략", "경영", "planning", "strategy"),
    "rnd": ("설계", "개발", "연구", "design", "r&d", "research"),
    "it_data": ("데이터", "시스템", "전산", "data", "system", "software"),
}
# Words that hold a task word but mean something else: fair trade is no process, a greeting
# no personnel work, a cooperative no cobot, a business day no sales, a company's vision
# ("회사 비전 수립", "비전 2030", "our vision for 2030") no vision inspection. An English
# entry is found in any case.
NOT_INSIDE = {
    "공정": ("공정거래", "공정성", "공정한", "공정하", "불공정"),
    "인사": ("인사말", "인사드", "인사를 드"),
    "협동": ("협동조합",),
    "영업": ("영업일", "영업시간", "영업 시간"),
    "비전": ("회사 비전", "회사비전", "기업 비전", "기업비전", "경영 비전", "경영비전",
             "중장기 비전", "장기 비전", "미래 비전", "비전 수립", "비전수립", "비전 선포",
             "비전선포", "비전 제시", "비전 공유", "비전과 목표", "비전과 전략", "비전·",
             "비전 20", "비전20"),
    "vision": ("company vision", "corporate vision", "vision statement",
               "vision and mission", "vision for 20", "vision 20"),
}  # fmt: skip
# The endings an English task word is read with (a word ending in e drops it before -ing and
# -ion; one ending in y takes -ies); no other letters may follow or precede it.
_ENDINGS = ("s", "es", "ed", "ing", "er", "ers", "or", "ors", "ion", "ions", "y", "ies")
_NOT_LATIN_BEFORE, _NOT_LATIN_AFTER = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"


@lru_cache(maxsize=512)
def _word_pattern(word: str) -> re.Pattern[str] | None:
    """How one task word is found in a text; ``None`` for a Korean word (found as it is)."""
    if not re.search(r"[A-Za-z]", word):
        return None
    if word.isupper():  # an abbreviation, as written: "AS", "LLM", "RAG" (and "LLMs")
        return re.compile(_NOT_LATIN_BEFORE + re.escape(word) + "s?" + _NOT_LATIN_AFTER)
    forms = [re.escape(word) + "(?:" + "|".join(_ENDINGS) + ")?"]
    if word.endswith("e"):
        forms.append(re.escape(word[:-1]) + "(?:ing|ion|ions)")
    if word.endswith("y"):
        forms.append(re.escape(word[:-1]) + "(?:ies|ied)")
    return re.compile(
        _NOT_LATIN_BEFORE + "(?:" + "|".join(forms) + ")" + _NOT_LATIN_AFTER, re.IGNORECASE
    )


@lru_cache(maxsize=64)
def _other_meaning(word: str) -> re.Pattern[str] | None:
    """The words of ``NOT_INSIDE`` that hold ``word`` in another meaning, in any case."""
    others = NOT_INSIDE.get(word)
    if not others:
        return None
    return re.compile("|".join(re.escape(o) for o in others), re.IGNORECASE)


def words_in(text: Any, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words`` as a word (see ``TASK_WORDS``)."""
    text = str(text or "")
    for word in words:
        other = _other_meaning(word)
        plain = other.sub(" ", text) if other else text
        pattern = _word_pattern(word)
        if pattern is not None:
            if pattern.search(plain):
                return True
            continue
        if word in plain:
            return True
    return False


# The project module for a stated task, by track and job; words in the task can pick a
# closer one (demand, vision, work instructions).
PROJECT_MODULES = {
    "ax": {
        "admin": "pbl_office_genai_automation",
        "planning": "pbl_office_genai_automation",
        "sales_marketing": "pbl_sales_marketing_content",
        "customer_service": "pbl_customer_service_ai",
        "purchasing_logistics": "pbl_logistics_dispatch",
        "quality": "pbl_quality_data_analysis",
        "maintenance": "pbl_maintenance_data",
        "production": "pbl_quality_data_analysis",
    },
    "shared_center": {
        "quality": "sc_vision_inspection",
        "maintenance": "sc_predictive_maintenance",
        "production": "sc_plc_ai_automation",
        "it_data": "sc_llm_app_dev",
        "rnd": "sc_gpu_model_training",
    },
}
PROJECT_WORDS = {
    "pbl_demand_forecasting": ("수요", "예측", "forecast", "demand"),
    "pbl_field_work_instructions": ("작업표준", "안전교육", "표준서", "instruction", "safety"),
    "sc_vision_inspection": ("비전", "외관", "이미지", "사진", "vision", "visual", "image"),
    "sc_cobot_physical_ai": ("로봇", "협동", "robot", "robotics", "cobot", "pick"),
    "sc_predictive_maintenance": ("예지", "센서", "진동", "predictive", "sensor", "vibration"),
    "sc_llm_app_dev": ("챗봇", "LLM", "문서 검색", "chatbot", "RAG"),
}
FALLBACK_PROJECT = {"ax": "pbl_own_task", "shared_center": "pbl_own_task"}
# The project on the firm's own words, per track, assuming no kind of AI: for a task the model
# could not read (it abstained) and for a theme the track has no project of.
OWN_WORDS_PROJECT = {**FALLBACK_PROJECT, "beginner": "first_use_case_own_task"}
# The target job a task theme belongs to (themes: ``roadmap/themes.py``).
THEME_JOB = {
    "predictive_maintenance": "maintenance",
    "visual_inspection": "quality",
    "process_quality_analytics": "quality",
    "demand_forecasting": "purchasing_logistics",
    "document_processing": "admin",
    "genai_writing": "admin",
    "customer_service": "customer_service",
    "dispatch_scheduling": "purchasing_logistics",
    "marketing_content": "sales_marketing",
    "robotics_physical_ai": "production",
    "sensor_data_collection": "production",
    "software_dev_ai": "it_data",
    "llm_engineering": "it_data",
    "reporting_automation": "admin",
    "knowledge_search": "admin",
}
# The other target jobs whose work a theme also is, after its own (``THEME_JOB``): a forecast
# of customers' no-shows is customer service's, of how much to bake production's. A task's
# project goes to the job the firm named of these, not to the theme's own job it did not name.
THEME_OTHER_JOBS = {
    "predictive_maintenance": ("production", "quality"),
    "visual_inspection": ("production",),
    "process_quality_analytics": ("production", "maintenance"),
    "demand_forecasting": ("production", "sales_marketing", "customer_service", "planning",
                           "admin"),
    "document_processing": ("purchasing_logistics", "sales_marketing", "customer_service",
                            "planning"),
    "genai_writing": ("planning", "sales_marketing", "customer_service", "rnd"),
    "customer_service": ("sales_marketing",),
    "dispatch_scheduling": ("production",),
    "sensor_data_collection": ("maintenance", "quality"),
    "software_dev_ai": ("rnd",),
    "llm_engineering": ("rnd",),
    "reporting_automation": ("planning",),
    "knowledge_search": ("customer_service", "rnd"),
}  # fmt: skip
# Themes whose project learns from the firm's records: unready data is prepared first.
DATA_THEMES = {
    "predictive_maintenance", "visual_inspection", "process_quality_analytics",
    "demand_forecasting", "sensor_data_collection", "llm_engineering",
}  # fmt: skip
DATA_NOT_READY = ("none", "paper", "scattered")
DATA_PREPARATION = "data_foundation_workshop"
BEGINNER_PROJECT = "first_use_case_online"
JOB_ANALYSIS = "job_analysis_workshop"
COACHING = "ax_coaching"
CEO_AWARENESS = "exec_ai_awareness"
# Done for the whole firm, not as a group's gap: the job analysis once, led by its executives;
# coaching by each project's team after its project (``_with_coaching``).
FIRM_WIDE = (JOB_ANALYSIS, COACHING)
# The equipment a firm lacks, and the center specialisations and modules that supply it.
NEED_TO_SPECIALISATIONS = {
    "vision": ("vision_inspection",),
    "robot": ("robotics",),
    "automation_line": ("smart_factory_data", "robotics"),
    "gpu": ("gpu_model_training", "llm_applications"),
    "iot_sensors": ("predictive_maintenance", "smart_factory_data"),
    "ai_software": ("llm_applications",),
}
NEED_TO_MODULES = {
    "vision": ("sc_vision_inspection",),
    "robot": ("sc_cobot_physical_ai",),
    "automation_line": ("sc_plc_ai_automation",),
    "gpu": ("sc_gpu_model_training",),
    "iot_sensors": ("sc_predictive_maintenance",),
    "ai_software": ("sc_llm_app_dev",),
}
USE_AREA_TO_SPECIALISATION = {
    "use_area_quality": "vision_inspection",
    "use_area_maintenance": "predictive_maintenance",
    "use_area_forecast": "smart_factory_data",
}
USE_AREA_TO_MODULE = {
    "use_area_quality": "sc_vision_inspection",
    "use_area_maintenance": "sc_predictive_maintenance",
    "use_area_forecast": "sc_smart_factory_data_pipeline",
}
# What the firm hopes for, and how its project measures it.
BENEFIT_MEASURES = ("time_saving", "quality", "cost", "sales", "safety", "skill_transfer",
                    "labour_shortage")  # fmt: skip
LANE_EMPLOYEES = 50  # firms this large run two projects of one group side by side
TASK_LIMIT = 3  # briefs a plan holds: more than three projects in a year is not a plan
TEXT_LIMIT = 400  # characters of the firm's own words a brief prints
NAME_LIMIT = 32  # characters of the firm's task a project on its own words is named by


@dataclass(frozen=True)
class PlannedModule:
    module_id: str
    job_group: str
    trainees: int
    hours: float  # per person
    delivery: str
    funding: str
    start_month: int  # 0 = the month after the diagnosis
    months: int  # how many months it runs at the firm's release hours
    brief: int | None = None  # the project brief it works on
    impact: float = 0.0  # how much of the firm's gaps it closes (for the summary's ranking)
    # A project run by other people of the group alongside another (the target job, e.g.
    # "quality" beside "maintenance" in a large plant); "" for the group's common modules.
    lane: str = ""

    @property
    def total_hours(self) -> float:
        return self.hours * self.trainees

    @property
    def end_month(self) -> int:
        return self.start_month + self.months


@dataclass(frozen=True)
class Phase:
    key: str  # "0-3"
    start_month: int
    end_month: int
    modules: list[PlannedModule]
    hours: float  # person-hours in the phase


@dataclass(frozen=True)
class ProjectBrief:
    """A project on one task the firm stated, in its own words."""

    task: str
    job: str  # a need_target_jobs value; "" for a task of no theme the firm named no job for
    job_group: str
    problem: str
    data_ready: str | None  # a need_data_ready value
    data_description: str
    owner: str | None  # a need_owner value
    benefits: list[str]
    urgency: str | None
    trainees: int
    module_id: str | None
    theme: str | None = None  # the task theme it works on; None: the firm's own words
    theme_confirmed: bool = False
    # The theme's project the firm's training records show it completed: not planned again,
    # its results carried into daily work by coaching.
    completed: str | None = None


@dataclass(frozen=True)
class Referral:
    center_id: str
    matched: list[str]  # specialisation ids
    distance_km: float
    same_region: bool


@dataclass(frozen=True)
class Plan:
    track: str
    gaps: list[tuple[str, float]]  # (dimension id, score) below GAP_CEILING, biggest first
    job_groups: list[str]  # the groups the plan trains, most urgent first
    trainees: dict[str, int]
    release_hours: float  # hours a month one person trains, as planned
    release_stated: float | None  # what the firm said
    months: int
    phases: list[Phase]
    briefs: list[ProjectBrief] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    job_analysis_first: bool = False
    rediagnose_month: int = 0  # month index, after the plan
    start: str = ""  # ISO date of the first day of month 0
    unplaced: list[str] = field(default_factory=list)
    # The task's themes as (theme, confidence, confirmed); None when not read.
    themes: list[tuple[str, float, bool]] | None = None
    theme_to_confirm: bool = False  # the model abstained: a consultant should set the theme
    trainees_stated: list[str] = field(default_factory=list)  # groups whose count the firm gave

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def total_hours(self) -> float:
        return sum(p.hours for p in self.phases)

    @property
    def modules(self) -> list[PlannedModule]:
        return [m for p in self.phases for m in p.modules]

    def busiest_month(self) -> float:
        """The most hours any one person of any group trains in one month (a project's lane is
        other people of the group: the group's common modules never run beside it)."""
        load: dict[tuple[str, int], float] = {}
        for m in self.modules:
            for month in range(m.start_month, m.end_month):
                key = (m.job_group, m.lane, month)
                load[key] = load.get(key, 0.0) + m.hours / m.months
        return round(max(load.values(), default=0.0), 1)


def release_hours(stated: float | None) -> float:
    """Hours a month one person trains: what the firm said, at least an hour, at most a
    working week; four when it gave no figure or none (the report explains either)."""
    if stated is None or stated <= 0:
        return DEFAULT_RELEASE_HOURS
    return min(MAX_RELEASE_HOURS, max(1.0, stated))


def trainees_per_group(employees: int, groups: list[str]) -> dict[str, int]:
    """How many people of each group take a module: the CEO (and one more executive in a
    larger firm), and about one in seven of the others, two at least where there are ten
    people, six at most (a small firm cannot send more at once)."""
    others = min(6, max(1, math.ceil(employees * 0.15)))
    return {g: (1 if employees < 50 else 2) if g == "executives" else others for g in groups}


# Roles the firm names with a number ("건축사 6명", "a data team of 3"), by job group.
ROLE_WORDS = {
    "engineers": ("건축사", "설계자", "개발자", "엔지니어", "연구원", "데이터팀", "데이터 팀",
                  "기술자", "engineer", "developer", "architect", "data team", "data scientist"),
    "production": ("생산직", "작업자", "현장 직원", "현장직", "검사원", "기능공", "operator",
                   "worker", "inspector"),
    "office": ("사무직", "경리", "영업 담당", "상담원", "사무 직원", "clerk", "office staff"),
}  # fmt: skip
_COUNT_AFTER = r"\s*(?:은|는|이|가)?\s*(\d{1,4})\s*(?:명|people|persons)"


@lru_cache(maxsize=128)
def _count_patterns(word: str) -> tuple[re.Pattern[str], ...]:
    """How a number is found next to a role word ("건축사 6명이", "5 developers", "a data team
    of 3"): an English word as a word, with its plural ("workers"; never the "worker" of
    "coworker" or "workerless"), a Korean one as written."""
    w = re.escape(word)
    if re.search(r"[a-z]", word):
        w = _NOT_LATIN_BEFORE + w + "(?:s|es)?" + _NOT_LATIN_AFTER
    return tuple(
        re.compile(p) for p in (w + _COUNT_AFTER, r"(\d{1,4})\s+" + w, w + r"\s+of\s+(\d{1,4})")
    )


def stated_headcounts(answers: Mapping[str, Any], employees: int) -> dict[str, int]:
    """How many people of a group the firm said it has, where its own words give a number
    next to a role ("건축사 6명이", "a data team of 3", "5 developers"); never above the firm."""
    text = " ".join(str(answers.get(i) or "") for i in TASK_ITEMS).lower()
    found: dict[str, int] = {}
    for group, words in ROLE_WORDS.items():
        for word in words:
            for pattern in _count_patterns(word.lower()):
                match = pattern.search(text)
                if match:
                    found[group] = max(found.get(group, 0), min(int(match.group(1)), employees))
    return {g: n for g, n in found.items() if n > 0}


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None


def _as_list(value: Any) -> list:
    if value in (None, "", NOT_APPLICABLE):
        return []
    return list(value) if isinstance(value, list) else [value]


def _has_group(answers: Mapping[str, Any], group: str) -> bool:
    """The firm has the group: it did not answer "not applicable" for all of its skills."""
    return not all(answers.get(i) == NOT_APPLICABLE for i in SKILL_ITEMS[group])


def job_groups_to_train(
    answers: Mapping[str, Any], track: str, stated: Mapping[str, int] | None = None
) -> list[str]:
    """The job groups the plan trains, most urgent first: the executives, and the groups the
    firm pointed to (the jobs it named for AI, its most urgent group, a group it gave a
    number for); a group it said it does not have is left out. A group the firm only
    answered a skill question for is not trained: nothing it said asks for it. Only a firm
    that named no job at all is planned for every group it has."""
    present = [g for g in JOB_GROUPS if _has_group(answers, g)]
    named_groups = {JOB_TO_GROUP.get(j) for j in _as_list(answers.get("need_target_jobs"))}
    urgent = answers.get("need_urgent_group")
    pointed = named_groups | {urgent} | set(stated or ())
    if pointed - {None, "executives"}:
        present = [g for g in present if g == "executives" or g in pointed]

    def rank(group: str) -> tuple[int, int, int]:
        return (group != urgent, group not in named_groups, JOB_GROUPS.index(group))

    ordered = sorted(present, key=rank)
    if track == "beginner":  # awareness starts at the top: executives always come first
        ordered = ["executives"] + [g for g in ordered if g != "executives"]
    return ordered


def _module_level_fits(module: Module, scores: Mapping[str, float | None]) -> bool:
    """Level 1 for gaps below 60, level 2 from 25, level 3 from 55 (bands overlap on purpose)."""
    relevant = [scores.get(d) or 0.0 for d in module.closes]
    score = min(relevant) if relevant else 0.0
    return {1: score < 60, 2: score >= 25, 3: score >= 55}[module.level]


# --- stated tasks ------------------------------------------------------------------------------

_TASK_SPLIT = re.compile(r"\s*(?:\n|;|；|(?:^|\s)(?:\d{1,2}[.)]|[①-⑩]|[-•·]\s))\s*")


def stated_tasks(text: Any) -> list[str]:
    """The tasks in the firm's answer, in its order: one a line, or numbered ("1) … 2) …")."""
    if not isinstance(text, str):
        return []
    parts = [p.strip(" ,.·-") for p in _TASK_SPLIT.split(text.strip())]
    return [p for p in parts if len(p) >= 2]


def _jobs_named_in(task: Any) -> tuple[str, ...]:
    """The target jobs whose words the task holds, in ``TASK_WORDS`` order."""
    return _jobs_in(str(task or ""))


@lru_cache(maxsize=256)
def _jobs_in(task: str) -> tuple[str, ...]:  # a task is read for each of its themes and briefs
    return tuple(job for job, words in TASK_WORDS.items() if words_in(task, words))


def theme_job(theme: str, task: Any, named: list[str]) -> str:
    """The target job a task of ``theme`` belongs to: of the jobs the theme is work of (its
    own first, ``THEME_OTHER_JOBS`` after), one the firm named that the task's words name,
    else the first the firm named, else the theme's own. A dental clinic naming customer
    service and administration forecasts its no-shows with customer service, not with the
    purchasing staff a forecast of stock would have."""
    jobs = (THEME_JOB.get(theme, "admin"), *THEME_OTHER_JOBS.get(theme, ()))
    in_words = _jobs_named_in(task)
    for pool in ([j for j in jobs if j in in_words], jobs):
        for job in pool:
            if job in named:
                return job
    return jobs[0]


def _job_of(task: str, named: list[str], used: set[str]) -> str:
    """The target job a task belongs to: by its words among the jobs the firm named, then by
    its words alone, then the first named job not yet given a task."""
    hits = _jobs_named_in(task)
    for job in hits:
        if job in named:
            return job
    if hits:
        return hits[0]
    return next((j for j in named if j not in used), named[0] if named else "admin")


def _project_module(track: str, job: str, task: str, modules: Mapping[str, Module]) -> str | None:
    if track == "beginner":
        return BEGINNER_PROJECT
    for module_id, words in PROJECT_WORDS.items():
        module = modules.get(module_id)
        if module and track in module.tracks and words_in(task, words):
            return module_id
    chosen = PROJECT_MODULES.get(track, {}).get(job) or FALLBACK_PROJECT.get(track)
    return chosen if chosen in modules and track in modules[chosen].tracks else None


# A word ending a clause (a Korean connective ending, a comma): a short form cuts after one
# rather than inside the next clause ("…미리 가늠해…", not "…미리 가늠해 아침…").
_CLAUSE_END = re.compile(r"(?:[고며서해여면],?|,)$")


def short_task(task: Any, limit: int = NAME_LIMIT) -> str:
    """A short form of a stated task, to name its project by: whole up to ``limit``
    characters, else cut after the last clause (or else word) that fits, and marked."""
    task = " ".join(str(task or "").split())
    if len(task) <= limit:
        return task
    words = task[: limit + 1].split(" ")[:-1]  # the words that fit whole
    if not words:
        return task[: limit - 1] + "…"
    ends = [
        i
        for i, w in enumerate(words)
        if _CLAUSE_END.search(w) and len(" ".join(words[: i + 1])) >= limit // 2
    ]  # a clause long enough to say what the task is
    head = " ".join(words[: ends[-1] + 1] if ends else words)
    return head.rstrip(" ,.·") + "…"


def _clip(text: Any) -> str:
    text = str(text or "").strip()
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def project_briefs(
    answers: Mapping[str, Any],
    track: str,
    modules: Mapping[str, Module],
    trainees: Mapping[str, int],
    groups: list[str],
    themes: list[tuple[str, float, bool]] | None = None,
    done=frozenset(),
    plant: bool = True,
    stated=frozenset(),
) -> list[ProjectBrief]:
    """One brief per stated task (at most three), each in the firm's own words.

    With ``themes`` (the task model's reading or a consultant's setting, most likely first)
    the first task's project follows its first theme, and a task of two themes gets a
    second brief for the second; other tasks, and every task when the model abstained, get
    a project on the firm's own words. Without (``None``) tasks are matched by words."""
    named = [j for j in _as_list(answers.get("need_target_jobs")) if j in JOB_TO_GROUP]
    briefs: list[ProjectBrief] = []
    used: set[str] = set()
    tasks = stated_tasks(answers.get("need_task"))[:TASK_LIMIT]
    plan_of: list[tuple[str, Any]] = [(t, None) for t in tasks]
    if themes is not None:
        plan_of = [(t, themes[i] if i < len(themes) else False) for i, t in enumerate(tasks)]
        if len(tasks) == 1 and len(themes) > 1:  # one task of two themes: a brief for each
            plan_of.append((tasks[0], themes[1]))
        plan_of = plan_of[:TASK_LIMIT]
    urgent = answers.get("need_urgent_group")
    for index, (task, theme) in enumerate(plan_of):
        if theme is False:  # the model abstained: no theme says whose job the task is
            job, group = _own_words_job(task, named, urgent, groups, used)
        else:
            job = theme_job(theme[0], task, named) if theme else _job_of(task, named, used)
            group = JOB_TO_GROUP.get(job, "office")
        module_id = (
            _project_module(track, job, task, modules)
            if theme is None
            else _theme_module(track, theme[0] if theme else None, modules, done, plant, groups)
        )
        # The people the firm says the task is most urgent for, when it named their jobs, the
        # project trains them, and the firm's words count them or do not name the theme's own
        # job (six architects drafting permit papers are not office staff; a bakery whose
        # production staff decide how much to bake, naming production and sales but not
        # purchasing, forecasts with its production staff).
        module = modules.get(module_id or "")
        urgent_jobs = [j for j in named if JOB_TO_GROUP[j] == urgent]
        if (
            theme
            and urgent != group
            and urgent_jobs
            and urgent in groups
            and (module is None or urgent in module.job_groups)
            and (urgent in stated or job not in named)
        ):
            group, job = urgent, urgent_jobs[0]
        used.add(job)
        if group not in groups:  # a task of a group the firm has not: its nearest group
            nearest = ("engineers",) if theme and theme[0] in DATA_THEMES else ()
            group = next(
                (g for g in (*nearest, *groups) if g in groups and g != "executives"),
                groups[0] if groups else group,
            )
        briefs.append(
            ProjectBrief(
                task=_clip(task),
                job=job,
                job_group=group,
                # The problem the firm described is its first task's (it is asked once).
                problem=_clip(answers.get("need_problem")) if index == 0 else "",
                data_ready=answers.get("need_data_ready"),
                data_description=_clip(answers.get("need_data_desc")) if index == 0 else "",
                owner=answers.get("need_owner"),
                benefits=[
                    b for b in _as_list(answers.get("need_benefit")) if b in BENEFIT_MEASURES
                ],  # fmt: skip
                urgency=answers.get("need_urgency"),
                trainees=trainees.get(group, 1),
                module_id=module_id,
                theme=theme[0] if theme else None,
                theme_confirmed=bool(theme and theme[2]),
                completed=_completed_project(theme[0] if theme else None, done),
            )
        )
    # A task's second theme whose project is the first's (a beginner's one first project)
    # is no second project: the same task would be planned, and printed, twice.
    distinct: dict[tuple[str, str | None], ProjectBrief] = {}
    for brief in briefs:
        distinct.setdefault((brief.task, brief.module_id), brief)
    return list(distinct.values())


def _own_words_job(
    task: str, named: list[str], urgent: str | None, groups: list[str], used: set[str]
) -> tuple[str, str]:
    """Whose job a task is when the model read no theme in it, as (job, group): a job the firm
    named that the task itself names ("운송 경로 계획" of a firm naming logistics is its
    logistics staff's, not the customer service it says most needs training); else by the
    rule a theme's project follows without the theme: the jobs the firm named of the group it
    says most needs training, then the other jobs it named, each of a group the plan trains.
    Never the CEO by default: the executives only when the firm says they most need training
    and named no job, or when the plan trains no one else. ``job`` is "" where none was named."""
    trained = [j for j in named if JOB_TO_GROUP[j] in groups]
    in_words = _jobs_named_in(task)
    for job in trained:
        if job in in_words:
            return job, JOB_TO_GROUP[job]
    for pool in ([j for j in trained if JOB_TO_GROUP[j] == urgent], trained):
        if pool:
            job = next((j for j in pool if j not in used), pool[0])
            return job, JOB_TO_GROUP[job]
    others = [g for g in groups if g != "executives"]
    if urgent in groups and (urgent != "executives" or not others):
        return "", urgent
    return "", others[0] if others else "executives"


def _completed_project(theme: str | None, done) -> str | None:
    """The project of ``theme`` the firm completed, if its training records show one."""
    from .themes import theme_specs

    spec = theme_specs().get(theme) if theme else None
    return next((p for p in (spec.projects if spec else ()) if p in done), None)


def _theme_module(
    track: str,
    theme: str | None,
    modules: Mapping[str, Module],
    done=frozenset(),
    plant: bool = True,
    groups: list[str] | None = None,
) -> str | None:
    """The project module of a theme the track offers and the firm has not completed; a
    project on the firm's own words without one, and without a theme (the model abstained),
    assuming no kind of AI. A beginner's first project follows the theme too (photos for an
    inspection task, its own records for a forecast, generative AI for writing). A project
    for none of the firm's ``groups`` (an engineers' project in a firm without engineers) is
    passed over."""
    from .themes import theme_specs

    spec = theme_specs().get(theme) if theme else None
    projects = spec.projects if spec else ()
    if _completed_project(theme, done):  # done once: its results go into daily work
        return None
    fallback = OWN_WORDS_PROJECT.get(track, "")
    for module_id in projects + (fallback,):
        module = modules.get(module_id)
        if (
            module
            and track in module.tracks
            and module_id not in done
            and (plant or not module.plant_only)
            and (groups is None or any(g in module.job_groups for g in groups))
        ):
            return module_id
    return None


# --- the plan ----------------------------------------------------------------------------------


def _gap_value(module: Module, gap_of: Mapping[str, float]) -> float:
    return sum(gap_of.get(d, 0.0) for d in module.closes) / len(module.closes)


def _requested_modules(answers: Mapping[str, Any], track: str) -> list[str]:
    """Modules for the equipment the firm lacks and the uses it is considering."""
    if track != "shared_center":
        return []
    wanted: list[str] = []
    for need in _as_list(answers.get("need_equipment")):
        wanted += NEED_TO_MODULES.get(need, ())
    for item_id, module_id in USE_AREA_TO_MODULE.items():
        if answers.get(item_id) in ("considering", "prototyping", "testing"):
            wanted.append(module_id)
    return list(dict.fromkeys(wanted))


def plan(
    scores: Mapping[str, float | None],
    track: str,
    answers: Mapping[str, Any],
    profile: Mapping[str, Any],
    data: RoadmapData,
    diagnosed_on: date,
    job_analysis_first: bool = False,
    themes: list[tuple[str, float, bool]] | None = None,
    done: set[str] | frozenset[str] = frozenset(),
) -> Plan:
    """The phased plan for one firm. ``themes``: the task's themes as (theme, confidence,
    confirmed), most likely first, an empty list when the model abstained; ``None`` matches
    tasks by their words (the plan before the task model). ``done``: modules the firm's
    training records show it completed (a re-diagnosis): none is planned again."""
    answers = dict(answers)
    catalogue = data.catalogue
    modules = catalogue.by_id
    overlapping = catalogue.overlapping
    # What a completed module needed was done with it (a PBL's job analysis and basics).
    done = set(done) | prerequisites_of(modules, [m for m in done if m in modules])
    employees = employees_of(profile)
    gaps = sorted(
        ((d, s or 0.0) for d, s in scores.items() if (s or 0.0) < GAP_CEILING),
        key=lambda g: g[1],
    )
    gap_of = {d: 100.0 - s for d, s in gaps}
    stated_counts = stated_headcounts(answers, employees)
    plant = has_plant(profile)
    # The task's own jobs point to the groups that do it, as much as the jobs the firm named.
    # A technical task of a group the firm says it has not (no production staff) is done by
    # its engineers, when it has them.
    named = [j for j in _as_list(answers.get("need_target_jobs")) if j in JOB_TO_GROUP]
    first_task = next(iter(stated_tasks(answers.get("need_task"))), "")
    task_groups = {
        group if _has_group(answers, group) or t[0] not in DATA_THEMES else "engineers"
        for t in themes or ()
        if t[0] in THEME_JOB
        for group in [JOB_TO_GROUP[theme_job(t[0], first_task, named)]]
    }
    groups = job_groups_to_train(answers, track, {**dict.fromkeys(task_groups, 0),
                                                  **stated_counts}) or ["executives"]  # fmt: skip
    trainees = trainees_per_group(employees, groups)
    # The people the firm named take part; a group of one person is never planned as more.
    trainees.update({g: n for g, n in stated_counts.items() if g in trainees})
    stated = _number(answers.get("need_release_hours"))
    release = release_hours(stated)
    months = PLAN_MONTHS[track]
    mix = DELIVERY_MIX[track]
    # A mature AX firm with no concrete problem: the job analysis must find it first.
    clarity = answers.get("need_problem_clarity")
    analysis_first = track == "ax" and (job_analysis_first or clarity in ("none", "vague"))
    briefs = project_briefs(
        answers, track, modules, trainees, groups, themes, done, plant, set(stated_counts)
    )
    if analysis_first and track == "ax":
        briefs = [replace(b, module_id=None) for b in briefs]
    # A project the firm completed is not planned again: its brief stays, for its new round.
    briefs = [replace(b, module_id=None) if b.module_id in done else b for b in briefs]

    # 1. What the firm asked for: its tasks' projects and the equipment it lacks.
    requested: list[tuple[Module, str, int | None, float]] = []
    awareness = modules.get(CEO_AWARENESS)
    if (
        track == "beginner"
        and awareness
        and "executives" in groups
        and not awareness.already_had("executives", answers)
        and CEO_AWARENESS not in done
    ):  # the beginner track opens with the CEO's awareness session
        requested.append((awareness, "executives", None, 100.0))
    if analysis_first:
        requested.append((modules[JOB_ANALYSIS], _lead_group(groups), None, 100.0))
    preparation = modules.get(DATA_PREPARATION)
    if (
        themes is not None
        and track in ("ax", "shared_center")
        and preparation
        and track in preparation.tracks
        and answers.get("need_data_ready") in DATA_NOT_READY
        and not all(preparation.already_had(g, answers) for g in preparation.job_groups)
    ):  # the task's data is prepared first: its projects wait for the preparation
        modules = dict(modules)
        for brief in briefs:
            project = modules.get(brief.module_id or "")
            if project and brief.theme in DATA_THEMES and project.id != DATA_PREPARATION:
                modules[project.id] = project.model_copy(
                    update={"prerequisites": (*project.prerequisites, DATA_PREPARATION)}
                )
    for index, brief in enumerate(briefs):
        if brief.module_id:
            module = modules[brief.module_id]
            group = (
                brief.job_group
                if brief.job_group in module.job_groups
                else next((g for g in groups if g in module.job_groups), module.job_groups[0])
            )
            if group != brief.job_group:  # the brief names who takes its project
                briefs[index] = replace(brief, job_group=group, trainees=trainees.get(group, 1))
            requested.append((module, group, index, 100.0 - index))
    for module_id in _requested_modules(answers, track):
        module = modules.get(module_id)
        if module is None or any(r[0].id == module_id for r in requested):
            continue
        if module.audience != "staff":  # a course for job seekers trains no one of the firm
            continue
        if module.plant_only and not plant:
            continue
        group = next((g for g in groups if g in module.job_groups), None)
        if group:
            requested.append((module, group, None, 80.0))

    # 2. What closes the firm's gaps: modules of the track's mix, for groups it has, in its
    #    industry, not already had, most valuable first; a course for whoever runs the firm's
    #    training, for that one person.
    owner = training_owner(answers, groups)
    roles = {m.id: (owner[1], 1) for m in catalogue.modules if m.training_owner}
    candidates: list[tuple[float, Module, str]] = []
    for module in catalogue.modules:
        if (
            module.on_request
            or module.audience != "staff"
            or module.id in FIRM_WIDE
            or track not in module.tracks
            or module.delivery not in mix
            or module.id in done
            or not module.applies(answers)
            or (module.plant_only and not plant)
            or not _module_level_fits(module, scores)
            or not any(d in gap_of for d in module.closes)
        ):
            continue
        for group in [owner[0]] if module.training_owner else module.job_groups:
            if group not in groups or module.already_had(group, answers):
                continue
            value = _gap_value(module, gap_of)
            value *= 1.0 - 0.15 * groups.index(group)
            value *= 1.0 - 0.2 * mix.index(module.delivery)
            candidates.append((value, module, group))
    candidates.sort(key=lambda c: (-c[0], c[1].level, c[1].id))
    candidates = _fitting_basics(candidates, overlapping, {b.theme for b in briefs if b.theme})

    chosen, left_out = _select(
        [(m, g, b, v, True) for m, g, b, v in requested]
        + [(m, g, None, v, False) for v, m, g in candidates],
        modules,
        groups,
        answers,
        release,
        months,
        limit=_limit(track, groups) + len(requested),
        done=done,
        overlap=overlapping,
    )
    # Two projects of different target jobs in one group run side by side, by different
    # people, where the firm is large enough to have them (50 or more employees: a tool
    # assumption, to be validated): a press plant's maintenance and inspection staff.
    lanes = (
        {i: b.job for i, b in enumerate(briefs)}
        if employees >= LANE_EMPLOYEES and len({(b.job_group, b.job) for b in briefs}) > 1
        else {}
    )
    chosen = _once(chosen, groups, answers)
    placed, unplaced = _schedule(
        _in_order(chosen, catalogue.basics),
        modules,
        trainees,
        release,
        months,
        gap_of,
        lanes,
        catalogue.basics,
        roles,
    )
    placed_ids = {m.module_id for m in placed}
    # Not "left for next year": a module planned after all, or one teaching what a planned
    # module teaches.
    unplaced = [
        m
        for m in dict.fromkeys(unplaced + left_out)
        if m not in placed_ids and not overlapping.get(m, frozenset()) & placed_ids
    ]
    if track in ("ax", "shared_center") and (
        any(m.brief is not None for m in placed) or any(b.completed for b in briefs)
    ):
        placed, late = _with_coaching(
            placed, modules[COACHING], briefs, groups, trainees, release, months
        )
        unplaced += [m for m in late if m not in unplaced]
    phases = _phases(placed, track, months, modules, catalogue.basics)
    return Plan(
        track=track,
        gaps=[(d, round(s, 1)) for d, s in gaps],
        job_groups=groups,
        trainees=trainees,
        release_hours=release,
        release_stated=stated,
        months=months,
        phases=phases,
        briefs=briefs,
        referrals=referrals(answers, profile, data) if track == "shared_center" else [],
        job_analysis_first=analysis_first,
        rediagnose_month=months,
        start=first_month(diagnosed_on).isoformat(),
        unplaced=unplaced,
        themes=[tuple(t) for t in themes] if themes is not None else None,
        # a beginner's first project too: it is on the firm's words until the theme is set
        theme_to_confirm=themes == [] and bool(briefs),
        trainees_stated=[g for g in groups if g in stated_counts],
    )


def _fitting_basics(candidates, overlapping, themes: set[str]):
    """Of overlapping basics courses a group could take, the ones that suit the task's themes
    (``fits_themes``) where one does: general AI basics for a forecast, generative-AI basics
    for customer service; with no theme, or none suiting, all stay (one is taken)."""
    if not themes:
        return candidates

    def fits(module: Module) -> bool:
        return bool(set(module.fits_themes) & themes)

    fitting = {(m.id, g) for _v, m, g in candidates if fits(m)}
    return [
        (v, m, g)
        for v, m, g in candidates
        if fits(m) or not any((o, g) in fitting for o in overlapping.get(m.id, ()))
    ]


def _once(chosen, groups: list[str], answers):
    """A module taken once in a plan (``once``: the ethics and security course) is taken by
    one group: the one that leads the firm's AI work (the executives, who decide what may go
    into AI tools and write the rules that follow it), when the module serves it and it does
    not have it yet; else the group it was chosen for first."""
    lead = _lead_group(groups)
    kept: dict[str, tuple] = {}
    for item in chosen:
        module, group, brief, value, asked = item
        if not module.once or brief is not None:
            continue
        if module.id not in kept:
            eligible = lead in module.job_groups and not module.already_had(lead, answers)
            kept[module.id] = (module, lead if eligible else group, None, value, asked)
    out, seen = [], set()
    for item in chosen:
        module, _group, brief, *_rest = item
        if module.id in kept and brief is None:
            if module.id not in seen:
                seen.add(module.id)
                out.append(kept[module.id])
            continue
        out.append(item)
    return out


def _in_order(chosen, basics=frozenset()):
    """Prerequisites first; otherwise what the firm asked for (its task's project and the
    preparation it needs) first, the basics its projects need before any of them (a second
    project's basics do not wait for the first project), then the lower level first
    (awareness before practice), then by value."""
    import heapq

    ids = {m.id for m, *_ in chosen}
    pending = {i: {p for p in item[0].prerequisites if p in ids} for i, item in enumerate(chosen)}
    done: set[str] = set()
    ready = [_order_key(item, i, basics) for i, item in enumerate(chosen) if not pending[i]]
    heapq.heapify(ready)
    order, queued = [], {i for *_k, i in ready}
    while ready:
        *_key, i = heapq.heappop(ready)
        order.append(chosen[i])
        done.add(chosen[i][0].id)
        for j, item in enumerate(chosen):
            if j not in queued and pending[j] <= done:
                queued.add(j)
                heapq.heappush(ready, _order_key(item, j, basics))
    return order


def _order_key(item, index: int, basics=frozenset()) -> tuple:
    """What was asked for first, its basics before the rest of it, most valued first (the
    first task before the second); then the rest by level, awareness before practice."""
    module, _group, brief, value, asked = item
    basics_first = not (asked and brief is None and module.id in basics)
    return (not asked, basics_first, -value if asked else module.level, index)


def _with_coaching(
    placed, coaching: Module, briefs, groups, trainees, release: float, horizon: int
) -> tuple[list[PlannedModule], list[str]]:
    """Coaching carries the projects' results into daily work (``follows_projects``): each
    project's team takes it after its project (a project the firm completed earlier: when the
    team is free), and the executives with them where the catalogue says so (``lead_joins``),
    in a team's months, where they are free then. A team whose project leaves no months for it
    gets none in this plan, and the coaching is reported as left for the next one (second
    value)."""
    duration = max(1, math.ceil(coaching.hours / release))
    teams: dict[tuple[str, str], int] = {}  # (group, lane) -> the month its projects end
    for m in placed:
        if m.brief is not None:
            key = (m.job_group, m.lane)
            teams[key] = max(teams.get(key, 0), m.end_month)
    for brief in briefs:
        if brief.completed and not brief.module_id and brief.job_group in groups:
            teams.setdefault((brief.job_group, ""), 0)
    if not coaching.follows_projects:  # a catalogue without the relation: led from the top
        teams = {(_lead_group(groups), ""): max(teams.values(), default=0)}

    def busy(group: str, lane: str, added) -> list[tuple[int, int]]:
        return [
            (x.start_month, x.end_month)
            for x in [*placed, *added]
            if x.job_group == group and (not lane or x.lane in (lane, ""))
        ]

    def line(group: str, start: int, lane: str = "") -> PlannedModule:
        return PlannedModule(
            coaching.id, group, trainees.get(group, 1), coaching.hours, coaching.delivery,
            coaching.funding, start, duration, impact=10.0, lane=lane,
        )  # fmt: skip

    added: list[PlannedModule] = []
    for (group, lane), ready in teams.items():
        if group not in coaching.job_groups:
            continue
        start = _free_start(busy(group, lane, added), ready, duration, horizon)
        if start is not None:
            added.append(line(group, start, lane))
    lead = _lead_group(groups)
    if added and coaching.lead_joins and all(m.job_group != lead for m in added):
        # with a team, in its months (the first team whose months the lead has free); a lead
        # busy in all of them leaves the coaching to the teams, never takes it alone later
        for start in sorted({m.start_month for m in added}):
            if _free_start(busy(lead, "", added), start, duration, horizon) == start:
                added.append(line(lead, start))
                break
    return [*placed, *added], ([] if added else [coaching.id])


def first_month(diagnosed_on: date) -> date:
    """Month 0 of a plan: the month after the diagnosis."""
    year, month = divmod(diagnosed_on.year * 12 + diagnosed_on.month, 12)
    return date(year, month + 1, 1)


def month_date(start: date, index: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + index, 12)
    return date(year, month + 1, 1)


def training_owner(answers: Mapping[str, Any], groups: list[str]) -> tuple[str, str]:
    """Who runs the firm's training, as (group, lane): the general-affairs or HR person who
    does it beside other work (``train_hrd_owner``), one office person named by that job
    (``admin``); where no one does, one office person too, the plan's assumption (the
    paperwork of employer training is an office job, and the CEO, who the answer says
    decides training today, is already the busiest person of a small firm's plan); the
    CEO only in a firm without office staff. Never the staff the plan trains on its task as
    a group: planning training is not their work. The course is planned where the plan trains
    that person's group (a plan for production staff alone gets none, as before)."""
    if answers.get("train_hrd_owner") == "side_job" or _has_group(answers, "office"):
        return "office", "admin"
    return _lead_group(groups), ""


def _lead_group(groups: list[str]) -> str:
    """Who leads the firm's work with the consultant: the executives, if the firm has them."""
    return "executives" if "executives" in groups else groups[0]


def _data_holders(group: str, groups: list[str], preparation: Module) -> str:
    """Who prepares a project's data: the people who hold it. The engineers and IT staff
    where the plan trains them (they keep the systems the records are in), else the
    project's own group; office staff only for an office project or when no one else can."""
    for candidate in ("engineers", group):
        if candidate in groups and candidate in preparation.job_groups:
            return candidate
    return next((g for g in groups if g in preparation.job_groups), preparation.job_groups[0])


def _limit(track: str, groups: list[str]) -> int:
    """How many module placements a plan holds besides what was asked for."""
    return min(10, 2 + 2 * len(groups)) if track != "beginner" else min(8, 2 + 2 * len(groups))


def _select(
    candidates,
    modules,
    groups,
    answers,
    release: float,
    horizon: int,
    limit: int,
    done=(),
    overlap: Mapping[str, frozenset[str]] | None = None,
):
    """Take candidates in order, each with its missing prerequisites before it (a
    prerequisite the group already has counts as done), while the group's months allow:
    what the firm asked for always, then what closes its gaps. Returns the chosen
    ``(module, group, brief, value, asked)`` and the modules left out for lack of time."""
    chosen: list[tuple[Module, str, int | None, float, bool]] = []
    seen: set[tuple[str, str]] = set()
    months_used: dict[str, int] = {}
    left_out: list[str] = []

    def months(module: Module) -> int:
        return max(1, math.ceil(module.hours / release))

    def covered(module_id: str, group: str, into: list) -> bool:
        """The group takes (or the firm completed) a module teaching the same basics."""
        others = (overlap or {}).get(module_id, frozenset())
        return any(
            o in done or (o, group) in seen or any(m.id == o and g == group for m, g in into)
            for o in others
        )

    def chain(module: Module, group: str, into: list) -> None:
        for prerequisite in module.prerequisites:
            required = modules[prerequisite]
            target = (
                group
                if group in required.job_groups
                else next((g for g in groups if g in required.job_groups), required.job_groups[0])
            )
            if prerequisite == DATA_PREPARATION:
                target = _data_holders(group, groups, required)
            if prerequisite in FIRM_WIDE:
                target = _lead_group(groups)  # once for the firm, led from the top
            elif (
                required.already_had(target, answers)
                or prerequisite in done
                or covered(prerequisite, target, into)
            ):
                continue
            chain(required, target, into)
        if module.id in FIRM_WIDE:
            group = _lead_group(groups)
        if (module.id, group) not in seen and (module.id, group) not in {
            (m.id, g) for m, g in into
        }:
            into.append((module, group))

    for module, group, brief, value, asked in candidates:
        if not asked and len(chosen) >= limit:
            break
        if covered(module.id, group, []):  # one basics course a person, never two alike
            continue
        steps: list[tuple[Module, str]] = []
        chain(module, group, steps)
        need: dict[str, int] = {}
        for step, step_group in steps:
            need[step_group] = need.get(step_group, 0) + months(step)
        if not asked and any(months_used.get(g, 0) + n > horizon for g, n in need.items()):
            left_out.append(module.id)
            continue
        for step, step_group in steps:
            seen.add((step.id, step_group))
            months_used[step_group] = months_used.get(step_group, 0) + months(step)
            is_it = step is module
            chosen.append((step, step_group, brief if is_it else None, value, asked))
    return chosen, left_out


def _free_start(taken, earliest: int, duration: int, latest_end: int) -> int | None:
    """The first month from ``earliest`` at which ``duration`` months fit between the
    ``(start, end)`` spans of ``taken`` and end by ``latest_end``; None if none do."""
    for start in range(earliest, latest_end - duration + 1):
        if all(start + duration <= a or start >= b for a, b in taken):
            return start
    return None


def _schedule(
    chosen,
    modules,
    trainees,
    release: float,
    horizon: int,
    gap_of,
    lanes=None,
    basics=(),
    roles: Mapping[str, tuple[str, int]] | None = None,
):
    """Each group's modules one after another, each after its prerequisites, taking as many
    months as its hours need at the firm's release hours. What would not end by the plan's
    end (or needs a module that does not) is reported, not hidden, and never scheduled past
    it: a nine-month plan ends in its ninth month.

    A basics course (``basics``) comes before its group's first project, in months the group
    waits anyway (for the job analysis, for its data): after the project it would teach what
    the project taught, and before it, it would hold the firm's own project back; it is then
    left out, and so is what needs it.

    ``roles``: modules one person of a group takes, by module id as (lane, people): the
    training planning course, for the one person who runs the firm's training."""
    roles = roles or {}
    free_from: dict[str, int] = {}  # the group's people, after everything placed so far
    common_end: dict[str, int] = {}  # the group, after its common modules
    lane_end: dict[tuple[str, str], int] = {}  # a project lane of the group
    ends: dict[str, int] = {}  # module id -> first month it is done (by any group)
    spans: dict[str, list[tuple[int, int, str]]] = {}  # the group's months taken, by lane
    first_project: dict[str, int] = {}  # the month the group's first project starts
    placed: list[PlannedModule] = []
    unplaced: list[str] = []
    dropped: set[tuple[str, str]] = set()
    # what a project of the group needs first: placed before that project, whatever comes
    # before it (a second project's basics may follow the first project)
    for_a_project = {(p, g) for m, g, b, *_ in chosen if b is not None for p in m.prerequisites}

    def taken(group: str, lane: str = "") -> list[tuple[int, int]]:
        """The months the people of ``lane`` (the group's common modules: all) are busy."""
        return [(a, b) for a, b, x in spans.get(group, []) if not lane or x in (lane, "")]

    def place(module, group, brief, value, asked, start, duration, lane="") -> None:
        placed.append(
            PlannedModule(
                module.id,
                group,
                roles[module.id][1] if module.id in roles else trainees.get(group, 1),
                module.hours,
                module.delivery,
                module.funding,
                start,
                duration,
                brief,
                round(value if asked else _gap_value(module, gap_of), 1),
                lane,
            )
        )
        end = start + duration
        if lane:
            lane_end[(group, lane)] = end
        else:
            common_end[group] = max(common_end.get(group, 0), end)
        free_from[group] = max(free_from.get(group, 0), end)
        spans.setdefault(group, []).append((start, end, lane))
        ends[module.id] = min(ends.get(module.id, 10**6), end)
        if brief is not None:
            first_project[group] = min(first_project.get(group, 10**6), start)

    for module, group, brief, value, asked in chosen:
        duration = max(1, math.ceil(module.hours / release))
        lane = (lanes or {}).get(brief, "") if brief is not None else roles.get(module.id, ("",))[0]
        ready = max([0] + [ends[p] for p in module.prerequisites if p in ends])
        waits_on_missing = any(
            (p in unplaced and p not in ends) or (p, group) in dropped for p in module.prerequisites
        )
        if module.id in basics and brief is None and group in first_project:
            start = _free_start(taken(group), ready, duration, first_project[group])
            if start is not None and not waits_on_missing:
                place(module, group, brief, value, asked, start, duration)
                continue
            if (module.id, group) not in for_a_project:
                dropped.add((module.id, group))
                continue
        after = (
            max(common_end.get(group, 0), lane_end.get((group, lane), 0))
            if lane
            else free_from.get(group, 0)
        )
        start = _free_start(taken(group, lane), max(after, ready), duration, horizon)
        if start is None or waits_on_missing:
            unplaced.append(module.id)
            continue
        place(module, group, brief, value, asked, start, duration, lane)
    placed_ids = {m.module_id for m in placed}
    unplaced = [m for m in dict.fromkeys(unplaced) if m not in placed_ids]
    return placed, unplaced


def phase_bounds(track: str, months: int) -> list[tuple[int, int]]:
    """Three phases: 0–3, 3–6, 6–12 months for a twelve-month plan, in thirds otherwise."""
    if months == 12:
        return [(0, 3), (3, 6), (6, 12)]
    third = months // 3
    return [(0, third), (third, 2 * third), (2 * third, months)]


def _phases(
    placed: list[PlannedModule], track: str, months: int, modules, basics=()
) -> list[Phase]:
    """Modules into the phase they start in. An empty phase takes a module that nothing
    depends on from an earlier phase that keeps another, when its group is free by then:
    moving it later never puts it before a prerequisite or over the release hours, nor a
    basics course after its group's first project."""
    bounds = phase_bounds(track, months)

    def index_of(m: PlannedModule) -> int:
        return next(i for i, (a, b) in enumerate(bounds) if a <= m.start_month < b)

    items = list(placed)
    for target in range(1, len(bounds)):
        if any(index_of(m) == target for m in items):
            continue
        earlier = [m for m in items if index_of(m) < target]
        # Candidates: modules no other placed module needs after them, latest first, from a
        # phase that keeps something.
        needed = {p for m in items for p in modules[m.module_id].prerequisites}
        for m in sorted(earlier, key=lambda m: (-m.start_month, -m.impact)):
            if m.module_id in needed or m.brief is not None:  # the task's project stays first
                continue
            # a module the lead takes with a team (``lead_joins``: the CEO in a project
            # team's coaching) moves with its companions or not at all: alone, it would be a
            # line of its own
            together = (
                [x for x in items if x.module_id == m.module_id and x.start_month == m.start_month]
                if modules[m.module_id].lead_joins
                else [m]
            )
            if sum(1 for x in items if index_of(x) == index_of(m)) <= len(together):
                continue
            # the first month of the phase from which the group's people are free for it
            # (no other module of theirs runs then), and it still ends by the plan's end
            taken = [
                (x.start_month, x.end_month)
                for x in items
                if all(x is not y for y in together)
                and any(
                    x.job_group == y.job_group and (not y.lane or x.lane in (y.lane, ""))
                    for y in together
                )
            ]
            latest_end = months
            if m.module_id in basics:  # before the group's first project
                latest_end = min(
                    [months]
                    + [x.start_month for x in items if x.brief is not None
                       and x.job_group == m.job_group]
                )  # fmt: skip
            start = _free_start(taken, bounds[target][0], m.months, latest_end)
            if start is None or start >= bounds[target][1]:
                continue
            for y in together:
                items[items.index(y)] = replace(y, start_month=start)
            break
    phases = []
    for i, (start, end) in enumerate(bounds):
        inside = sorted(
            (m for m in items if index_of(m) == i), key=lambda m: (m.start_month, -m.impact)
        )
        phases.append(
            Phase(
                f"{start}-{end}", start, end, inside, round(sum(m.total_hours for m in inside), 1)
            )
        )
    return phases


# --- referrals -----------------------------------------------------------------------------


def wanted_specialisations(answers: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """What the firm needs a center for: the specialisations of the equipment it lacks,
    and those of the uses it is considering (a weaker sign)."""
    equipment: list[str] = []
    for need in _as_list(answers.get("need_equipment")):
        equipment += NEED_TO_SPECIALISATIONS.get(need, ())
    uses = [
        spec
        for item_id, spec in USE_AREA_TO_SPECIALISATION.items()
        if answers.get(item_id) in ("considering", "prototyping", "testing")
    ]
    equipment = list(dict.fromkeys(equipment))
    return equipment, [s for s in dict.fromkeys(uses) if s not in equipment]


def referrals(
    answers: Mapping[str, Any],
    profile: Mapping[str, Any],
    data: RoadmapData,
    top: int = 3,
) -> list[Referral]:
    """The one to three centers that best fit what the firm needs: the most of the equipment
    it lacks first, then the nearest, then the most of the uses it is considering."""
    equipment, uses = wanted_specialisations(answers)
    wanted = equipment + uses
    region = profile.get("region", "")
    registry = data.centers

    def rank(center: Center) -> tuple[int, float, int, str]:
        return (
            -sum(1 for s in equipment if s in center.specialisations),
            registry.distance_km(region, center.region),
            -sum(1 for s in uses if s in center.specialisations),
            center.id,
        )

    ranked = sorted(
        (c for c in registry.centers if any(s in c.specialisations for s in wanted)), key=rank
    )
    return [
        Referral(
            c.id,
            [s for s in wanted if s in c.specialisations],
            round(registry.distance_km(region, c.region)),
            c.region == region,
        )
        for c in ranked[:top]
    ]
