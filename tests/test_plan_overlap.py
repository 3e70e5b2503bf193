"""The plan never trains the same people twice on the same thing, and reads task words as words.

Over many generated firms (every track, tasks of every kind of theme, some read by the model,
some by their words), the dental clinic the lead met and the firms of issue 16:
- no group takes two courses that teach the same basics (general and generative-AI basics
  overlap, as the catalogue declares), and the one it takes fits its task's theme;
- no group takes a basics course after its own first project;
- the ethics and security course is one line of the plan, not one per group: the CEO's;
- no course for job seekers or career changers is planned for the firm's staff, nor listed
  for next year;
- a task word is a word: "routine" is no route, "wasted" holds no 'AS', "taxi" is no tax.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from firms import answers_at, with_tasks
from issue_firms import DENTAL, ISSUE_FIRMS
from test_roadmap import DATA, Q

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.roadmap import themes as task_themes
from diagnose.roadmap.planner import (
    PROJECT_WORDS,
    TASK_WORDS,
    _jobs_named_in,
    _project_module,
    plan,
    words_in,
)
from diagnose.roadmap.report import _plan_view

DAY = date(2026, 11, 22)
MODULES = DATA.catalogue.by_id
OVERLAP = DATA.catalogue.overlapping
BASICS = DATA.catalogue.basics
ETHICS = "ai_ethics_security"
TASKS = [
    ("예약 부도 환자를 미리 골라 확인 전화하기", [("customer_service", 0.8, False)]),
    ("매장별 빵 판매량 예측", [("demand_forecasting", 0.8, False)]),
    ("주간 보고서 자동 작성", [("reporting_automation", 0.8, True)]),
    ("포장 라벨 인쇄 오류 검사", [("visual_inspection", 0.9, False)]),
    ("프레스 설비 고장 예측과 외관 불량 검출",
     [("predictive_maintenance", 0.8, False), ("visual_inspection", 0.7, False)]),
    ("제품 소개글과 SNS 홍보물 작성", [("marketing_content", 0.8, False)]),
    ("Automate the routine weekly report", None),
    ("time wasted on meeting notes", None),
    ("그거 좀 잘 되게 하기", []),
]  # fmt: skip


def _generated(count: int = 135, seed: int = 1617):
    for index, profile, answers, themes in with_tasks(Q, TASKS, count, seed):
        if answers.get("need_problem_clarity") in (None, "none"):
            answers["need_problem_clarity"] = "named"
        scored = Firm.of(Q, profile, answers)
        track = track_for(scored)
        p = plan(scored.scores, track, answers, profile, DATA, DAY, themes=themes)
        yield pytest.param(p, answers, profile, themes, id=f"generated-{index}")


def _met():
    """The dental clinic and the issue's firms, their tasks read by the task model."""
    model = task_themes.current_model()
    for name, firm in {"dental": DENTAL, **ISSUE_FIRMS}.items():
        answers = answers_at(Q, firm["level"], firm["said"])
        scored = Firm.of(Q, firm["profile"], answers)
        reading = task_themes.read_task(model, answers)
        themes = [(t.theme, t.confidence, t.confirmed) for t in reading.themes]
        p = plan(scored.scores, track_for(scored), answers, firm["profile"], DATA, DAY, themes)
        yield pytest.param(p, answers, firm["profile"], themes, id=name)


CASES = [*_generated(), *_met()]


def _by_person(p) -> dict[tuple[str, str], list]:
    """The modules each person takes: a group's common modules and its project lane's."""
    found: dict[tuple[str, str], list] = {}
    for m in p.modules:
        found.setdefault((m.job_group, m.lane), []).append(m)
    for (group, lane), taken in found.items():
        if lane:
            taken += found.get((group, ""), [])
    return found


# --- 1. basics: one a person, the one that fits, before the group's first project ---------


def test_general_and_generative_ai_basics_are_declared_as_overlapping():
    assert "genai_office_basics" in OVERLAP["ai_basics_all"]
    assert "ai_basics_all" in OVERLAP["genai_office_basics"]
    # basics are what the catalogue declares as such: the courses of the overlap relation
    assert {"ai_basics_all", "genai_office_basics", "exec_ai_awareness"} <= BASICS
    assert ETHICS not in BASICS and "data_literacy_basics" not in BASICS


