"""A firm owner's self-assessment by secret link: the link, the screens, the submission, the
result, the request for a consultant, and what the owner can never reach."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from answering import first_answer
from conftest import csrf_from

from diagnose.auth import create_center
from diagnose.diagnosis.scoring import is_visible
from diagnose.services import requests as consultant_requests
from diagnose.services import self_assessment as service
from diagnose.services.submissions import hash_token
from diagnose.storage import connect

OWNER = {
    "company_name": "자가진단정밀",
    "business_number": "123-45-67891",
    "region": "busan",
    "industry": "C",
    "employees": "28",
    "revenue_band": "1b_5b",
    "contact_name": "박대표",
    "contact_phone": "051-123-4567",
    "contact_email": "",
}


@pytest.fixture
def owner(app):
    return app.test_client()


def start(client) -> tuple[str, str]:
    """Open a self-assessment from the start page; return its token and first screen URL."""
    page = client.get("/").get_data(as_text=True)
    response = client.post("/self", data={"csrf_token": csrf_from(page), "consent": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    token = re.match(r"/r/([^/]+)/q/", location).group(1)
    return token, location


def screen_data(questionnaire, screen, answers: dict) -> dict:
    """What an owner enters on one screen (the most mature options)."""
    if screen.kind == "profile":
        return {f: OWNER[f] for f in screen.fields}
    data = {}
    for item_id in screen.fields:
        item = questionnaire.item(item_id)
        if is_visible(item, answers):
            data[item_id] = first_answer(item)
            answers[item_id] = data[item_id]
    return data


def answer_all(client, app, token: str, first: str) -> dict:
    """Go through every screen with "Next"; return the answers given."""
    questionnaire = app.extensions["questionnaires"].current
    screens = {s.key: s for s in service.screens(questionnaire, "short")}
    answers: dict = {}
    url = first
    while "/q/" in url:
        key = url.rsplit("/", 1)[1]
        page = client.get(url).get_data(as_text=True)
        data = screen_data(questionnaire, screens[key], answers)
        response = client.post(url, data={**data, "action": "next", "csrf_token": csrf_from(page)})
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:2000])
        url = response.headers["Location"]
    assert url.endswith("/review")
    return answers


def submit(client, token: str):
    page = client.get(f"/r/{token}/review").get_data(as_text=True)
    return client.post(f"/r/{token}/review", data={"csrf_token": csrf_from(page)})


def test_the_start_page_says_what_a_firm_gets_and_what_is_kept(owner):
    page = owner.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("무료", "동의", "수집", "보유", "거부", "직원 로그인"):
        assert words in html, words
    assert 'name="website"' in html  # the honeypot


def test_no_consent_no_self_assessment(owner, db):
    page = owner.get("/").get_data(as_text=True)
    response = owner.post("/self", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert "동의" in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM self_assessments").fetchone()[0] == 0


def test_a_filled_honeypot_starts_nothing(owner, db):
    page = owner.get("/").get_data(as_text=True)
    response = owner.post(
        "/self", data={"csrf_token": csrf_from(page), "consent": "y", "website": "http://spam"}
    )
    assert response.status_code == 400
    assert db.execute("SELECT COUNT(*) FROM self_assessments").fetchone()[0] == 0


def test_the_link_is_stored_as_a_hash_and_expires(app, db):
    questionnaire = app.extensions["questionnaires"].current
    row_id, token = service.start(db, questionnaire, "ko", days=3)
    assert len(token) >= 43
    dump = "\n".join(db.conn.iterdump())
    assert token not in dump
    assert hash_token(token) in dump
    assert service.by_token(db, token)["id"] == row_id
    assert service.by_token(db, token + "x") is None
    assert service.by_token(db, "") is None
    # a save moves the expiry on; a link past it opens nothing
    before = service.by_token(db, token)["expires_at"]
    db.execute(
        "UPDATE self_assessments SET expires_at = ? WHERE id = ?",
        [(datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds"), row_id],
    )
    assert service.by_token(db, token) is None
    db.execute("UPDATE self_assessments SET expires_at = ? WHERE id = ?", [before, row_id])
    service.save(db, row_id, 10, answers={"use_genai_office": "none"})
    later = datetime.fromisoformat(service.by_token(db, token)["expires_at"])
    assert later > datetime.now(UTC) + timedelta(days=9)


def test_an_expired_link_shows_a_page_for_an_owner(app, owner, db):
    token, first = start(owner)
    db.execute(
        "UPDATE self_assessments SET expires_at = '2000-01-01T00:00:00+00:00' WHERE token_hash = ?",
        [hash_token(token)],
    )
    page = owner.get(first)
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "다른 센터" not in text and "만료" in text


def test_an_owner_answers_submits_and_asks_for_a_consultant(app, owner, db):
    busan = create_center(db, "부산 확산센터", "busan")
    seoul = create_center(db, "서울 확산센터", "seoul")
    token, first = start(owner)
    answers = answer_all(owner, app, token, first)
    assert len(answers) <= 20

    # What was typed is stored with the link, under its hash only.
    row = service.by_token(db, token)
    assert row["profile"]["company_name"] == OWNER["company_name"]
    assert row["answers"] == answers

    response = submit(owner, token)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/r/{token}"
    result = owner.get(f"/r/{token}")
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert result.headers["Cache-Control"] == "no-store"
    model_version = db.execute("SELECT model_version FROM predictions").fetchone()[0]
    assert model_version not in html
    assert "%" not in re.sub(r"<[^>]+>", "", html.split("<main>")[1])  # no probabilities
    assert "먼저 할 일" in html
    assert "/roadmap.pdf" in html

    # The self-assessment is a firm record of its own in its region's center.
    firm = db.execute("SELECT center_id, origin FROM firms").fetchone()
    assert firm == (busan, "self")
    pdf = owner.get(f"/r/{token}/roadmap.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "filename*=UTF-8''roadmap-" in pdf.headers["Content-Disposition"]

    # The request for a consultant lands in that center's queue, and in no other.
    page = owner.get(f"/r/{token}/consultant").get_data(as_text=True)
    assert OWNER["contact_name"] in page  # filled in from the profile
    refused = owner.post(
        f"/r/{token}/consultant",
        data={
            "csrf_token": csrf_from(page),
            "contact_name": "박대표",
            "contact_phone": "051-123-4567",
        },
    )
    assert refused.status_code == 422  # no consent
    assert consultant_requests.center_requests(db, busan) == []
    sent = owner.post(
        f"/r/{token}/consultant",
        data={
            "csrf_token": csrf_from(page),
            "contact_name": "박대표",
            "contact_phone": "051-123-4567",
            "consent": "y",
        },
    )
    assert sent.status_code == 302
    queue = consultant_requests.center_requests(db, busan)
    assert [r["contact_name"] for r in queue] == ["박대표"]
    assert consultant_requests.center_requests(db, seoul) == []
    after = owner.get(f"/r/{token}").get_data(as_text=True)
    assert "접수" in after


def test_a_second_submit_gives_the_same_diagnosis(app, owner, db):
    token, first = start(owner)
    answer_all(owner, app, token, first)
    page = owner.get(f"/r/{token}/review").get_data(as_text=True)
    model = app.extensions["track_model"]
    questionnaire = app.extensions["questionnaires"].current
    with app.test_request_context():
        first_id = service.submit(db, model, questionnaire, token, 90)
        assert service.submit(db, model, questionnaire, token, 90) == first_id
    again = owner.post(f"/r/{token}/review", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 1
    # the answers now live in the assessment only
    assert db.execute("SELECT answers, profile FROM self_assessments").fetchone() == ("{}", "{}")


def test_a_refused_screen_keeps_what_was_typed(app, owner):
    token, first = start(owner)
    page = owner.get(first).get_data(as_text=True)
    response = owner.post(
        first,
        data={
            "csrf_token": csrf_from(page),
            "company_name": "반쯤 쓴 이름",
            "business_number": "123-45-67890",  # a wrong check digit
            "action": "next",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "반쯤 쓴 이름" in html and "123-45-67890" in html
    assert owner.get(f"/r/{token}").headers["Location"].endswith("/q/company")


def test_sharpening_asks_the_rest_and_files_with_the_same_firm(app, owner, db):
    token, first = start(owner)
    answer_all(owner, app, token, first)
    submit(owner, token)
    page = owner.get(f"/r/{token}").get_data(as_text=True)
    assert "나머지" in page
    response = owner.post(f"/r/{token}/sharpen", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    url = response.headers["Location"]
    questionnaire = app.extensions["questionnaires"].current
    screens = {s.key: s for s in service.screens(questionnaire, "full")}
    answers = dict(service.by_token(db, token)["answers"])
    while "/q/" in url:
        key = url.rsplit("/", 1)[1]
        html = owner.get(url).get_data(as_text=True)
        data = screen_data(questionnaire, screens[key], answers)
        response = owner.post(url, data={**data, "action": "next", "csrf_token": csrf_from(html)})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
        url = response.headers["Location"]
    assert submit(owner, token).status_code == 302
    rows = db.execute("SELECT firm_id, source FROM assessments ORDER BY id").fetchall()
    assert len(rows) == 2 and rows[0][0] == rows[1][0] and {r[1] for r in rows} == {"self"}
    assert db.execute("SELECT COUNT(*) FROM firms").fetchone()[0] == 1
    latest = db.execute("SELECT MAX(id) FROM assessments").fetchone()[0]
    shown = owner.get(f"/r/{token}").get_data(as_text=True)
    # every question answered: the result no longer offers the remaining ones
    assert 'id="sharpen-title"' not in shown and "나머지 질문" not in shown
    assert "자가진단정밀" in shown  # the owner's own result page, not an error page
    assert service.result_of(db, token)[1]["id"] == latest


def test_no_one_lists_or_guesses_results(app, owner):
    token, first = start(owner)
    answer_all(owner, app, token, first)
    submit(owner, token)
    for path in ("/r/", "/r", f"/r/{token[:-1]}", f"/r/{token[:-1]}x/roadmap.pdf", "/self"):
        assert owner.get(path).status_code in (404, 405), path
    other = app.test_client()
    assert other.get(f"/r/{token}").status_code == 200  # the link is the key, whoever holds it


def test_the_start_is_rate_limited_per_client(make_app):
    app = make_app(SELF_ASSESSMENT_RATE_LIMIT="2 per hour")
    client = app.test_client()
    for _ in range(2):
        start(client)
    page = client.get("/").get_data(as_text=True)
    assert (
        client.post("/self", data={"csrf_token": csrf_from(page), "consent": "y"}).status_code
        == 429
    )


def test_a_signed_in_consultant_goes_from_the_start_page_to_the_firms(consultant):
    response = consultant.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/firms")


def test_the_database_connection_of_a_self_assessment_is_closed(app, owner, monkeypatch):
    """Every connection the owner's requests open (start, screens, submission, result) is
    closed when its request ends, the submission's report jobs included."""
    from diagnose import storage

    opened = []

    def connect_and_keep(path):
        database = connect(path)
        opened.append(database.conn)
        return database

    monkeypatch.setattr(storage, "connect", connect_and_keep)
    token, first = start(owner)
    answer_all(owner, app, token, first)
    assert submit(owner, token).status_code == 302
    assert owner.get(f"/r/{token}").status_code == 200
    assert len(opened) >= 10  # one a request at least: the spy saw them

    def is_open(conn) -> bool:
        try:
            conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return False
        return True

    assert [conn for conn in opened if is_open(conn)] == []


