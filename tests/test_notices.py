"""Notices by e-mail through a real SMTP server on loopback (aiosmtpd): the owner's link, a
consultant assigned, the visit as an iCalendar invitation, the confirmed roadmap, the
consultant's new assignment; the outbox when no server is set; retries; a lost link."""

from __future__ import annotations

import re
import time

import pytest
from answering import all_answers
from conftest import Browser, add_user, csrf_from
from icalendar import Calendar
from smtp_loopback import LoopbackSMTP, MailBox, calendar_of, mail_settings, text_of
from test_self_assessment import answer_all, start, submit

from diagnose.services import mail, mailing
from diagnose.storage import connect

OWNER_EMAIL = "owner@firm.example"


@pytest.fixture
def smtp():
    box = MailBox()
    server = LoopbackSMTP(box)
    server.start()
    yield server, box
    server.stop()


def wait_for(box: MailBox, address: str, n: int = 1, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = box.to(address)
        if len(found) >= n:
            return found
        time.sleep(0.05)
    return box.to(address)


def center_people(app):
    """A staff member and a consultant (with a phone) of the Busan center, the owner's."""
    staff = add_user(
        app, "staff@busan.example", center="부산 센터", name="김직원", role="center_staff"
    )
    doctor = add_user(app, "doctor@busan.example", center="부산 센터", name="이주치")
    db = connect(app.config["DATABASE"])
    db.execute("UPDATE centers SET region = 'busan', phone = '051-000-1111'")
    db.execute("UPDATE users SET phone = '010-2222-3333' WHERE id = ?", [doctor["id"]])
    db.conn.close()
    return staff, doctor


def owner_submits(app, owner, lang: str = "ko") -> str:
    if lang != "ko":
        owner.get(f"/?lang={lang}")
    token, first = start(owner)
    answer_all(owner, app, token, first)
    assert submit(owner, token).status_code == 302
    return token


def give_email(owner, token: str, address: str = OWNER_EMAIL, consent: bool = True):
    page = owner.get(f"/r/{token}").get_data(as_text=True)
    data = {"email": address, "csrf_token": csrf_from(page)}
    if consent:
        data["consent"] = "y"
    return owner.post(f"/r/{token}/email", data=data)


def ask_for_consultant(owner, token: str, email: str = OWNER_EMAIL):
    page = owner.get(f"/r/{token}/consultant").get_data(as_text=True)
    response = owner.post(
        f"/r/{token}/consultant",
        data={
            "csrf_token": csrf_from(page),
            "contact_name": "박대표",
            "contact_phone": "051-123-4567",
            "contact_email": email,
            "message": "평일 오후 방문 가능합니다",
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def request_id(app) -> int:
    db = connect(app.config["DATABASE"])
    try:
        return db.execute("SELECT MAX(id) FROM consultant_requests").fetchone()[0]
    finally:
        db.conn.close()


def test_the_loop_sends_each_notice_through_smtp(make_app, smtp):
    server, box = smtp
    app = make_app(**mail_settings(server))
    staff_user, doctor_user = center_people(app)
    owner = app.test_client()
    token = owner_submits(app, owner)

    # the owner's link, to the address given (with consent)
    assert give_email(owner, token).status_code == 302
    (link_mail,) = wait_for(box, OWNER_EMAIL)
    assert f"/r/{token}" in text_of(link_mail)
    assert "자가진단" in str(link_mail["Subject"]) or "링크" in text_of(link_mail)
    assert owner.get(re.search(r"https?://\S+", text_of(link_mail)).group(0)).status_code == 200

    # asked, assigned: the owner hears who, the consultant hears of it
    ask_for_consultant(owner, token)
    staff = Browser(app)
    staff.login(staff_user["email"])
    rid = request_id(app)
    assigned = staff.post_form(
        f"/center/requests/{rid}/assign", {"consultant": doctor_user["id"]}, page="/center"
    )
    assert assigned.status_code == 302
    owner_mails = wait_for(box, OWNER_EMAIL, 2)
    assert "이주치" in text_of(owner_mails[1]) and "010-2222-3333" in text_of(owner_mails[1])
    (new_work,) = wait_for(box, doctor_user["email"])
    assert "평일 오후 방문 가능합니다" in text_of(new_work) and "051-123-4567" in text_of(new_work)

    # the consultant's list: this request first; the visit booked sends an invitation
    doctor = Browser(app)
    doctor.login(doctor_user["email"])
    mine = doctor.get("/requests").get_data(as_text=True)
    assert "평일 오후 방문 가능합니다" in mine and "051-123-4567" in mine
    booked = doctor.post_form(
        f"/requests/{rid}/visit",
        {"visit_on": "2027-01-14", "visit_time": "14:30", "visit_place": "부산 강서구 공장 2층"},
        page="/requests",
    )
    assert booked.status_code == 302
    visit_mail = wait_for(box, OWNER_EMAIL, 3)[2]
    invitation = Calendar.from_ical(calendar_of(visit_mail))
    (event,) = invitation.walk("VEVENT")
    start_at = event.decoded("dtstart")
    assert (start_at.year, start_at.month, start_at.day, start_at.hour, start_at.minute) == (
        2027,
        1,
        14,
        14,
        30,
    )
    assert str(start_at.tzinfo) in ("Asia/Seoul", "KST") or start_at.utcoffset().seconds == 9 * 3600
    assert str(event["location"]) == "부산 강서구 공장 2층"
    assert str(invitation["method"]) == "REQUEST"
    # the owner's page shows the visit
    assert "부산 강서구 공장 2층" in owner.get(f"/r/{token}").get_data(as_text=True)

    # the consultant diagnoses from the self-assessment and confirms: the roadmap is ready
    firm_id = (
        connect(app.config["DATABASE"])
        .execute("SELECT firm_id FROM consultant_requests WHERE id = ?", [rid])
        .fetchone()[0]
    )
    started = doctor.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
    assessment_id = int(started.headers["Location"].split("/")[-2])
    for dimension_id, data in all_answers(app.extensions["questionnaires"].current).items():
        doctor.post_form(f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"})
    assert (
        doctor.post_form(f"/assessments/{assessment_id}/review", {"confirm": "y"}).status_code
        == 302
    )
    db = connect(app.config["DATABASE"])
    predicted = db.execute(
        "SELECT track FROM predictions WHERE assessment_id = ?", [assessment_id]
    ).fetchone()[0]
    page = f"/assessments/{assessment_id}"
    decided = doctor.post_form(f"{page}/decision", {"final_track": predicted}, page=page)
    assert decided.status_code == 302
    ready = wait_for(box, OWNER_EMAIL, 4)[3]
    assert f"/r/{token}" in text_of(ready)
    shown = owner.get(f"/r/{token}").get_data(as_text=True)
    assert "훈련 컨설턴트가 확정함" in shown and "확정된 로드맵 내려받기" in shown
    confirmed_pdf = owner.get(f"/r/{token}/confirmed.pdf")
    assert confirmed_pdf.status_code == 200 and confirmed_pdf.data.startswith(b"%PDF")
    assert app.test_client().get(f"/r/{token}x/confirmed.pdf").status_code == 404
    statuses = [r[0] for r in db.execute("SELECT status FROM outbox")]
    assert statuses == ["sent"] * 5
    db.conn.close()


def test_the_owner_hears_in_english_when_they_used_english(make_app, smtp):
    server, box = smtp
    app = make_app(**mail_settings(server))
    owner = app.test_client()
    token = owner_submits(app, owner, lang="en")
    give_email(owner, token)
    (message,) = wait_for(box, OWNER_EMAIL)
    assert "private link" in text_of(message) and "자가진단" not in text_of(message)


def test_without_a_mail_server_mails_wait_and_go_once_one_is_set(make_app, smtp):
    server, box = smtp
    app = make_app(MAIL_SERVER="")
    staff_user, doctor_user = center_people(app)
    owner = app.test_client()
    token = owner_submits(app, owner)
    ask_for_consultant(owner, token)
    staff = Browser(app)
    staff.login(staff_user["email"])
    rid = request_id(app)
    staff.post_form(
        f"/center/requests/{rid}/assign", {"consultant": doctor_user["id"]}, page="/center"
    )
    db = connect(app.config["DATABASE"])
    assert [r[0] for r in db.execute("SELECT status FROM outbox ORDER BY id")] == [
        "waiting",
        "waiting",
    ]
    page = staff.get("/center/outbox").get_data(as_text=True)
    assert OWNER_EMAIL in page and "DIAGNOSE_MAIL_SERVER" in page
    assert box.messages == []

    configured = make_app(**mail_settings(server))  # the same instance, a server set
    result = configured.test_cli_runner().invoke(args=["mail", "send"])
    assert "2 mails queued" in result.output, result.output
    assert len(wait_for(box, OWNER_EMAIL)) == 1 and len(wait_for(box, doctor_user["email"])) == 1
    assert [r[0] for r in db.execute("SELECT status FROM outbox")] == ["sent", "sent"]
    db.conn.close()


def test_a_refusing_server_is_tried_again_then_the_mail_is_marked_failed(make_app, smtp):
    server, box = smtp
    app = make_app(**mail_settings(server))
    with app.app_context():
        db = connect(app.config["DATABASE"])
        outbox_id = mail.write(db, kind="resume_link", recipient=OWNER_EMAIL, subject="s", body="b")
        box.refuse = True
        for attempt in range(1, mail.MAX_ATTEMPTS + 1):
            with pytest.raises(mailing.MailNotSent):
                mailing.deliver(app, outbox_id)
            status, attempts, error = db.execute(
                "SELECT status, attempts, last_error FROM outbox WHERE id = ?", [outbox_id]
            ).fetchone()
            assert attempts == attempt and "451" in error
            assert status == ("failed" if attempt == mail.MAX_ATTEMPTS else "waiting")
        box.refuse = False
        assert mailing.deliver(app, outbox_id) == "sent"  # "send the waiting mails now"
        assert len(box.messages) == 1
        db.conn.close()


def test_a_lost_link_is_sent_again_without_saying_whether_the_address_is_known(make_app, smtp):
    server, box = smtp
    app = make_app(**mail_settings(server))
    owner = app.test_client()
    token = owner_submits(app, owner)
    give_email(owner, token)
    wait_for(box, OWNER_EMAIL)

    stranger = app.test_client()

    def ask(address: str) -> str:
        page = stranger.get("/link").get_data(as_text=True)
        response = stranger.post("/link", data={"email": address, "csrf_token": csrf_from(page)})
        assert response.status_code == 200
        return response.get_data(as_text=True).replace(address, "ADDRESS")

    known = ask(OWNER_EMAIL.upper())
    unknown = ask("nobody@firm.example")
    strip = re.compile(r'name="csrf_token"[^>]*>')
    assert strip.sub("", known) == strip.sub("", unknown)
    again = wait_for(box, OWNER_EMAIL, 2)
    assert len(again) == 2 and f"/r/{token}" in text_of(again[1])
    assert box.to("nobody@firm.example") == []
    # asked again at once: the same answer, no third mail (an inbox cannot be flooded)
    assert strip.sub("", ask(OWNER_EMAIL)) == strip.sub("", unknown)
    time.sleep(0.3)
    assert len(box.to(OWNER_EMAIL)) == 2


def test_an_email_without_consent_or_malformed_is_refused_and_kept(app):
    owner = app.test_client()
    token = owner_submits(app, owner)
    refused = give_email(owner, token, consent=False)
    assert refused.status_code == 422
    assert OWNER_EMAIL in refused.get_data(as_text=True)  # what was typed is kept
    assert give_email(owner, token, "not-an-address").status_code == 422
    db = connect(app.config["DATABASE"])
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert db.execute("SELECT notify_email FROM self_assessments").fetchone()[0] is None
    db.conn.close()


def test_the_device_that_started_offers_to_continue(app):
    owner = app.test_client()
    token, first = start(owner)
    home = owner.get("/").get_data(as_text=True)
    assert "이어서 하기" in home or "Continue" in home
    assert f"/r/{token}" in home
    other_device = app.test_client()
    assert f"/r/{token}" not in other_device.get("/").get_data(as_text=True)
    page = owner.get("/").get_data(as_text=True)
    owner.post("/forget-link", data={"csrf_token": csrf_from(page)})
    assert f"/r/{token}" not in owner.get("/").get_data(as_text=True)


def test_the_link_is_sealed_not_stored(app):
    owner = app.test_client()
    token = owner_submits(app, owner)
    give_email(owner, token)
    db = connect(app.config["DATABASE"])
    sealed = db.execute("SELECT link_sealed FROM self_assessments").fetchone()[0]
    assert token not in sealed
    assert mail.open_link(app.config["SECRET_KEY"], sealed) == token
    assert mail.open_link("another key " * 4, sealed) is None
    db.conn.close()


def test_the_email_form_sends_back_only_to_the_links_own_pages(app):
    owner = app.test_client()
    token = owner_submits(app, owner)
    page = owner.get(f"/r/{token}").get_data(as_text=True)
    response = owner.post(
        f"/r/{token}/email",
        data={
            "email": OWNER_EMAIL,
            "consent": "y",
            "csrf_token": csrf_from(page),
            "next_url": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == f"/r/{token}"


def test_a_firms_mails_are_blanked_on_erasure_and_its_columns_are_listed(app):
    db = connect(app.config["DATABASE"])
    for table, (firm_column, personal) in mail.FIRM_COLUMNS.items():
        columns = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        assert {firm_column, *personal} <= columns, table
    center = db.execute("INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', 'x')")
    firm = db.execute(
        "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
        "revenue_band, contact_name, created_at, updated_at) "
        "VALUES (?, 'f', '1', 'seoul', 'C', 3, 'x', '박대표', 'x', 'x')",
        [center.lastrowid],
    ).lastrowid
    kept = mail.write(db, kind="visit", recipient="a@b.example", subject="s", body="b")
    erased = mail.write(
        db, kind="visit", recipient=OWNER_EMAIL, subject="박대표님", body="박대표", firm_id=firm
    )
    mail.erase_for_firm(db, firm)
    rows = {r[0]: r[1:] for r in db.execute("SELECT id, recipient, subject, body FROM outbox")}
    assert rows[erased] == ("", "", "") and rows[kept][0] == "a@b.example"
    db.conn.close()


def test_requests_made_before_migration_32_keep_their_data(tmp_path):
    from diagnose.storage import MIGRATIONS, migrate

    db = connect(tmp_path / "old.sqlite3")
    migrate(db, [m for m in MIGRATIONS if m[0] <= 23])
    db.execute("INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', 'x')")
    db.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
    db.execute(
        "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
        "revenue_band, contact_name, created_at, updated_at) "
        "VALUES (1, 'f', '1', 'seoul', 'C', 3, 'x', 'n', 'x', 'x')"
    )
    db.execute(
        "INSERT INTO assessments (firm_id, center_id, questionnaire_id, questionnaire_version, "
        "created_at, updated_at) VALUES (1, 1, 'q', 1, 'x', 'x')"
    )
    for status in ("new", "closed"):
        db.execute(
            "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, contact_name, "
            "message, consent_at, status, created_at) "
            "VALUES (1, 1, 1, '박대표', '평일 오후', 'x', ?, '2026-01-01')",
            [status],
        )
    migrate(db)  # 32 and 33 among the rest
    rows = list(db.query("SELECT status, close_reason, message FROM consultant_requests"))
    assert rows == [
        {"status": "new", "close_reason": None, "message": "평일 오후"},
        {"status": "closed", "close_reason": "done", "message": "평일 오후"},
    ]
    db.conn.close()
