"""The ministry figures (services/kpi.py): one computation behind the center's page, its XLSX
and ``flask report kpi`` (XLSX and a real WeasyPrint PDF)."""

from __future__ import annotations

import io
import subprocess
from types import SimpleNamespace

import pytest
from centers import browser, build
from firms import FIRMS, answers_at

from diagnose.diagnosis.store import decide, diagnose
from diagnose.records.assessments import record_submitted_assessment
from diagnose.services import kpi
from diagnose.storage import connect, transaction

PERIOD = kpi.Period.of("2026-10-01", "2026-11-30")


@pytest.fixture
def world(app):
    """Center A: its registered firm diagnosed in October, re-diagnosed in November (both
    decided) with a training between; a request answered Friday -> Monday (1 business day).
    Center B: a request answered after 5 business days. Everything else is of December."""
    centers = build(app)
    a, b = centers["A"], centers["B"]
    questionnaire = app.extensions["questionnaires"].current
    db = connect(app.config["DATABASE"])
    try:
        firm = FIRMS["machining"]
        profile = {**firm["profile"], "company_name": "A기업정밀"}
        better = answers_at(questionnaire, min(1.0, firm["level"] + 0.3), firm["said"])
        with transaction(db):
            t1 = record_submitted_assessment(
                db, a.firms["diagnosed"], a.id, a.users["doctor"]["id"], questionnaire,
                profile, better, source="consultant",
            )  # fmt: skip
            diagnose(db, app.extensions["track_model"], questionnaire, t1, profile, better)
            for assessment, day in ((a.assessments["diagnosed"], "2026-10-20"), (t1, "2026-11-10")):
                decide(db, assessment, a.users["doctor"]["id"], "ax", "보고 기준 확인")
                db.execute(
                    "UPDATE assessments SET submitted_at = ? WHERE id = ?",
                    [f"{day}T01:00:00+00:00", assessment],
                )
            db.execute(
                "UPDATE firms SET created_at = '2026-10-15T01:00:00+00:00' WHERE id = ?",
                [a.firms["diagnosed"]],
            )
            db.execute(
                "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
                "hours, trainees, created_at) VALUES (?, ?, 'exec_ai_awareness', '경영진 AI', "
                "'2026-11-03', 8, 3, '2026-11-03T00:00:00+00:00')",
                [a.firms["diagnosed"], a.id],
            )
            # Friday 2026-11-06 10:00 KST -> Monday 2026-11-09: one business day (the
            # center answers when it first contacts the firm, as the request page counts)
            db.execute(
                "UPDATE consultant_requests SET created_at = '2026-11-06T01:00:00+00:00', "
                "status = 'contacted', assigned_at = '2026-11-08T02:00:00+00:00', "
                "contacted_at = '2026-11-09T02:00:00+00:00' WHERE id = ?",
                [a.request_id],
            )
            # Monday 2026-11-02 -> Monday 2026-11-09: five business days
            db.execute(
                "UPDATE consultant_requests SET created_at = '2026-11-02T01:00:00+00:00', "
                "status = 'booked', assigned_at = '2026-11-03T02:00:00+00:00', "
                "booked_at = '2026-11-09T02:00:00+00:00' WHERE id = ?",
                [b.request_id],
            )
        centers["t1"] = t1
    finally:
        db.conn.close()
    return centers


def _figures(app, user, center_id=None):
    db = connect(app.config["DATABASE"])
    try:
        dims = [d.id for d in app.extensions["questionnaires"].current.dimensions]
        return kpi.figures(db, kpi.report_centers(db, user, center_id), PERIOD, dims)
    finally:
        db.conn.close()


def _user(person):
    return SimpleNamespace(id=person["id"], center_id=person["center_id"], role=person["role"])


def test_business_days_count_working_days_in_korea_time():
    friday = "2026-11-06T01:00:00+00:00"
    assert kpi.business_days(friday, "2026-11-09T02:00:00+00:00") == 1
    assert kpi.business_days(friday, "2026-11-06T08:00:00+00:00") == 0
    assert kpi.business_days("2026-11-02T01:00:00+00:00", "2026-11-09T02:00:00+00:00") == 5
    # 23:30 UTC on Sunday is Monday 08:30 in Korea
    assert kpi.business_days("2026-11-08T23:30:00+00:00", "2026-11-09T05:00:00+00:00") == 0


def test_a_period_is_checked():
    assert PERIOD.months() == ["2026-10", "2026-11"]
    assert kpi.Period.of("2025-12-15", "2026-01-02").months() == ["2025-12", "2026-01"]
    with pytest.raises(kpi.PeriodError) as error:
        kpi.Period.of("2026-11-30", "2026-10-01")
    assert error.value.field == "to"
    with pytest.raises(kpi.PeriodError):
        kpi.Period.of("2026-13-01", "2026-12-01")


