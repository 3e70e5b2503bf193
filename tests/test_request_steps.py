"""A request followed to the visit (issue 18, item 2), and a self-assessed firm filed under a
registered one (issue 17, items 2 and 7): the request follows, the link shows nothing more."""

from __future__ import annotations

from datetime import date

import pytest
from answering import all_answers
from conftest import Browser, add_user, csrf_from, register_firm
from test_notices import ask_for_consultant, center_people, owner_submits, request_id
from test_self_assessment import OWNER

from diagnose.diagnosis.store import decide
from diagnose.services import requests
from diagnose.services import self_assessment as service
from diagnose.storage import connect


@pytest.fixture
def center(app):
    staff, doctor = center_people(app)
    colleague = add_user(app, "other@busan.example", center="부산 센터", name="최동료")
    db = connect(app.config["DATABASE"])
    yield db, staff, doctor, colleague
    db.conn.close()


def asked(app, **owner_changes) -> tuple[str, int]:
    """An owner self-assesses (with ``owner_changes`` to the details typed) and asks."""
    import test_self_assessment

    saved = dict(test_self_assessment.OWNER)
    test_self_assessment.OWNER.update(owner_changes)
    try:
        owner = app.test_client()
        token = owner_submits(app, owner)
        ask_for_consultant(owner, token)
    finally:
        test_self_assessment.OWNER.clear()
        test_self_assessment.OWNER.update(saved)
    return token, request_id(app)


def test_a_request_goes_step_by_step_and_only_its_consultant_moves_it(app, center):
    db, staff, doctor, colleague = center
    _token, rid = asked(app)
    cid = doctor["center_id"]
    with app.test_request_context():
        requests.assign_request(db, cid, rid, doctor["id"], staff["id"])
        with pytest.raises(requests.RequestError):  # a colleague's request: not theirs
            requests.advance(
                db, cid, rid, "contacted", colleague["id"], consultant_id=colleague["id"]
            )
        with pytest.raises(requests.RequestError):  # visited before a visit is booked
            requests.advance(db, cid, rid, "visited", doctor["id"], consultant_id=doctor["id"])
        with pytest.raises(requests.RequestError) as missing:
            requests.advance(
                db, cid, rid, "booked", doctor["id"], consultant_id=doctor["id"], visit={"on": "x"}
            )
        assert set(missing.value.errors) == {"visit_on", "visit_time", "visit_place"}
        steps = [
            ("contacted", None),
            ("booked", {"on": date(2027, 1, 14), "at": "10:00", "place": "공장"}),
            ("visited", None),
        ]
        for step, visit in steps:
            done = requests.advance(
                db, cid, rid, step, doctor["id"], consultant_id=doctor["id"], visit=visit
            )
            assert done["status"] == step
        with pytest.raises(requests.RequestError):
            requests.close_request(db, cid, rid, staff["id"], reason="bored")
        closed = requests.close_request(db, cid, rid, staff["id"], reason="done")
    assert (closed["status"], closed["close_reason"]) == ("closed", "done")
    assert closed["visit_on"] == "2027-01-14" and closed["contacted_at"] and closed["visited_at"]
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-5:] == ["assign", "contacted", "booked", "visited", "close"]


def test_the_pages_refuse_a_colleague_and_keep_the_order(app, center):
    db, staff, doctor, colleague = center
    _t1, first = asked(app)
    _t2, second = asked(app, business_number="220-81-62517", company_name="둘째상사")
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    dashboard = staff_browser.get("/center").get_data(as_text=True)
    assert dashboard.count("0영업일째 대기") == 2  # each request to assign, its waiting time
    for rid in (first, second):
        staff_browser.post_form(
            f"/center/requests/{rid}/assign", {"consultant": doctor["id"]}, page="/center"
        )
    other = Browser(app)
    other.login(colleague["email"])
    refused = other.post_form(f"/requests/{first}/contacted", {}, page="/requests")
    assert refused.status_code == 404
    mine = Browser(app)
    mine.login(doctor["email"])
    assert mine.post_form(f"/requests/{first}/contacted", {}, page="/requests").status_code == 302
    page = mine.get("/requests").get_data(as_text=True)
    # the one not answered yet (the newer, still "assigned") comes first
    assert page.index("둘째상사") < page.index(OWNER["company_name"])
    english = mine.get("/requests?lang=en").get_data(as_text=True)
    assert "Mark as contacted" in english and "My assignments" in english


def test_requests_from_one_business_number_are_merged(app, center):
    db, staff, *_ = center
    asked(app)
    token_2, _second = asked(app, contact_name="박부장", company_name="자가진단정밀(주)")
    rows = list(db.query("SELECT id, status, close_reason, merged_into FROM consultant_requests"))
    assert len(rows) == 2
    assert rows[1]["close_reason"] == "duplicate" and rows[1]["merged_into"] == rows[0]["id"]
    # the second owner still sees their request as received
    _row, record = service.result_of(db, token_2)
    assert service.open_request(db, record["id"])["status"] == "new"
    tracked = requests.tracking(db, staff["center_id"], 2)
    assert [r["merged"] for r in tracked["requests"]] == [1]


