"""Roles, enforced everywhere: every role of center A against center B's firm, pages, PDF, API,
export, batch and job gets 403 or 404 and none of B's data; within a center a consultant sees
their caseload and a colleague's draft only once the firm is assigned to them.

The role × resource table this test checks is printed (``pytest -s``) and kept in
``ACCESS_TABLE`` below.
"""

from __future__ import annotations

import pytest
from centers import browser, build
from conftest import Browser

from diagnose.services import batch
from diagnose.storage import connect

ROLES = ("doctor", "colleague", "staff", "admin")  # the admin acts for center A (home)
B_NAMES = ("B기업정밀", "B초안산업", "B자가진단상사", "B대표")


@pytest.fixture
def world(app):
    centers = build(app)
    db = connect(app.config["DATABASE"])
    b = centers["B"]
    # a batch of center B's, started by its staff
    from types import SimpleNamespace

    staff_b = SimpleNamespace(
        id=b.users["staff"]["id"],
        center_id=b.id,
        home_center_id=b.id,
        role="center_staff",
        is_staff=True,
    )
    b.batch_id = batch.create_batch(db, staff_b, [b.assessments["diagnosed"]], "ko", "zip")
    db.conn.close()
    return centers


def resources(b) -> list[tuple[str, str, str, dict]]:
    """(name, method, url, form) of center B's things."""
    diagnosed, draft = b.assessments["diagnosed"], b.assessments["draft"]
    return [
        ("firm page", "GET", f"/firms/{b.firms['diagnosed']}", {}),
        ("self-assessed firm page", "GET", f"/firms/{b.firms['self']}", {}),
        ("diagnosis page", "GET", f"/assessments/{diagnosed}", {}),
        ("interview (draft)", "GET", f"/assessments/{draft}/profile", {}),
        ("autosave (draft)", "POST", f"/assessments/{draft}/autosave", {"step": "profile"}),
        ("decision", "POST", f"/assessments/{diagnosed}/decision", {"final_track": "ax"}),
        ("start re-diagnosis", "POST", f"/firms/{b.firms['diagnosed']}/assessments", {}),
        ("carried answers", "GET", f"/assessments/{draft}/carried", {}),
        ("PDF", "GET", f"/assessments/{diagnosed}/roadmap.pdf", {}),
        ("record training", "POST", f"/firms/{b.firms['diagnosed']}/training", {}),
        ("erase firm", "POST", f"/firms/{b.firms['diagnosed']}/erase", {}),
        ("assign request", "POST", f"/center/requests/{b.request_id}/assign", {}),
        ("assign firms", "POST", "/firms/assign", {"firm": str(b.firms["diagnosed"])}),
        ("batch of B's firm", "POST", "/center/batches", {"firm": str(b.firms["diagnosed"])}),
        ("batch page (job)", "GET", f"/center/batches/{b.batch_id}", {}),
        ("batch status (job)", "GET", f"/center/batches/{b.batch_id}/status", {}),
        ("batch download (job)", "GET", f"/center/batches/{b.batch_id}/download", {}),
        ("reset B's password", "POST", f"/admin/users/{b.users['doctor']['id']}/password", {}),
        ("revoke B's tokens", "POST", f"/admin/users/{b.users['doctor']['id']}/tokens", {}),
    ]


LISTS = [  # pages that list data: allowed or refused, never with B's data
    ("firm list", "/firms"),
    ("firm list, all filters", "/firms?state=ax&size=10_49"),
    ("dashboard", "/center"),
    ("overrides", "/center/overrides"),
    ("export CSV", "/center/export.csv"),
    ("export XLSX", "/center/export.xlsx"),
    ("users", "/admin/users"),
    ("audit log", "/center/audit"),
]

ACCESS_TABLE: dict[tuple[str, str], int] = {}
# What an administrator does for every center whichever one they act for.
ADMIN_EVERYWHERE = ("reset B's password", "revoke B's tokens")


def _request(person: Browser, method: str, url: str, form: dict):
    if method == "GET":
        return person.get(url)
    html = person.get("/firms").get_data(as_text=True)
    from conftest import csrf_from

    return person.client.post(url, data={**form, "csrf_token": csrf_from(html)})


def _has_b_data(response) -> bool:
    body = response.data
    if response.mimetype.startswith(("application/vnd", "application/zip", "application/pdf")):
        if response.mimetype.startswith("application/vnd"):
            import io

            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(body))
            text = " ".join(
                str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value
            )
            return any(n in text for n in B_NAMES)
        return True  # a file of B's
    text = body.decode("utf-8", "replace")
    return any(n in text for n in B_NAMES)