def test_the_themes_a_basics_course_fits_are_task_themes():
    known = set(task_themes.theme_specs())
    for module in DATA.catalogue.modules:
        assert set(module.fits_themes) <= known, (module.id, set(module.fits_themes) - known)
    assert "customer_service" in MODULES["genai_office_basics"].fits_themes
    assert "demand_forecasting" in MODULES["ai_basics_all"].fits_themes


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_no_group_gets_two_overlapping_basics(p, answers, profile, themes):
    for person, taken in _by_person(p).items():
        ids = [m.module_id for m in taken]
        for a in ids:
            assert not OVERLAP[a] & set(ids), (person, a, OVERLAP[a] & set(ids))


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_no_basics_after_the_same_groups_first_project(p, answers, profile, themes):
    for person, taken in _by_person(p).items():
        projects = [m.start_month for m in taken if m.brief is not None]
        if not projects:
            continue
        late = [
            (m.module_id, m.start_month)
            for m in taken
            if m.module_id in BASICS and m.brief is None and m.end_month > min(projects)
        ]
        assert not late, (person, min(projects), late)


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_a_groups_basics_course_fits_its_tasks_theme(p, answers, profile, themes):
    """Of overlapping basics courses, the one a group takes fits the task's theme whenever one
    of them does (unless a module of the group needs the other one first)."""
    task_themes_ = {b.theme for b in p.briefs if b.theme}
    if not task_themes_:
        return
    needed = {(pre, m.job_group) for m in p.modules for pre in MODULES[m.module_id].prerequisites}

    def fits(module_id: str) -> bool:
        return bool(set(MODULES[module_id].fits_themes) & task_themes_)

    for m in p.modules:
        if m.module_id not in BASICS or (m.module_id, m.job_group) in needed or fits(m.module_id):
            continue
        better = [
            o
            for o in OVERLAP[m.module_id]
            if fits(o) and m.job_group in MODULES[o].job_groups
            and not MODULES[o].already_had(m.job_group, answers)
            and (not MODULES[o].plant_only or profile.get("industry") in ("B", "C"))
            and p.track in MODULES[o].tracks
        ]  # fmt: skip
        assert not better, (m.module_id, m.job_group, task_themes_, better)


def test_the_dental_clinics_office_staff_get_one_basics_course_before_their_project():
    (case,) = [c for c in CASES if c.id == "dental"]
    p = case.values[0]
    office = [(m.module_id, m.start_month) for m in p.modules if m.job_group == "office"]
    project = next(m for m in p.modules if m.brief is not None)
    basics = [(i, s) for i, s in office if i in BASICS]
    assert basics == [("genai_office_basics", 0)], office
    assert project.job_group == "office" and project.start_month >= 2


# --- 2. ethics and security: once in a plan -----------------------------------------------------


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_an_ethics_module_appears_at_most_once(app_context, p, answers, profile, themes):
    """One line of the plan, for one group: the CEO where the plan trains the executives (who
    decide what may go into AI tools), else the group it was chosen for."""
    ethics = [m for m in p.modules if m.module_id == ETHICS]
    assert len(ethics) <= 1, [m.job_group for m in ethics]
    if ethics and "executives" in p.job_groups:
        assert ethics[0].job_group == "executives" or MODULES[ETHICS].already_had(
            "executives", answers
        )
    view = _plan_view(p, DATA, Q, answers, "ko", int(profile["employees"]), profile)
    rows = [r for ph in view["phases"] for r in ph["rows"] if r["id"] == ETHICS]
    assert len(rows) <= 1, [r["who"] for r in rows]


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_every_firm_level_module_is_one_line(p, answers, profile, themes):
    """A module whose result is the firm's, not a person's (ethics, the firm's AI-use rules),
    is declared ``once`` and is one line of any plan."""
    once = {m.id for m in DATA.catalogue.modules if m.once}
    assert {ETHICS, "ai_rules_workshop"} <= once
    lines = [m.module_id for m in p.modules if m.module_id in once]
    assert len(lines) == len(set(lines)), lines


def test_the_shop_writes_its_ai_rules_once():
    """The Incheon shop (AX track, no AI-use rules) had the rules workshop twice: its CEO in
    month 4 and its office staff in month 9."""
    from test_plan_people import SHOP, SHOP_THEMES, _plan_of

    p, _answers = _plan_of(SHOP, SHOP_THEMES, "ax")
    rules = [m for m in p.modules if m.module_id == "ai_rules_workshop"]
    assert len(rules) == 1 and rules[0].job_group == "executives", rules


