"""The center's pages in Debian's Chromium: staff assign a self-assessment request and batch-print
three reports while the progress bar moves (a real queue consumer renders them); axe-core's
WCAG 2.1 A/AA check finds nothing on the dashboard and every new center page.

The consumer is started by the test and stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from centers import build
from conftest import PASSWORD, serve, shot
from test_accessibility import violations

from diagnose import create_app
from diagnose.roadmap import pdf as pdf_module
from diagnose.storage import connect

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.browser
# Every value the progress bar takes, from now until the download link shows (or 120 s): the
# page records them as they are set, with no polling from the test.
WATCH_THE_BAR = """() => new Promise((done, failed) => {
    const bar = document.querySelector("#batch-progress");
    const download = document.querySelector("#batch-download");
    const seen = [Number(bar.getAttribute("value") || 0)];
    const finish = () => { if (!download.hidden) { observer.disconnect(); done(seen); } };
    const observer = new MutationObserver((records) => {
        for (const record of records)
            if (record.target === bar) seen.push(Number(bar.getAttribute("value") || 0));
        finish();
    });
    observer.observe(bar, {attributes: true, attributeFilter: ["value"]});
    observer.observe(download, {attributes: true, attributeFilter: ["hidden"]});
    finish();
    setTimeout(() => failed(new Error(`no download link after 120 s: ${seen}`)), 120000);
})"""


@pytest.fixture
def queued_app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DEMO_DATA": False,
            "INSTANCE_PATH": str(tmp_path),
            "QUEUE_IMMEDIATE": False,
            "BATCH_PARALLEL": 1,  # one report after the other: the bar moves in steps
        }
    )


def _page(browser, locale="ko-KR"):
    # axe is injected as a script of the test's: the page's CSP would refuse it
    context = browser.new_context(
        locale=locale,
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page, server, email):
    page.goto(f"{server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_staff_assign_a_request_and_print_three_reports_watching_the_progress(
    queued_app,
    browser,
    tmp_path,
):
    app = queued_app
    world = build(app)
    a = world["A"]
    running = ExitStack()
    server = running.enter_context(serve(app))
    env = {**os.environ, "DIAGNOSE_INSTANCE_PATH": str(tmp_path), "DIAGNOSE_DEMO_DATA": "0"}
    consumer = subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    page = _page(browser)
    try:
        _log_in(page, server, a.users["staff"]["email"])
        page.wait_for_url("**/center")
        # the request panel: give the self-assessed firm to the colleague
        request = page.locator("li.request", has_text="A자가진단상사")
        request.locator("select").select_option(str(a.users["colleague"]["id"]))
        request.get_by_role("button", name="배정").click()
        page.wait_for_selector(".flash-success")
        assert "동료 A" in page.locator(".flash-success").inner_text()
        db = connect(app.config["DATABASE"])
        try:
            assigned = db.execute(
                "SELECT status, assigned_to FROM consultant_requests WHERE id = ?", [a.request_id]
            ).fetchone()
        finally:
            db.conn.close()
        assert tuple(assigned) == ("assigned", a.users["colleague"]["id"])

        # the firm list: tick the three diagnosed firms and print them
        page.goto(f"{server}/firms")
        for name in ("A기업정밀", "A자가진단상사"):
            page.get_by_label(f"{name} 선택").check()
        _third_firm(app, a)
        page.reload()
        for name in ("A기업정밀", "A자가진단상사", "A셋째기업"):
            page.get_by_label(f"{name} 선택").check()
        page.get_by_role("button", name="선택한 기업 인쇄").click()
        page.wait_for_url("**/center/batches/*")
        seen = page.evaluate(WATCH_THE_BAR)
        assert page.locator("#batch-download").is_visible(), seen
        assert seen[0] < 3 and seen[-1] == 3 and sorted(seen) == seen, seen
        assert "3건 중 3건 완료" in page.locator("#batch-message").inner_text()
        shot(page, "center-batch-ko")
        with page.expect_download() as download:
            page.locator("#batch-download a").click()
        archive = zipfile.ZipFile(download.value.path())
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 3
    finally:
        page.context.close()
        consumer.send_signal(signal.SIGTERM)
        try:
            consumer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()
        running.close()
        pdf_module._close_sandboxes()


def _third_firm(app, a) -> None:
    from centers import business_number
    from firms import FIRMS, store_firm

    db = connect(app.config["DATABASE"])
    try:
        firm = {
            **FIRMS["tax_office"],
            "profile": {**FIRMS["tax_office"]["profile"], "company_name": "A셋째기업"},
        }
        store_firm(app, db, firm, a.id, a.users["staff"]["id"], business_number(77))
    finally:
        db.conn.close()


def test_the_dashboard_and_every_new_center_page_pass_axe(app, browser):
    world = build(app)
    a = world["A"]
    db = connect(app.config["DATABASE"])
    try:
        from types import SimpleNamespace

        from diagnose.services import batch

        staff = SimpleNamespace(**a.users["staff"], home_center_id=a.id, is_staff=True)
        batch_id = batch.create_batch(db, staff, [a.assessments["diagnosed"]], "ko", "zip")
    finally:
        db.conn.close()
    running = ExitStack()
    server = running.enter_context(serve(app))
    try:
        checked = {}
        # one sitting, both languages: ``?lang=`` switches the session's language
        admin = _page(browser)
        _log_in(admin, server, a.users["admin"]["email"])
        for lang in ("ko", "en"):
            pages = [
                "/center",
                "/center?state=ax&size=10_49",
                "/firms",
                f"/firms/{a.firms['diagnosed']}",
                "/center/overrides",
                f"/center/batches/{batch_id}",
                f"/assessments/{_rediagnosis(admin, server, a)}/carried",
                "/admin/users",
                "/admin/registry",
                "/admin/registry/centers/new",
                "/admin/registry/centers/sample_gyeongnam_physical_ai",
                "/admin/registry/modules/exec_ai_awareness",
            ]
            for path in pages:
                admin.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
                checked[(lang, path)] = violations(admin)
                if path == "/center":
                    shot(admin, f"center-dashboard-{lang}")
            # a form sent with mistakes keeps its errors accessible too
            admin.goto(f"{server}/admin/users?lang={lang}")
            admin.fill("#email", "not-an-email")
            admin.click("form[novalidate] button[type=submit]")
            checked[(lang, "/admin/users (errors)")] = violations(admin)
            # reset, revoke and disable ask first; a new password is shown once
            target = a.users["colleague"]["id"]
            for action in ("tokens", "disable", "password"):
                admin.goto(f"{server}/admin/users?lang={lang}")
                admin.click(f"form[action$='/users/{target}/{action}'] button")
                checked[(lang, f"/admin/users/<id>/{action} (confirm)")] = violations(admin)
            admin.click("input[name=confirmed] ~ .actions button")
            checked[(lang, "/admin/users/<id>/password (shown once)")] = violations(admin)
        problems = {k: v for k, v in checked.items() if v}
        assert not problems, problems
        # the check itself can fail: a picture without a text alternative is found
        admin.set_content('<html lang="ko"><title>t</title><body><img src="x.png"></body></html>')
        assert "image-alt" in [v["id"] for v in violations(admin)]
        admin.context.close()
    finally:
        running.close()


def _rediagnosis(page, server, a) -> int:
    """Start the diagnosed firm's re-diagnosis (once) and return the draft's id."""
    page.goto(f"{server}/firms/{a.firms['diagnosed']}")
    button = page.locator("form[action$='/assessments'] button")
    if button.count():
        button.click()
    else:
        page.locator("a[href*='/profile']").first.click()
    page.wait_for_load_state()
    return int(page.url.split("/assessments/")[1].split("/")[0])
