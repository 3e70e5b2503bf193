"""Cohorts for the joint centers: suggested from firms whose confirmed PBL theme and timing
match, formed, invited (the mail's text), answered, exported; one center never sees
another's."""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest
from centers import browser, build, business_number
from conftest import csrf_from
from firms import FIRMS, store_firm

from diagnose.diagnosis.store import decide
from diagnose.services import cohorts
from diagnose.storage import connect


@pytest.fixture
def world(app):
    return _world(app)


def _world(app):
    """Center A: four more machining firms like its own (same task, same timing), three of
    them decided by the consultant (one without an e-mail), one not decided."""
    centers = build(app)
    a = centers["A"]
    db = connect(app.config["DATABASE"])
    doctor = a.users["doctor"]["id"]
    try:
        decide(db, a.assessments["diagnosed"], doctor, "ax", "PBL 확인")
        db.execute(
            "UPDATE firms SET contact_email = 'a@firm.example' WHERE id = ?",
            [a.firms["diagnosed"]],
        )
        a.firms["alike"] = []
        for n, decided in enumerate((True, True, True, False)):
            firm = {
                **FIRMS["machining"],
                "profile": {**FIRMS["machining"]["profile"], "company_name": f"A비슷정밀{n}"},
            }
            assessment = store_firm(app, db, firm, a.id, doctor, business_number(200 + n))
            firm_id = db.execute(
                "SELECT firm_id FROM assessments WHERE id = ?", [assessment]
            ).fetchone()[0]
            if decided:
                decide(db, assessment, doctor, "ax", "PBL 확인")
            if n != 1:
                db.execute(
                    "UPDATE firms SET contact_email = ? WHERE id = ?",
                    [f"ceo{n}@firm.example", firm_id],
                )
            a.firms["alike"].append(firm_id)
    finally:
        db.conn.close()
    return centers


def _user(person):
    return SimpleNamespace(id=person["id"], center_id=person["center_id"], role=person["role"])


def _suggest(app, person, **kwargs):
    db = connect(app.config["DATABASE"])
    try:
        with app.test_request_context():
            return cohorts.suggestions(db, _user(person), **kwargs)
    finally:
        db.conn.close()


def test_firms_with_the_same_confirmed_theme_and_timing_are_suggested(app, world):
    a, b = world["A"], world["B"]
    found = _suggest(app, a.users["staff"], seats=100)
    assert len(found) == 1
    suggestion = found[0]
    ids = {f["firm_id"] for f in suggestion["firms"]}
    # the center's own firm and the three decided ones; never the undecided one
    assert ids == {a.firms["diagnosed"], *a.firms["alike"][:3]}
    # the task theme the firms' own words were read as (machining firms: vision inspection)
    from diagnose.roadmap.themes import theme_specs

    assert suggestion["theme"] in theme_specs() and suggestion["window"].startswith("20")
    # sized for one course: never more trainees than its seats
    sized = _suggest(app, a.users["staff"])
    assert sized and all(s["trainees"] <= cohorts.COURSE_SEATS for s in sized)
    assert all(len(s["firms"]) >= cohorts.MIN_FIRMS for s in sized)
    assert _suggest(app, b.users["staff"]) == []  # B's firm alone is no cohort
    # a course of fewer seats splits the group; a group below the minimum is not suggested
    people = sorted(f["trainees"] for f in suggestion["firms"])
    seats = max(people[-1], people[0] + people[1])
    small = _suggest(app, a.users["staff"], seats=seats, min_firms=1)
    assert len(small) >= 2 and all(s["trainees"] <= seats for s in small)
    assert sum(len(s["firms"]) for s in small) == 4
    assert _suggest(app, a.users["staff"], seats=100, min_firms=5) == []