# --- 3. courses for job seekers and career changers --------------------------------------------


def test_the_labeller_course_is_declared_for_job_seekers_and_claims_no_polytech():
    labeller = MODULES["polytech_ai_data_labeler"]
    assert labeller.audience == "job_seekers"
    assert "폴리텍" not in labeller.title.ko and "Polytech" not in labeller.title.en
    assert labeller.funding != "polytech"


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_no_job_seeker_course_in_any_plan(p, answers, profile, themes):
    for_others = {m.id for m in DATA.catalogue.modules if m.audience != "staff"}
    assert for_others, "the catalogue declares no course for job seekers"
    assert not {m.module_id for m in p.modules} & for_others
    assert not set(p.unplaced) & for_others, p.unplaced


# --- 4. task words are words -----------------------------------------------------------------

LATIN = re.compile(r"[A-Za-z]")


def _entries():
    for job, words in TASK_WORDS.items():
        yield from ((job, w) for w in words)
    for module_id, words in PROJECT_WORDS.items():
        yield from ((module_id, w) for w in words)


@pytest.mark.parametrize(("owner", "word"), [e for e in _entries() if LATIN.search(e[1])])
def test_a_latin_word_is_never_read_inside_another_word(owner, word):
    """Every Latin entry, with letters before or after it that make another word, is not read:
    'rout' is no part of 'routine', 'AS' none of 'wasted' or 'BASE', 'tax' none of 'taxi'."""
    for text in (
        f"the x{word} thing",
        f"the {word}ine thing",
        f"the {word}q thing",
        f"the un{word}x thing",
        f"the {word.upper()}X thing",
        f"the Q{word.upper()} thing",
    ):
        assert not words_in(text, (word,)), (word, text)
    # the word itself, in a sentence, in either script's neighbourhood, is read
    for text in (f"our {word} work", f"{word} 업무", f"({word})"):
        assert words_in(text, (word,)), (word, text)


@pytest.mark.parametrize(
    ("task", "job", "read"),
    [
        ("Automate the routine weekly report", "purchasing_logistics", False),
        ("time wasted on meeting notes", "customer_service", False),
        ("book a taxi for visitors", "admin", False),
        ("a new inventor's patent drafts", "purchasing_logistics", False),
        ("revision of the drawings", "quality", False),
        ("plan delivery routes for our vans", "purchasing_logistics", True),
        ("routing the trucks each morning", "purchasing_logistics", True),
        ("deliveries are late", "purchasing_logistics", True),
        ("inventory counts by hand", "purchasing_logistics", True),
        ("answer customers' enquiries", "customer_service", True),
        ("AS 접수와 고객 상담", "customer_service", True),
        ("VAT and tax filing", "admin", True),
        ("사무실 인사말 카드 만들기", "admin", False),
        ("공정거래 관련 서류 정리", "production", False),
        ("생산 공정 데이터 정리", "production", True),
    ],
)
def test_a_task_is_read_by_its_words_not_by_substrings(task, job, read):
    assert (job in _jobs_named_in(task)) is read, (task, _jobs_named_in(task))


@pytest.mark.parametrize(
    ("task", "track", "module"),
    [
        ("Cut the average handling time of calls", "shared_center", "sc_llm_app_dev"),
        ("revision history of the drawings", "shared_center", "sc_vision_inspection"),
        ("imagine a better storage layout", "shared_center", "sc_vision_inspection"),
    ],
)
def test_a_project_is_not_chosen_by_a_word_inside_another(task, track, module):
    assert _project_module(track, "admin", task, MODULES) != module
    assert _project_module(track, "admin", "RAG 기반 사내 문서 챗봇", MODULES) == "sc_llm_app_dev"


@pytest.mark.parametrize(("p", "answers", "profile", "themes"), CASES)
def test_no_task_theme_from_a_substring(p, answers, profile, themes):
    """A task read by its words is given a job its words name as words, or one the firm
    named: never one a word inside another word names."""
    if themes is not None:
        return
    named = answers.get("need_target_jobs") or []
    for brief in p.briefs:
        task = brief.task.lower()
        if "routine" in task and "route" not in task:
            assert brief.job != "purchasing_logistics" or brief.job in named, brief.task
        if "wasted" in task:
            assert brief.job != "customer_service" or brief.job in named, brief.task
