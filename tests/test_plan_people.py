"""Who takes each module, and what a project is called, follow from the firm's own answers.

Over many generated firms (every track, tasks of several themes), an Incheon online shop, a
dental clinic and the firms of issue 16:
- "비전" of a company's vision is no vision inspection, a "coworker" is no worker.
- coaching on a project's results goes to that project's team, after its project (the
  CEO with them, as the catalogue says), never to the CEO alone;
- the training-planning course goes to the one person who runs the firm's training (the HR
  or general-affairs person; one office person where no one does), not to the staff the plan
  trains on its task;
- a shop reads of the goods it sells, a service firm of its services, a maker of its products;
- a task's project goes to a job the firm named that the task's theme is work of (a clinic's
  no-show forecast to its customer service, not to purchasing), and a forecast of customers'
  behaviour is not called demand forecasting;
"""

from __future__ import annotations

from datetime import date

import pytest
from firms import answers_at
from issue_firms import DENTAL, ISSUE_FIRMS, SHOP
from test_plan_fit import _firms
from test_roadmap import DATA, Q

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.diagnosis.scoring import NOT_APPLICABLE
from diagnose.roadmap.planner import (
    COACHING,
    JOB_TO_GROUP,
    THEME_JOB,
    THEME_OTHER_JOBS,
    _jobs_named_in,
    plan,
    stated_headcounts,
    training_owner,
)

DAY = date(2026, 12, 3)
MODULES = DATA.catalogue.by_id
PLANNING = [m.id for m in DATA.catalogue.modules if m.training_owner]
SHOP_THEMES = [("marketing_content", 0.99, False)]
DENTAL_THEMES = [("customer_service", 0.99, False), ("demand_forecasting", 0.8, False)]


def _plan_of(firm, themes, track=None):
    answers = answers_at(Q, firm["level"], firm["said"])
    scored = Firm.of(Q, firm["profile"], answers)
    track = track or track_for(scored)
    return plan(scored.scores, track, answers, firm["profile"], DATA, DAY, themes=themes), answers


def _generated():
    for index, firm, profile, answers, themes, done in _firms(120, seed=1617):
        track = track_for(firm)
        p = plan(firm.scores, track, answers, profile, DATA, DAY, themes=themes, done=done)
        yield pytest.param(p, answers, themes, id=f"{index}-{track}")


GENERATED = list(_generated())


# --- words read as words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "quality"),
    [
        ("회사 비전 수립과 중장기 전략 문서 작성", False),
        ("비전 2030 보고서 초안 쓰기", False),
        ("경영비전 선포식 자료 만들기", False),
        ("Write our company vision statement", False),
        ("a vision for 2030 and the plan behind it", False),
        ("비전 검사로 용접 불량 찾기", True),
        ("머신비전 카메라로 외관 검사", True),
        ("vision inspection of welds", True),
    ],
)
def test_a_companys_vision_is_no_vision_inspection(task, quality):
    assert ("quality" in _jobs_named_in(task)) is quality, task


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("coworker 3명과 함께 하는 일", {}),
        ("3 coworkers help", {}),
        ("workers 5명이 손으로 기록", {"production": 5}),
        ("5 workers on the line", {"production": 5}),
        ("작업자 4명이 검사", {"production": 4}),
        ("5 developers", {"engineers": 5}),
        ("a data team of 3", {"engineers": 3}),
    ],
)
def test_a_staff_count_word_is_read_as_a_word(text, counted):
    assert stated_headcounts({"need_task": text}, 50) == counted, text


# --- coaching follows the project, for the people who did it -----------------------------------