def test_the_figures_per_month_and_for_the_period(app, world):
    a = world["A"]
    figures = _figures(app, _user(a.users["staff"]))
    assert [c["center"]["name"] for c in figures["centers"]] == ["센터 A"]  # staff: own only
    assert figures["all"] is None
    months = dict(figures["centers"][0]["months"])
    october, november = months["2026-10"], months["2026-11"]
    total = figures["centers"][0]["total"]
    assert october["found"] == {"self": 0, "consultant": 1, "staff": 0, "api": 0, "total": 1}
    assert october["diagnosed"] == {"self": 0, "consultant": 1, "total": 1}
    assert november["diagnosed"]["consultant"] == 1
    assert total["diagnosed"]["total"] == 1  # the same firm, once in the period
    assert total["tracks"]["ax"] == 1 and sum(total["tracks"].values()) == 1
    assert november["trained"] == {"firms": 1, "trainees": 3, "person_hours": 24.0}
    assert october["trained"]["trainees"] == 0
    assert november["requests"] == {"filed": 1, "answered": 1, "within": 1, "share": 100}
    redo = november["rediagnosed"]
    assert redo["firms"] == 1 and total["rediagnosed"]["firms"] == 1
    assert october["rediagnosed"]["firms"] == 0
    db = connect(app.config["DATABASE"])
    try:
        from diagnose.services.rediagnosis import decided_pair

        t0, t1 = decided_pair(db, world["t1"])
    finally:
        db.conn.close()
    assert redo["readiness"] == round(t1["readiness"] - t0["readiness"], 1)
    assert redo["readiness"] > 0  # better answers, a higher readiness
    # nothing of December (the self-assessed firm, the draft) falls in the period
    assert total["found"]["total"] == 1 and total["found"]["self"] == 0


def test_an_undecided_rediagnosis_is_not_counted(app, world):
    db = connect(app.config["DATABASE"])
    try:
        db.execute("DELETE FROM decisions WHERE assessment_id = ?", [world["t1"]])
    finally:
        db.conn.close()
    total = _figures(app, _user(world["A"].users["staff"]))["centers"][0]["total"]
    assert total["rediagnosed"]["firms"] == 0


def test_an_administrator_gets_every_center_apart_and_together(app, world):
    figures = _figures(app, _user(world["A"].users["admin"]))
    assert [c["center"]["name"] for c in figures["centers"]] == ["센터 A", "센터 B"]
    b_total = figures["centers"][1]["total"]
    assert b_total["requests"] == {"filed": 1, "answered": 1, "within": 0, "share": 0}
    assert figures["all"]["total"]["requests"] == {
        "filed": 2, "answered": 2, "within": 1, "share": 50,
    }  # fmt: skip
    consultant = _user(world["A"].users["doctor"])
    db = connect(app.config["DATABASE"])
    try:
        with pytest.raises(kpi.access.Forbidden):
            kpi.report_centers(db, consultant)
    finally:
        db.conn.close()


def test_the_page_shows_the_figures_with_charts_and_tables(app, world):
    a, b = world["A"], world["B"]
    staff = browser(app, a.users["staff"])
    page = staff.get("/center/kpi?from=2026-10-01&to=2026-11-30").get_data(as_text=True)
    assert "부처 보고 실적" in page and "센터 A" in page and "센터 B" not in page
    assert page.count('role="img"') >= 6 and "<tfoot>" in page
    assert "2026-10" in page and "2026-11" in page
    bad = staff.get("/center/kpi?from=2026-13-01&to=2026-11-30").get_data(as_text=True)
    assert "YYYY-MM-DD" in bad and 'value="2026-13-01"' in bad  # what was typed is kept
    admin = browser(app, a.users["admin"])
    everyone = admin.get("/center/kpi?from=2026-10-01&to=2026-11-30").get_data(as_text=True)
    assert "센터 A" in everyone and "센터 B" in everyone and "전체 센터" in everyone
    doctor = browser(app, a.users["doctor"])
    assert doctor.get("/center/kpi").status_code == 403
    assert b.users["staff"]


def test_the_xlsx_has_numbers_a_filter_and_one_row_per_month(app, world):
    from openpyxl import load_workbook

    staff = browser(app, world["A"].users["staff"])
    response = staff.get("/center/kpi.xlsx?from=2026-10-01&to=2026-11-30")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["2026-10", "2026-11", "기간 합계"]
    assert sheet.auto_filter.ref and sheet.freeze_panes == "C2"
    header = rows[0]
    person_hours = header.index("훈련 연인원 시간")
    assert rows[2][person_hours] == 24 and isinstance(rows[2][person_hours], (int, float))


def test_the_command_writes_a_real_pdf_and_xlsx(app, world, runner, tmp_path):
    pdf = tmp_path / "kpi.pdf"
    result = runner.invoke(
        args=["report", "kpi", "--from", "2026-10-01", "--to", "2026-11-30", "--format", "pdf",
              "-o", str(pdf)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NanumGothic" in fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "센터 A" in text and "센터 B" in text and "부처 보고 실적" in text
    bad = runner.invoke(
        args=["report", "kpi", "--from", "2026-11-30", "--to", "2026-10-01", "--format", "xlsx",
              "-o", str(tmp_path / "k.xlsx")],
    )  # fmt: skip
    assert bad.exit_code != 0 and "--to" in bad.output
