"""The loop in Chromium as its three users drive it, with the mails read from a real SMTP server
on loopback: the owner on a phone (360 x 740) gives an e-mail and asks for a consultant, staff
assign, the consultant books the visit and confirms the diagnosis, the owner's link then shows
the confirmed result. axe-core (WCAG 2.1 A/AA) on every page this work added: 0 violations.
The mails go to /tmp/issue-18/, the screenshots to $DIAGNOSE_SCREENSHOTS if set."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from answering import all_answers
from conftest import PASSWORD, Browser, serve, shot
from smtp_loopback import LoopbackSMTP, MailBox, calendar_of, mail_settings, text_of
from test_accessibility import violations
from test_notices import OWNER_EMAIL, center_people, wait_for
from test_self_assessment import answer_all

from diagnose.storage import connect

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/issue-18")


@pytest.fixture
def smtp():
    box = MailBox()
    server = LoopbackSMTP(box)
    server.start()
    yield server, box
    server.stop()


def _context(browser, width, height):  # noqa: F811
    context = browser.new_context(
        locale="ko-KR", viewport={"width": width, "height": height}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _axe(page, name: str, found: dict) -> None:
    """The page in English, then in Korean: the session is left in Korean, as it came."""
    url = re.sub(r"[?&]lang=\w+", "", page.url.split("#")[0])
    for lang in ("en", "ko"):
        page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
        if result := violations(page):
            found[f"{name} [{lang}]"] = result


def _log_in(page, server, email):
    page.goto(f"{server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_the_loop_in_chromium_with_mails_from_loopback(make_app, smtp, browser):  # noqa: F811
    server_smtp, box = smtp
    app = make_app(**mail_settings(server_smtp))
    staff_user, doctor_user = center_people(app)
    found: dict = {}
    with serve(app) as server:
        owner = _context(browser, 360, 740)
        owner.goto(f"{server}/")
        owner.check("#consent")
        owner.click("form.start button[type=submit]")
        owner.wait_for_url(re.compile(r"/r/[^/]+/q/"))
        token = re.search(r"/r/([^/]+)/q/", owner.url).group(1)
        # the screens themselves are the self-assessment's own tests; answered by link here
        answer_all(app.test_client(), app, token, owner.url.replace(server, ""))
        owner.goto(f"{server}/r/{token}/review")
        # an address refused without consent: the message beside the box, the address kept
        owner.fill("#owner-email", OWNER_EMAIL)
        owner.click(".owner-email button[type=submit]")
        owner.wait_for_selector("#owner-consent-errors")
        assert owner.input_value("#owner-email") == OWNER_EMAIL
        shot(owner, "01-owner-email-refused-360")
        if result := violations(owner):  # the answer to a POST: checked where it stands
            found["owner e-mail refused"] = result
        owner.check(".owner-email input[name=consent]")
        owner.click(".owner-email button[type=submit]")
        owner.wait_for_url(re.compile(r"/review"))
        (link_mail,) = wait_for(box, OWNER_EMAIL)
        link = re.search(r"https?://\S+", text_of(link_mail)).group(0)
        assert token in link
        owner.click("button.primary.big")  # submit
        owner.wait_for_url(re.compile(rf"/r/{token}$"))
        owner.click("a[href$='/consultant']")
        owner.fill("#message", "평일 오후 방문 가능합니다")
        owner.fill("#contact_email", OWNER_EMAIL)
        owner.check("#consent")
        owner.click("button[type=submit].primary")
        owner.wait_for_url(re.compile(rf"/r/{token}"))
        shot(owner, "02-owner-result-asked-360")
        _axe(owner, "owner result", found)

        staff = _context(browser, 1280, 900)
        _log_in(staff, server, staff_user["email"])
        staff.goto(f"{server}/center#requests")
        staff.select_option("#requests select", str(doctor_user["id"]))
        staff.click("#requests button[type=submit]")
        staff.wait_for_load_state()
        staff.goto(f"{server}/center/requests")
        shot(staff, "03-staff-requests")
        _axe(staff, "staff requests", found)
        staff.goto(f"{server}/center/outbox")
        shot(staff, "04-staff-outbox")
        _axe(staff, "staff outbox", found)
        assigned = wait_for(box, OWNER_EMAIL, 2)[1]
        assert "이주치" in text_of(assigned) and "010-2222-3333" in text_of(assigned)
        assert "평일 오후" in text_of(wait_for(box, doctor_user["email"])[0])

        doctor = _context(browser, 1280, 900)
        _log_in(doctor, server, doctor_user["email"])
        doctor.goto(f"{server}/requests")
        assert "평일 오후 방문 가능합니다" in doctor.content()
        doctor.click("button:has-text('연락함으로 표시')")
        doctor.wait_for_load_state()
        doctor.fill("input[name=visit_on]", "2027-01-14")
        doctor.fill("input[name=visit_time]", "14:30")
        doctor.fill("input[name=visit_place]", "부산 강서구 공장 2층")
        doctor.click(".visit-form button[type=submit]")
        doctor.wait_for_load_state()
        shot(doctor, "05-consultant-my-assignments")
        _axe(doctor, "my assignments", found)
        visit = wait_for(box, OWNER_EMAIL, 3)[2]
        assert b"DTSTART;TZID=Asia/Seoul:20270114T143000" in calendar_of(visit)
        firm_id = (
            connect(app.config["DATABASE"])
            .execute("SELECT firm_id FROM consultant_requests")
            .fetchone()[0]
        )
        doctor.goto(f"{server}/firms/{firm_id}")
        assert "평일 오후 방문 가능합니다" in doctor.content()
        shot(doctor, "06-consultant-firm-page")
        _axe(doctor, "firm page with its request", found)

        # the consultant's interview and decision (their own tests drive those pages)
        interview = Browser(app)
        interview.login(doctor_user["email"])
        started = interview.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
        assessment_id = int(started.headers["Location"].split("/")[-2])
        for dimension_id, data in all_answers(app.extensions["questionnaires"].current).items():
            interview.post_form(
                f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"}
            )
        interview.post_form(f"/assessments/{assessment_id}/review", {"confirm": "y"})
        doctor.goto(f"{server}/assessments/{assessment_id}")
        doctor.click("form[action$='/decision'] button[type=submit]")
        doctor.wait_for_load_state()

        ready = wait_for(box, OWNER_EMAIL, 4)[3]
        owner.goto(re.search(r"https?://\S+", text_of(ready)).group(0))
        owner.wait_for_selector(".confirmed")
        assert "훈련 컨설턴트가 확정함" in owner.content()
        shot(owner, "07-owner-confirmed-360")
        _axe(owner, "owner confirmed", found)
        width = owner.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the owner's page scrolls sideways ({width}px)"
        owner.goto(f"{server}/")
        assert owner.is_visible("#continue-title")
        shot(owner, "08-owner-continue-360")
        _axe(owner, "start with continue", found)
        owner.goto(f"{server}/link")
        _axe(owner, "lost link", found)
        owner.fill("#email", OWNER_EMAIL)
        owner.click("button[type=submit].primary")
        owner.wait_for_selector(".flash-success")
        shot(owner, "09-owner-lost-link-360")
        assert len(wait_for(box, OWNER_EMAIL, 5)) == 5
        for context_page in (owner, staff, doctor):
            context_page.context.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    mails = SHOTS / "mails.txt"
    mails.write_text(
        "\n\n".join(
            f"To: {m['To']}\nSubject: {make_header(decode_header(m['Subject']))}\n\n{text_of(m)}"
            for m in box.messages
        ),
        encoding="utf-8",
    )
    assert found == {}, found
