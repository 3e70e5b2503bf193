"""The center's contact as the firms' reports print it: staff edit it, a missing phone is
flagged on the dashboard, bad input is refused with a message and keeps what was typed."""

from conftest import Browser, add_user

from diagnose.storage import connect


def _staff(app, center="센터 A"):
    user = add_user(app, "staff@center-a.example", center=center, role="center_staff")
    browser = Browser(app)
    browser.login(user["email"])
    return browser, user


def test_a_missing_phone_is_flagged_and_staff_can_set_it(app):
    browser, user = _staff(app)
    dashboard = browser.get("/center").get_data(as_text=True)
    assert "center/profile" in dashboard and "전화번호" in dashboard
    bad = browser.post_form("/center/profile", {"phone": "abc", "email": "x", "address": "울산"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "02-1234-5678" in html and 'value="울산"' in html  # nothing typed is lost
    ok = browser.post_form(
        "/center/profile", {"phone": "052-123-4567", "email": "c@center.example", "address": ""}
    )
    assert ok.status_code == 302
    db = connect(app.config["DATABASE"])
    try:
        row = db.execute("SELECT phone, email FROM centers WHERE id = ?", [user["center_id"]])
        assert row.fetchone() == ("052-123-4567", "c@center.example")
    finally:
        db.conn.close()
    assert (
        'center/profile"' not in browser.get("/center").get_data(as_text=True).split("<section")[0]
    )


def test_a_consultant_cannot_edit_the_center_profile(app, consultant):
    assert consultant.get("/center/profile").status_code in (403, 404)