@pytest.mark.parametrize(("p", "answers", "themes"), GENERATED)
def test_coaching_goes_to_each_projects_team_after_its_project(p, answers, themes):
    coaching = [m for m in p.modules if m.module_id == COACHING]
    projects = [m for m in p.modules if m.brief is not None]
    teams = {(m.job_group, m.lane) for m in projects}
    teams |= {(b.job_group, "") for b in p.briefs if b.completed and not b.module_id}
    for m in coaching:
        if (m.job_group, m.lane) in teams:  # a team: after its own project
            ends = [x.end_month for x in projects if (x.job_group, x.lane) == (m.job_group, m.lane)]
            assert m.start_month >= max(ends, default=0), (m, ends)
        else:  # the CEO joins a team, never takes it alone
            assert m.job_group == "executives" and MODULES[COACHING].lead_joins, m
            assert any(x.job_group != "executives" for x in coaching), coaching
            # with them: in the months a team's coaching runs, not a line of its own later
            assert any(
                x.job_group != "executives"
                and x.start_month < m.end_month
                and m.start_month < x.end_month
                for x in coaching
            ), coaching
    assert p.busiest_month() <= p.release_hours


def test_every_module_on_a_projects_results_follows_the_projects():
    """A module whose text speaks of a PBL's results and is no project's prerequisite is
    taken by the projects' teams (the catalogue says so), not by one group chosen for it."""
    needed = {q for m in DATA.catalogue.modules for q in m.prerequisites}
    for module in DATA.catalogue.modules:
        if "PBL 결과" in module.summary.ko and module.id not in needed:
            assert module.follows_projects, module.id


def test_the_shops_coaching_is_for_its_office_team_and_its_ceo():
    p, _answers = _plan_of(SHOP, SHOP_THEMES)
    pbl = next(m for m in p.modules if m.brief == 0)
    coaching = [m for m in p.modules if m.module_id == COACHING]
    assert (pbl.job_group, pbl.trainees) == ("office", 2)
    assert {(m.job_group, m.trainees) for m in coaching} == {
        ("office", 2),
        ("executives", 1),
    }
    assert all(m.start_month >= pbl.end_month for m in coaching)


# --- the training-planning course, for whoever runs training --------------------------------------


@pytest.mark.parametrize(("p", "answers", "themes"), GENERATED)
def test_the_training_planning_course_is_for_the_one_person_who_runs_training(p, answers, themes):
    for m in p.modules:
        if m.module_id not in PLANNING:
            continue
        assert m.trainees == 1, m
        group, lane = training_owner(answers, p.job_groups)
        assert (m.job_group, m.lane) == (group, lane), (
            m,
            answers.get("train_hrd_owner"),
        )
        if answers.get("train_hrd_owner") == "side_job":  # the HR or general-affairs person
            assert (m.job_group, m.lane) == ("office", "admin")
        # never as one more course of the group the plan trains on its task
        assert m.lane or m.job_group == "executives", m


def test_the_shops_training_planning_is_its_general_affairs_person_not_its_project_team():
    p, _answers = _plan_of(SHOP, SHOP_THEMES)
    [m] = [m for m in p.modules if m.module_id in PLANNING]
    assert (m.job_group, m.lane, m.trainees) == ("office", "admin", 1)


@pytest.mark.parametrize(("owner", "guessed"), [("side_job", False), ("none", True)])
def test_the_one_person_who_runs_training_is_said_as_the_answer_gave_them(
    app_context, owner, guessed
):
    """The report names that person on the row and in the page's overview, as one lane of its
    own (not under the office staff the plan trains on the task), assumed only where no one
    runs training."""
    from diagnose.roadmap.report import _plan_view

    firm = {**SHOP, "said": {**SHOP["said"], "train_hrd_owner": owner}}
    p, answers = _plan_of(firm, SHOP_THEMES, "ax")
    view = _plan_view(p, DATA, Q, answers, "ko", 12, SHOP["profile"])
    [row] = [r for ph in view["phases"] for r in ph["rows"] if r["id"] in PLANNING]
    assert row["who"].startswith("경영지원") and "1명" in row["who"], row["who"]
    assert ("(가정)" in row["who"]) == guessed, row["who"]
    title = row["title"]
    for phase in view["phases"]:
        for lane in phase["lanes"]:
            assert (title in lane["titles"]) == (lane["who"] == row["who"]), lane