def test_business_days_skip_weekends_and_korean_holidays():
    # 2027-01-01 (Friday) is New Year's Day; the 2nd and 3rd a weekend
    assert requests.business_days(date(2026, 12, 31), date(2027, 1, 4)) == 1
    assert requests.business_days(date(2026, 12, 28), date(2026, 12, 30)) == 2
    assert requests.business_days(date(2026, 12, 30), date(2026, 12, 28)) == 0


def test_the_share_answered_within_the_promise(app, center):
    db, staff, doctor, _ = center
    _t1, late = asked(app)
    _t2, prompt = asked(app, business_number="220-81-62517")
    db.execute(  # the first asked on a Monday, answered the next Monday: 5 business days
        "UPDATE consultant_requests SET created_at = '2026-11-02T01:00:00+00:00', "
        "contacted_at = '2026-11-09T01:00:00+00:00', status = 'contacted' WHERE id = ?",
        [late],
    )
    db.execute(  # the second answered the day after
        "UPDATE consultant_requests SET created_at = '2026-11-02T01:00:00+00:00', "
        "contacted_at = '2026-11-03T01:00:00+00:00', status = 'contacted' WHERE id = ?",
        [prompt],
    )
    tracked = requests.tracking(db, staff["center_id"], 2, today=date(2026, 11, 20))
    waited = {r["id"]: r["waited"] for r in tracked["requests"]}
    assert waited == {late: 5, prompt: 1}
    assert (tracked["within"], tracked["counted"], tracked["share"]) == (1, 2, 50)
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    refused = staff_browser.post_form(
        "/center/requests/promise", {"answer_days": "0"}, page="/center/requests"
    )
    assert refused.status_code == 422 and "1에서 30 사이" in refused.get_data(as_text=True)
    saved = staff_browser.post_form(
        "/center/requests/promise", {"answer_days": "5"}, page="/center/requests"
    )
    assert saved.status_code == 302
    assert requests.answer_days(db, staff["center_id"], 2) == 5
    page = staff_browser.get("/center/requests").get_data(as_text=True)
    assert "5영업일 안에 응대 (2건 중 2건)" in page  # the late one is within 5 days
    doctor_browser = Browser(app)
    doctor_browser.login(doctor["email"])
    assert doctor_browser.get("/center/requests").status_code == 403


# --- issue 17: filing a self-assessment under a registered firm ------------------------------


def registered_busan_firm(app, doctor, **changes) -> tuple[Browser, int]:
    browser = Browser(app)
    browser.login(doctor["email"])
    return browser, register_firm(
        browser, business_number=OWNER["business_number"], region="busan", **changes
    )


def test_a_firm_that_asked_for_a_consultant_is_filed_under_the_registered_one(app, center):
    db, staff, doctor, _ = center
    _browser, firm_id = registered_busan_firm(
        app, doctor, contact_phone=OWNER["contact_phone"], company_name="자가진단정밀"
    )
    token, rid = asked(app)
    self_firm = db.execute(
        "SELECT firm_id FROM consultant_requests WHERE id = ?", [rid]
    ).fetchone()[0]
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    page = staff_browser.get(f"/firms/{self_firm}").get_data(as_text=True)
    assert "연락처가 센터가 이 기업에 대해 가진 연락처와 일치합니다" in page
    linked = staff_browser.post_form(
        f"/firms/{self_firm}/link", {"firm_id": firm_id}, page=f"/firms/{self_firm}"
    )
    assert linked.status_code == 302, linked.get_data(as_text=True)[:500]  # was a 500
    assert (
        db.execute("SELECT firm_id FROM consultant_requests WHERE id = ?", [rid]).fetchone()[0]
        == firm_id
    )
    firm_page = staff_browser.get(f"/firms/{firm_id}").get_data(as_text=True)
    assert "평일 오후 방문 가능합니다" in firm_page and "051-123-4567" in firm_page
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_the_business_number_alone_is_no_evidence(app, center):
    db, staff, doctor, _ = center
    _browser, firm_id = registered_busan_firm(app, doctor, contact_phone="02-999-8888")
    _token, rid = asked(app)
    self_firm = db.execute(
        "SELECT firm_id FROM consultant_requests WHERE id = ?", [rid]
    ).fetchone()[0]
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    refused = staff_browser.post_form(
        f"/firms/{self_firm}/link", {"firm_id": firm_id}, page=f"/firms/{self_firm}"
    )
    assert refused.headers["Location"].endswith(f"/firms/{self_firm}")
    assert db.execute("SELECT origin FROM firms WHERE id = ?", [self_firm]).fetchone()[0] == "self"
    confirmed = staff_browser.post_form(
        f"/firms/{self_firm}/link",
        {"firm_id": firm_id, "confirmed": "1"},
        page=f"/firms/{self_firm}",
    )
    assert confirmed.headers["Location"].endswith(f"/firms/{firm_id}")
    detail = db.execute("SELECT detail FROM audit_log WHERE action = 'link'").fetchone()[0]
    assert "confirmed" in detail