def test_purge_deletes_links_past_their_expiry(app, db):
    questionnaire = app.extensions["questionnaires"].current
    _old, old_token = service.start(db, questionnaire, "ko", days=1)
    _kept, kept_token = service.start(db, questionnaire, "ko", days=1)
    db.execute(
        "UPDATE self_assessments SET expires_at = '2020-01-01T00:00:00+00:00' WHERE token_hash = ?",
        [hash_token(old_token)],
    )
    runner = app.test_cli_runner()
    assert (
        "would delete 1 self-assessment links" in runner.invoke(args=["purge", "--dry-run"]).output
    )
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert db.execute("SELECT COUNT(*) FROM self_assessments").fetchone()[0] == 1
    assert service.by_token(db, kept_token) is not None


def test_erasing_the_firm_ends_the_owners_link(app, owner, db):
    from diagnose.services.lifecycle import erase_firm

    token, first = start(owner)
    answer_all(owner, app, token, first)
    submit(owner, token)
    firm_id, center_id = db.execute("SELECT id, center_id FROM firms").fetchone()
    erase_firm(db, center_id, firm_id, None)
    assert owner.get(f"/r/{token}").status_code == 404
    assert db.execute("SELECT COUNT(*) FROM self_assessments").fetchone()[0] == 0
