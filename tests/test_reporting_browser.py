"""Issue 18's reporting pages and smaller fixes as users meet them in Debian's Chromium: the
owner on a phone (consent refused: the error where the thumb is, focused; header targets of
44 px; the result's save/open/share and the center's links), staff at 1280 px (the dashboard's
new cards, the ministry figures, cohorts); axe-core's WCAG 2.1 A/AA finds nothing on each.
Screenshots go to $DIAGNOSE_SCREENSHOTS if set."""

from __future__ import annotations

import pytest
from centers import build
from conftest import PASSWORD, shot
from test_accessibility import violations
from test_self_assessment import answer_all, start, submit

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def _context(browser, viewport):  # noqa: F811
    context = browser.new_context(
        locale="ko-KR", viewport=viewport, bypass_csp=True, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_an_owner_on_a_phone_meets_the_consent_error_and_a_savable_pdf(app, server, browser):  # noqa: F811
    context, page = _context(browser, PHONE)
    try:
        page.goto(server + "/")
        # every link of the header is a 44 px target on a phone
        heights = page.eval_on_selector_all(
            ".topbar a, .topbar button", "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, heights
        page.click("form.start button[type=submit].primary")
        page.wait_for_selector("#consent-errors")
        # the box is focused and the message is on screen, not 2,200 px below
        assert page.evaluate("document.activeElement.id") == "consent"
        top = page.evaluate("document.querySelector('#consent-errors').getBoundingClientRect().top")
        assert 0 <= top <= PHONE["height"], top
        assert violations(page) == []
        shot(page, "start-consent-error-phone")
        # the result: save (attachment), open, the center's links
        owner = app.test_client()
        token, first = start(owner)
        answer_all(owner, app, token, first)
        submit(owner, token)
        page.goto(f"{server}/r/{token}")
        save = page.locator("a[download]").first
        assert "download=1" in save.get_attribute("href")
        # axe on this very page (same answers, same screen): test_accessibility's public pages
        shot(page, "result-phone")
        response = page.request.get(server + save.get_attribute("href"))
        if response.status == 200:  # a consumer may not have rendered it yet (503 then)
            assert response.headers["content-disposition"].startswith("attachment")
    finally:
        context.close()


def test_staff_see_the_figures_and_cohorts_with_no_wcag_violation(app, server, browser):  # noqa: F811
    world = build(app)
    context, page = _context(browser, {"width": 1280, "height": 900})
    try:
        page.goto(f"{server}/login")
        page.fill("#email", world["A"].users["staff"]["email"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        found = {}
        for name, url in (
            ("dashboard", "/center"),
            ("kpi", "/center/kpi?from=2026-01-01&to=2026-12-31"),
            ("kpi-bad-date", "/center/kpi?from=2026-13-01&to=2026-12-31"),
            ("cohorts", "/center/cohorts"),
        ):
            for lang in ("ko", "en"):
                page.goto(f"{server}{url}{'&' if '?' in url else '?'}lang={lang}")
                if result := violations(page):
                    found[f"{name} [{lang}]"] = result
                if lang == "ko":
                    shot(page, f"staff-{name}")
        assert found == {}, found
        page.goto(f"{server}/center/kpi?from=2026-01-01&to=2026-12-31&lang=ko")
        assert page.locator("svg[role=img]").count() >= 5  # T0->T1 only once re-diagnosed
        assert page.locator("table.kpi-table tfoot").count() == 1
        with page.expect_download() as download:
            page.click("text=XLSX 내려받기")
        assert download.value.suggested_filename.endswith(".xlsx")
    finally:
        context.close()


def test_the_changed_staff_pages_have_no_wcag_violation(app, server, browser):  # noqa: F811
    from diagnose.storage import connect

    world = build(app)
    a = world["A"]
    db = connect(app.config["DATABASE"])
    try:
        cohort = db.execute(
            "INSERT INTO cohorts (center_id, theme, title, start_window, seats, created_at) "
            "VALUES (?, 'pbl_quality_data_analysis', '품질 PBL 1기', '2027-Q1', 20, "
            "'2026-12-01T00:00:00+00:00')",
            [a.id],
        ).lastrowid
        for firm in (a.firms["diagnosed"], a.firms["draft"]):
            db.execute(
                "INSERT INTO cohort_members (cohort_id, firm_id, trainees, updated_at) "
                "VALUES (?, ?, 4, '2026-12-01T00:00:00+00:00')",
                [cohort, firm],
            )
        db.conn.commit()
    finally:
        db.conn.close()
    context, page = _context(browser, {"width": 1280, "height": 900})
    try:
        page.goto(f"{server}/login")
        page.fill("#email", a.users["admin"]["email"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        found = {}
        for name, url in (
            ("audit", "/center/audit"),
            ("audit-filtered", "/center/audit?action=view&since=2026-01-01"),
            # the registry (/admin/registry): test_center_browser checks it as this admin
            ("firm", f"/firms/{a.firms['self']}"),
            ("cohort", f"/center/cohorts/{cohort}"),
        ):
            for lang in ("ko", "en"):
                page.goto(f"{server}{url}{'&' if '?' in url else '?'}lang={lang}")
                if result := violations(page):
                    found[f"{name} [{lang}]"] = result
                if lang == "ko":
                    shot(page, f"staff-{name}")
        assert found == {}, found
    finally:
        context.close()
