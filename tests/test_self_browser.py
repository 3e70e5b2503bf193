"""End to end in Debian's Chromium on a phone's screen (360 × 740): a firm owner assesses the
firm from the start page, across a reload and a closed tab, gets the result and the PDF and
asks for a consultant; the center's consultant then diagnoses the firm from its answers and
sees the two side by side."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, csrf_from
from test_browser import wait_until
from test_self_assessment import screen_data

from diagnose.auth import create_center, create_user
from diagnose.services import requests as consultant_requests
from diagnose.services import self_assessment as service
from diagnose.storage import connect

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
# The visible questions with nothing chosen or typed yet: [item id, "radio" | "box" | "number"].
UNANSWERED = """() => [...document.querySelectorAll("fieldset.item")]
    .filter(f => f.getClientRects().length)
    .map(f => {
        const has = (selector) => f.querySelector(selector) !== null;
        if (has("input[type=radio]:not([value=_na])"))
            return has("input[type=radio]:checked") ? null : [f.dataset.item, "radio"];
        if (has("input[type=checkbox]:not([value=_na])"))
            return has("input[type=checkbox]:checked") ? null : [f.dataset.item, "box"];
        const number = f.querySelector("input[inputmode=decimal]");
        return number && !number.value ? [f.dataset.item, "number"] : null;
    })
    .filter(Boolean)"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="ko-KR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def centers(app) -> tuple[int, int, int, int]:
    """A center in Busan with a consultant and a staff member, and one in Seoul."""
    db = connect(app.config["DATABASE"])
    try:
        busan = create_center(db, "부산 AI 훈련 확산센터", "busan")
        seoul = create_center(db, "서울 AI 훈련 확산센터", "seoul")
        doctor = create_user(db, busan, "doctor@busan.example", "김주치", PASSWORD)
        staff = create_user(db, busan, "staff@busan.example", "이직원", PASSWORD, "center_staff")
    finally:
        db.conn.close()
    return busan, seoul, doctor, staff


