"""The center's pages as its staff use them: the dashboard, the firm list with paging, totals,
sorting and filters, users, the registry and catalogue kept in the app, re-diagnosis with
training and T0 against T1, exports opened and read."""

from __future__ import annotations

import csv
import io
import re

import pytest
from centers import browser, build

from diagnose.storage import connect


@pytest.fixture
def world(app):
    return build(app)


def _db(app):
    return connect(app.config["DATABASE"])


def _many_firms(app, center_id: int, count: int, user_id: int) -> None:
    from centers import business_number

    from diagnose.records.firms import create_firm
    from diagnose.storage import transaction

    db = _db(app)
    try:
        with transaction(db):
            for i in range(count):
                create_firm(
                    db,
                    center_id,
                    user_id,
                    {
                        "company_name": f"목록기업{i:03d}",
                        "business_number": business_number(100 + i),
                        "region": "seoul",
                        "industry": "C" if i % 2 else "G",
                        "employees": str(5 + i),
                        "revenue_band": "1b_5b",
                        "contact_name": "담당",
                    },
                )
    finally:
        db.conn.close()


def test_the_firm_list_pages_counts_sorts_and_filters(app, world):
    a = world["A"]
    _many_firms(app, a.id, 120, a.users["staff"]["id"])
    staff = browser(app, a.users["staff"])
    first = staff.get("/firms?sort=name&order=asc").get_data(as_text=True)
    assert "기업 123곳 중 1–50" in first
    names = re.findall(r'<a href="/firms/\d+">([^<]+)</a>', first)
    assert names == sorted(names) and len(names) == 50
    third = staff.get("/firms?sort=name&order=asc&page=3").get_data(as_text=True)
    assert len(re.findall(r'<a href="/firms/\d+">', third)) == 23
    # by size band and industry: employees 10..49 among the list's manufacturing firms
    filtered = staff.get("/firms?size=10_49&industry=C&sort=employees&order=desc").get_data(
        as_text=True
    )
    sizes = [int(n) for n in re.findall(r'data-label="[^"]+">(\d+)</td>', filtered)]
    assert sizes and sizes == sorted(sizes, reverse=True) and all(10 <= n <= 49 for n in sizes)
    # a wrong date is said in the user's language, the rest of the filter still applies
    bad = staff.get("/firms?since=2026-13-40&industry=C&lang=en").get_data(as_text=True)
    assert '<p class="errors" id="since-errors">Not a valid date value.</p>' in bad
    assert 'value="2026-13-40"' in bad  # what was typed stays to be corrected
    manufacturing = staff.get("/firms?industry=C&lang=en").get_data(as_text=True)
    listed = re.findall(r'<a href="/firms/(\d+)">', bad)
    assert listed and listed == re.findall(r'<a href="/firms/(\d+)">', manufacturing)
    # a consultant's list holds their caseload only
    doctor = browser(app, a.users["doctor"]).get("/firms").get_data(as_text=True)
    assert "목록기업" not in doctor and "A기업정밀" in doctor


def test_the_dashboard_shows_the_pipeline_tracks_overrides_and_requests(app, world):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    doctor = browser(app, a.users["doctor"])
    decided = doctor.post_form(
        f"/assessments/{a.assessments['diagnosed']}/decision",
        {"final_track": "beginner", "reason": "대표가 직접 기초부터 배우길 원함"},
        page=f"/assessments/{a.assessments['diagnosed']}",
    )
    assert decided.status_code == 302
    page = staff.get("/center?lang=en").get_data(as_text=True)
    assert "Pipeline" in page and 'role="img"' in page and "<title id=" in page
    # the pipeline's text alternative counts each step
    alt = re.search(r"<title id=\"chart-\d+-title\">(Pipeline[^<]+)</title>", page)[1]
    assert "Requested a consultant 1" in alt and "Diagnosis in progress 1" in alt
    assert "대표가 직접 기초부터 배우길 원함" in page  # the override's reason is shown
    assert "A자가진단상사" in page and "assign" in page.lower()  # the request to assign
    korean = staff.get("/center?lang=ko").get_data(as_text=True)
    assert "파이프라인" in korean and "트랙" in korean


