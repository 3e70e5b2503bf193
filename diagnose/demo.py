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

from .auth import ADMINISTRATOR, CENTER_STAFF, create_center, create_user
from .business_number import check_digit
from .diagnosis.policy import track_for
from .diagnosis.store import decide, diagnose
from .diagnosis.synthetic import synthetic_firm
from .questionnaire.types import SingleChoice
from .records.assessments import record_submitted_assessment, start_assessment
from .records.firms import create_firm
from .storage import transaction

log = logging.getLogger(__name__)
DEMO_EMAIL = "doctor@demo.example"
# The center's other people: its staff (dashboard, requests, batches, exports, users) and an
# administrator (every center, the shared-center registry and the catalogue).
DEMO_PEOPLE = [
    ("staff@demo.example", "박센터 (데모 센터 담당자)", CENTER_STAFF),
    ("admin@demo.example", "최관리 (데모 관리자)", ADMINISTRATOR),
]
REDIAGNOSED = 4  # the demo firm re-diagnosed after training (대성기계)
# The consultant's decisions on demo firms: (another track or None to confirm, reason).
DEMO_DECISIONS = {
    2: (None, ""),
    7: ("ax", "사내에 비전 검사 장비와 엔지니어가 있어 자체 PBL로 충분합니다"),
    8: ("beginner", "대표가 AI 도입 의사가 아직 없어 인식 교육부터 시작합니다"),
}

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
    people = Path(app.instance_path) / "demo-logins-center.txt"
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
                # the demo consultant's caseload (the center's staff assign firms)
                db.execute("UPDATE firms SET assigned_to = ? WHERE id = ?", [user_id, firm_id])
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
                if index in DEMO_DECISIONS:
                    final, reason = DEMO_DECISIONS[index]
                    predicted = db.execute(
                        "SELECT track FROM predictions WHERE assessment_id = ?", [assessment_id]
                    ).fetchone()[0]
                    decide(db, assessment_id, user_id, final or predicted, reason if final else "")
                if index == REDIAGNOSED:
                    _rediagnosis(db, model, questionnaire, firm_id, center_id, user_id, profile)
            if model is not None:
                _self_assessment_request(db, model, questionnaire, center_id)
            credentials.write_text(f"{DEMO_EMAIL} {password}\n")
            credentials.chmod(0o600)
            others = []
            for email, name, role in DEMO_PEOPLE:
                secret = secrets.token_urlsafe(9)
                create_user(db, center_id, email, name, secret, role)
                others.append(f"{email} {secret}\n")
            people.write_text("".join(others))
            people.chmod(0o600)
    if credentials.exists():
        email, password = credentials.read_text().split()
        print(f" * Demo login: {email} / password: {password}", flush=True)
    if people.exists():
        for line in people.read_text().splitlines():
            email, password = line.split()
            print(f" * Demo login: {email} / password: {password}", flush=True)


def _improved(questionnaire, answers: dict, rng) -> dict:
    """The answers of a firm some months and a training later: about half of its single
    choices one option better."""
    better = dict(answers)
    for item in questionnaire.items():
        value = answers.get(item.id)
        if not isinstance(item.kind, SingleChoice) or not isinstance(value, str):
            continue
        if rng.random() < 0.5:
            continue
        current = item.option(value)
        if current is None or current.score is None:
            continue
        higher = sorted(
            (o for o in item.options if o.score is not None and o.score > current.score),
            key=lambda o: o.score,
        )
        if higher:
            better[item.id] = higher[0].value
    return better


def _rediagnosis(db, model, questionnaire, firm_id, center_id, user_id, profile) -> None:
    """T0 six months ago, a training in between, T1 today (the firm page's progress)."""
    from datetime import UTC, datetime, timedelta

    from .records.assessments import load_answers

    t0 = db.execute(
        "SELECT id FROM assessments WHERE firm_id = ? AND status = 'submitted'", [firm_id]
    ).fetchone()[0]
    earlier = (datetime.now(UTC) - timedelta(days=180)).isoformat(timespec="seconds")
    db.execute(
        "UPDATE assessments SET created_at = ?, updated_at = ?, submitted_at = ? WHERE id = ?",
        [earlier, earlier, earlier, t0],
    )
    db.execute("UPDATE predictions SET created_at = ? WHERE assessment_id = ?", [earlier, t0])
    answers = _improved(questionnaire, load_answers(db, t0)[0], np.random.default_rng(7))
    t1 = record_submitted_assessment(
        db, firm_id, center_id, user_id, questionnaire, profile, answers, source="consultant"
    )
    db.execute("UPDATE assessments SET based_on = ? WHERE id = ?", [t0, t1])
    diagnose(db, model, questionnaire, t1, profile, answers)
    # T0/T1 compares decided diagnoses only: the consultant confirmed both
    for assessment in (t0, t1):
        if not db.execute(
            "SELECT 1 FROM decisions WHERE assessment_id = ?", [assessment]
        ).fetchone():
            track = db.execute(
                "SELECT track FROM predictions WHERE assessment_id = ? ORDER BY id DESC LIMIT 1",
                [assessment],
            ).fetchone()[0]
            decide(db, assessment, user_id, track, "")
    day = (datetime.now(UTC) - timedelta(days=150)).date()
    db.execute(
        "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
        "ended_on, hours, trainees, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            firm_id,
            center_id,
            "pbl_quality_data_analysis",
            "품질 데이터 분석 PBL",
            day.isoformat(),
            (day + timedelta(days=42)).isoformat(),
            24,
            4,
            user_id,
            earlier,
        ],
    )


def _self_assessment_request(db, model, questionnaire, center_id: int) -> None:
    """A firm that assessed itself and asks the center for a consultant (the dashboard's
    requests to assign)."""
    from .services.requests import request_consultant

    profile = {
        "company_name": "해오름전자",
        "business_number": _business_number(20),
        "region": "gyeongnam",
        "industry": "C",
        "employees": "26",
        "revenue_band": "1b_5b",
        "contact_name": "서지우",
        "contact_phone": "",
        "contact_email": "",
    }
    firm_id = create_firm(db, center_id, None, profile, origin="self")
    answers = {**_answers_for(questionnaire, "ax", seed=20), **DEMO_NEEDS["C"]}
    assessment_id = record_submitted_assessment(
        db, firm_id, center_id, None, questionnaire, profile, answers, source="self"
    )
    diagnose(db, model, questionnaire, assessment_id, profile, answers)
    request_consultant(
        db,
        assessment_id,
        {"contact_name": "서지우", "contact_phone": "055-000-0000", "message": "검사 자동화 상담"},
        consent=True,
    )
