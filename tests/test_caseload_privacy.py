"""What a consultant learns about firms and colleagues outside their caseload: nothing, not a
firm's name in a refusal, not a colleague's override rate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from centers import browser, build, business_number
from conftest import firm_form

from diagnose.services.decisions import record_decision
from diagnose.storage import connect


@pytest.fixture
def world(app):
    return build(app)


def test_a_refused_business_number_names_the_firm_only_to_whom_may_see_it(app, world):
    a = world["A"]
    taken = business_number(10)  # the doctor's firm, A기업정밀
    colleague = browser(app, a.users["colleague"])
    response = colleague.post_form("/firms/new", firm_form(app, business_number=taken))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A기업정밀" not in page
    assert "담당 기업이 아닙니다" in page  # why, in Korean, with what to do
    # editing a firm of their own to that number: refused the same way
    own = colleague.post_form("/firms/new", firm_form(app, business_number=business_number(90)))
    own_id = int(own.headers["Location"].rsplit("/", 1)[-1])
    edit = colleague.post_form(
        f"/firms/{own_id}/edit", firm_form(app, business_number=taken), page=f"/firms/{own_id}/edit"
    )
    assert edit.status_code == 422 and "A기업정밀" not in edit.get_data(as_text=True)
    # the doctor, whose firm it is, and the center's staff are told which firm it is
    for who in ("doctor", "staff"):
        seen = browser(app, a.users[who]).post_form(
            "/firms/new", firm_form(app, business_number=taken)
        )
        assert seen.status_code == 422 and "A기업정밀" in seen.get_data(as_text=True), who


def test_a_consultant_sees_only_their_own_override_rates(app, world):
    a = world["A"]
    db = connect(app.config["DATABASE"])

    def as_user(key):
        person = a.users[key]
        return SimpleNamespace(id=person["id"], center_id=a.id)

    with app.app_context():  # a decision asks the queue to renew the firm's report
        record_decision(db, a.assessments["diagnosed"], as_user("doctor"), "beginner", "대표 의지")
        record_decision(db, a.assessments["self"], as_user("colleague"), "ax", "현장 과제 확인")
    db.conn.close()
    colleague = browser(app, a.users["colleague"]).get("/center/overrides")
    page = colleague.get_data(as_text=True)
    assert colleague.status_code == 200
    assert "주치의 A" not in page  # the colleague's rate is not theirs to see
    assert "동료 A" in page
    staff = browser(app, a.users["staff"]).get("/center/overrides").get_data(as_text=True)
    assert "주치의 A" in staff and "동료 A" in staff
