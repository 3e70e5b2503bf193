"""Four firms as a training consultant met them: their own answers, in their own words.

Each firm answers every item shown to it. ``answers_at`` picks, for each scored item, the
option about ``level`` up its scale (0 the least mature, 1 the most); each firm then states
what it actually said where it matters (its task, what does not apply, what it already has).
"""

from __future__ import annotations

from typing import Any

from diagnose.diagnosis.scoring import NOT_APPLICABLE, is_visible
from diagnose.questionnaire.schema import Questionnaire

PRODUCTION_ITEMS = (
    "data_collection",
    "use_area_quality",
    "use_area_maintenance",
    "skill_field_digital",
    "skill_field_ai",
)


def with_tasks(questionnaire: Questionnaire, tasks, count: int, seed: int):
    """``count`` firms of the policy's generator (``seed``), each stating the next of ``tasks``
    (a task and the themes read in it): ``(index, profile, answers, themes)``, the answers a
    copy the caller may change further."""
    import numpy as np

    from diagnose.diagnosis.synthetic import synthetic_firm

    rng = np.random.default_rng(seed)
    for index in range(count):
        firm = synthetic_firm(rng, questionnaire)
        task, themes = tasks[index % len(tasks)]
        yield index, firm.profile, {**firm.answers, "need_task": task}, themes


def answers_at(questionnaire: Questionnaire, level: float, said: dict[str, Any]) -> dict:
    answers: dict[str, Any] = {}
    for item in questionnaire.items():
        if not is_visible(item, answers):
            continue
        if item.id in said:
            answers[item.id] = said[item.id]
            continue
        if item.type == "single" and item.is_scored:
            options = sorted(item.options, key=lambda o: o.score)
            answers[item.id] = options[round(level * (len(options) - 1))].value
        elif item.type == "single":
            answers[item.id] = item.options[0].value
        elif item.type == "multi":
            others = [o.value for o in item.options if not o.exclusive]
            exclusive = [o.value for o in item.options if o.exclusive]
            answers[item.id] = others[:1] if level >= 0.3 or not exclusive else exclusive[:1]
        elif item.type == "number":
            answers[item.id] = f"{round(level * 20)}"
    return {k: v for k, v in answers.items() if v not in (None, "")}


def _firm(name, region, industry, employees, revenue, level, said):
    return {
        "profile": {
            "company_name": name,
            "region": region,
            "industry": industry,
            "employees": str(employees),
            "revenue_band": revenue,
            "contact_name": "대표",
            "contact_phone": "",
            "contact_email": "",
        },
        "level": level,
        "said": said,
    }


NA_PRODUCTION = {item: NOT_APPLICABLE for item in PRODUCTION_ITEMS}

