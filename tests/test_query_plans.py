"""Every query behind a list, the dashboard, the overrides page and an export of one center
reads that center's rows through an index: ``EXPLAIN QUERY PLAN`` of each statement they run
shows no full scan of a table that grows with the programme."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from conftest import add_user
from test_exports import _fill

from diagnose.diagnosis.store import override_rates
from diagnose.records.firms import FirmFilter, search_firms
from diagnose.services import audit, caseload, cohorts, dashboard, export, requests
from diagnose.storage import connect

# Tables that grow with firms, diagnoses and use; a scan of a small one (users, centers,
# questionnaire versions) is fine.
LARGE = {
    "firms",
    "firm_latest",
    "assessments",
    "answers",
    "predictions",
    "decisions",
    "audit_log",
    "training_records",
    "consultant_requests",
    "self_assessments",
    "batch_items",
    "login_sessions",
    "assessment_themes",
    "task_readings",
    "cohort_fits",
    "cohort_members",
}


def _aliases(sql: str) -> dict[str, str]:
    names = {}
    for table, alias in re.findall(r"(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        names[table] = table
        if alias and alias.upper() not in {"ON", "WHERE", "JOIN", "LEFT", "ORDER", "GROUP"}:
            names[alias] = table
    return names


def full_scans(db, sql: str) -> list[str]:
    """The plan lines of ``sql`` that read a whole large table (or a whole index of one)."""
    names = _aliases(sql)
    bad = []
    for *_ids, detail in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
        match = re.match(r"SCAN (\w+)", detail)
        if match and names.get(match.group(1), match.group(1)) in LARGE:
            bad.append(detail)
    return bad


class Recorder:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, sql: str) -> None:
        text = sql.strip()
        if re.match(r"(SELECT|WITH)\b", text, re.I):
            self.statements.append(text)


@pytest.fixture
def centers(app):
    staff = add_user(app, "staff@a.example", role="center_staff")
    doctor = add_user(app, "doctor@a.example", role="consultant")
    other = add_user(app, "staff@b.example", center="센터 B", role="center_staff")
    db = connect(app.config["DATABASE"])
    _fill(db, staff["center_id"], doctor["id"], [f"가기업{n}" for n in range(60)])
    _fill(db, other["center_id"], other["id"], [f"나기업{n}" for n in range(60)], 1000)
    db.execute(
        "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, contact_name, "
        "consent_at, created_at) VALUES (?, 1, 1, 'n', 'x', '2026-01-05T10:00:00+00:00')",
        [staff["center_id"]],
    )
    # Four AX diagnoses decided with a PBL theme set: the cohort suggestions' fits, the
    # planner's reading and the tasks are read for them too.
    undecided = db.execute(
        "SELECT p.id, p.assessment_id FROM predictions p JOIN assessments a "
        "ON a.id = p.assessment_id WHERE a.center_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM decisions d WHERE d.assessment_id = a.id) ORDER BY p.id LIMIT 4",
        [staff["center_id"]],
    ).fetchall()
    with db.conn:
        for prediction, assessment in undecided:
            db.execute(
                "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, "
                "final_track, action, decided_by, decided_at) VALUES (?, ?, 'ax', 'ax', "
                "'confirm', ?, '2026-01-06T10:00:00+00:00')",
                [assessment, prediction, doctor["id"]],
            )
            db.execute(
                "INSERT INTO assessment_themes (assessment_id, theme, confidence, source, "
                "set_by, set_at) VALUES (?, 'visual_inspection', 1.0, 'consultant', ?, "
                "'2026-01-06T10:00:00+00:00')",
                [assessment, doctor["id"]],
            )
            db.execute(
                "INSERT INTO answers (assessment_id, item_id, value, note, updated_at) VALUES "
                "(?, 'need_urgency', '\"within_6_months\"', '', '2026-01-06T10:00:00+00:00')",
                [assessment],
            )
    db.conn.close()

    def user(person, role):
        return SimpleNamespace(
            id=person["id"],
            center_id=person["center_id"],
            home_center_id=person["center_id"],
            role=role,
        )

    return user(staff, "center_staff"), user(doctor, "consultant")


def _every_page_query(app, db, staff, doctor) -> None:
    questionnaire = app.extensions["questionnaires"].current
    dims = [d.id for d in questionnaire.dimensions]
    filters = [
        FirmFilter(),
        FirmFilter(state="ax"),
        FirmFilter(state="draft"),
        FirmFilter(state="none", industry="C", size="10_49"),
        FirmFilter(text="기업1", since="2026-01-01", until="2026-12-31"),
        FirmFilter(consultant=doctor.id, region="seoul"),
    ]
    for user in (staff, doctor):
        for sort in ("activity", "name", "employees", "diagnosed", "track"):
            caseload.firm_list(db, user, FirmFilter(), sort, True, page=2, per_page=25)
        for f in filters:
            caseload.firm_list(db, user, f, page=1)
            caseload.matching_assessments(db, user, f)
        dashboard.overrides(db, user, FirmFilter(), 20)
    for f in filters:
        dashboard.dashboard(db, staff, f, dims)
        caseload.firm_list(db, staff, f, page=99)  # past the end: the count alone
    override_rates(db, staff.center_id)
    search_firms(db, staff.center_id, "기업")
    requests.center_requests(db, staff.center_id, "new")
    requests.tracking(db, staff.center_id, 5)
    cohorts.suggestions(db, staff)  # computes the fits of the decided diagnoses
    assert cohorts.suggestions(db, staff)  # reads them: one cohort of the four
    audit.entries(db, staff.center_id)
    for file_format in export.FORMATS:
        export.export(db, staff, FirmFilter(), file_format, questionnaire, io.BytesIO())


def test_no_page_query_scans_a_large_table(app, centers):
    staff, doctor = centers
    db = connect(app.config["DATABASE"])
    recorder = Recorder()
    db.conn.set_trace_callback(recorder)
    with app.test_request_context():
        _every_page_query(app, db, staff, doctor)
    db.conn.set_trace_callback(None)
    assert len(recorder.statements) > 40
    scans = {}
    for sql in set(recorder.statements):
        found = full_scans(db, sql)
        if found:
            scans[sql[:300]] = found
    db.conn.close()
    assert not scans, "\n\n".join(f"{sql}\n  -> {lines}" for sql, lines in scans.items())


def test_the_check_finds_a_full_scan(app, centers):
    """The checker itself: the per-firm count over all assessments the dashboard used to run
    is caught, its center-limited replacement is not."""
    db = connect(app.config["DATABASE"])
    assert full_scans(
        db,
        "SELECT firm_id FROM assessments WHERE status = 'submitted' "
        "GROUP BY firm_id HAVING COUNT(*) >= 2",
    )
    assert full_scans(db, "SELECT f.* FROM firms f WHERE f.name LIKE '%x%'")
    assert not full_scans(
        db,
        "SELECT f.id FROM firms f LEFT JOIN firm_latest l ON l.firm_id = f.id "
        "WHERE f.center_id = 1 AND l.submitted >= 2",
    )
    db.conn.close()
