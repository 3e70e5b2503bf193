"""End to end in Debian's Chromium (Playwright): a consultant interviews a firm across sittings.

The app runs on a real SQLite file in a thread; the browser is the real one, JavaScript and
all, so the background save, the reload and the expired login are the ones users get.
"""

from __future__ import annotations

import time

import pytest
from conftest import CHROMIUM, add_user, firm_form, serve  # noqa: F401  (older imports from here)

from diagnose.records.assessments import load_answers
from diagnose.storage import connect

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, server, email):
    page.goto(f"{server}/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")


def fill_visible_items(page) -> dict[str, object]:
    """Answer every item shown on the page as a consultant would; return what was chosen."""
    chosen: dict[str, object] = {}
    while True:  # an answer may reveal further items (skip logic)
        shown = [
            f
            for f in page.locator("fieldset.item:visible").all()
            if f.get_attribute("data-item") not in chosen
        ]
        if not shown:
            return chosen
        for fieldset in shown:
            chosen[fieldset.get_attribute("data-item")] = answer(fieldset)


def answer(fieldset):
    """Pick the most mature option, two boxes, a number or a sentence."""
    item_id = fieldset.get_attribute("data-item")
    radios = fieldset.locator("input[type=radio]:not([value=_na])")
    checkboxes = fieldset.locator("input[type=checkbox]:not([data-exclusive]):not([value=_na])")
    if radios.count():
        option = radios.nth(radios.count() - 1)
        option.check()
        return option.get_attribute("value")
    if checkboxes.count():
        values = []
        for i in range(min(2, checkboxes.count())):
            checkboxes.nth(i).check()
            values.append(checkboxes.nth(i).get_attribute("value"))
        return values
    if fieldset.locator(f"input[name={item_id}]").count():
        fieldset.locator(f"input[name={item_id}]").fill("12")
        return "12"
    fieldset.locator(f"textarea[name={item_id}]").fill(f"{item_id}: 현장 답변")
    return f"{item_id}: 현장 답변"


def wait_saved(page):
    page.wait_for_selector("#autosave-status.ok", timeout=10_000)


def test_an_interview_across_a_reload_and_two_sittings(app, server, page):
    add_user(app)
    questionnaire = app.extensions["questionnaires"].current
    log_in(page, server, "doctor@center-a.example")

    # Register the firm; a wrong business number is explained in Korean and nothing is lost.
    page.click("text=기업 등록")
    firm = firm_form(app)
    for name in ("company_name", "employees", "contact_name", "contact_phone"):
        page.fill(f"#{name}", firm[name])
    page.fill("#business_number", "220-81-62518")
    for name in ("region", "industry", "revenue_band"):
        page.select_option(f"#{name}", firm[name])
    page.click("button[type=submit].primary")
    assert page.locator("#business_number-errors").inner_text().startswith("유효하지 않은")
    assert page.input_value("#company_name") == firm["company_name"]
    page.fill("#business_number", "220-81-62517")
    page.click("button[type=submit].primary")
    page.click("text=진단 시작")

    # Profile page, then the first dimension: answered, saved in the background, reloaded.
    page.wait_for_selector("#interview-form")
    page.click("button[value=next]")
    first = questionnaire.dimensions[0]
    page.wait_for_url(f"**/{first.id}")
    chosen = fill_visible_items(page)
    count = page.locator(".steps li.current .count").inner_text()
    assert count == f"{len(chosen)}/{len(first.items)}"  # the progress follows the answers
    page.locator("fieldset.item").first.locator("details.note summary").click()
    page.locator("fieldset.item").first.locator("textarea[name$=__note]").fill("대표 인터뷰 메모")
    wait_saved(page)
    page.reload()
    for item_id, value in chosen.items():
        assert_answer(page, item_id, value)
    assert "대표 인터뷰 메모" in page.locator("textarea[name$=__note]").first.input_value()

    # The rest of the pages, each left with "Save and continue".
    answers_by_page = {first.id: chosen}
    page.click("button[value=next]")
    for dimension in questionnaire.dimensions[1:]:
        page.wait_for_url(f"**/{dimension.id}")
        answers_by_page[dimension.id] = fill_visible_items(page)
        page.click("button[value=next]")
    page.wait_for_url("**/review")

    # Second sitting: a new browser session finds every answer on every page.
    page.context.clear_cookies()
    log_in(page, server, "doctor@center-a.example")
    page.click(f"text={firm['company_name']}")
    page.click("text=작성 중인 진단 이어서 진행")
    for dimension in questionnaire.dimensions:
        page.goto(page.url.rsplit("/", 1)[0] + f"/{dimension.id}")
        for item_id, value in answers_by_page[dimension.id].items():
            assert_answer(page, item_id, value)
    page.goto(page.url.rsplit("/", 1)[0] + "/review")
    page.check("#confirm")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=AI 준비도")


