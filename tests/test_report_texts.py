"""The report's sentences are chosen from the answers they describe (issue 16, item 2).

Over many generated firms (``diagnose.diagnosis.synthetic``, with stated tasks and their
themes), each templated statement is checked against the answers and the plan it speaks of:
- a beginner's first next step names the plan's own first actions, who and what (never "the
  CEO's session" for a plan that gives the CEO none);
- a module whose title quotes its whole task has no "On your task" line repeating it;
- a task's success measure follows its theme and the benefit the firm named, and names
  nothing the firm may not have (enquiries outside customer service and marketing, defects
  where no goods are made);
- the job-level AX needs area always has a sentence, and what it says holds of the answers;
- one-step changes toward the next track and the brief's data answer are sentences of the
  report, not the questionnaire's option labels pasted in.
Then a dental clinic and the Gwangju bakery of the issue, rendered as their CEOs get them.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest
import yaml
from firms import store_firm, with_tasks
from flask_babel import force_locale
from issue_firms import DENTAL, ISSUE_FIRMS
from test_roadmap import DATA, Q

from diagnose.diagnosis.explanations import explain
from diagnose.diagnosis.policy import Firm, track_for
from diagnose.diagnosis.scorecard import assess
from diagnose.diagnosis.scoring import level_for
from diagnose.diagnosis.synthetic import synthetic_firm
from diagnose.roadmap.catalogue import makes_goods
from diagnose.roadmap.pdf import TEMPLATES, WORD_JOINER, render_html
from diagnose.roadmap.planner import plan, short_task
from diagnose.roadmap.report import _level_text, _plan_view

DAY = date(2026, 11, 22)
LONG_TASK = (
    "거래처에서 메일과 팩스로 오는 주문서를 읽어 품목과 수량을 판매 프로그램에 옮기고, "
    "납기와 재고를 확인해 답장하기"
)
TASKS = [
    ("매장별 빵 판매량을 미리 가늠해 굽는 양 정하기", [("demand_forecasting", 0.9, False)]),
    ("외국인 고객 예약 문의에 여러 언어로 답하기", [("customer_service", 0.8, False)]),
    ("가공 부품 외관 검사", [("visual_inspection", 0.9, False)]),
    ("프레스 설비 고장 예측", [("predictive_maintenance", 0.9, False)]),
    ("주간 보고서 자동 작성", [("reporting_automation", 0.8, True)]),
    ("신제품 홍보 문구와 상세페이지 만들기", [("marketing_content", 0.8, False)]),
    ("거래처 주문 메일 정리", []),  # the task model abstains: a project on these words
    (LONG_TASK, []),
]
BENEFITS = [["cost", "sales"], ["time_saving", "quality"], ["sales"], ["quality", "skill_transfer"]]
DONE_NOTHING: frozenset[str] = frozenset()


def _firms(count: int = 160, seed: int = 1617):
    for index, profile, answers, themes in with_tasks(Q, TASKS, count, seed):
        answers["need_benefit"] = BENEFITS[index % len(BENEFITS)]
        yield index, Firm.of(Q, profile, answers), profile, answers, themes


FIRMS = list(_firms())


@pytest.fixture(scope="module")
def planned(app_context):
    """Each generated firm with its track, plan and the plan as the Korean report shows it."""
    out = []
    for index, firm, profile, answers, themes in FIRMS:
        track = track_for(firm)
        p = plan(firm.scores, track, answers, profile, DATA, DAY, themes=themes)
        view = _plan_view(p, DATA, Q, answers, "ko", int(profile["employees"]), profile)
        out.append((index, firm, profile, answers, themes, track, p, view))
    return out


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(WORD_JOINER, "").strip()


def _items(html: str) -> list[str]:
    return [_text(li) for li in re.findall(r"<li>(.*?)</li>", html, re.S)]


# --- 1. a beginner's first step is the plan's own ------------------------------------------------


def test_a_beginners_first_step_names_the_plans_first_actions(planned):
    beginners = [row for row in planned if row[5] == "beginner"]
    assert len(beginners) >= 20
    without_ceo_awareness = 0
    for index, *_given, track, p, view in beginners:
        steps = _items(render_html("_next_steps.html", {"track": track, "plan": view}, "ko"))
        first = steps[0]
        assert "대표 교육을 예약" not in first, index
        month = min(a["start_month"] for a in view["first"])
        starting = [a for a in view["first"] if a["start_month"] == month]
        for a in starting:
            assert f"{a['who']}의 ‘{a['title']}’" in first, (index, first)
        # who is named is who takes those actions: the CEO only where the CEO takes one
        if "대표" in first:
            assert any("대표" in a["who"] for a in starting), (index, first)
        # the summary's verdict promises a session for the CEO only where the plan holds one
        verdict = _text(render_html("_summary.html", _summary_context(view, track), "ko"))
        verdict = verdict.split("먼저 할 일 세 가지", 1)[0]
        ceo_courses = [m.module_id for m in p.modules if m.job_group == "executives"]
        if "exec_ai_awareness" not in ceo_courses:
            without_ceo_awareness += 1
            assert "대표 대상 짧은 교육" not in verdict, (index, ceo_courses)
        else:
            assert "대표 대상 짧은 교육" in verdict, index
        # no named task, no "the person who tries AI on your task"
        if not any(
            r["tasks"] for r in view["first"] + [r for ph in view["phases"] for r in ph["rows"]]
        ):
            assert "업무에 AI를 적용해 볼 직원" not in " ".join(steps), index
    assert without_ceo_awareness, "no beginner here plans the CEO without an awareness course"


def test_the_first_step_in_english_names_the_same_actions(app_context):
    _index, firm, profile, answers, themes = next(
        f for f in FIRMS if track_for(f[1]) == "beginner" and f[4]
    )
    p = plan(firm.scores, "beginner", answers, profile, DATA, DAY, themes=themes)
    with force_locale("en"):
        view = _plan_view(p, DATA, Q, answers, "en", int(profile["employees"]), profile)
        steps = _items(render_html("_next_steps.html", {"track": "beginner", "plan": view}, "en"))
    assert "Book the CEO's session" not in steps[0]
    first = [a for a in view["first"] if a["start_month"] == view["first"][0]["start_month"]]
    assert all(f"{a['who']}: ‘{a['title']}’" in steps[0] for a in first), steps[0]


# --- 2. a title that quotes the whole task is not followed by the task again ---------------------


def test_no_task_line_repeats_a_title_that_quotes_the_whole_task(planned):
    whole = shortened = 0
    for index, *_rest, view in planned:
        summary = _text(render_html("_summary.html", _summary_context(view), "ko"))
        plan_html = _text(render_html("_plan.html", {"plan": view}, "ko"))
        for row in [r for ph in view["phases"] for r in ph["rows"]]:
            if len(row["tasks"]) != 1:
                continue
            task = row["tasks"][0]
            line = f"과제: {task}"
            if f"“{task}”" in row["title"]:  # the title holds the task whole
                whole += 1
                assert line not in plan_html, (index, row["title"])
                assert f"과제: {row['tasks_short'][0]}" not in summary, (index, row["title"])
            elif f"“{short_task(task)}”" in row["title"]:  # a shortened form: the line says it all
                shortened += 1
                assert line in plan_html, (index, row["title"])
    assert whole and shortened


def _summary_context(view, track: str = "ax") -> dict:
    return {
        "track": track,
        "track_label": "",
        "plan": view,
        "job_analysis_first": False,
        "overridden": False,
        "reasons": [],
        "way_forward": None,
        "readiness": 50,
        "peer_readiness": None,
        "consultant": {"name": ""},
        "center": {"name": "센터"},
    }


# --- 3. the success measure follows the task and what the firm named ----------------------------

FORECAST = {"cost": "폐기", "sales": "품절"}


def test_success_measures_follow_the_tasks_theme_and_name_nothing_the_firm_lacks(planned):
    seen = set()
    for index, _generated, profile, *_said, p, view in planned:
        goods = makes_goods(profile)
        for brief, shown in zip(p.briefs, view["briefs"], strict=True):
            measures = " ".join(shown["measures"])
            assert len(shown["measures"]) == len(set(shown["measures"]))
            if brief.theme not in ("customer_service", "marketing_content"):
                assert "문의" not in measures, (index, brief.theme, measures)
            if not goods:
                assert "불량" not in measures, (index, brief.theme, measures)
            assert "작업표준" not in measures
            if brief.theme == "demand_forecasting":
                for benefit, word in FORECAST.items():
                    if benefit in brief.benefits:
                        seen.add(benefit)
                        assert word in measures, (index, measures)
    assert seen == set(FORECAST)


def test_the_bakerys_forecast_is_measured_by_waste_and_sold_out(app_context):
    bakery = ISSUE_FIRMS["gwangju_bakery"]
    questionnaire = app_context.extensions["questionnaires"].current
    from firms import answers_at

    answers = answers_at(questionnaire, bakery["level"], bakery["said"])
    firm = Firm.of(Q, bakery["profile"], answers)
    p = plan(firm.scores, track_for(firm), answers, bakery["profile"], DATA, DAY,
             themes=[("demand_forecasting", 0.9, False)])  # fmt: skip
    view = _plan_view(p, DATA, Q, answers, "ko", 25, bakery["profile"])
    assert view["briefs"][0]["measures"] == [
        "남거나 폐기하는 물량(전후 비교)",
        "품절 횟수와 매출(전후 비교)",
    ]


# --- 4. the job-level AX needs area has its sentence, true to the answers ------------------------

AX_CLAIMS = {
    "데이터가 흩어져 있음": ("need_data_ready", {"scattered"}),
    "데이터가 종이로만 있음": ("need_data_ready", {"paper"}),
    "담당자를 아직 정하지 않음": ("need_owner", {"not_yet"}),
    "과제를 맡을 사람이 없음": ("need_owner", {"none"}),
    "대상 부서만 정하고 명단은 없음": ("need_trainees", {"department"}),
    "참여 직원을 정하지 않음": ("need_trainees", {"none"}),
    "AI를 적용할 업무와 그 문제를 정했습니다": ("need_problem_clarity", {"named"}),
    "문제의 크기를 숫자로": ("need_problem_clarity", {"quantified"}),
    "과제 설명서에": ("need_problem_clarity", {"scoped"}),
}


def test_the_ax_needs_area_always_says_what_its_level_means(app_context):
    for index, firm, profile, answers, _themes in FIRMS:
        score = firm.scores.get("job_ax_needs")
        if score is None:
            continue
        text = _level_text(DATA, "job_ax_needs", level_for(score), answers, "ko",
                           makes_goods(profile))  # fmt: skip
        assert text, (index, level_for(score), answers.get("need_problem_clarity"))
        assert "막연합니다" not in text and "꼽지 못했습니다" not in text  # a task is stated
        for claim, (item, values) in AX_CLAIMS.items():
            if claim in text:
                assert answers.get(item) in values, (index, claim, answers.get(item))
        if answers.get("need_trainees") in ("named", "named_cover"):
            assert "참여 인원을 정하면" not in text, index


DATA_CLAIMS = {
    "주로 종이에 남깁니다": ("data_storage", {"paper"}),
    "자기 엑셀 파일로": ("data_storage", {"personal_files"}),
    "공유 폴더의 파일로": ("data_storage", {"shared_files"}),
    "업무 시스템에 입력합니다": ("data_storage", {"system"}),
    "연동된 시스템에": ("data_storage", {"integrated"}),
    "업무 시스템 없음": ("data_systems", {"none"}),
    "전산 기록이 1년이 안 됨": ("data_history", {"under_1_year"}),
    "보안 규정 없음": ("data_security", {"none"}),
    "전산을 맡은 사람 없음": ("data_it_staff", {"none"}),
}


def test_the_data_area_says_what_its_level_means_where_the_levels_line_does_not_hold(
    app_context,
):
    """The data area's level line is left out where the answers contradict it (a clinic with
    its records in a system is not "scattered"); the area then says what its answers do."""
    replaced = 0
    for index, firm, profile, answers, _themes in FIRMS:
        score = firm.scores.get("data_infra")
        if score is None:
            continue
        level, goods = level_for(score), makes_goods(profile)
        text = _level_text(DATA, "data_infra", level, answers, "ko", goods)
        assert text, (index, level, answers.get("data_storage"))
        if DATA.levels.text_for("data_infra", level, answers, goods) is None:
            replaced += 1
        for claim, (item, values) in DATA_CLAIMS.items():
            if claim in text:
                given = answers.get(item)
                assert set(given if isinstance(given, list) else [given]) & values, (index, claim)
    assert replaced


# --- 5. sentences, not the questionnaire's option labels ----------------------------------------


def _labels(item_id: str) -> list[str]:
    return [o.label.ko for o in Q.item(item_id).options]


# the options of a single choice are sentences of the questionnaire; a multiple choice names
# things (a system, a course), which a step may name too
LABELS = [
    o.label.ko
    for i in Q.items()
    if i.is_scored and i.type == "single"
    for o in i.options
    if len(o.label.ko) > 4  # not "없다"
]


def test_steps_toward_the_next_track_are_sentences_not_option_labels(app_context):
    from diagnose.roadmap.report import way_forward_steps

    rng = np.random.default_rng(1618)
    checked = 0
    for _ in range(240):
        firm = synthetic_firm(rng, Q)
        prediction = assess(Q, firm.profile, firm.answers)
        if prediction.track != "beginner":
            continue
        words = explain(prediction, Q, firm.scores, "ko", firm.answers)
        if not words["ceo_steps"]:
            continue
        steps = way_forward_steps(prediction, Q, "ko", words)
        if prediction.sensitivity:
            assert len(steps) == len(words["ceo_steps"])
        else:  # the head counts the steps ("these 4 … together"): all of them are listed
            assert len(steps) == len(prediction.counterfactual.changes)
            counted = re.search(r"다음 (\d+)가지", words["counterfactual_head"])
            assert not counted or int(counted.group(1)) == len(steps)
        for step in steps:
            checked += 1
            said = re.sub(r" \(이것 하나만으로도 ‘[^’]+’ 트랙\)$", "", step)
            assert "‘" not in said and "’" not in said, step  # no quoted option label
            assert not any(label in said for label in LABELS), step
    assert checked >= 40


def test_every_option_a_step_can_reach_has_its_phrase(app_context):
    phrases = yaml.safe_load((TEMPLATES / "answer_steps.yaml").read_text(encoding="utf-8"))
    for questionnaire in (Q, app_context.extensions["questionnaires"].current):
        for item in questionnaire.items():
            if not item.is_scored:
                continue
            if not item.kind.has_options:
                assert {"ko", "en"} <= set(phrases["numbers"][item.id]), item.id
                continue
            lowest = min(o.score for o in item.options)
            for option in item.options:
                if option.exclusive or (not item.kind.many and option.score == lowest):
                    continue
                said = phrases["options"][item.id][option.value]
                assert said["ko"] and said["en"], (item.id, option.value)
                assert said["ko"] != option.label.ko, (item.id, option.value)
    # each step says which answer it changes: no two items share a phrase
    for lang in ("ko", "en"):
        said = [o[lang] for options in phrases["options"].values() for o in options.values()]
        assert len(said) == len(set(said)), [p for p in said if said.count(p) > 1][:3]


def test_a_briefs_data_answer_is_a_sentence_without_a_factorys_example(planned):
    labels = set(_labels("need_data_ready"))
    for index, _generated, profile, *_said, p, view in planned:
        for brief, shown in zip(p.briefs, view["briefs"], strict=True):
            if not brief.data_ready:
                continue
            assert shown["data"] and shown["data"] not in labels, (index, shown["data"])
            if "양품" in shown["data"]:
                assert makes_goods(profile), index
                assert brief.theme in (None, "visual_inspection", "process_quality_analytics")


# --- the dental clinic and the bakery, as their CEOs read them -----------------------------------


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    from diagnose import create_app
    from diagnose.auth import create_center, create_user
    from diagnose.business_number import check_digit
    from diagnose.records.assessments import assessment_record
    from diagnose.services.roadmaps import report_html
    from diagnose.storage import connect

    app = create_app({"TESTING": True, "DEMO_DATA": False,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("two"))})  # fmt: skip
    db = connect(app.config["DATABASE"])
    center_id = create_center(db, "광주 확산센터", "gwangju")
    user_id = create_user(db, center_id, "doc@c.test", "김주치", "correct horse battery staple")
    texts = {}
    with app.app_context():
        firms = {"dental": DENTAL, "bakery": ISSUE_FIRMS["gwangju_bakery"]}
        for index, (name, firm) in enumerate(firms.items()):
            first = f"{620 + index}8120000"[:9]
            number = first + str(check_digit(first))
            assessment_id = store_firm(app, db, firm, center_id, user_id, number)
            with app.test_request_context():
                texts[name] = _text(report_html(db, assessment_record(db, assessment_id), "ko"))
    db.conn.close()
    return texts


@pytest.mark.parametrize("name", ["dental", "bakery"])
def test_the_clinic_and_the_bakery_read_true(two_reports, name):
    text = two_reports[name]
    assert "대표 교육을 예약" not in text
    assert "문의 건수와 매출" not in text
    head, _sep, rest = text.partition("다음 단계로 가려면:")
    way_forward = rest.split("AI 준비도", 1)[0]
    assert "‘사" not in way_forward and "’ " not in way_forward.split("트랙", 1)[-1]
    data = re.search(r"데이터·디지털 인프라 \d+ 5단계 중 \d단계\. (\S+)", text)
    assert data and data.group(1) != "업무의", "the data area has no sentence"
    ax = re.search(r"직무별 AX 수요 \d+ 5단계 중 \d단계\. (\S+)", text)
    assert ax and ax.group(1) != "판단", "the AX needs area has no sentence"
    counted = re.search(r"다음 (\d+)가지가 한 단계씩", way_forward)
    if counted:  # as many steps listed as the head counts
        listed = way_forward.split("트랙이 됩니다:", 1)[1]
        assert len(re.findall(r"기(?: \(|\s|$)", listed)) == int(counted.group(1)), listed
    assert "결과(양품·불량" not in text
    if name == "bakery":
        assert "남거나 폐기하는 물량(전후 비교); 품절 횟수와 매출(전후 비교)" in text
    else:
        # the plan opens with the office staff's generative-AI basics (the CEO's only course,
        # ethics, comes later): the first step names that course, and no "CEO session"
        step = re.search(r"이번 달에 [^.]*", text)
        assert step and "의 ‘업무용 생성형 AI 기초’" in step.group(0), step
        assert "대표 교육" not in step.group(0)
        assert "대표 대상 짧은 교육" not in text
