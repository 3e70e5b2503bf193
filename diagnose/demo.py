"""Demo data for the embedded default: one center, one consultant, firms with diagnoses.

Seeded once into an empty database; the consultant's password is random, kept in the instance
folder and printed at every start so whoever started the app can log in. The demo firms'
answers come from the bootstrap generator (seeded), so every start gives the same demo.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import numpy as np
import sqlite_utils
from flask import Flask

from .assessments import create_firm, record_submitted_assessment, start_assessment
from .auth import create_center, create_user
from .business_number import check_digit
from .diagnosis.policy import synthetic_firm, track_for
from .diagnosis.store import diagnose
from .storage import transaction

log = logging.getLogger(__name__)
DEMO_EMAIL = "doctor@demo.example"

# (name, region, industry, employees, revenue band, contact, the track the demo should show)
DEMO_FIRMS = [
    ("한빛정밀", "gyeongnam", "C", 48, "5b_10b", "김민수", "shared_center"),
    ("새봄식품", "gyeongnam", "C", 17, "1b_5b", "이서연", "beginner"),
    ("바른세무회계", "gyeongnam", "M", 9, "100m_1b", "박지훈", "ax"),
    ("동해물류", "ulsan", "H", 112, "over_50b", "최유진", "ax"),
    ("대성기계", "gyeongnam", "C", 35, "5b_10b", "정우성", "ax"),
    ("미래금속", "busan", "C", 22, "1b_5b", "한지민", "beginner"),
    ("정밀테크", "gyeongnam", "C", 41, "5b_10b", "오세훈", "ax"),
    ("한결부품", "ulsan", "C", 29, "1b_5b", "윤아름", "shared_center"),
    ("신성산업", "gyeongnam", "C", 12, "1b_5b", "강민호", "beginner"),
]
# What the firm said about its target task, by industry (the interview's free-text answers).
DEMO_NEEDS = {
    "C": {
        "need_task": "사출 성형품 외관 검사",
        "need_problem": "검사원 두 명이 눈으로 불량을 판정해 야간조 불량 유출이 월 5건가량 "
        "발생합니다",
        "need_data_desc": "불량 사진 약 3천 장(폴더별 정리), MES 생산실적 2년치",
    },
    "M": {
        "need_task": "법인 고객의 월별 증빙 자료 분류와 신고서 초안 작성",
        "need_problem": "신고 기간에 직원 한 명당 야근이 주 15시간을 넘고 입력 실수가 잦습니다",
        "need_data_desc": "고객사별 증빙 스캔 파일 3년치, 회계 프로그램 전표 데이터",
    },
    "H": {
        "need_task": "화물 배차와 운송 경로 계획",
        "need_problem": "배차 담당자 경험에 의존해 공차 운행이 많고 담당자 휴가 때 업무가 멈춥니다",
        "need_data_desc": "운송 관리 시스템(TMS)의 운행 기록 2년치, 차량 GPS 기록",
    },
}


def _business_number(index: int) -> str:
    first = f"{605 + index:03d}81{10000 + index * 37:05d}"[:9]
    return first + str(check_digit(first))


def _answers_for(questionnaire, track: str, seed: int) -> dict:
    """Synthetic answers whose policy track is ``track`` (the generator, seeded)."""
    rng = np.random.default_rng(seed)
    for _ in range(500):
        firm = synthetic_firm(rng, questionnaire)
        if track_for(firm) == track:
            return dict(firm.answers)
    raise RuntimeError(f"no demo firm for {track}")


def seed(db: sqlite_utils.Database, app: Flask) -> None:
    credentials = Path(app.instance_path) / "demo-login.txt"
    questionnaire = app.extensions["questionnaires"].current
    model = app.extensions["track_model"]
    with transaction(db):
        if db.execute("SELECT COUNT(*) FROM centers").fetchone()[0] == 0:
            center_id = create_center(db, "경남 중소기업 AI 훈련 확산센터 (데모)", "gyeongnam")
            # How the demo firms reach their center (the report's "whom to call"); a demo
            # address that delivers nowhere, and no invented phone number.
            db.execute(
                "UPDATE centers SET email = ? WHERE id = ?", ["center@demo.example", center_id]
            )
            password = secrets.token_urlsafe(9)
            user_id = create_user(db, center_id, DEMO_EMAIL, "김주치 (데모 훈련 주치의)", password)
            for index, (name, region, industry, employees, revenue, contact, track) in enumerate(
                DEMO_FIRMS
            ):
                profile = {
                    "company_name": name,
                    "business_number": _business_number(index),
                    "region": region,
                    "industry": industry,
                    "employees": str(employees),
                    "revenue_band": revenue,
                    "contact_name": contact,
                    "contact_phone": "",
                    "contact_email": "",
                }
                firm_id = create_firm(db, center_id, user_id, profile)
                if index == 1 or model is None:
                    # one firm with a draft interview, to resume
                    firm = {
                        "id": firm_id,
                        "center_id": center_id,
                        **profile,
                        "name": name,
                        "employees": employees,
                    }
                    start_assessment(db, firm, user_id, questionnaire)
                    continue
                answers = {
                    **_answers_for(questionnaire, track, seed=index),
                    **DEMO_NEEDS.get(industry, DEMO_NEEDS["C"]),
                }
                assessment_id = record_submitted_assessment(
                    db,
                    firm_id,
                    center_id,
                    user_id,
                    questionnaire,
                    profile,
                    answers,
                    source="consultant",
                )
                diagnose(db, model, questionnaire, assessment_id, profile, answers)
            credentials.write_text(f"{DEMO_EMAIL} {password}\n")
            credentials.chmod(0o600)
    if credentials.exists():
        email, password = credentials.read_text().split()
        print(f" * Demo login: {email} / password: {password}", flush=True)