def test_users_are_created_reset_and_disabled_by_staff_of_their_center(app, world):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    page = staff.get("/admin/users").get_data(as_text=True)
    assert 'value="administrator"' not in page  # staff never create administrators
    created = staff.post_form(
        "/admin/users",
        {
            "email": "new@center-a.example",
            "name": "신입 주치의",
            "role": "consultant",
            "center": str(a.id),
        },
    )
    body = created.get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', body)[1]
    newcomer = __import__("conftest").Browser(app)
    assert (
        newcomer.post_form(
            "/login", {"email": "new@center-a.example", "password": password}
        ).status_code
        == 302
    )
    bad = staff.post_form(
        "/admin/users?lang=en",
        {"email": "not-an-email", "name": "", "role": "administrator", "center": str(a.id)},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter a valid email address." in text and "Enter the person" in text
    # reset: the old password stops working, the shown one works, sessions end
    user_id = a.users["doctor"]["id"]
    doctor = browser(app, a.users["doctor"])
    reset = staff.post_form(
        f"/admin/users/{user_id}/password", {"confirmed": "yes"}, page="/admin/users"
    )
    assert reset.status_code == 200
    assert doctor.get("/firms").status_code == 302  # logged out
    page = reset.get_data(as_text=True)
    new = re.search(r'<code class="secret">([A-Za-z0-9_-]{16})</code>', page)
    assert new, page[:2000]
    # disable: cannot log in, tokens stop
    staff.post_form(f"/admin/users/{user_id}/disable", {"confirmed": "yes"}, page="/admin/users")
    token = a.users["doctor"]["token"]
    assert (
        app.test_client()
        .get("/api/v1/assessments/1", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 401
    )


def test_the_registry_is_edited_in_the_app_validated_and_printed_only_when_real(app, world):
    a = world["A"]
    admin = browser(app, a.users["admin"])
    # a real center in the firm's region
    form = {
        "id": "gyeonggi_real_center",
        "kind": "shared_training_center",
        "region": "gyeongnam",
        "serves_regions": ["gyeongnam", "busan"],
        "specialisations": ["vision_inspection", "predictive_maintenance"],
        "name_ko": "경남 AI 공동훈련센터",
        "name_en": "Gyeongnam AI Shared Training Center",
        "equipment_ko": "비전 검사 실습 셀",
        "equipment_en": "A vision inspection cell",
        "bring_ko": "불량 사진",
        "bring_en": "Defect photos",
        "send_ko": "품질 담당자",
        "send_en": "The quality lead",
        "contact_ko": "02-000-0000",
        "contact_en": "02-000-0000",
    }
    broken = admin.post_form(
        "/admin/registry/centers/new?lang=en",
        {**form, "id": "Bad Id!", "name_en": "", "serves_regions": []},
        page="/admin/registry/centers/new",
    )
    assert broken.status_code == 422
    text = broken.get_data(as_text=True)
    assert "Use lower-case letters" in text and "Required." in text
    saved = admin.post_form("/admin/registry/centers/new", form, page="/admin/registry/centers/new")
    assert saved.status_code == 302
    # a module's fee and subsidy, checked date
    bad_module = admin.post_form(
        "/admin/registry/modules/exec_ai_awareness?lang=en",
        _module_form(app, subsidy_share="1.5"),
        page="/admin/registry/modules/exec_ai_awareness",
    )
    assert bad_module.status_code == 422 and "Must be at most 1" in bad_module.get_data(
        as_text=True
    )
    ok = admin.post_form(
        "/admin/registry/modules/exec_ai_awareness",
        _module_form(app, fee_krw="300000", subsidy_share="0.9"),
        page="/admin/registry/modules/exec_ai_awareness",
    )
    assert ok.status_code == 302
    # the report reads the current data: the real center is named, samples never
    from diagnose.records.assessments import assessment_record
    from diagnose.services.registry import current_data
    from diagnose.services.roadmaps import report_html

    db = _db(app)
    try:
        data = current_data(db, app)
        assert data.catalogue.by_id["exec_ai_awareness"].cost.fee_krw == 300000
        db.execute("UPDATE predictions SET track = 'shared_center'")
        with app.test_request_context():
            html = report_html(db, assessment_record(db, a.assessments["diagnosed"]), "ko")
    finally:
        db.conn.close()
    text = re.sub(r"<[^>]+>", " ", html).replace("\u2060", "")
    assert "경남 AI 공동훈련센터" in text
    assert "(예시)" not in text


def _module_form(app, **changes):
    from diagnose.services.registry import current_data

    db = _db(app)
    try:
        module = current_data(db, app).catalogue.by_id["exec_ai_awareness"]
    finally:
        db.conn.close()
    form = {
        "title_ko": module.title.ko,
        "title_en": module.title.en,
        "summary_ko": module.summary.ko,
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
    form.update(changes)
    return form


def test_a_rediagnosis_starts_from_the_answers_and_shows_t0_against_t1(app, world):
    a = world["A"]
    doctor = browser(app, a.users["doctor"])
    firm_id = a.firms["diagnosed"]
    started = doctor.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
    assert "/carried" in started.headers["Location"]
    draft = int(started.headers["Location"].split("/")[2])
    page = doctor.get(f"/assessments/{draft}/carried?lang=en").get_data(as_text=True)
    assert "answers from the last diagnosis" in page
    questionnaire = app.extensions["questionnaires"].current
    for dimension in questionnaire.dimensions:
        confirmed = doctor.post_form(
            f"/assessments/{draft}/carried/{dimension.id}", {}, page=f"/assessments/{draft}/carried"
        )
        assert confirmed.status_code == 302
    assert "Review and submit" in doctor.get(f"/assessments/{draft}/carried?lang=en").get_data(
        as_text=True
    )
    # training in between, then a better answer, then submit the re-diagnosis
    recorded = doctor.post_form(
        f"/firms/{firm_id}/training",
        {
            "module": "exec_ai_awareness",
            "started_on": "2026-01-05",
            "ended_on": "2026-01-06",
            "hours": "8",
            "trainees": "2",
        },
        page=f"/firms/{firm_id}",
    )
    assert recorded.status_code == 302
    bad = doctor.post_form(
        f"/firms/{firm_id}/training?lang=en",
        {
            "module": "exec_ai_awareness",
            "started_on": "2026-02-05",
            "ended_on": "2026-01-01",
            "hours": "-3",
        },
        page=f"/firms/{firm_id}",
    )
    flashes = doctor.get(bad.headers["Location"]).get_data(as_text=True)
    assert "The last day comes before the first day." in flashes
    db = _db(app)
    try:
        db.execute(
            "UPDATE answers SET value = ? WHERE assessment_id = ? "
            "AND item_id = 'lead_strategy_doc'",
            ['"reviewed"', draft],
        )
        db.execute(
            "UPDATE assessments SET submitted_at = '2025-12-01T00:00:00+00:00' WHERE id = ?",
            [a.assessments["diagnosed"]],
        )
    finally:
        db.conn.close()
    review = doctor.post_form(
        f"/assessments/{draft}/review", {"confirm": "y"}, page=f"/assessments/{draft}/review"
    )
    assert review.status_code == 302, review.get_data(as_text=True)[:3000]
    # decided against decided only: neither diagnosis has a consultant's decision yet
    firm_page = doctor.get(f"/firms/{firm_id}?lang=en").get_data(as_text=True)
    assert "Progress since the earlier diagnosis" not in firm_page
    for assessment in (a.assessments["diagnosed"], draft):
        decided = doctor.post_form(
            f"/assessments/{assessment}/decision",
            {"final_track": "beginner", "reason": "재진단 비교를 위한 결정"},
            page=f"/assessments/{assessment}",
        )
        assert decided.status_code == 302
    firm_page = doctor.get(f"/firms/{firm_id}?lang=en").get_data(as_text=True)
    assert "Progress since the earlier diagnosis" in firm_page
    assert firm_page.count("a consultant's decision") == 2
    assert '<table class="movement">' in firm_page and "What moved" in firm_page
    assert "2026-01-05" in firm_page  # the training taken
    # the PDF has the same comparison
    from diagnose.records.assessments import assessment_record
    from diagnose.services.roadmaps import report_html

    db = _db(app)
    try:
        with app.test_request_context():
            html = report_html(db, assessment_record(db, draft), "en")
    finally:
        db.conn.close()
    assert 'class="movement"' in html and "Since your earlier diagnosis" in html
    assert "then a consultant&#39;s decision, now a consultant&#39;s decision" in html


def test_exports_open_with_korean_headers_and_the_dashboards_filters(app, world, tmp_path):
    from openpyxl import load_workbook

    a = world["A"]
    staff = browser(app, a.users["staff"])
    response = staff.get("/center/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["기업", "진단", "추천 변경", "훈련 이력"]  # as the pages say
    firms = book["기업"]
    header = [c.value for c in firms[1]]
    assert header[:4] == ["기업 ID", "기업명", "사업자등록번호", "지역"]
    names = {row[1] for row in firms.iter_rows(min_row=2, values_only=True)}
    assert names == {"A기업정밀", "A초안산업", "A자가진단상사"}
    diagnoses = book["진단"]
    dims = [c.value for c in diagnoses[1] if c.value and c.value.endswith("점수")]
    assert len(dims) == len(app.extensions["questionnaires"].current.dimensions)
    first = next(diagnoses.iter_rows(min_row=2, values_only=True))
    assert isinstance(first[9], float) and 0 <= first[9] <= 100  # AI readiness
    assert first[3].__class__.__name__ == "datetime"  # a date cell, not text
    # the dashboard's filter: only the ax track
    only = staff.get("/center/export.xlsx?state=ax")
    kept = {
        r[1]
        for r in load_workbook(io.BytesIO(only.data))["기업"].iter_rows(min_row=2, values_only=True)
    }
    assert kept <= names and "A초안산업" not in kept
    # CSV: Excel-readable UTF-8 with a byte-order mark, one row per diagnosis
    text = staff.get("/center/export.csv").data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == ["기업 ID", "기업명"] and "최종 트랙" in rows[0]
    assert len(rows[0]) == len(set(rows[0])), rows[0]  # no header twice ("AI 준비도" was)
    assert "상시 근로자 수" in rows[0]  # the questionnaire's word for employees
    assert {r[1] for r in rows[1:]} == names
    # the command line, for one center
    out = tmp_path / "all.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export", "--format", "xlsx", "-o", str(out), "--center", str(a.id)]
    )
    assert result.exit_code == 0, result.output
    cli_names = {r[1] for r in load_workbook(out)["기업"].iter_rows(min_row=2, values_only=True)}
    assert cli_names == names
