"""Reports stay as issued (a catalogue edit changes no report a firm has until it is reissued,
dated and marked revised), and the queue is fair and remembers failure: one render per report
at a time, a failed render retried after a back-off with its reason shown to staff, batches
never counted against downloads and queued per center rather than refused.

Real parts: the SQLite queue (huey), real render children (WeasyPrint), pypdf reading the PDF.
"""

from __future__ import annotations

import io

import pytest
from conftest import Browser, add_user
from firms import FIRMS, store_firm
from pypdf import PdfReader

from diagnose import create_app, jobs
from diagnose.auth import User
from diagnose.business_number import check_digit
from diagnose.roadmap import pdf as pdf_module
from diagnose.services import batch, registry, reports
from diagnose.storage import connect


def _app(tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "DEMO_DATA": False,
            "INSTANCE_PATH": str(tmp_path),
            "RENDER_WAIT": 20,
            **config,
        }
    )


def _number(prefix: str) -> str:
    return prefix + str(check_digit(prefix))


def _firm(app, user: dict, firm: str = "logistics", prefix: str = "610814321") -> int:
    db = connect(app.config["DATABASE"])
    try:
        return store_firm(app, db, FIRMS[firm], user["center_id"], user["id"], _number(prefix))
    finally:
        db.conn.close()


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(autouse=True)
def _fresh_renderers():
    """Each test starts its own render children (their time limit is the test's setting)."""
    pdf_module._close_sandboxes()
    jobs._pool = None
    yield
    pdf_module._close_sandboxes()
    jobs._pool = None


def test_a_report_stays_as_issued_until_it_is_reissued_dated_and_marked_revised(tmp_path):
    app = _app(tmp_path, QUEUE_IMMEDIATE=True)
    doctor = add_user(app)
    admin = add_user(app, "admin@center-a.example", role="administrator")
    assessment_id = _firm(app, doctor)
    browser = Browser(app)
    browser.login(doctor["email"])
    url = f"/assessments/{assessment_id}/roadmap.pdf"
    first = browser.get(url)
    assert first.status_code == 200, first.get_data(as_text=True)
    db = connect(app.config["DATABASE"])
    html = reports.issued_html(db, assessment_id, "ko").replace(pdf_module.WORD_JOINER, "")
    with app.app_context():
        data = registry.current_data(db, app)
    module = next(m for m in data.catalogue.modules if m.title.ko in html)
    issued_version = db.execute(
        "SELECT roadmap_revision FROM issued_reports WHERE assessment_id = ?", [assessment_id]
    ).fetchone()[0]
    with app.test_request_context():
        registry.save_module(
            db,
            app,
            User(
                id=admin["id"],
                center_id=admin["center_id"],
                email=admin["email"],
                name="관리자",
                role="administrator",
            ),
            module.id,
            {"title": {"ko": "바뀐 과정명 카나리아", "en": "Renamed course canary"}},
        )
    # the firm's link gives the report as issued: the same file, the old title
    again = browser.get(url)
    assert again.status_code == 200 and again.data == first.data
    assert "카나리아" not in _text(again.data)
    assert db.execute(
        "SELECT data FROM roadmap_versions WHERE revision = ?", [issued_version]
    ).fetchone(), "the catalogue version it was issued with is kept"
    page = browser.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "reissue" in page  # the catalogue changed: the consultant is offered a reissue
    response = browser.post_form(
        f"/assessments/{assessment_id}/reissue", {}, page=f"/assessments/{assessment_id}"
    )
    assert response.status_code == 302
    revised = browser.get(url)
    assert revised.status_code == 200 and revised.data != first.data
    text = _text(revised.data)
    assert "카나리아" in text
    assert "수정 발행" in text and "개정 2" in text.replace(" ", " ")
    rows = db.execute(
        "SELECT revision, issued_by FROM issued_reports WHERE assessment_id = ? AND lang = 'ko' "
        "ORDER BY revision",
        [assessment_id],
    ).fetchall()
    assert rows == [(1, None), (2, doctor["id"])]
    # another center's consultant may not reissue it
    other = add_user(app, "doctor@center-b.example", center="센터 B")
    stranger = Browser(app)
    stranger.login(other["email"])
    page = stranger.get("/firms").get_data(as_text=True)
    from conftest import csrf_from

    refused = stranger.client.post(
        f"/assessments/{assessment_id}/reissue", data={"csrf_token": csrf_from(page)}
    )
    assert refused.status_code == 404
    db.conn.close()


