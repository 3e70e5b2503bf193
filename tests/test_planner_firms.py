"""The planner against firms as they answer: four firms met in interviews, and a sample of
synthetic firms from the policy's generator, each with a stated task.

Properties, for every firm: its task is in its brief; no module for a group it does not have,
for something it said does not apply, or for something it already has; no module that closes
no gap it has (unless it works on its task, is asked for by its equipment, or opens the
track); prerequisites before what needs them; every phase filled; no person over the hours
the firm can release; the re-diagnosis after the plan.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from firms import FIRMS, answers_at
from test_roadmap import DATA, Q  # the shipped questionnaire and roadmap data

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.diagnosis.scoring import NOT_APPLICABLE
from diagnose.diagnosis.synthetic import synthetic_firm
from diagnose.roadmap.planner import (
    CEO_AWARENESS,
    DELIVERY_MIX,
    FIRM_WIDE,
    GAP_CEILING,
    PLAN_MONTHS,
    SKILL_ITEMS,
    plan,
)

MODULES = DATA.catalogue.by_id
DAY = date(2026, 11, 22)
TASKS = {
    "C": "생산 라인 불량 판정과 검사 기록 정리",
    "G": "온라인 쇼핑몰 상품 설명과 고객 문의 답변",
    "J": "고객 문의 분류와 답변 초안",
    "M": "견적서와 보고서 초안 작성",
    "H": "화물 배차와 운송 경로 계획",
    "F": "현장 작업일보와 자재 발주 정리",
}


def _synthetic(count: int, seed: int = 8):
    rng = np.random.default_rng(seed)
    firms = []
    regions = sorted(DATA.centers.regions)
    for _ in range(count):
        firm = synthetic_firm(rng, Q)
        answers = dict(firm.answers)
        if answers.get("need_problem_clarity") not in (None, "none"):
            answers["need_task"] = TASKS.get(firm.profile["industry"], TASKS["M"])
            answers["need_problem"] = "시간이 많이 들고 실수가 잦습니다"
        profile = {**firm.profile, "region": str(rng.choice(regions))}
        firms.append((Firm.of(Q, profile, answers), profile, answers))
    return firms


def _cases():
    for name, firm in FIRMS.items():
        answers = answers_at(Q, firm["level"], firm["said"])
        scored = Firm.of(Q, firm["profile"], answers)
        yield pytest.param(scored, firm["profile"], answers, id=name)
    for index, (scored, profile, answers) in enumerate(_synthetic(48)):
        yield pytest.param(scored, profile, answers, id=f"synthetic-{index}")


def _check_plan(firm: Firm, profile, answers):
    track = track_for(firm)
    p = plan(firm.scores, track, answers, profile, DATA, DAY)
    gaps = {d for d, s in firm.scores.items() if s < GAP_CEILING}
    placed = p.modules
    prerequisites = {pre for m in placed for pre in MODULES[m.module_id].prerequisites}
    equipment = set(answers.get("need_equipment") or [])

    # Every phase holds something; nothing starts after the plan; re-diagnosis after it.
    # (A phase stays empty only when no placed module could move into it and still end by
    # the plan's end: one hour a month makes a six-hour course last the whole plan; or when
    # the plan holds fewer modules than phases, the ethics course being one line, not one a
    # group.)
    assert all(
        phase.modules
        or len(placed) < len(p.phases)
        or all(m.months > p.months - phase.start_month for m in placed)
        for phase in p.phases
    ), [ph.key for ph in p.phases]
    assert all(m.start_month < PLAN_MONTHS[track] for m in placed)
    assert all(m.end_month <= p.months for m in placed)  # never past the plan's own end
    assert p.rediagnose_month >= max(m.start_month for m in placed) + 1

    for m in placed:
        module = MODULES[m.module_id]
        assert track in module.tracks and module.delivery in DELIVERY_MIX[track], m.module_id
        # Only groups the firm has (it did not answer "not applicable" for all their items).
        assert not all(answers.get(i) == NOT_APPLICABLE for i in SKILL_ITEMS[m.job_group])
        # Nothing it already has, nothing for what does not apply to it.
        assert not module.already_had(m.job_group, answers), (m.module_id, m.job_group)
        assert module.applies(answers), m.module_id
        # Every module follows from something the firm said.
        follows = (
            m.brief is not None
            or m.module_id in FIRM_WIDE + (CEO_AWARENESS,)
            or m.module_id in prerequisites
            or (
                module.on_request
                and (equipment or any(b.module_id == m.module_id for b in p.briefs))
            )
            or (track == "shared_center" and module.delivery == "shared_center")
            or any(d in gaps for d in module.closes)
        )
        assert follows, (m.module_id, m.job_group, firm.scores)

    # Prerequisites first (a prerequisite the group already has is not planned again).
    done_by: dict[str, int] = {}
    for m in placed:
        done_by[m.module_id] = min(done_by.get(m.module_id, 99), m.end_month)
    for m in placed:
        for pre in MODULES[m.module_id].prerequisites:
            if pre in done_by:
                assert done_by[pre] <= m.start_month, (m.module_id, pre)

    # No one trains more hours a month than the firm can release (the stated figure, capped
    # at a working week; four when it gave none).
    assert p.busiest_month() <= p.release_hours
    stated = answers.get("need_release_hours")
    if stated and 0 < float(stated) <= 40:
        assert p.release_hours == float(stated)

    # One brief per stated task, in the firm's own words.
    task = answers.get("need_task")
    if task:
        assert p.briefs and all(b.task in task for b in p.briefs)
    return p


@pytest.mark.parametrize("firm,profile,answers", list(_cases()))
def test_every_plan_follows_from_the_firms_answers(firm, profile, answers):
    _check_plan(firm, profile, answers)


def _four(name):
    firm = FIRMS[name]
    answers = answers_at(Q, firm["level"], firm["said"])
    scored = Firm.of(Q, firm["profile"], answers)
    return (
        track_for(scored),
        plan(scored.scores, track_for(scored), answers, firm["profile"], DATA, DAY),
        answers,
    )


def test_the_tax_office_gets_office_work_and_nothing_of_production():
    track, p, answers = _four("tax_office")
    assert track == "ax"
    ids = {m.module_id for m in p.modules}
    assert "pbl_office_genai_automation" in ids
    assert {m.job_group for m in p.modules} <= {"executives", "office"}
    assert not ids & {"pbl_maintenance_data", "pbl_quality_data_analysis", "field_ai_basics",
                      "engineer_ml_basics_online", "ai_rules_workshop", "genai_office_basics",
                      "ai_basics_all"}  # fmt: skip
    assert p.briefs[0].task == answers["need_task"]
    assert p.release_hours == 37  # its own figure, not a hidden cap


def test_the_logistics_firm_gets_dispatch_and_routing_not_marketing():
    _track, p, answers = _four("logistics")
    assert [b.task for b in p.briefs] == ["화물 배차 계획", "운송 경로 계획"]
    assert {b.module_id for b in p.briefs} == {"pbl_logistics_dispatch"}
    ids = {m.module_id for m in p.modules}
    assert "pbl_logistics_dispatch" in ids
    assert not ids & {"pbl_sales_marketing_content", "ai_content_marketer", "ai_ecommerce_manager",
                      "pbl_maintenance_data"}  # fmt: skip


def test_a_second_task_without_a_theme_goes_to_the_named_job_its_words_name():
    """The model reads the first task only; the second ("운송 경로 계획") is planned on the
    firm's own words, for the logistics staff it names, not for customer service, the
    other job of the group the firm says most needs training."""
    firm = FIRMS["logistics"]
    answers = answers_at(Q, firm["level"], firm["said"])
    scored = Firm.of(Q, firm["profile"], answers)
    themes = [("dispatch_scheduling", 0.9, False)]
    p = plan(scored.scores, track_for(scored), answers, firm["profile"], DATA, DAY, themes=themes)
    second = next(b for b in p.briefs if b.task == "운송 경로 계획")
    assert (second.job, second.job_group) == ("purchasing_logistics", "office")


def test_the_machining_firm_gets_vision_inspection_at_the_nearest_matching_lab():
    track, p, _answers = _four("machining")
    assert track == "shared_center"
    ids = {m.module_id for m in p.modules}
    assert "sc_vision_inspection" in ids
    # the cobot course it lacks the equipment for: planned, or (when it would not end within
    # the plan's nine months, which never runs past its end) named as left for later
    assert "sc_cobot_physical_ai" in ids | set(p.unplaced)
    assert p.briefs[0].module_id == "sc_vision_inspection"
    vision = next(m for m in p.modules if m.module_id == "sc_vision_inspection")
    assert vision.start_month < 3 and vision.job_group == "production"
    assert p.referrals[0].center_id == "sample_gyeongnam_physical_ai"


def test_the_food_plant_starts_free_with_its_ceo_and_its_own_first_task():
    track, p, answers = _four("food_plant")
    assert track == "beginner"
    assert all(m.delivery in ("free_online", "blended") for m in p.modules)
    first = {m.module_id for m in p.phases[0].modules}
    assert "exec_ai_awareness" in first
    assert p.briefs[0].task == answers["need_task"]
    assert any(m.brief == 0 for m in p.modules)  # its task is worked on within the plan
    assert not any(m.module_id == "pbl_maintenance_data" for m in p.modules)