def test_every_role_of_center_a_is_refused_center_bs_firms_pages_pdf_export_and_jobs(app, world):
    a, b = world["A"], world["B"]
    rows = []
    for role in ROLES:
        person = browser(app, a.users[role])
        for name, method, url, form in resources(b):
            if role == "admin" and name in ADMIN_EVERYWHERE:
                continue  # checked below: an administrator manages every center's logins
            response = _request(person, method, url, form)
            ACCESS_TABLE[(role, name)] = response.status_code
            rows.append((role, name, response.status_code))
            assert response.status_code in (403, 404), (role, name, response.status_code)
            assert not _has_b_data(response), (role, name)
        for name, url in LISTS:
            response = person.get(url)
            ACCESS_TABLE[(role, name)] = response.status_code
            rows.append((role, name, response.status_code))
            assert response.status_code in (200, 403), (role, name)
            assert not _has_b_data(response), (role, name)
    # the API with each role's token
    for role in ROLES:
        token = a.users[role]["token"]
        for name, url in (
            ("API diagnosis", f"/api/v1/assessments/{b.assessments['diagnosed']}"),
            ("API PDF", f"/api/v1/assessments/{b.assessments['diagnosed']}/roadmap.pdf"),
            ("API self-assessment", f"/api/v1/assessments/{b.assessments['self']}"),
        ):
            response = app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
            ACCESS_TABLE[(role, name)] = response.status_code
            rows.append((role, name, response.status_code))
            assert response.status_code == 404 and not _has_b_data(response), (role, name)
    # nothing of B's changed: no request assigned, no batch of A's holds B's report
    db = connect(app.config["DATABASE"])
    try:
        assert (
            db.execute(
                "SELECT status FROM consultant_requests WHERE id = ?", [b.request_id]
            ).fetchone()[0]
            == "new"
        )
        assert (
            db.execute(
                "SELECT COUNT(*) FROM batch_items i JOIN batches x ON x.id = i.batch_id "
                "WHERE x.center_id = ? AND i.assessment_id = ?",
                [a.id, b.assessments["diagnosed"]],
            ).fetchone()[0]
            == 0
        )
        assert (
            db.execute(
                "SELECT assigned_to FROM firms WHERE id = ?", [b.firms["diagnosed"]]
            ).fetchone()[0]
            is None
        )
    finally:
        db.conn.close()
    _print_table(rows)


def _print_table(rows):
    roles = list(dict.fromkeys(r for r, _n, _s in rows))
    names = list(dict.fromkeys(n for _r, n, _s in rows))
    table = {(r, n): s for r, n, s in rows}
    print("\nrole x resource of another center (status; lists: 200 without its data)")
    print(f"{'resource':<28}" + "".join(f"{r:>10}" for r in roles))
    for n in names:
        print(f"{n:<28}" + "".join(f"{table.get((r, n), ''):>10}" for r in roles))


def test_an_administrator_reaches_another_center_only_by_acting_for_it(app, world):
    a, b = world["A"], world["B"]
    admin = browser(app, a.users["admin"])
    firm_url = f"/firms/{b.firms['diagnosed']}"
    assert admin.get(firm_url).status_code == 404  # acting for A
    switched = admin.post_form("/admin/act", {"center": str(b.id)}, page="/center")
    assert switched.status_code == 302
    assert "B기업정밀" in admin.get(firm_url).get_data(as_text=True)
    assert admin.get(f"/assessments/{b.assessments['diagnosed']}/roadmap.pdf").status_code in (
        200,
        503,
    )
    assert "B자가진단상사" in admin.get("/center").get_data(as_text=True)  # its request
    assert "A기업정밀" not in admin.get("/firms").get_data(as_text=True)
    # center staff cannot switch, nor open the registry
    reset = admin.post_form(
        f"/admin/users/{b.users['doctor']['id']}/password",
        {"confirmed": "yes"},
        page="/admin/users",
    )
    assert reset.status_code == 200  # logins are the administrator's in every center
    assert '<code class="secret">' in reset.get_data(as_text=True)
    staff = browser(app, a.users["staff"])
    assert staff.post_form("/admin/act", {"center": str(b.id)}, page="/center").status_code == 403
    assert staff.get("/admin/registry").status_code == 403
    assert browser(app, a.users["doctor"]).get("/admin/registry").status_code == 403