def test_staff_form_invite_record_and_export_a_cohort(app, world):
    a, b = world["A"], world["B"]
    staff = browser(app, a.users["staff"])
    page = staff.get("/center/cohorts").get_data(as_text=True)
    assert "공동훈련센터 코호트" in page
    firm_ids = re.findall(r'name="firm" value="(\d+)"', page)
    assert len(firm_ids) >= 3
    theme = re.search(r'name="theme" value="([^"]+)"', page)[1]
    window = re.search(r'name="window" value="([^"]*)"', page)[1]
    formed = staff.client.post(
        "/center/cohorts",
        data={"csrf_token": csrf_from(page), "theme": theme, "window": window,
              "firm": firm_ids[:3], "title": "비전 검사 PBL 1기"},
    )  # fmt: skip
    assert formed.status_code == 302
    cohort_url = formed.headers["Location"]
    cohort_id = int(cohort_url.rsplit("/", 1)[1])
    page = staff.get(cohort_url).get_data(as_text=True)
    assert "비전 검사 PBL 1기" in page and page.count('value="joined"') == 3
    # the formed firms are no longer suggested
    again = staff.get("/center/cohorts").get_data(as_text=True)
    assert not set(firm_ids[:3]) & set(re.findall(r'name="firm" value="(\d+)"', again))
    invited = staff.post_form(f"/center/cohorts/{cohort_id}/invite", {}, page=cohort_url)
    assert invited.status_code == 302
    db = connect(app.config["DATABASE"])
    try:
        members = {
            r["firm_id"]: r
            for r in db.query("SELECT * FROM cohort_members WHERE cohort_id = ?", [cohort_id])
        }
        statuses = sorted(m["status"] for m in members.values())
        without_email = a.firms["alike"][1]
        if without_email in members:
            assert members[without_email]["status"] == "proposed"
            assert statuses.count("invited") == 2
        else:
            assert statuses == ["invited"] * 3
        assert all(m["invited_email"] for m in members.values() if m["status"] == "invited")
        # each invitation waits in the outbox (no mail server in the tests), to its address
        mailed = {
            row[0]: row[1]
            for row in db.execute(
                "SELECT firm_id, recipient FROM outbox WHERE kind = 'cohort_invitation'"
            )
        }
        assert mailed == {
            i: m["invited_email"] for i, m in members.items() if m["status"] == "invited"
        }
        joined_firm = next(i for i, m in members.items() if m["status"] == "invited")
    finally:
        db.conn.close()
    answered = staff.post_form(
        f"/center/cohorts/{cohort_id}/members/{joined_firm}", {"status": "joined"}, page=cohort_url
    )
    assert answered.status_code == 302
    exported = staff.get(f"/center/cohorts/{cohort_id}.csv")
    assert exported.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][0] == "기업" and len(rows) == 4
    assert "참여" in [r[5] for r in rows[1:]]
    # another center's staff never see it; a consultant never reaches the pages
    assert browser(app, b.users["staff"]).get(cohort_url).status_code == 404
    assert browser(app, b.users["staff"]).get(f"/center/cohorts/{cohort_id}.csv").status_code == 404
    assert browser(app, a.users["doctor"]).get("/center/cohorts").status_code == 403
    # the dashboard shows the card
    dashboard = staff.get("/center").get_data(as_text=True)
    assert "공동훈련센터 코호트" in dashboard and "부처 보고 실적" in dashboard


def test_the_invitation_names_the_center_the_theme_and_the_places(app, world):
    a = world["A"]
    center = {"name": "센터 A", "phone": "055-000-0000", "email": ""}
    member = {"contact_name": "김대표", "name": "A비슷정밀0", "trainees": 3}
    with app.test_request_context("/?lang=ko"):
        subject, body = cohorts.invitation_mail(
            {"start_window": "2027-Q1"}, member, center, "비전 검사 PBL"
        )
    assert "비전 검사 PBL" in subject
    assert "김대표" in body and "센터 A" in body and "055-000-0000" in body and "3" in body
    assert a.id


def test_the_invitations_are_sent_through_the_mail_server(make_app):
    """With a mail server set, inviting a cohort sends each firm its invitation (loopback
    SMTP), not only writes it to the outbox."""
    import time

    from smtp_loopback import LoopbackSMTP, MailBox, mail_settings

    box = MailBox()
    server = LoopbackSMTP(box)
    server.start()
    try:
        app = make_app(**mail_settings(server))
        a = _world(app)["A"]
        staff = browser(app, a.users["staff"])
        page = staff.get("/center/cohorts").get_data(as_text=True)
        formed = staff.client.post(
            "/center/cohorts",
            data={"csrf_token": csrf_from(page),
                  "theme": re.search(r'name="theme" value="([^"]+)"', page)[1],
                  "window": re.search(r'name="window" value="([^"]*)"', page)[1],
                  "firm": re.findall(r'name="firm" value="(\d+)"', page)[:3], "title": "1기"},
        )  # fmt: skip
        cohort_url = formed.headers["Location"]
        page = staff.get(cohort_url).get_data(as_text=True)
        staff.client.post(f"{cohort_url}/invite", data={"csrf_token": csrf_from(page)})
        db = connect(app.config["DATABASE"])
        try:
            invited = {
                r[0]
                for r in db.execute("SELECT recipient FROM outbox WHERE kind = 'cohort_invitation'")
            }
        finally:
            db.conn.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(box.messages) < len(invited):
            time.sleep(0.05)
        assert invited and {m["To"] for m in box.messages} == invited
    finally:
        server.stop()