FIRMS = {
    # A 9-person tax and accounting office: nothing of production applies; its staff already
    # build their own AI helpers; its AI rules are written and enforced.
    "tax_office": _firm(
        "바른세무회계",
        "gyeongnam",
        "M",
        9,
        "100m_1b",
        0.6,
        {
            **NA_PRODUCTION,
            "skill_eng_data": NOT_APPLICABLE,
            "use_genai_office": "widespread",
            "skill_office_ai": "advanced",
            "skill_office_digital": "automation",
            "use_rules": "managed",
            "use_area_forecast": NOT_APPLICABLE,
            "need_target_jobs": ["admin"],
            "need_urgent_group": "office",
            "need_problem_clarity": "quantified",
            "need_task": "법인 고객의 월별 증빙 자료 분류와 신고서 초안 작성",
            "need_problem": "신고 기간에 직원 한 명당 야근이 주 15시간을 넘고 입력 실수가 잦습니다",
            "need_data_ready": "scattered",
            "need_data_desc": "고객사별 증빙 스캔 파일 3년치, 회계 프로그램 전표 데이터",
            "need_owner": "named_with_time",
            "need_benefit": ["time_saving", "cost"],
            "need_release_hours": "37",
            "need_equipment": ["none"],
            "need_urgency": "within_3_months",
        },
    ),
    # A logistics firm whose tasks are dispatch and routing.
    "logistics": _firm(
        "동해물류",
        "ulsan",
        "H",
        112,
        "over_50b",
        0.55,
        {
            "skill_field_ai": "aware",
            "use_area_quality": NOT_APPLICABLE,
            "use_area_maintenance": "not_used",
            "need_target_jobs": ["purchasing_logistics", "customer_service"],
            "need_urgent_group": "office",
            "need_problem_clarity": "quantified",
            "need_task": "1) 화물 배차 계획 2) 운송 경로 계획",
            "need_problem": "배차 담당자 경험에 의존해 공차 운행이 많고 "
            "담당자 휴가 때 업무가 멈춥니다",
            "need_data_ready": "organised",
            "need_data_desc": "운송 관리 시스템(TMS)의 운행 기록 2년치, 차량 GPS 기록",
            "need_owner": "named_no_time",
            "need_benefit": ["cost", "labour_shortage"],
            "need_release_hours": "8",
            "need_equipment": ["none"],
            "need_urgency": "within_6_months",
        },
    ),
    # A machining firm asking for vision inspection, without a lab or instructors of its own.
    "machining": _firm(
        "한빛정밀",
        "gyeongnam",
        "C",
        48,
        "5b_10b",
        0.5,
        {
            "use_area_quality": "considering",
            "use_area_maintenance": "not_used",
            "train_facility": "shared_room",
            "train_instructors": "ojt_only",
            "need_target_jobs": ["quality", "production"],
            "need_urgent_group": "production",
            "need_problem_clarity": "quantified",
            "need_task": "가공 부품 외관 검사(비전 검사 도입)",
            "need_problem": "검사원 두 명이 눈으로 판정해 야간조 불량 유출이 월 5건가량 생깁니다",
            "need_data_ready": "scattered",
            "need_data_desc": "불량 사진 약 3천 장(분류 안 됨), MES 검사 결과 2년치",
            "need_owner": "named_with_time",
            "need_benefit": ["quality", "labour_shortage"],
            "need_release_hours": "8",
            "need_equipment": ["vision", "robot"],
            "need_urgency": "within_3_months",
        },
    ),
    # A small food plant starting out: little AI use, no training history.
    "food_plant": _firm(
        "새봄식품",
        "jeonbuk",
        "C",
        17,
        "1b_5b",
        0.15,
        {
            "use_genai_office": "individual",
            "use_area_maintenance": NOT_APPLICABLE,
            "need_target_jobs": ["production", "admin"],
            "need_urgent_group": "production",
            "need_problem_clarity": "named",
            "need_task": "외국인 근로자용 위생·작업 안내문을 여러 언어로 만들기",
            "need_problem": "작업 안내를 말로만 해서 위생 점검 때 지적이 반복됩니다",
            "need_data_ready": "paper",
            "need_data_desc": "종이 작업일지와 위생 점검표",
            "need_owner": "not_yet",
            "need_benefit": ["safety", "skill_transfer"],
            "need_release_hours": "4",
            "need_equipment": ["none"],
            "need_urgency": "within_6_months",
        },
    ),
}


def store_firm(app, db, firm: dict, center_id: int, user_id: int, business_number: str) -> int:
    """File the firm under a center, submit its answers and diagnose them: the assessment id."""
    from diagnose.diagnosis.store import diagnose
    from diagnose.records.assessments import record_submitted_assessment
    from diagnose.records.firms import create_firm
    from diagnose.storage import transaction

    questionnaire = app.extensions["questionnaires"].current
    profile = {**firm["profile"], "business_number": business_number}
    answers = answers_at(questionnaire, firm["level"], firm["said"])
    with transaction(db):
        firm_id = create_firm(db, center_id, user_id, profile)
        assessment_id = record_submitted_assessment(
            db, firm_id, center_id, user_id, questionnaire, profile, answers, source="consultant"
        )
        diagnose(db, app.extensions["track_model"], questionnaire, assessment_id, profile, answers)
    return assessment_id
