"""Page 2 a CEO can decide on: what the first steps cost after the subsidy (a number where the
catalogue holds a fee and subsidy with its source and date, else "센터 확인 필요"), distinct
column heads, whole hours, and whom to call with phone and e-mail."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from firms import FIRMS, store_firm

from diagnose import create_app
from diagnose.auth import create_center, create_user
from diagnose.records.assessments import assessment_record
from diagnose.services import registry
from diagnose.services.roadmaps import report_html
from diagnose.storage import connect


@pytest.fixture
def food_plant(tmp_path):
    app = create_app({"TESTING": True, "DEMO_DATA": False, "INSTANCE_PATH": str(tmp_path)})
    db = connect(app.config["DATABASE"])
    center_id = create_center(db, "전북 확산센터", "jeonbuk")
    db.execute("UPDATE centers SET phone = '063-123-4567', email = '' WHERE id = ?", [center_id])
    user_id = create_user(db, center_id, "doc@c.test", "김주치", "correct horse battery staple")
    db.execute("UPDATE users SET phone = '010-1111-2222' WHERE id = ?", [user_id])
    with app.app_context():
        assessment_id = store_firm(app, db, FIRMS["food_plant"], center_id, user_id, "1208147521")
    yield app, db, assessment_id, center_id
    db.conn.close()


def _summary(app, db, assessment_id) -> str:
    with app.test_request_context():
        html = report_html(db, assessment_record(db, assessment_id), "ko")
    part = html.split('id="s-summary"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)).replace("\u2060", "")


def test_costs_are_a_number_with_source_and_date_or_the_center_confirms(food_plant):
    app, db, assessment_id, center_id = food_plant
    text = _summary(app, db, assessment_id)
    heads = re.search(r"할 일 (\S+ \S+) 시기와 시간 지원 후 비용·재원", text)
    assert heads and heads.group(1) == "참여 대상"  # not "대상 | 대상"
    assert not re.search(r"\d+\.\d+시간", text)  # no "13.3시간"
    assert "대개 무료" not in text and "먼저 내고 환급" not in text
    admin = SimpleNamespace(id=None, center_id=center_id, role="administrator",
                            is_admin=True, is_staff=True)  # fmt: skip
    with app.app_context():
        registry.save_module(db, app, admin, "exec_ai_awareness", {
            "cost": {"fee_krw": 300000, "subsidy_share": 0.9, "checked": "2026-11-30",
                     "source": {"ko": "과정 공고 2026-11", "en": "course notice 2026-11"}},
            "funding": "employer_training",
        })  # fmt: skip
    text = _summary(app, db, assessment_id)
    assert "30,000원" in text  # 300,000 won, 90 % subsidised, for the CEO
    assert "과정 공고 2026-11" in text and "2026년 11월 30일 확인" in text
    # whom to call: the doctor's phone and the center's phone; no blank e-mail
    assert "010-1111-2222" in text and "063-123-4567" in text
    assert "· ·" not in text