def test_linking_never_widens_what_the_anonymous_link_shows(app, center):
    db, staff, doctor, _ = center
    browser, firm_id = registered_busan_firm(app, doctor, contact_phone=OWNER["contact_phone"])
    # the registered firm's earlier consultant diagnosis, and training its staff took
    questionnaire = app.extensions["questionnaires"].current
    started = browser.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
    earlier = int(started.headers["Location"].split("/")[-2])
    for dimension_id, data in all_answers(questionnaire).items():
        browser.post_form(f"/assessments/{earlier}/{dimension_id}", {**data, "action": "next"})
    browser.post_form(f"/assessments/{earlier}/review", {"confirm": "y"})
    track = db.execute(
        "SELECT track FROM predictions WHERE assessment_id = ? ORDER BY id DESC", [earlier]
    ).fetchone()[0]
    decide(db, earlier, doctor["id"], track)  # confirmed: the center's T0 (decided only)
    db.execute(
        "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, hours, "
        "trainees, created_at) VALUES (?, ?, 'm', '비밀스러운 사내 비전검사 과정', "
        "'2026-01-05', 24, 13, '2026-01-05T00:00:00+00:00')",
        [firm_id, doctor["center_id"]],
    )
    db.execute(  # diagnosed last year, so the self-assessment comes after it
        "UPDATE assessments SET submitted_at = '2025-12-01T00:00:00+00:00' WHERE id = ?",
        [earlier],
    )
    token, rid = asked(app)
    self_firm = db.execute(
        "SELECT firm_id FROM consultant_requests WHERE id = ?", [rid]
    ).fetchone()[0]
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    staff_browser.post_form(
        f"/firms/{self_firm}/link", {"firm_id": firm_id}, page=f"/firms/{self_firm}"
    )
    assert db.execute("SELECT origin FROM firms WHERE id = ?", [self_firm]).fetchone() is None

    owner = app.test_client()
    page = owner.get(f"/r/{token}").get_data(as_text=True)
    assert "비밀스러운 사내 비전검사 과정" not in page
    from diagnose.services.roadmaps import report_context, report_html

    _row, record = service.result_of(db, token)
    assert record["firm_id"] == firm_id  # filed under the registered firm …
    with app.test_request_context():
        assert report_context(db, record, "ko")["progress"] is None  # … and shows none of it
        html = report_html(db, record, "ko")
        staff_view = dict(record, link_view=False)
        assert report_context(db, staff_view, "ko")["progress"] is not None  # the center's
    assert "비밀스러운 사내 비전검사 과정" not in html
    assert record["firm_name"] == OWNER["company_name"]
    csrf_from(page)  # the page is a real form page (the owner may still act on it)


def test_a_link_never_gets_the_centers_issued_report_of_a_linked_firm(app, center):
    """Reports are kept as issued: the center's edition (with the registered firm's history)
    issued first must not be what the anonymous link's holder then receives."""
    from diagnose.services import reports

    db, staff, doctor, _ = center
    browser, firm_id = registered_busan_firm(app, doctor, contact_phone=OWNER["contact_phone"])
    db.execute(
        "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, hours, "
        "trainees, created_at) VALUES (?, ?, 'm', '비밀스러운 사내 비전검사 과정', "
        "'2026-01-05', 24, 13, '2026-01-05T00:00:00+00:00')",
        [firm_id, doctor["center_id"]],
    )
    token, rid = asked(app)
    self_firm = db.execute(
        "SELECT firm_id FROM consultant_requests WHERE id = ?", [rid]
    ).fetchone()[0]
    staff_browser = Browser(app)
    staff_browser.login(staff["email"])
    staff_browser.post_form(
        f"/firms/{self_firm}/link", {"firm_id": firm_id}, page=f"/firms/{self_firm}"
    )
    _row, record = service.result_of(db, token)
    staff_record = dict(record, link_view=False, firm_name="부산 등록 기업명")
    with app.test_request_context():
        center_issue = reports.issue(db, staff_record, "ko")
        link_issue = reports.issue(db, record, "ko")
    assert center_issue["lang"] == "ko" and link_issue["lang"] == "ko-link"
    assert center_issue["cache_key"] != link_issue["cache_key"]
    html = reports.issued_html(db, record["id"], "ko-link")
    assert "부산 등록 기업명" not in html
    assert OWNER["company_name"] in html
