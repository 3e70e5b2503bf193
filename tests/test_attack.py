"""The attack of issue 17, re-run as a hostile user would, over every route of ``app.url_map``
and every API endpoint: roles of center A (administrator acting for A, staff, a consultant, a
second consultant of the same center) and anonymous callers against center B's things, a
colleague's caseload, and rights above their own. New routes are attacked as they appear.

Each check counts its tries and its failures (a wrong answer or another's data in it); the
table is printed (``pytest -s``) and every row must be 0.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
from centers import browser, build, business_number
from conftest import Browser, csrf_from, firm_form

from diagnose.services import batch
from diagnose.services.access import Right, declared_right
from diagnose.storage import connect

ROLES = ("admin", "staff", "doctor", "colleague")
B_NAMES = ("B기업정밀", "B초안산업", "B자가진단상사", "B대표")
DOCTOR_NAMES = ("A기업정밀", "A초안산업")  # the doctor's caseload, not the colleague's
HUGE = "9" * 30
# Every field a form of the app reads: a wrongly granted action would go through.
PAYLOAD = {
    "confirmed": "yes",
    "final_track": "ax",
    "reason": "공격",
    "step": "profile",
    "consultant": "none",
    "lang": "ko",
    "format": "zip",
    "module": "x",
    "started_on": "2026-01-01",
    "hours": "3",
    "center": "1",
}


class Tally:
    def __init__(self):
        self.rows: dict[str, list[int]] = {}
        self.failures: list[tuple] = []

    def check(self, name: str, ok: bool, *detail) -> None:
        row = self.rows.setdefault(name, [0, 0])
        row[0] += 1
        if not ok:
            row[1] += 1
            self.failures.append((name, *detail))

    def table(self) -> str:
        width = max(len(n) for n in self.rows)
        lines = [f"{'check':<{width}} | tries | failures"]
        lines += [f"{n:<{width}} | {t:>5} | {f:>8}" for n, (t, f) in self.rows.items()]
        return "\n".join(lines)


@pytest.fixture
def world(app):
    centers = build(app)
    db = connect(app.config["DATABASE"])
    for key, center in centers.items():
        people = center.users
        owner = people["doctor"]
        user = SimpleNamespace(
            id=owner["id"], center_id=center.id, home_center_id=center.id, role="consultant"
        )
        center.batch_id = batch.create_batch(
            db, user, [center.assessments["diagnosed"]], "ko", "zip"
        )
        center.record_id = db.execute(
            "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
            "hours, created_at) VALUES (?, ?, 'm', '교육', '2026-01-01', 3, 'x')",
            [center.firms["diagnosed"], center.id],
        ).lastrowid
        center.cohort_id = db.execute(  # a joint-center cohort of the center, with its firm
            "INSERT INTO cohorts (center_id, theme, title, start_window, seats, created_by, "
            "created_at) VALUES (?, 'visual_inspection', '비전 검사', '2027-Q1', 20, ?, 'x')",
            [center.id, center.users["staff"]["id"]],
        ).lastrowid
        db.execute(
            "INSERT INTO cohort_members (cohort_id, firm_id, updated_at) VALUES (?, ?, 'x')",
            [center.cohort_id, center.firms["diagnosed"]],
        )
        center.key = key
    db.conn.commit()
    db.conn.close()
    return centers


def _values(app, center, firm: str, assessment: str) -> dict:
    questionnaire = app.extensions["questionnaires"].current
    return {
        "firm_id": center.firms[firm],
        "assessment_id": center.assessments[assessment],
        "batch_id": center.batch_id,
        "request_id": center.request_id,
        "user_id": center.users["doctor"]["id"],
        "record_id": center.record_id,
        "cohort_id": center.cohort_id,
        "step": "profile",
        "section": questionnaire.dimensions[0].id,
        "token": "x" * 32,
        "key": "k",
        "file_format": "csv",
        "center_id": "none",
        "module_id": "none",
        "filename": "css/app.css",
    }


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, declared_right(app.view_functions[rule.endpoint])


def _url(rule, values: dict) -> str:
    chosen = {}
    for name in rule.arguments:
        allowed = getattr(rule._converters.get(name), "items", None)  # an any(...) part
        chosen[name] = sorted(allowed)[0] if allowed else values[name]
    return rule.build(chosen, append_unknown=False)[1]


def _call(person: Browser, method: str, url: str, token: str, extra: dict | None = None):
    if method == "GET":
        return person.client.get(url)
    return person.client.post(url, data={**PAYLOAD, **(extra or {}), "csrf_token": token})


def _leaks(response, names) -> bool:
    body = response.get_data()
    if response.mimetype in ("application/pdf", "application/zip"):
        return True  # any report file here is another's
    if "spreadsheetml" in response.mimetype:
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body))
        body = " ".join(
            str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value
        ).encode()
    text = body.decode("utf-8", "replace")
    return any(n in text for n in names)


def _fingerprint(app, center_id: int) -> str:
    """Everything of a center that an attack could change."""
    db = connect(app.config["DATABASE"])
    try:
        parts = []
        for table, column in (
            ("firms", "center_id"),
            ("assessments", "center_id"),
            ("users", "center_id"),
            ("consultant_requests", "center_id"),
            ("training_records", "center_id"),
            ("batches", "center_id"),
            ("cohorts", "center_id"),
        ):
            rows = db.execute(
                f"SELECT * FROM {table} WHERE {column} = ? ORDER BY 1", [center_id]
            ).fetchall()
            parts.append([list(r) for r in rows])
        members = db.execute(  # who a cohort invited or took in
            "SELECT m.* FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id "
            "WHERE c.center_id = ? ORDER BY m.cohort_id, m.firm_id",
            [center_id],
        ).fetchall()
        parts.append([list(r) for r in members])
        decisions = db.execute(
            "SELECT d.* FROM decisions d JOIN assessments a ON a.id = d.assessment_id "
            "WHERE a.center_id = ? ORDER BY d.id",
            [center_id],
        ).fetchall()
        tokens = db.execute(
            "SELECT t.id, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE u.center_id = ? ORDER BY t.id",
            [center_id],
        ).fetchall()
        parts += [[list(r) for r in decisions], [list(r) for r in tokens]]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    finally:
        db.conn.close()


def test_the_attack_of_issue_17_over_every_route_finds_nothing(app, world, capsys):
    a, b = world["A"], world["B"]
    tally = Tally()
    before_b = _fingerprint(app, b.id)
    people = {role: browser(app, a.users[role]) for role in ROLES}
    tokens = {role: csrf_from(p.get("/firms").get_data(as_text=True)) for role, p in people.items()}
    of_b = _values(app, b, "diagnosed", "diagnosed")
    of_b_draft = _values(app, b, "draft", "draft")
    of_doctor = _values(app, a, "diagnosed", "diagnosed")
    of_doctor_draft = _values(app, a, "draft", "draft")

    for rule, method, right in _rules(app):
        ids = set(rule.arguments) & {
            "firm_id",
            "assessment_id",
            "batch_id",
            "request_id",
            "record_id",
            "cohort_id",
            "user_id",
        }
        # 1. every role of A against B's things, by path
        if ids and right not in (Right.PUBLIC, Right.API):
            for role in ROLES:
                if role == "admin" and "user_id" in ids:
                    continue  # an administrator manages every center's logins, by design
                for values in (of_b, of_b_draft):
                    response = _call(people[role], method, _url(rule, values), tokens[role])
                    tally.check(
                        "another center's firm, diagnosis, draft, batch, request, login",
                        response.status_code in (403, 404) and not _leaks(response, B_NAMES),
                        role,
                        method,
                        rule.rule,
                        response.status_code,
                    )
        # 2. a second consultant of the same center against the doctor's caseload
        if ids - {"user_id", "request_id"} and right not in (Right.PUBLIC, Right.API):
            for values in (of_doctor, of_doctor_draft):
                response = _call(
                    people["colleague"], method, _url(rule, values), tokens["colleague"]
                )
                tally.check(
                    "a colleague's firm, diagnosis, draft, training, batch",
                    response.status_code in (403, 404) and not _leaks(response, DOCTOR_NAMES),
                    method,
                    rule.rule,
                    response.status_code,
                )
        # 3. rights above one's own: a consultant on staff pages, staff on administrators'
        if right in (Right.STAFF, Right.ADMIN):
            for role in ("doctor", "colleague") + (("staff",) if right == Right.ADMIN else ()):
                response = _call(people[role], method, _url(rule, of_doctor), tokens[role])
                tally.check(
                    "a consultant on staff pages, staff on administrator pages",
                    response.status_code in (403, 404),
                    role,
                    method,
                    rule.rule,
                    response.status_code,
                )
        # 4. anonymous on every page that needs a login
        if right not in (Right.PUBLIC, Right.API):
            anonymous = Browser(app)
            token = csrf_from(anonymous.get("/login").get_data(as_text=True))
            response = _call(anonymous, method, _url(rule, of_doctor), token)
            refused = response.status_code == 401 or (
                response.status_code == 302 and "/login" in response.headers["Location"]
            )
            tally.check(
                "anonymous on pages that need a login",
                refused and not _leaks(response, DOCTOR_NAMES + B_NAMES),
                method,
                rule.rule,
                response.status_code,
            )
        # 5. numbers past SQLite's INTEGER in every integer path parameter
        if ids:
            huge = {**of_doctor, **{k: HUGE for k in ids}}
            url = rule.rule
            for k in ids:
                url = url.replace(f"<int:{k}>", HUGE)
            for k in set(rule.arguments) - ids:
                url = url.replace(f"<{k}>", str(huge[k])).replace(f"<path:{k}>", str(huge[k]))
            response = _call(people["staff"], method, url, tokens["staff"])
            tally.check(
                "huge integers in paths (404, never 500)",
                response.status_code in (400, 404),
                method,
                url,
                response.status_code,
            )
        # 6. forms that change something, without their CSRF token
        if method == "POST" and rule.endpoint.split(".")[0] != "api" and right != Right.API:
            for role, values in (("staff", of_doctor), ("colleague", of_doctor_draft)):
                response = people[role].client.post(_url(rule, values), data=PAYLOAD)
                tally.check(
                    "forms without their CSRF token (400, nothing shown)",
                    response.status_code in (400, 401, 302)
                    and not (role == "colleague" and _leaks(response, DOCTOR_NAMES)),
                    role,
                    rule.rule,
                    response.status_code,
                )

    # 7. lists, dashboards and exports: only one's own center, a consultant only their caseload
    for role in ROLES:
        for url in (
            "/firms",
            "/firms?state=ax",
            "/center",
            "/center/overrides",
            "/center/export.csv",
            "/center/export.xlsx",
            "/admin/users",
            "/center/audit",
            f"/center?page={HUGE}",
            f"/firms?page={HUGE}",
            f"/center/audit?before={HUGE}",
        ):
            response = people[role].get(url)
            names = B_NAMES + (DOCTOR_NAMES if role == "colleague" else ())
            tally.check(
                "lists, dashboard, overrides, exports, audit: nothing of another's",
                response.status_code in (200, 400, 403) and not _leaks(response, names),
                role,
                url,
                response.status_code,
            )

    # 8. the API with each role's token, and without one
    client = app.test_client()
    questionnaire = app.extensions["questionnaires"].current
    from answering import all_answers

    answers = {k: v for page in all_answers(questionnaire).values() for k, v in page.items()}
    for role in ROLES:
        header = {"Authorization": f"Bearer {a.users[role]['token']}"}
        for assessment in ("diagnosed", "self", "draft"):
            for suffix in ("", "/roadmap.pdf"):
                response = client.get(
                    f"/api/v1/assessments/{b.assessments[assessment]}{suffix}", headers=header
                )
                tally.check(
                    "API: another center's diagnosis or PDF by token",
                    response.status_code == 404 and not _leaks(response, B_NAMES),
                    role,
                    assessment,
                    suffix,
                    response.status_code,
                )
    for suffix in ("", "/roadmap.pdf"):
        for assessment in ("diagnosed", "draft"):
            response = client.get(
                f"/api/v1/assessments/{a.assessments[assessment]}{suffix}",
                headers={"Authorization": f"Bearer {a.users['colleague']['token']}"},
            )
            tally.check(
                "API: a colleague's diagnosis or PDF by token",
                response.status_code == 404 and not _leaks(response, DOCTOR_NAMES),
                assessment,
                suffix,
                response.status_code,
            )
        for assessment in ("diagnosed", "self"):
            for header in ({}, {"X-Result-Token": "x" * 32}, {"Authorization": "Bearer dg_x"}):
                response = client.get(
                    f"/api/v1/assessments/{b.assessments[assessment]}{suffix}", headers=header
                )
                tally.check(
                    "API: no token, a guessed result link or a forged token",
                    response.status_code in (401, 404) and not _leaks(response, B_NAMES),
                    assessment,
                    suffix,
                    header,
                    response.status_code,
                )
    for number, who in ((business_number(10), "colleague"), (business_number(20), "colleague")):
        profile = firm_form(app, business_number=number)
        response = client.post(
            "/api/v1/assessments",
            json={"profile": profile, "answers": answers},
            headers={"Authorization": f"Bearer {a.users[who]['token']}"},
        )
        tally.check(
            "API: filing into a colleague's firm by its business number",
            response.status_code == 403 and not _leaks(response, DOCTOR_NAMES),
            number,
            response.status_code,
        )
    for role in ROLES:  # B's business number from A: a firm of A's own, nothing of B's
        profile = firm_form(app, business_number=business_number(11))
        response = client.post(
            "/api/v1/assessments",
            json={"profile": profile, "answers": answers},
            headers={"Authorization": f"Bearer {a.users[role]['token']}"},
        )
        tally.check(
            "API: another center's business number files nothing there",
            response.status_code in (201, 403) and not _leaks(response, B_NAMES),
            role,
            response.status_code,
        )
    for url in (f"/api/v1/assessments/{HUGE}", f"/api/v1/assessments/{HUGE}/roadmap.pdf"):
        response = client.get(url, headers={"Authorization": f"Bearer {a.users['staff']['token']}"})
        tally.check("huge integers in paths (404, never 500)", response.status_code == 404, url)

    # 9. nothing of B's changed, whatever was tried
    tally.check("center B's rows unchanged after all of it", _fingerprint(app, b.id) == before_b)

    with capsys.disabled():
        print("\n" + tally.table())
    assert tally.failures == [], tally.failures[:20]
