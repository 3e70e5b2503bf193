"""What a consultant learns about firms and colleagues outside their caseload: nothing, not a
firm's name in a refusal, not a colleague's override rate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from centers import browser, build, business_number
from conftest import firm_form

from diagnose.services.decisions import record_decision
from diagnose.storage import connect


@pytest.fixture
def world(app):
    return build(app)


def test_a_refused_business_number_names_the_firm_only_to_whom_may_see_it(app, world):
    a = world["A"]
    taken = business_number(10)  # the doctor's firm, A기업정밀
    colleague = browser(app, a.users["colleague"])
    response = colleague.post_form("/firms/new", firm_form(app, business_number=taken))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A기업정밀" not in page
    assert "담당 기업이 아닙니다" in page  # why, in Korean, with what to do
    # editing a firm of their own to that number: refused the same way
    own = colleague.post_form("/firms/new", firm_form(app, business_number=business_number(90)))
    own_id = int(own.headers["Location"].rsplit("/", 1)[-1])
    edit = colleague.post_form(
        f"/firms/{own_id}/edit", firm_form(app, business_number=taken), page=f"/firms/{own_id}/edit"
    )
    assert edit.status_code == 422 and "A기업정밀" not in edit.get_data(as_text=True)
    # the doctor, whose firm it is, and the center's staff are told which firm it is
    for who in ("doctor", "staff"):
        seen = browser(app, a.users[who]).post_form(
            "/firms/new", firm_form(app, business_number=taken)
        )
        assert seen.status_code == 422 and "A기업정밀" in seen.get_data(as_text=True), who


def test_a_consultant_sees_only_their_own_override_rates(app, world):
    a = world["A"]
    db = connect(app.config["DATABASE"])

    def as_user(key):
        person = a.users[key]
        return SimpleNamespace(id=person["id"], center_id=a.id)

    with app.app_context():  # a decision asks the queue to renew the firm's report
        record_decision(db, a.assessments["diagnosed"], as_user("doctor"), "beginner", "대표 의지")
        record_decision(db, a.assessments["self"], as_user("colleague"), "ax", "현장 과제 확인")
    db.conn.close()
    colleague = browser(app, a.users["colleague"]).get("/center/overrides")
    page = colleague.get_data(as_text=True)
    assert colleague.status_code == 200
    assert "주치의 A" not in page  # the colleague's rate is not theirs to see
    assert "동료 A" in page
    staff = browser(app, a.users["staff"]).get("/center/overrides").get_data(as_text=True)
    assert "주치의 A" in staff and "동료 A" in staff


# --- managing logins: a confirmation step, and a new password never in the session cookie ----


def _cookie_payload(browser) -> str:
    """What the signed session cookie carries (signed, not secret: its holder can read it)."""
    import base64
    import zlib

    value = browser.client.get_cookie("session").value
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode("utf-8", "replace")


@pytest.mark.parametrize("action", ["password", "tokens", "disable"])
def test_reset_revoke_and_disable_ask_first_and_work_without_js(app, world, action):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    doctor = a.users["doctor"]
    url = f"/admin/users/{doctor['id']}/{action}"
    first = staff.post_form(url, {}, page="/admin/users")  # the users page's button
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and 'name="confirmed" value="yes"' in page
    assert doctor["email"] in page and 'name="csrf_token"' in page  # a plain form: no JS
    db = connect(app.config["DATABASE"])
    row = db.execute(
        "SELECT password_hash, disabled_at FROM users WHERE id = ?", [doctor["id"]]
    ).fetchone()
    live = db.execute(
        "SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL", [doctor["id"]]
    ).fetchone()[0]
    assert live == 1 and row[1] is None  # nothing happened on the first click
    from conftest import csrf_from

    done = staff.client.post(url, data={"confirmed": "yes", "csrf_token": csrf_from(page)})
    after = db.execute(
        "SELECT password_hash, disabled_at FROM users WHERE id = ?", [doctor["id"]]
    ).fetchone()
    live_after = db.execute(
        "SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL", [doctor["id"]]
    ).fetchone()[0]
    db.conn.close()
    if action == "password":
        assert done.status_code == 200 and after[0] != row[0]
        shown = done.get_data(as_text=True)
        import re

        password = re.search(r'<code class="secret">([^<]+)</code>', shown)[1]
        assert password not in _cookie_payload(staff)  # not carried in the signed cookie
        assert password not in staff.get("/admin/users").get_data(as_text=True)  # shown once
    elif action == "tokens":
        assert live_after == 0
    else:
        assert after[1] is not None
