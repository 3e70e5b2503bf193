"""Over many generated firms: nothing the plan or the report's level sentences say contradicts
the answers they describe (issue 16, item 2).

For each firm from the policy's generator (with a stated task, its themes read as the task
model would give them, a completed module in its training records): no basics for daily
generative-AI users, no rules course for written rules, no completed module planned again, the
task's data prepared before its project when it is not ready, the first three actions in date
order with the task's project among them, and no level sentence telling a firm to do what its
answers say it has done."""

from __future__ import annotations

from datetime import date

import pytest
from firms import with_tasks
from test_roadmap import DATA, Q

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.roadmap.planner import DATA_NOT_READY, DATA_PREPARATION, plan
from diagnose.roadmap.report import first_actions

DAY = date(2026, 11, 22)
TASKS = [
    ("프레스 설비 고장 예측", [("predictive_maintenance", 0.9, False)]),
    ("주간 보고서 자동 작성", [("reporting_automation", 0.8, True)]),
    ("고객 문의 챗봇", [("customer_service", 0.7, False)]),
    ("라인 설비 고장 예측과 외관 불량 검출",
     [("predictive_maintenance", 0.8, False), ("visual_inspection", 0.7, False)]),
    ("잘 모르겠습니다", []),
]  # fmt: skip
DONE = ["pbl_quality_data_analysis", "genai_office_basics", "pbl_office_genai_automation", ""]
BASICS = {"genai_office_basics", "ai_basics_all"}


def _firms(count: int = 160, seed: int = 16):
    for index, profile, answers, themes in with_tasks(Q, TASKS, count, seed):
        done = {DONE[index % len(DONE)]} - {""}
        yield index, Firm.of(Q, profile, answers), profile, answers, themes, done


@pytest.mark.parametrize(("index", "firm", "profile", "answers", "themes", "done"), list(_firms()))
def test_no_statement_contradicts_the_answers(index, firm, profile, answers, themes, done):
    track = track_for(firm)
    p = plan(firm.scores, track, answers, profile, DATA, DAY, themes=themes, done=done)
    planned = [(m.module_id, m.job_group) for m in p.modules]
    ids = {m for m, _g in planned}
    assert not ids & done, "a completed module is planned again"
    if answers.get("use_genai_office") in ("widespread", "company_account", "embedded"):
        assert not {(m, g) for m, g in planned if m in BASICS and g == "office"}
    if answers.get("use_rules") in ("written", "managed"):
        assert "ai_rules_workshop" not in ids
    projects = [m for m in p.modules if m.brief is not None]
    if themes and track != "beginner" and answers.get("need_data_ready") in DATA_NOT_READY:
        data_theme = any(b.theme in ("predictive_maintenance", "visual_inspection")
                         for b in p.briefs)  # fmt: skip
        if data_theme and projects and DATA_PREPARATION in ids:
            first_prep = min(m.end_month for m in p.modules if m.module_id == DATA_PREPARATION)
            assert all(m.start_month >= first_prep for m in projects
                       if p.briefs[m.brief].theme in ("predictive_maintenance",
                                                      "visual_inspection"))  # fmt: skip
    # the first three actions: in date order, the task's project among them
    rows = [
        {"id": m.module_id, "start_month": m.start_month, "rank": m.impact,
         "tasks": [p.briefs[m.brief].task] if m.brief is not None else []}
        for m in p.modules
    ]  # fmt: skip
    first = first_actions(rows, p.phases[0].end_month)
    assert [r["start_month"] for r in first] == sorted(r["start_month"] for r in first)
    if projects:
        assert any(r["tasks"] for r in first), "the task's project is not among the first three"
    # level sentences never tell the firm to do what it said it does
    printed = [
        DATA.levels.text_for(d, level, answers)
        for d in DATA.levels.dimensions
        for level in range(1, 6)
    ]
    ko = " ".join(t.ko for t in printed if t)
    if answers.get("use_rules") in ("written", "managed"):
        assert "규칙을 정하고" not in ko
    if answers.get("lead_strategy_doc") in ("plan", "reviewed"):
        assert "계획을 문서로 만들고" not in ko
    assert "막연합니다" not in ko and "꼽지 못했습니다" not in ko  # every firm here stated a task