def test_a_consultant_sees_their_caseload_and_a_colleagues_draft_only_once_assigned(app, world):
    a = world["A"]
    doctor, colleague = browser(app, a.users["doctor"]), browser(app, a.users["colleague"])
    draft_firm, draft = a.firms["draft"], a.assessments["draft"]
    listing = colleague.get("/firms").get_data(as_text=True)
    assert "A초안산업" not in listing and "A기업정밀" not in listing
    assert colleague.get(f"/firms/{draft_firm}").status_code == 404
    assert colleague.get(f"/assessments/{draft}/profile").status_code == 404
    assert doctor.get(f"/assessments/{draft}/profile").status_code == 200
    # the staff assign the firm to the colleague: the draft becomes theirs to continue
    staff = browser(app, a.users["staff"])
    assigned = staff.post_form(
        "/firms/assign",
        {"firm": str(draft_firm), "consultant": str(a.users["colleague"]["id"])},
        page="/firms",
    )
    assert assigned.status_code == 302
    assert "A초안산업" in colleague.get("/firms").get_data(as_text=True)
    assert colleague.get(f"/assessments/{draft}/profile").status_code == 200
    # the consultant who started it still sees the firm (their own work) but no longer edits
    assert doctor.get(f"/firms/{draft_firm}").status_code == 200
    assert doctor.get(f"/assessments/{draft}/profile").status_code == 403
    saved = doctor.post_form(f"/assessments/{draft}/autosave", {"step": "profile"}, page="/firms")
    assert saved.status_code == 403
    # the API holds the same caseload: a colleague's token reads none of the firm's diagnoses
    diagnosed = a.assessments["diagnosed"]
    for token, status in ((a.users["colleague"]["token"], 404), (a.users["doctor"]["token"], 200)):
        response = app.test_client().get(
            f"/api/v1/assessments/{diagnosed}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == status
    # a consultant never reaches the staff's pages
    for url in ("/center", "/center/export.xlsx", "/admin/users", "/center/audit"):
        assert colleague.get(url).status_code == 403, url


def test_the_assigned_request_brings_the_self_assessed_firm_into_the_caseload(app, world):
    a = world["A"]
    colleague = browser(app, a.users["colleague"])
    assert colleague.get(f"/firms/{a.firms['self']}").status_code == 404
    staff = browser(app, a.users["staff"])
    response = staff.post_form(
        f"/center/requests/{a.request_id}/assign",
        {"consultant": str(a.users["colleague"]["id"])},
        page="/center",
    )
    assert response.status_code == 302
    assert "A자가진단상사" in colleague.get(f"/firms/{a.firms['self']}").get_data(as_text=True)
    assert "A자가진단상사" not in staff.get("/center").get_data(as_text=True).split("requests")[-1]


def test_roles_from_before_migration_20_become_center_staff(make_app, instance):
    """A database made before the roles: its center_admin logins are center staff."""
    import sqlite3

    from diagnose.storage import MIGRATIONS, migrate

    instance.mkdir(parents=True)
    path = instance / "diagnose.sqlite3"
    db = connect(path)
    migrate(db, [m for m in MIGRATIONS if m[0] < 20])
    db.execute("INSERT INTO centers (name, region, created_at) VALUES ('옛 센터', 'seoul', 'x')")
    db.execute(
        "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
        "VALUES (1, 'old@x.example', '옛 관리자', 'x', 'center_admin', 'x')"
    )
    db.conn.close()
    make_app()
    db = connect(path)
    try:
        assert db.execute("SELECT role FROM users").fetchone()[0] == "center_staff"
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE users SET role = 'superuser'")
    finally:
        db.conn.close()


def test_forms_that_change_something_need_their_csrf_token(app, world):
    staff = browser(app, world["A"].users["staff"])
    a = world["A"]
    for url, form in (
        (f"/center/requests/{a.request_id}/assign", {"consultant": str(a.users["doctor"]["id"])}),
        ("/firms/assign", {"firm": str(a.firms["draft"])}),
        ("/center/batches", {"firm": str(a.firms["diagnosed"])}),
        ("/admin/users", {"email": "x@y.example", "name": "x", "role": "consultant"}),
        (f"/admin/users/{a.users['doctor']['id']}/password", {}),
        (f"/firms/{a.firms['diagnosed']}/training", {}),
    ):
        assert staff.client.post(url, data=form).status_code == 400, url
