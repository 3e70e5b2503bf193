"""Demo data for the embedded default: one center, one consultant, a few firms.

Seeded once into an empty database; the consultant's password is random, kept in the instance
folder and printed at every start so whoever started the app can log in.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import sqlite_utils
from flask import Flask

from .assessments import create_firm
from .auth import create_center, create_user
from .storage import transaction

log = logging.getLogger(__name__)
DEMO_EMAIL = "doctor@demo.example"

DEMO_FIRMS = [
    {
        "company_name": "한빛정밀",
        "business_number": "1018100016",
        "region": "gyeongnam",
        "industry": "C",
        "employees": "48",
        "revenue_band": "10b_50b",
        "contact_name": "김민수",
        "contact_phone": "055-123-4567",
        "contact_email": "ms.kim@hanbit.example",
    },
    {
        "company_name": "새봄식품",
        "business_number": "1138600014",
        "region": "gyeonggi",
        "industry": "C",
        "employees": "17",
        "revenue_band": "1b_5b",
        "contact_name": "이서연",
        "contact_phone": "031-555-0199",
        "contact_email": "",
    },
    {
        "company_name": "바른세무회계",
        "business_number": "2148612341",
        "region": "seoul",
        "industry": "M",
        "employees": "9",
        "revenue_band": "1b_5b",
        "contact_name": "박지훈",
        "contact_phone": "",
        "contact_email": "jh.park@bareun.example",
    },
    {
        "company_name": "동해물류",
        "business_number": "6098100015",
        "region": "ulsan",
        "industry": "H",
        "employees": "112",
        "revenue_band": "over_50b",
        "contact_name": "최유진",
        "contact_phone": "052-700-1000",
        "contact_email": "",
    },
]


def seed(db: sqlite_utils.Database, app: Flask) -> None:
    credentials = Path(app.instance_path) / "demo-login.txt"
    with transaction(db):
        if db.execute("SELECT COUNT(*) FROM centers").fetchone()[0] == 0:
            center_id = create_center(db, "경남 중소기업 AI 훈련 확산센터 (데모)", "gyeongnam")
            password = secrets.token_urlsafe(9)
            user_id = create_user(db, center_id, DEMO_EMAIL, "김주치 (데모 훈련 주치의)", password)
            for firm in DEMO_FIRMS:
                create_firm(db, center_id, user_id, firm)
            credentials.write_text(f"{DEMO_EMAIL} {password}\n")
            credentials.chmod(0o600)
    if credentials.exists():
        email, password = credentials.read_text().split()
        print(f" * Demo login: {email} / password: {password}", flush=True)