def test_one_render_per_report_at_a_time_and_batches_never_fill_the_download_limit(tmp_path):
    """No consumer runs: the tasks stay in the queue where they can be counted."""
    app = _app(tmp_path, QUEUE_IMMEDIATE=False, RENDER_WAIT=0.2, RENDER_QUEUE_LIMIT=2)
    doctor = add_user(app)
    other = add_user(app, "doctor@center-b.example", center="센터 B")
    mine = _firm(app, doctor)
    theirs = _firm(app, other, "machining", "220813452")
    queue = app.extensions["queue"]
    db = connect(app.config["DATABASE"])
    # center B starts five batches, center A one: B's later batches wait for its first
    with app.test_request_context():
        started = []
        for _ in range(5):
            batch_id = batch.create_batch(
                db, None, [theirs], "ko", "zip", center_id=other["center_id"]
            )
            batch.enqueue_batch(batch_id, 1)
            started.append(batch_id)
        first_a = batch.create_batch(db, None, [mine], "ko", "zip", center_id=doctor["center_id"])
        batch.enqueue_batch(first_a, 1)
    assert jobs.batch_tasks_waiting(queue) == 2  # one chain per center, not one per batch
    assert jobs.people_waiting(queue) == 0
    browser = Browser(app)
    browser.login(doctor["email"])
    url = f"/assessments/{mine}/roadmap.pdf"
    from diagnose.services import roadmaps

    builds = []
    real_html = roadmaps.report_html

    def counted_html(*args, **kwargs):
        builds.append(1)
        return real_html(*args, **kwargs)

    roadmaps.report_html = counted_html
    try:
        for _poll in range(4):  # the page reloads itself: one render queued, not four
            waiting = browser.get(url)
            assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "5"
            assert "보고서를 만들고 있습니다" in waiting.get_data(as_text=True)
    finally:
        roadmaps.report_html = real_html
    assert jobs.people_waiting(queue) == 1
    assert len(builds) == 1  # the report's HTML is built once, not at every poll
    # the API answers in its usual error shape
    from diagnose.auth import create_api_token

    token = create_api_token(db, doctor["id"])
    api = app.test_client().get(
        f"/api/v1/assessments/{mine}/roadmap.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 503
    assert api.json["error"] == "report_not_ready" and api.json["message"]
    spec = app.test_client().get("/api/v1/openapi.json").json
    pdf_path = spec["paths"]["/assessments/{assessment_id}/roadmap.pdf"]
    documented = pdf_path["get"]["responses"]["503"]
    assert "report_not_ready" in documented["description"]
    # the consumer's work, done here task by task: every batch of both centers finishes
    while (message := queue.dequeue()) is not None:
        queue.execute(message)
    states = [batch.progress(db, b)["status"] for b in [*started, first_a]]
    assert states == ["done"] * 6
    assert browser.get(url).status_code == 200
    db.conn.close()


def test_a_failed_render_waits_for_its_back_off_and_staff_see_why(tmp_path):
    app = _app(tmp_path, QUEUE_IMMEDIATE=True, RENDER_TIMEOUT=0.05)
    doctor = add_user(app)
    assessment_id = _firm(app, doctor)
    browser = Browser(app)
    browser.login(doctor["email"])
    renders = []
    real = pdf_module.RenderSandbox.render

    def counted(self, html):
        renders.append(1)
        return real(self, html)

    pdf_module.RenderSandbox.render = counted
    try:
        url = f"/assessments/{assessment_id}/roadmap.pdf"
        failed = browser.get(url)
        assert failed.status_code == 503 and failed.headers["Retry-After"] == "60"
        assert "보고서를 만들지 못했습니다" in failed.get_data(as_text=True)
        assert len(renders) == 1
        for _poll in range(3):  # reloads within the back-off start no render
            assert browser.get(url).status_code == 503
        assert len(renders) == 1
        page = browser.get(f"/assessments/{assessment_id}").get_data(as_text=True)
        assert "RenderError" in page and "제한 시간" in page  # staff see why
        db = connect(app.config["DATABASE"])
        row = db.execute(
            "SELECT render_failures, retry_after > issued_at FROM issued_reports "
            "WHERE assessment_id = ? AND lang = 'ko'",
            [assessment_id],
        ).fetchone()
        assert row == (1, 1)
        # the back-off over, the next request tries again (and doubles the pause)
        db.execute("UPDATE issued_reports SET retry_after = '2000-01-01T00:00:00+00:00'")
        assert browser.get(url).status_code == 503
        assert len(renders) == 2
        assert (
            db.execute(
                "SELECT render_failures FROM issued_reports WHERE assessment_id = ? "
                "AND lang = 'ko'",
                [assessment_id],
            ).fetchone()[0]
            == 2
        )
        db.conn.close()
    finally:
        pdf_module.RenderSandbox.render = real


def test_catalogue_and_registry_texts_have_length_limits_with_a_clear_message(tmp_path):
    """A 160,000-character module summary once made every report using it time out: it is
    refused, in the user's language, and what was typed stays on the page."""
    app = _app(tmp_path, QUEUE_IMMEDIATE=True)
    admin = add_user(app, "admin@center-a.example", role="administrator")
    browser = Browser(app)
    browser.login(admin["email"])
    db = connect(app.config["DATABASE"])
    with app.app_context():
        module = registry.current_data(db, app).catalogue.by_id["exec_ai_awareness"]
    form = {
        "title_ko": "제목은 그대로 남습니다",
        "title_en": module.title.en,
        "summary_ko": "가" * 160_000,
        "summary_en": module.summary.en,
        "hours": str(module.hours),
        "delivery": module.delivery,
        "funding": module.funding,
        "fee_krw": "",
        "subsidy_share": "",
        "source_ko": module.cost.source.ko,
        "source_en": module.cost.source.en,
        "checked": "2026-11-20",
    }
    url = "/admin/registry/modules/exec_ai_awareness"
    refused = browser.post_form(url, form, page=url)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "너무 깁니다: 최대 2,000자" in page and "160,000" in page
    assert "제목은 그대로 남습니다" in page  # nothing typed is lost
    with app.app_context():
        unchanged = registry.current_data(db, app).catalogue.by_id["exec_ai_awareness"]
    assert unchanged.summary == module.summary
    # the same limit for a shared center's texts
    center = registry.center_entries(db)[0]
    values = {**center, "equipment": {"ko": "장비" * 5_000, "en": "x"}}
    values.pop("edited_at", None)
    with app.test_request_context():
        from diagnose.auth import User

        user = User(
            id=admin["id"],
            center_id=admin["center_id"],
            email=admin["email"],
            name="관리자",
            role="administrator",
        )
        with pytest.raises(registry.RegistryError) as error:
            registry.save_center(db, app, user, values, center["id"])
    assert "equipment_ko" in error.value.errors
    db.conn.close()


def test_a_new_decision_after_the_firm_had_the_report_issues_a_revision(tmp_path):
    """Before anyone downloaded it, a decision replaces the report unmarked; once the firm
    (or anyone) had it, a changed track is a dated revision, never a silent change."""
    from diagnose.diagnosis.store import decide

    app = _app(tmp_path, QUEUE_IMMEDIATE=True)
    doctor = add_user(app)
    assessment_id = _firm(app, doctor)
    db = connect(app.config["DATABASE"])
    with app.test_request_context():
        from diagnose.records.assessments import assessment_record

        record = assessment_record(db, assessment_id)
        assert reports.issue(db, record, "ko")["revision"] == 1
        decide(db, assessment_id, doctor["id"], "beginner", "현장 확인 결과")
        assert reports.issue(db, record, "ko")["revision"] == 1  # nobody had it yet
    browser = Browser(app)
    browser.login(doctor["email"])
    url = f"/assessments/{assessment_id}/roadmap.pdf"
    first = browser.get(url)
    assert first.status_code == 200 and "수정 발행일" not in _text(first.data)
    decide(db, assessment_id, doctor["id"], "shared_center", "장비 실습이 먼저")
    second = browser.get(url)
    assert second.status_code == 200
    assert "수정 발행일" in _text(second.data)
    assert [
        r[0]
        for r in db.execute(
            "SELECT revision FROM issued_reports WHERE assessment_id = ? AND lang = 'ko'",
            [assessment_id],
        )
    ] == [1, 2]
    db.conn.close()