def assert_answer(page, item_id, value):
    if isinstance(value, list):
        for v in value:
            assert page.locator(f"input[name={item_id}][value={v}]").is_checked(), item_id
    elif page.locator(f"input[type=radio][name={item_id}]").count():
        assert page.locator(f"input[name={item_id}][value={value}]").is_checked(), item_id
    elif page.locator(f"input[name={item_id}]").count():
        assert page.input_value(f"input[name={item_id}]") == value, item_id
    else:
        assert page.input_value(f"textarea[name={item_id}]") == value, item_id


def open_new_interview(app, server, page) -> str:
    """Log in, register a firm, start its diagnosis; return the assessment's base URL."""
    add_user(app)
    log_in(page, server, "doctor@center-a.example")
    page.click("text=기업 등록")
    firm = firm_form(app)
    for name in ("company_name", "business_number", "employees", "contact_name"):
        page.fill(f"#{name}", firm[name])
    for name in ("region", "industry", "revenue_band"):
        page.select_option(f"#{name}", firm[name])
    page.click("button[type=submit].primary")
    page.click("text=진단 시작")
    page.wait_for_selector("#interview-form")
    return page.url.rsplit("/", 1)[0]


def test_answers_typed_after_the_login_expired_come_back_after_logging_in(app, server, page):
    questionnaire = app.extensions["questionnaires"].current
    base = open_new_interview(app, server, page)
    dimension = questionnaire.dimensions[0]
    page.goto(f"{base}/{dimension.id}")
    assessment_id = int(base.rsplit("/", 1)[1])

    page.context.clear_cookies()  # the login ends while the page is open
    chosen = fill_visible_items(page)
    page.wait_for_selector("#autosave-status.error")
    assert "로그인" in page.locator("#autosave-status").inner_text()

    page.reload()  # the server sends the login page; the answers wait in the browser
    page.wait_for_selector("#password")
    page.fill("#email", "doctor@center-a.example")
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/{dimension.id}")
    wait_saved(page)
    for item_id, value in chosen.items():
        assert_answer(page, item_id, value)
    stored = stored_answers(app, assessment_id)
    assert {k: stored.get(k) for k in chosen} == chosen


def test_a_dropped_connection_keeps_answers_until_it_returns(app, server, page):
    questionnaire = app.extensions["questionnaires"].current
    base = open_new_interview(app, server, page)
    dimension = questionnaire.dimensions[1]
    url = f"{base}/{dimension.id}"
    page.goto(url)

    page.context.set_offline(True)
    chosen = fill_visible_items(page)
    page.wait_for_selector("#autosave-status.error")
    context = page.context
    assessment_id = int(url.rsplit("/", 2)[1])
    page.close()  # the tab is closed before the connection came back
    assert not set(stored_answers(app, assessment_id)) & set(chosen)

    context.set_offline(False)
    again = context.new_page()
    again.goto(url)
    # Either the browser's copy is put back and saved by the reopened page, or the browser had
    # queued the closing tab's beacon and sent it once online: both end with the server holding
    # every answer and the form showing them.
    wait_until(lambda: {k: stored_answers(app, assessment_id).get(k) for k in chosen} == chosen)
    again.reload()
    for item_id, value in chosen.items():
        assert_answer(again, item_id, value)


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the server never received the answers")
        time.sleep(0.2)


def stored_answers(app, assessment_id):
    db = connect(app.config["DATABASE"])
    try:
        return load_answers(db, assessment_id)[0]
    finally:
        db.conn.close()