def answer_screen(page, questionnaire) -> dict:
    """Answer what the screen asks as an owner would (a middle option); return it."""
    key = page.get_attribute("#interview-form", "data-step")
    if page.locator("#company_name").count():
        page.fill("#company_name", "해운대정밀")
        page.fill("#business_number", "123-45-67891")
        return {"company_name": "해운대정밀"}
    if page.locator("#region").count():
        page.select_option("#region", "busan")
        page.select_option("#industry", "C")
        return {}
    if page.locator("#employees").count():
        page.fill("#employees", "28")
        page.select_option("#revenue_band", "1b_5b")
        return {}
    if page.locator("#contact_name").count():
        page.fill("#contact_name", "박대표")
        page.fill("#contact_phone", "051-123-4567")
        return {}
    item = questionnaire.item(key)
    if item.type == "number":
        page.fill(f"input[name={key}]", "12")
        return {key: "12"}
    if item.type == "multi":
        box = page.locator(f"input[name={key}]:not([data-exclusive]):not([value=_na])").first
        box.check()
        return {key: [box.get_attribute("value")]}
    radios = page.locator(f"input[name={key}]:not([value=_na])")
    radio = radios.nth(radios.count() // 2)
    radio.check()
    return {key: radio.get_attribute("value")}


def assert_shown(page, name: str, value) -> None:
    """The screen shows the answer given: the options ticked, or the number typed."""
    if isinstance(value, list):
        for v in value:
            assert page.locator(f"input[name={name}][value={v}]").is_checked(), name
    elif page.locator(f"input[type=radio][name={name}]").count():
        assert page.locator(f"input[name={name}][value={value}]").is_checked(), name
    else:
        assert page.input_value(f"input[name={name}]") == value, name


def stored(app, token: str) -> dict:
    db = connect(app.config["DATABASE"])
    try:
        return service.by_token(db, token)
    finally:
        db.conn.close()


def test_an_owner_on_a_phone_and_then_the_consultant(app, server, phone):
    busan, seoul, doctor, staff = centers(app)
    questionnaire = app.extensions["questionnaires"].current
    page = phone

    page.goto(server + "/")
    assert "무료" in page.inner_text("h1")
    page.click("button[type=submit].primary")  # without consent: asked for it, in Korean
    assert "동의" in page.inner_text("#consent-errors")
    page.check("#consent")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#company_name")
    link = page.input_value("#self-link")
    token = link.rsplit("/", 1)[1]
    # nothing overflows the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The first screens, then a reload halfway through a screen: what was typed comes back.
    given: dict = {}
    for _ in range(6):
        given.update(answer_screen(page, questionnaire))
        page.click("button[value=next]")
        page.wait_for_load_state()
    key = page.get_attribute("#interview-form", "data-step")
    mid = answer_screen(page, questionnaire)
    page.wait_for_selector("#autosave-status.ok")
    page.reload()
    name, value = next(iter(mid.items()))
    assert_shown(page, name, value)
    given.update(mid)

    # A closed tab while offline: the browser keeps the answer, the link brings it back.
    page.click("button[value=next]")
    page.wait_for_load_state()
    key = page.get_attribute("#interview-form", "data-step")
    context = page.context
    context.set_offline(True)
    offline = answer_screen(page, questionnaire)
    page.wait_for_selector("#autosave-status.error")
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(link)
    # Either this page puts the browser's copy back and saves it, or the browser had queued
    # the closing tab's beacon and sent it once online: the server ends up with the answer.
    name, value = next(iter(offline.items()))
    wait_until(lambda: stored(app, token)["answers"].get(name) == value)
    page.goto(f"{link}/q/{key}")
    assert_shown(page, name, value)

    # More single choices, like the screens above: given by link (tests/test_self_assessment.py
    # drives them); Chromium takes over again from the first screen of another kind (a
    # number, several choices) to the review and the result.
    page.click("button[value=next]")
    page.wait_for_load_state()
    by_link, url = app.test_client(), page.url.removeprefix(server)
    screens = {s.key: s for s in service.screens(questionnaire, "short")}
    answers = dict(stored(app, token)["answers"])
    while questionnaire.item(screens[url.rsplit("/", 1)[1]].fields[0]).type == "single":
        html = by_link.get(url).get_data(as_text=True)
        data = screen_data(questionnaire, screens[url.rsplit("/", 1)[1]], answers)
        response = by_link.post(url, data={**data, "action": "next", "csrf_token": csrf_from(html)})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        url = response.headers["Location"]
    page.goto(server + url)
    while "/q/" in page.url:
        answer_screen(page, questionnaire)
        page.click("button[value=next]")
        page.wait_for_load_state()
    page.wait_for_url("**/review")
    assert "해운대정밀" in page.inner_text("main")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"**/r/{token}")
    main = page.inner_text("main")
    assert "먼저 할 일" in main and "우리 회사에 맞는 훈련 경로" in main
    assert "model" not in main.lower() and "%" not in main
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pdf = page.request.get(server + f"/r/{token}/roadmap.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # Asking the regional center for a consultant.
    page.click("text=지역 센터에 훈련 주치의 상담 요청하기")
    assert page.input_value("#contact_name") == "박대표"
    page.check("#consent")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#request .flash-success")
    assert "다음 단계" in page.inner_text("#request")
    db = connect(app.config["DATABASE"])
    try:
        queue = consultant_requests.center_requests(db, busan)
        assert [(r["firm_name"], r["status"]) for r in queue] == [("해운대정밀", "new")]
        assert consultant_requests.center_requests(db, seoul) == []
        # the center's staff give the request to the consultant (tests/test_center_browser.py
        # does this on the dashboard): the firm joins the consultant's caseload
        consultant_requests.assign_request(db, busan, queue[0]["id"], doctor, staff)
    finally:
        db.conn.close()

    # The Busan consultant diagnoses the firm: the interview starts from its own answers.
    consultant = context.browser.new_context(
        locale="ko-KR", viewport={"width": 1280, "height": 900}
    )
    desk = consultant.new_page()
    desk.goto(server + "/login")
    desk.fill("#email", "doctor@busan.example")
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.click("text=해운대정밀")
    desk.click("text=진단 시작")
    desk.wait_for_selector("#interview-form")
    desk.click("button[value=next]")
    first = questionnaire.dimensions[0]
    desk.wait_for_url(f"**/{first.id}")
    carried = desk.locator("fieldset.item.carried")
    assert carried.count() >= 1
    assert "자가진단" in carried.first.inner_text()
    # the consultant changes one of the firm's answers and answers everything else
    changed = carried.first.get_attribute("data-item")
    options = desk.locator(f"fieldset[data-item={changed}] input[type=radio]")
    options.nth(0).check()
    for dimension in questionnaire.dimensions:
        desk.wait_for_url(f"**/{dimension.id}")
        # what is left to answer, read in one call; each answer is then a click or typing
        for item_id, kind in desk.evaluate(UNANSWERED):
            if item_id == changed:
                continue
            fieldset = desk.locator(f"fieldset[data-item={item_id}]")
            if kind == "radio":
                fieldset.locator("input[type=radio]:not([value=_na])").last.check()
            elif kind == "box":
                fieldset.locator("input[type=checkbox]:not([value=_na])").first.check()
            else:
                fieldset.locator("input[inputmode=decimal]").fill("8")
        desk.click("button[value=next]")
    desk.wait_for_url("**/review")
    desk.check("#confirm")
    desk.click("button[type=submit].primary")
    desk.wait_for_selector("#comparison")
    differing = desk.locator("#comparison tr.differs")
    assert differing.count() >= 1
    question = questionnaire.item(changed).question.get("ko")
    assert question in desk.locator("#comparison").inner_text()
    consultant.close()