@pytest.mark.parametrize(
    ("owner", "office", "who"),
    [
        ("side_job", True, ("office", "admin")),
        ("side_job", False, ("office", "admin")),
        ("none", True, ("office", "admin")),
        ("none", False, ("executives", "")),
    ],
)
def test_who_runs_training_follows_the_answer(owner, office, who):
    answers = {"train_hrd_owner": owner}
    if not office:  # a firm without office staff
        answers |= {
            "skill_office_digital": NOT_APPLICABLE,
            "skill_office_ai": NOT_APPLICABLE,
        }
    assert training_owner(answers, ["executives", "production"]) == who


# --- a shop reads of its goods, a service firm of its services ------------------------------------


@pytest.mark.parametrize("module_id", [m.id for m in DATA.catalogue.modules if m.services_summary])
def test_each_kind_of_firm_reads_the_summary_written_for_it(module_id):
    module = MODULES[module_id]
    assert module.summary_for({"industry": "C"}) == module.summary  # a maker: its products
    assert module.summary_for({"industry": "Q"}) == module.services_summary
    shop = module.summary_for({"industry": "G"})
    assert "서비스" not in shop.ko and "service" not in shop.en.replace("customer", ""), module_id
    assert "생산" not in shop.ko and "양품" not in shop.ko, module_id


def test_the_shop_reads_of_the_goods_it_sells():
    shop = MODULES["pbl_sales_marketing_content"].summary_for(SHOP["profile"])
    assert "상품" in shop.ko and "자사 서비스" not in shop.ko
    # and the report's plan says it so (the summary the plan view gives each module)
    from diagnose.roadmap.report import _plan_view

    p, answers = _plan_of(SHOP, SHOP_THEMES, "ax")
    view = _plan_view(p, DATA, Q, answers, "ko", 12, SHOP["profile"])
    rows = [r for phase in view["phases"] for r in phase["rows"]]
    pbl = [r for r in rows if r["id"] == "pbl_sales_marketing_content"]
    assert pbl and pbl[0]["summary"] == shop.ko
    assert all("자사 서비스" not in r["summary"] for r in rows)


# --- a task's job and title follow the firm's named jobs and task -------------------------------


@pytest.mark.parametrize(("p", "answers", "themes"), GENERATED)
def test_a_themed_project_goes_to_a_job_the_firm_named_when_the_theme_is_its_work(
    p, answers, themes
):
    named = [j for j in answers.get("need_target_jobs") or [] if j in JOB_TO_GROUP]
    for b in p.briefs:
        if not b.theme:
            continue
        jobs = (THEME_JOB[b.theme], *THEME_OTHER_JOBS.get(b.theme, ()))
        if any(j in named for j in jobs):
            assert b.job in named, (b.theme, b.job, named)


def test_the_clinics_no_show_forecast_is_its_customer_service_and_is_not_called_demand():
    for track in ("beginner", "ax"):
        p, _answers = _plan_of(DENTAL, DENTAL_THEMES, track)
        forecast = next(b for b in p.briefs if b.theme == "demand_forecasting")
        assert (forecast.job, forecast.job_group) == ("customer_service", "office"), track
    title = MODULES["pbl_demand_forecasting"].title
    assert "수요" not in title.ko and "demand" not in title.en.lower()
    services = MODULES["pbl_demand_forecasting"].summary_for({"industry": "Q"})
    assert "예약 부도" in services.ko and "no-show" in services.en


def test_the_issue_firms_keep_their_project_jobs():
    """The issue's bakery forecasts with its production staff, as before."""
    firm = ISSUE_FIRMS["gwangju_bakery"]
    p, _answers = _plan_of(firm, [("demand_forecasting", 0.9, False)])
    assert p.briefs[0].job_group == "production"
