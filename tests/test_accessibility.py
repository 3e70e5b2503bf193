"""axe-core's WCAG 2.1 A and AA rules in Chromium, at 0 violations, on every public page (in
Korean and English, on a phone's screen) and on the consultant's pages this work touched.

axe-core is installed by ``bash scripts/setup.sh test`` into ``node_modules/`` (package.json
pins it); the pages' Content-Security-Policy allows no injected script, so the browser
context bypasses it for the check alone.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import PASSWORD, add_user, axe_url, csrf_from
from test_self_assessment import answer_all, start, submit

from diagnose.auth import create_user
from diagnose.services import caseload
from diagnose.storage import connect

pytestmark = pytest.mark.browser
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe-core is added to the page once per page load (a second check of the same load reuses
# it), from loopback (``axe_url``); it reports the violations alone: the rules that run are
# the same, but it skips collecting and describing every node that passes.
_AXE_RUN = """async ([source, tags]) => {
    if (document.readyState === "loading") {  // a page a click has only just opened
        await new Promise(ready => document.addEventListener("DOMContentLoaded", ready,
                                                            {once: true}));
    }
    if (!window.axe) {
        await new Promise((loaded, failed) => {
            const script = document.createElement("script");
            script.src = source;
            script.onload = loaded;
            script.onerror = () => failed(new Error(`axe-core did not load from ${source}`));
            document.head.appendChild(script);
        });
    }
    const result = await axe.run(document, {
        runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def checker(browser):
    context = browser.new_context(
        locale="ko-KR", viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it stands (once it has loaded:
    a click that opens a page returns when the new page starts, before its head exists)."""
    page.wait_for_load_state()
    return page.evaluate(_AXE_RUN, [axe_url(), WCAG_21_AA])


def check(page, url: str, found: dict) -> None:
    """``url`` in English, then in Korean: the session is left in Korean, as it came."""
    for lang in ("en", "ko"):
        page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
        if result := violations(page):
            found[f"{url} [{lang}]"] = result


def test_every_public_page_has_no_wcag_violation(app, server, checker):
    owner = app.test_client()
    token, first = start(owner)
    base = f"{server}/r/{token}"
    found: dict = {}
    check(checker, f"{server}/", found)
    check(checker, f"{server}/self/nothing-here", found)  # the 404 an owner may meet
    check(checker, f"{server}{first}", found)  # the firm's details
    answer_all(owner, app, token, first)
    for key in ("use_genai_office", "train_hours", "train_ai_courses", "need_equipment"):
        check(checker, f"{base}/q/{key}", found)  # one choice, a number, several choices
    check(checker, f"{base}/review", found)
    # screens refused for missing answers, with their messages
    _fresh, fresh_first = start(owner)
    checker.goto(f"{server}{fresh_first}")
    checker.click("button[value=next]")
    checker.wait_for_selector(".has-error")
    if result := violations(checker):
        found["refused details"] = result
    checker.goto(f"{server}{fresh_first.rsplit('/', 1)[0]}/use_genai_office")
    checker.click("button[value=next]")
    checker.wait_for_selector(".has-error")
    if result := violations(checker):
        found["refused question"] = result
    submit(owner, token)
    check(checker, base, found)  # the result
    check(checker, f"{base}/consultant", found)
    checker.goto(f"{base}/consultant")
    checker.fill("#contact_name", "")
    checker.click("button[type=submit].primary")
    checker.wait_for_selector(".has-error")
    if result := violations(checker):
        found["refused request"] = result
    assert found == {}, found


def test_the_consultant_pages_this_work_touched_have_no_wcag_violation(app, server, checker):
    user = add_user(app)
    db = connect(app.config["DATABASE"])
    try:  # the owner's region is Busan: a Busan consultant diagnoses the firm
        busan = db.execute(
            "INSERT INTO centers (name, region, created_at) VALUES ('부산 센터', 'busan', '')"
        ).lastrowid
        doctor = create_user(db, busan, "doctor@busan.example", "김주치", PASSWORD)
        staff_id = create_user(db, busan, "staff@busan.example", "이직원", PASSWORD, "center_staff")
    finally:
        db.conn.close()
    busan_staff = SimpleNamespace(
        id=staff_id, center_id=busan, home_center_id=busan, role="center_staff", is_staff=True
    )
    owner = app.test_client()
    token, first = start(owner)
    answer_all(owner, app, token, first)
    submit(owner, token)

    staff = app.test_client()
    page = staff.get("/login").get_data(as_text=True)
    staff.post(
        "/login",
        data={"email": "doctor@busan.example", "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    db = connect(app.config["DATABASE"])
    try:
        firm_id = db.execute("SELECT id FROM firms WHERE origin = 'self'").fetchone()[0]
        # the center's staff give the self-assessed firm to the consultant
        caseload.assign_firms(db, busan_staff, [firm_id], doctor)
    finally:
        db.conn.close()
    page = staff.get(f"/firms/{firm_id}").get_data(as_text=True)
    started = staff.post(f"/firms/{firm_id}/assessments", data={"csrf_token": csrf_from(page)})
    interview = started.headers["Location"].rsplit("/", 1)[0]

    checker.goto(f"{server}/login")
    checker.fill("#email", "doctor@busan.example")
    checker.fill("#password", PASSWORD)
    checker.click("button[type=submit]")
    checker.wait_for_url("**/firms")
    found: dict = {}
    questionnaire = app.extensions["questionnaires"].current
    check(checker, f"{server}{interview}/{questionnaire.dimensions[2].id}", found)  # carried
    check(checker, f"{server}{interview}/review", found)
    check(checker, f"{server}/firms/{firm_id}/edit", found)
    check(checker, f"{server}/firms/{firm_id}", found)
    assert found == {}, found
    assert user  # a second center exists: nothing of it shows here
