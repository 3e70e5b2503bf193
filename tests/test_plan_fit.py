"""A plan true to the firm, read as its CEO reads it (issue 16, items 2 and 3).

Over many generated firms, of every industry the generator makes, with a stated task and its
themes, some with a module in their training records:
- every planned module follows from an answer (its "why" names one);
- nothing the firm already has or did is planned (daily generative-AI users get no basics,
  written rules get no rules or ethics course, a completed module is not repeated);
- every trained group is one the answers point to, and every headcount the firm did not give
  is printed as the plan's assumption;
- no one takes two courses teaching the same basics, nor the same course twice;
- the first three actions are in date order and name the task's project;
- a beginner's first project follows its task's theme;
- a task the model cannot read (it abstains) gets a project on the firm's own words that
  assumes no kind of AI, for the people the answers point to (never the CEO by default), and
  the consultant is asked to set the theme;
- the task's data is prepared by those who hold it;
- no factory wording for a firm that makes no goods.
Then the six firms of the issue, a bakery no one had seen, and the demo's re-diagnosed firm,
each as its CEO would read the first page.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from firms import answers_at, with_tasks
from issue_firms import ISSUE_FIRMS
from test_roadmap import DATA, Q

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.roadmap import themes as task_themes
from diagnose.roadmap.catalogue import makes_goods, prerequisites_of
from diagnose.roadmap.planner import (
    CEO_AWARENESS,
    DATA_PREPARATION,
    JOB_TO_GROUP,
    OWN_WORDS_PROJECT,
    THEME_JOB,
    plan,
    stated_headcounts,
)
from diagnose.roadmap.report import _plan_view
from diagnose.services.roadmaps import module_reasons

DAY = date(2026, 11, 22)
MODULES = DATA.catalogue.by_id
TASKS = [
    ("프레스 설비 고장 예측", [("predictive_maintenance", 0.9, False)]),
    ("주간 보고서 자동 작성", [("reporting_automation", 0.8, True)]),
    ("고객 예약 문의 답변", [("customer_service", 0.7, False)]),
    ("라인 설비 고장 예측과 외관 불량 검출",
     [("predictive_maintenance", 0.8, False), ("visual_inspection", 0.7, False)]),
    ("제품 포장 라벨 인쇄 오류 검사", [("visual_inspection", 0.9, False)]),
    ("월별 출하량 예측", [("demand_forecasting", 0.9, False)]),
    ("설계 설명서 초안 작성, 설계자 5명이 주 10시간씩 씁니다", [("genai_writing", 0.9, False)]),
    ("잘 모르겠습니다", []),
]  # fmt: skip
DONE = ["pbl_quality_data_analysis", "genai_office_basics", "pbl_office_genai_automation",
        "first_use_case_online", "", ""]  # fmt: skip
BASICS = {"ai_basics_all", "genai_office_basics", "exec_ai_awareness", "learning_card_ai_basics"}
DAILY = ("widespread", "company_account", "embedded")
FIRST_PROJECT = {
    "visual_inspection": "first_use_case_vision",
    "predictive_maintenance": "first_use_case_data",
    "demand_forecasting": "first_use_case_data",
    "genai_writing": "first_use_case_online",
    "reporting_automation": "first_use_case_online",
    "customer_service": "first_use_case_online",
}
# Words of the factory floor a service firm must not read in its plan (module texts and
# level sentences; the firm's own words are its own).
FACTORY = re.compile("양품|작업표준|제품 샘플|스마트공장|금형|생산 라인|공장|도면|제품 설명서")
GENAI = re.compile("생성형|ChatGPT|챗GPT|generative", re.IGNORECASE)


def _firms(count: int = 150, seed: int = 1616):
    for index, profile, answers, themes in with_tasks(Q, TASKS, count, seed):
        answers.setdefault("need_problem_clarity", "named")
        if answers["need_problem_clarity"] == "none":
            answers["need_problem_clarity"] = "named"
        done = {DONE[index % len(DONE)]} - {""}
        yield index, Firm.of(Q, profile, answers), profile, answers, themes, done


def _view(p, answers, profile):
    employees = int(profile["employees"])
    return _plan_view(p, DATA, Q, answers, "ko", employees, profile)


def _needs(p, project) -> set[str]:
    """What a placed project waits for: its prerequisites, and data preparation when the
    plan placed one that ends before it starts."""
    needs = set(MODULES[project.module_id].prerequisites)
    if any(
        m.module_id == DATA_PREPARATION and m.end_month <= project.start_month for m in p.modules
    ):
        needs.add(DATA_PREPARATION)
    return needs


def _pointed_groups(answers, themes, stated) -> set[str]:
    """The groups the answers point to: named jobs, the urgent group, a counted group, the
    task's own group (or the engineers doing a technical task of a group the firm lacks);
    every group when they point to none."""
    named = {JOB_TO_GROUP[j] for j in answers.get("need_target_jobs") or [] if j in JOB_TO_GROUP}
    task = {JOB_TO_GROUP[THEME_JOB[t]] for t, *_ in themes}
    pointed = named | {answers.get("need_urgent_group")} | set(stated) | task
    if not pointed - {None, "executives"}:
        return {"executives", "office", "engineers", "production"}
    return pointed | {"executives"} | ({"engineers"} if task else set())


def _check_fit(p, track, answers, profile, themes, done, view):
    planned = p.modules
    overlap = DATA.catalogue.overlapping
    pairs = [(m.module_id, m.job_group, m.lane) for m in planned]
    ids = {m for m, _g, _l in pairs}

    # every module follows from an answer: its "why" names an answer, a gap, a prerequisite
    # or the track's opening step (the CEO's awareness on the beginner track)
    reasons = module_reasons(SimpleNamespace(plan=p, answers=answers, data=DATA))
    for m in planned:
        why = reasons[(m.module_id, m.job_group)]
        assert why, m.module_id
        if why == [{"track": track}]:
            assert m.module_id == CEO_AWARENESS and track == "beginner", (m.module_id, why)

    # nothing the firm has or did
    assert not ids & done, "a completed module is planned again"
    for m in planned:
        assert not MODULES[m.module_id].already_had(m.job_group, answers), m.module_id
    if answers.get("use_genai_office") in DAILY:
        assert not [(i, g) for i, g, _l in pairs if i in BASICS and g in ("office", "engineers")]
    if answers.get("use_rules") in ("written", "managed"):
        assert not ids & {"ai_rules_workshop", "ai_ethics_security"}

    # groups and headcounts from the answers; an assumed one said so
    stated = stated_headcounts(answers, int(profile["employees"]))
    pointed = _pointed_groups(answers, themes, stated)
    assert {g for _i, g, _l in pairs} <= pointed, ({g for _i, g, _l in pairs}, pointed)
    for group, count in p.trainees.items():
        if group in stated:
            assert count == stated[group] and group in p.trainees_stated
    counted = {p.trainees[g] for g in p.trainees_stated}
    for phase in view["phases"]:
        for r in phase["rows"]:
            for part in r["who"].split(" · "):
                if part.startswith("대표") or "(가정)" in part:
                    continue
                number = re.search(r"(\d+)명$", part)
                if DATA.catalogue.by_id[r["id"]].training_owner:
                    # one person runs training: the answer's own where it says one does
                    assert number and number.group(1) == "1", part
                    assert answers.get("train_hrd_owner") == "side_job", part
                    continue
                assert number and int(number.group(1)) in counted, (part, counted)

    # "left for next year" never names what is planned, nor what a planned module teaches
    for u in p.unplaced:
        assert u not in ids and not overlap[u] & ids, u

    # a project's brief names the people its row does
    for b in view["briefs"]:
        rows = [
            r
            for ph in view["phases"]
            for r in ph["rows"]
            if r["tasks"] and r["title"] == b["module"]
        ]
        if rows:
            assert any(b["who"] in r["who"].split(" · ") for r in rows), (b["who"], rows[0]["who"])

    # one course a person: never the same one twice, nor two that teach the same basics
    by_person: dict[tuple[str, str], list[str]] = {}
    for i, g, lane in pairs:
        by_person.setdefault((g, lane), []).append(i)
    for person, taken in by_person.items():
        assert len(taken) == len(set(taken)), (person, taken)
        for a in taken:
            assert not overlap[a] & set(taken), (person, a, overlap[a] & set(taken))

    # the first three actions: date order, the task's project among them, what prepares it
    first = view["first"]
    assert [r["start_month"] for r in first] == sorted(r["start_month"] for r in first)
    projects = [m for m in planned if m.brief is not None]
    if projects:
        assert any(r["tasks"] for r in first), [r["title"] for r in first]

    # a beginner's first project follows the theme of its task
    if track == "beginner":
        for b in p.briefs:
            if b.theme in FIRST_PROJECT and not b.completed and FIRST_PROJECT[b.theme] not in done:
                assert b.module_id == FIRST_PROJECT[b.theme], (b.theme, b.module_id)

    # a task the model could not read: a project on the firm's own words that assumes no
    # kind of AI, for the group the answers point to (the named jobs of the group the firm
    # says most needs training, then the jobs it named), never the CEO by default; the
    # consultant is asked to set the theme
    if not themes:
        assert p.theme_to_confirm == bool(p.briefs)
        urgent = answers.get("need_urgent_group")
        named = {
            JOB_TO_GROUP[j] for j in answers.get("need_target_jobs") or [] if j in JOB_TO_GROUP
        }
        named &= set(p.job_groups)
        for b in p.briefs:
            if b.module_id is None:
                continue
            module = MODULES[b.module_id]
            assert b.module_id in OWN_WORDS_PROJECT.values() and b.theme is None, b.module_id
            assert not GENAI.search(module.title.ko + module.summary.ko), b.module_id
            if urgent in named:
                assert b.job_group == urgent, (b.job_group, urgent)
            elif b.job_group == "executives":
                assert p.job_groups == ["executives"] or (urgent == "executives" and not named)

    # the task's data is prepared by those who hold it: the engineers where the plan trains
    # them, else the project's own people; never office staff for a shop-floor project
    preparing = [m for m in planned if m.module_id == DATA_PREPARATION]
    waiting = [x for x in projects if DATA_PREPARATION in _needs(p, x)]
    if preparing and waiting:
        holders = {"engineers"} if "engineers" in p.job_groups else set()
        holders |= {x.job_group for x in waiting}
        assert any(m.job_group in holders for m in preparing), (holders, preparing)
        if {x.job_group for x in waiting} == {"production"}:
            assert all(m.job_group != "office" for m in preparing if m.end_month <= min(
                x.start_month for x in waiting))  # fmt: skip

    # no factory wording for a firm that makes no goods
    if not makes_goods(profile):
        texts = [r["title"] + " " + r["summary"] for ph in view["phases"] for r in ph["rows"]]
        texts += [
            t.ko
            for d in DATA.levels.dimensions
            for level in range(1, 6)
            if (t := DATA.levels.text_for(d, level, answers, False))
        ]
        found = [t for t in texts if FACTORY.search(t)]
        assert not found, found


@pytest.mark.parametrize(("index", "firm", "profile", "answers", "themes", "done"), list(_firms()))
def test_every_plan_fits_the_firm(app_context, index, firm, profile, answers, themes, done):
    track = track_for(firm)
    p = plan(firm.scores, track, answers, profile, DATA, DAY, themes=themes, done=done)
    _check_fit(p, track, answers, profile, themes, done, _view(p, answers, profile))


def test_a_completed_project_is_not_planned_again_and_coaching_carries_its_results(app_context):
    firm = ISSUE_FIRMS["ulsan_auto_parts"]
    answers = answers_at(Q, firm["level"], firm["said"])
    scored = Firm.of(Q, firm["profile"], answers)
    themes = [("visual_inspection", 0.9, False)]
    done = {"sc_vision_inspection"}
    p = plan(scored.scores, "ax", answers, firm["profile"], DATA, DAY, themes=themes, done=done)
    ids = {m.module_id for m in p.modules}
    assert p.briefs[0].completed == "sc_vision_inspection" and p.briefs[0].module_id is None
    assert not ids & {"sc_vision_inspection", "pbl_quality_data_analysis"}
    # what the completed project needed was done with it
    assert "data_literacy_basics" not in {
        m.module_id for m in p.modules if m.job_group == "production"
    }
    assert "ax_coaching" in ids
    reasons = module_reasons(SimpleNamespace(plan=p, answers=answers, data=DATA))
    # coaching, by whoever takes it (the team that did the project, the CEO with them when
    # free in their months), says which completed project it carries on
    coaching = [k for k in reasons if k[0] == "ax_coaching"]
    assert coaching and all({"after": "sc_vision_inspection"} in reasons[k] for k in coaching)
    # the report then speaks of no job analysis and of no new project on the task
    view = _view(p, answers, firm["profile"])
    assert view["projects_completed"] and not view["job_analysis_planned"]
    assert "이미 마친" in view["briefs"][0]["module"]
    assert any(r["id"] == "ax_coaching" and r["tasks"] for r in view["first"])


# --- the six firms of the issue and the bakery, as their CEOs read them ----------------------


@pytest.fixture(scope="module")
def issue_plans(app_context):
    model = task_themes.current_model()
    found = {}
    for name, firm in ISSUE_FIRMS.items():
        answers = answers_at(Q, firm["level"], firm["said"])
        scored = Firm.of(Q, firm["profile"], answers)
        track = track_for(scored)
        reading = task_themes.read_task(model, answers)
        themes = [(t.theme, t.confidence, t.confirmed) for t in reading.themes]
        p = plan(scored.scores, track, answers, firm["profile"], DATA, DAY, themes=themes)
        view = _view(p, answers, firm["profile"])
        _check_fit(p, track, answers, firm["profile"], [t[0:1] for t in themes], set(), view)
        found[name] = SimpleNamespace(track=track, plan=p, view=view, answers=answers)
    return found


def _first(found, name):
    return [(r["id"], r["who"]) for r in found[name].view["first"]]


def test_the_ulsan_press_plant_gets_both_projects_after_its_data_team_prepares_the_data(
    issue_plans,
):
    ulsan = issue_plans["ulsan_auto_parts"]
    assert ulsan.track == "shared_center"
    first = _first(issue_plans, "ulsan_auto_parts")
    assert [i for i, _w in first] == [
        DATA_PREPARATION,
        "sc_vision_inspection",
        "sc_predictive_maintenance",
    ] or [i for i, _w in first] == [
        DATA_PREPARATION,
        "sc_predictive_maintenance",
        "sc_vision_inspection",
    ]
    # the data team of three the firm named prepares the data, not office staff
    assert first[0][1] == "기술·IT 직군 3명"
    # inspection and maintenance staff, each a number the plan assumes
    assert {w for i, w in first[1:]} == {"품질관리·검사 6명(가정)", "설비보전 6명(가정)"}


def test_the_architects_project_is_theirs_and_they_get_no_basics_nor_rules(issue_plans):
    office = issue_plans["daejeon_architects"]
    projects = [m for m in office.plan.modules if m.brief is not None]
    assert [(m.job_group, m.trainees) for m in projects] == [("engineers", 6)]
    ids = {m.module_id for m in office.plan.modules}
    assert not ids & (BASICS | {"ai_rules_workshop", "ai_ethics_security"})
    assert not ids & {"engineer_ml_basics_online", "ai_vendor_certification"}


def test_the_start_up_trains_the_four_developers_it_named_and_nothing_of_a_factory(issue_plans):
    start_up = issue_plans["seoul_ai_startup"]
    assert start_up.plan.job_groups == ["engineers", "executives"] or set(
        start_up.plan.job_groups
    ) == {"engineers", "executives"}
    assert start_up.plan.trainees["engineers"] == 4
    assert not [m for m in start_up.plan.modules if MODULES[m.module_id].plant_only]
    assert start_up.plan.briefs[0].module_id == "sc_gpu_model_training"


def test_the_jeju_hotel_trains_no_engineers_and_its_ceo_one_basics_course(issue_plans):
    hotel = issue_plans["jeju_hotel"]
    assert set(hotel.plan.job_groups) == {"executives", "office"}
    ceo = [m.module_id for m in hotel.plan.modules if m.job_group == "executives"]
    assert len([i for i in ceo if i in BASICS]) <= 1
    assert all("(가정)" in r["who"] or r["who"] == "대표" for r in hotel.view["first"])


def test_a_beginners_first_project_is_named_after_its_task(issue_plans):
    fish = issue_plans["busan_fish"].plan
    farm = issue_plans["jeonnam_farm"].plan
    assert fish.briefs[0].module_id == "first_use_case_vision"
    assert fish.briefs[0].job_group == "production"
    assert farm.briefs[0].module_id == "first_use_case_data"
    # the CEO opens with one awareness session, and no second basics course
    ceo = [m.module_id for m in fish.modules if m.job_group == "executives"]
    assert ceo.count(CEO_AWARENESS) == 1 and not set(ceo) & (BASICS - {CEO_AWARENESS})


def test_the_bakery_forecasts_with_the_production_staff_it_says_need_training_most(issue_plans):
    """How much to bake from each shop's sales is a forecast (read without 예측), worked on
    from the firm's own records by its production staff, not by the CEO or by the purchasing
    job it did not name."""
    bakery = issue_plans["gwangju_bakery"]
    assert bakery.track == "beginner"
    (brief,) = bakery.plan.briefs
    assert (brief.theme, brief.module_id) == ("demand_forecasting", "first_use_case_data")
    assert (brief.job, brief.job_group) == ("production", "production")
    assert ("first_use_case_data", "생산·공정관리 4명(가정)") in _first(
        issue_plans, "gwangju_bakery"
    )
    assert not bakery.plan.theme_to_confirm


NONSENSE = "그거 좀 잘 되게 하기"


def _bakery(**said):
    firm = ISSUE_FIRMS["gwangju_bakery"]
    answers = answers_at(Q, firm["level"], {**firm["said"], **said})
    scored = Firm.of(Q, firm["profile"], answers)
    return scored, track_for(scored), answers, firm["profile"]


def test_a_task_the_model_cannot_read_gets_a_first_project_on_the_firms_words(app_context):
    """The bakery's beginner plan when the model abstains: no generative AI assumed, its first
    project named by its own words, for its production staff (the group it says most needs
    training, whose job it named), not the CEO; the consultant is asked to set the theme."""
    scored, track, answers, profile = _bakery(
        need_task=NONSENSE, need_problem="", need_data_desc=""
    )
    assert task_themes.read_task(task_themes.current_model(), answers).abstained
    p = plan(scored.scores, track, answers, profile, DATA, DAY, themes=[])
    view = _view(p, answers, profile)
    _check_fit(p, track, answers, profile, [], set(), view)
    assert track == "beginner" and p.theme_to_confirm
    (brief,) = p.briefs
    assert brief.theme is None and (brief.job, brief.job_group) == ("production", "production")
    project = next(r for r in view["first"] if r["tasks"])
    assert project["title"] == f"첫 과제 실습: “{NONSENSE}”" == view["briefs"][0]["module"]
    assert project["who"] == "생산·공정관리 4명(가정)"
    # the timeline names it so too
    listed = [title for ph in view["phases"] for lane in ph["lanes"] for title in lane["titles"]]
    assert project["title"] in listed and MODULES[brief.module_id].title.ko not in listed
    assert not GENAI.search(project["title"] + project["summary"])
    # nor is generative AI what it needs learnt first
    needed = prerequisites_of(MODULES, [brief.module_id])
    assert needed and not [i for i in needed if GENAI.search(MODULES[i].title.ko)], needed
    # a longer task names its project in a short form, cut at a word
    scored, track, answers, profile = _bakery()
    p = plan(scored.scores, track, answers, profile, DATA, DAY, themes=[])
    titles = [r["title"] for r in _view(p, answers, profile)["first"] if r["tasks"]]
    assert titles == ["첫 과제 실습: “매장 세 곳의 요일·날씨별 빵 판매량을 미리 가늠해…”"]


def test_a_service_firm_reads_no_factory_level_text():
    answers = {"need_task": "예약 문의 답변"}
    service = DATA.levels.text_for("data_infra", 3, answers, False).ko
    goods = DATA.levels.text_for("data_infra", 3, answers, True).ko
    assert "양품" not in service and "양품" in goods


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_data_level_text_never_contradicts_where_the_firm_keeps_its_data(level):
    """'Mostly on paper or personal PCs', 'electronic but scattered' and 'record the outcomes
    too' are left out for a firm whose answers say otherwise (the level number stays)."""
    said_elsewhere = {
        1: [{"data_storage": "system"}, {"need_data_ready": "organised"}],
        2: [{"data_storage": "shared_files"}, {"need_data_ready": "labelled"}],
        3: [{"need_data_ready": "labelled"}],
    }
    plain = DATA.levels.text_for("data_infra", level, {"data_storage": "paper"}, False)
    assert plain is not None and plain.ko
    for answers in said_elsewhere[level]:
        assert DATA.levels.text_for("data_infra", level, answers, False) is None, answers


def test_a_firm_that_makes_no_goods_reads_its_data_answer_without_the_factorys_example(
    app_context,
):
    """The data answer "organised" carries a factory's example (양품·불량) in the
    questionnaire; a hotel's brief gives the answer without it, a food plant's with it."""
    for name, goods in (("jeju_hotel", False), ("gwangju_bakery", True)):
        firm = ISSUE_FIRMS[name]
        said = {**firm["said"], "need_data_ready": "organised"}
        answers = answers_at(Q, firm["level"], said)
        scored = Firm.of(Q, firm["profile"], answers)
        p = plan(scored.scores, track_for(scored), answers, firm["profile"], DATA, DAY)
        view = _view(p, answers, firm["profile"])
        data = [b["data"] for b in view["briefs"]]
        assert data and all(("양품" in d) is goods for d in data), (name, data)
        assert all(d.startswith("한 시스템에 정리되어 있지만") for d in data), data
