"""The consultant's interview through the test client: firms, autosave, resume, submit."""

import re

from answering import all_answers, page_answers
from conftest import (
    PASSWORD,
    Browser,
    add_user,
    csrf_from,
    firm_form,
    register_firm,
    start_assessment,
)
from werkzeug.datastructures import MultiDict

from diagnose.records.assessments import load_answers
from diagnose.storage import connect


def _answers(app, assessment_id):
    db = connect(app.config["DATABASE"])
    try:
        return load_answers(db, assessment_id)
    finally:
        db.conn.close()


def test_pages_need_a_login(client):
    response = client.get("/firms")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_says_so_in_korean(app):
    add_user(app)
    response = Browser(app).post_form(
        "/login", {"email": "doctor@center-a.example", "password": "nope"}
    )
    assert "이메일 또는 비밀번호가 올바르지 않습니다" in response.get_data(as_text=True)


def test_a_login_page_open_too_long_asks_again_with_the_email_kept(app):
    add_user(app)
    browser = Browser(app)
    email = "doctor@center-a.example"
    response = browser.client.post(
        "/login", data={"email": email, "password": "x", "csrf_token": "stale"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "로그인 화면이 너무 오래 열려 있었습니다" in page
    assert f'value="{email}"' in page
    response = browser.client.post(  # the page's new token works
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302


def test_register_a_firm_and_find_it(consultant):
    firm_id = register_firm(consultant)
    page = consultant.get(f"/firms/{firm_id}").get_data(as_text=True)
    assert "테스트정밀" in page and "220-81-62517" in page
    found = consultant.get("/firms?q=2208162517").get_data(as_text=True)
    assert "테스트정밀" in found
    assert "테스트정밀" not in consultant.get("/firms?q=없는회사").get_data(as_text=True)


def test_bad_business_number_and_employee_count_keep_everything_typed(consultant):
    data = firm_form(consultant.app, business_number="220-81-62518", employees="3a5")
    response = consultant.post_form("/firms/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "유효하지 않은 사업자등록번호입니다" in html
    assert "정수를 숫자로만 입력하십시오" in html
    for typed in ("테스트정밀", "220-81-62518", "3a5", "김담당", "02-123-4567"):
        assert f'value="{typed}"' in html
    assert 'aria-invalid="true"' in html


def test_messages_follow_the_ui_language(consultant):
    data = firm_form(consultant.app, business_number="12345")
    html = consultant.post_form("/firms/new?lang=en", data).get_data(as_text=True)
    assert "A business registration number has 10 digits" in html


def test_same_business_number_twice_is_refused(consultant):
    register_firm(consultant)
    response = consultant.post_form("/firms/new", firm_form(consultant.app, company_name="다른"))
    assert response.status_code == 422
    assert "테스트정밀" in response.get_data(as_text=True)


def test_starting_twice_resumes_the_same_draft(consultant):
    firm_id = register_firm(consultant)
    first = start_assessment(consultant, firm_id)
    assert start_assessment(consultant, firm_id) == first
    assert f"/assessments/{first}/profile" in consultant.get(f"/firms/{firm_id}").get_data(
        as_text=True
    )


def _step_url(assessment_id, step):
    return f"/assessments/{assessment_id}/{step}"


def test_autosave_keeps_even_invalid_input_and_the_page_comes_back_with_it(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    dimension = questionnaire.dimensions[0]
    item = next(i for i in dimension.items if i.type == "single")
    number = next(i for i in questionnaire.items() if i.type == "number")
    number_page = questionnaire.dimension_of(number.id)

    url = _step_url(assessment_id, dimension.id)
    html = consultant.get(url).get_data(as_text=True)
    saved = consultant.client.post(
        f"/assessments/{assessment_id}/autosave",
        data={
            "csrf_token": csrf_from(html),
            "step": dimension.id,
            item.id: item.options[1].value,
            f"{item.id}__note": "대표가 직접 답함",
        },
    )
    assert saved.status_code == 200 and saved.json["saved_at"]
    saved = consultant.client.post(
        f"/assessments/{assessment_id}/autosave",
        data={"csrf_token": csrf_from(html), "step": number_page.id, number.id: "12시간a"},
    )
    assert saved.status_code == 200

    answers, notes = _answers(app, assessment_id)
    assert answers[item.id] == item.options[1].value
    assert notes[item.id] == "대표가 직접 답함"
    assert answers[number.id] == "12시간a"

    # A new visit (another sitting, another browser) finds the same answers.
    again = Browser(app)
    again.login("doctor@center-a.example")
    page = again.get(url).get_data(as_text=True)
    chosen = item.options[1].value
    assert re.search(rf'checked[^>]*value="{chosen}"|value="{chosen}"[^>]*checked', page)
    assert "대표가 직접 답함" in page
    number_html = again.get(_step_url(assessment_id, number_page.id)).get_data(as_text=True)
    assert 'value="12시간a"' in number_html


def test_leaving_a_page_with_a_missing_answer_explains_and_keeps_the_rest(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    dimension = questionnaire.dimensions[0]
    data = page_answers(dimension)
    required = next(
        i for i in dimension.items if i.required and i.type == "single" and i.id in data
    )
    del data[required.id]
    response = consultant.post_form(
        _step_url(assessment_id, dimension.id), {**data, "action": "next"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "응답을 선택하십시오" in html  # "Choose an answer." in Korean, at the field
    answers, _ = _answers(app, assessment_id)
    assert required.id not in answers
    assert all(answers[k] == v for k, v in data.items())  # the rest was saved


def test_going_back_never_blocks(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    response = consultant.post_form(
        _step_url(assessment_id, questionnaire.dimensions[1].id), {"action": "back"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(questionnaire.dimensions[0].id)


def test_autosave_after_the_login_expired_asks_to_log_in_again(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    html = consultant.get(_step_url(assessment_id, "profile")).get_data(as_text=True)
    consultant.client.post("/logout", data={"csrf_token": csrf_from(html)})
    response = consultant.client.post(
        f"/assessments/{assessment_id}/autosave",
        data={"csrf_token": csrf_from(html), "step": questionnaire.dimensions[0].id},
    )
    assert response.status_code == 401 and response.json["error"] == "login_required"


def test_a_stale_token_is_refused_in_a_way_the_page_can_renew(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    step = questionnaire.dimensions[0].id
    response = consultant.client.post(
        f"/assessments/{assessment_id}/autosave", data={"csrf_token": "stale", "step": step}
    )
    assert response.status_code == 400 and response.json["error"] == "csrf"
    token = consultant.get("/csrf-token").json["csrf_token"]
    response = consultant.client.post(
        f"/assessments/{assessment_id}/autosave", data={"csrf_token": token, "step": step}
    )
    assert response.status_code == 200


def test_a_page_posted_with_a_stale_token_comes_back_as_typed(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    text_item = next(i for i in questionnaire.items() if i.type == "text")
    page = questionnaire.dimension_of(text_item.id)
    response = consultant.client.post(
        _step_url(assessment_id, page.id),
        data={"csrf_token": "stale", "action": "next", text_item.id: "손으로 쓴 긴 답변"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "손으로 쓴 긴 답변" in html and "저장" in html
    assert text_item.id not in _answers(app, assessment_id)[0]  # nothing stored unchecked
    # the page is the same interview page again, not an error page
    assert 'id="interview-form"' in html and f'data-step="{page.id}"' in html


def test_one_center_never_sees_another_centers_firms(consultant, app):
    firm_id = register_firm(consultant)
    assessment_id = start_assessment(consultant, firm_id)
    other = add_user(app, "doctor@center-b.example", center="센터 B")
    intruder = Browser(app)
    intruder.login(other["email"])
    assert "테스트정밀" not in intruder.get("/firms").get_data(as_text=True)
    assert "테스트정밀" not in intruder.get("/firms?q=테스트").get_data(as_text=True)
    assert intruder.get(f"/firms/{firm_id}").status_code == 404
    assert intruder.get(_step_url(assessment_id, "profile")).status_code == 404
    assert intruder.get(f"/assessments/{assessment_id}").status_code == 404
    start = intruder.post_form(f"/firms/{firm_id}/assessments", {}, page="/firms")
    assert start.status_code == 404
    token = intruder.get("/csrf-token").json["csrf_token"]
    save = intruder.client.post(
        f"/assessments/{assessment_id}/autosave",
        data={"csrf_token": token, "step": "profile", "company_name": "탈취"},
    )
    assert save.status_code == 404
    # the same business number may be registered by another center
    register_firm(intruder)


def test_full_interview_submit_and_result(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    review = consultant.get(_step_url(assessment_id, "review")).get_data(as_text=True)
    assert "disabled" in review  # nothing answered yet
    for dimension_id, data in all_answers(questionnaire).items():
        response = consultant.post_form(
            _step_url(assessment_id, dimension_id), {**data, "action": "next"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    # the review shows every answer and asks for a confirmation before freezing them
    review = consultant.get(_step_url(assessment_id, "review")).get_data(as_text=True)
    first_item = questionnaire.dimensions[0].items[0]
    assert first_item.question.get("ko") in review
    unconfirmed = consultant.post_form(_step_url(assessment_id, "review"), {})
    assert unconfirmed.status_code == 422
    assert "확인" in unconfirmed.get_data(as_text=True)
    response = consultant.post_form(_step_url(assessment_id, "review"), {"confirm": "y"})
    assert response.status_code == 302
    result = consultant.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "AI 준비도" in result
    # submitted answers are frozen
    token = consultant.get("/csrf-token").json["csrf_token"]
    frozen = consultant.client.post(
        f"/assessments/{assessment_id}/autosave", data={"csrf_token": token, "step": "profile"}
    )
    assert frozen.status_code == 409


def _token_of(consultant):
    return consultant.get("/csrf-token").json["csrf_token"]


def test_autosave_refuses_a_note_over_its_limit_and_keeps_the_stored_one(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    dimension = questionnaire.dimensions[0]
    item = dimension.items[0]
    url = f"/assessments/{assessment_id}/autosave"
    token = _token_of(consultant)
    ok = consultant.client.post(
        url, data={"csrf_token": token, "step": dimension.id, f"{item.id}__note": "짧은 메모"}
    )
    assert ok.status_code == 200
    huge = consultant.client.post(
        url,
        data={"csrf_token": token, "step": dimension.id, f"{item.id}__note": "x" * 2001},
        headers={"X-Requested-With": "fetch"},
    )
    assert huge.status_code == 422 and huge.json["error"] == "invalid_input"
    assert "2000" in huge.json["errors"][0]["message"]
    assert _answers(app, assessment_id)[1][item.id] == "짧은 메모"


def test_a_repeated_option_or_two_values_for_one_choice_are_not_taken(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    pages = all_answers(questionnaire)
    dimension = next(
        d
        for d in questionnaire.dimensions
        if any(i.type == "multi" and i.id in pages[d.id] for i in d.items)
    )
    multi = next(i for i in dimension.items if i.type == "multi" and i.id in pages[dimension.id])
    single = next(i for i in dimension.items if i.type == "single" and i.id in pages[dimension.id])
    option = next(o.value for o in multi.options if not o.exclusive)
    data = {k: v for k, v in pages[dimension.id].items() if k not in (multi.id, single.id)}
    html = consultant.get(_step_url(assessment_id, dimension.id)).get_data(as_text=True)
    response = consultant.client.post(
        _step_url(assessment_id, dimension.id),
        data=MultiDict(
            [
                *[(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])],
                (multi.id, option),
                (multi.id, option),
                (single.id, single.options[0].value),
                (single.id, single.options[-1].value),
                ("csrf_token", csrf_from(html)),
                ("action", "next"),
            ]
        ),
    )
    assert response.status_code == 422


def test_submitting_a_draft_five_times_at_once_gives_one_diagnosis(consultant, app):
    import threading

    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    for dimension_id, data in all_answers(questionnaire).items():
        consultant.post_form(_step_url(assessment_id, dimension_id), {**data, "action": "next"})
    html = consultant.get(_step_url(assessment_id, "review")).get_data(as_text=True)
    cookie = consultant.client.get_cookie("session").value
    codes = []

    def submit():
        client = app.test_client()
        client.set_cookie("session", cookie)
        response = client.post(
            _step_url(assessment_id, "review"),
            data={"csrf_token": csrf_from(html), "confirm": "y"},
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [302] * 5
    db = connect(app.config["DATABASE"])
    try:
        count = db.execute(
            "SELECT COUNT(*) FROM predictions WHERE assessment_id = ?", [assessment_id]
        ).fetchone()[0]
    finally:
        db.conn.close()
    assert count == 1


def test_an_autosave_writes_what_changed_and_confirms_what_was_carried(consultant, app):
    """A background save sends the whole page every few seconds; it writes the questions whose
    answer or note changed, and every answer still carried over from the last diagnosis
    (saving it on its page confirms it), not the untouched rest of the page."""
    questionnaire = app.extensions["questionnaires"].current
    firm_id = register_firm(consultant)
    first = start_assessment(consultant, firm_id)
    pages = all_answers(questionnaire)
    for dimension_id, data in pages.items():
        response = consultant.post_form(_step_url(first, dimension_id), {**data, "action": "next"})
        assert response.status_code == 302
    assert consultant.post_form(_step_url(first, "review"), {"confirm": "y"}).status_code == 302
    draft = start_assessment(consultant, firm_id)  # a re-diagnosis: the answers carried over
    dimension = questionnaire.dimensions[0]
    items = [i.id for i in dimension.items if i.id in pages[dimension.id]]
    assert len(items) >= 2

    def rows():
        db = connect(app.config["DATABASE"])
        try:
            return {
                r["item_id"]: r
                for r in db.query(
                    "SELECT item_id, value, note, updated_at, carried_from FROM answers "
                    "WHERE assessment_id = ?",
                    [draft],
                )
            }
        finally:
            db.conn.close()

    def autosave(notes: dict):
        form = {"csrf_token": _token_of(consultant), "step": dimension.id, **pages[dimension.id]}
        form.update({f"{i}__note": notes.get(i, "") for i in items})
        saved = consultant.client.post(f"/assessments/{draft}/autosave", data=form)
        assert saved.status_code == 200, saved.get_data(as_text=True)

    def age_every_row():
        db = connect(app.config["DATABASE"])
        with db.conn:
            db.execute("UPDATE answers SET updated_at = 'before' WHERE assessment_id = ?", [draft])
        db.conn.close()

    assert all(rows()[i]["carried_from"] == first for i in items)
    age_every_row()
    autosave({items[0]: "첫 메모"})  # unchanged answers, all carried: every one confirmed
    saved = rows()
    assert all(
        saved[i]["carried_from"] is None and saved[i]["updated_at"] != "before" for i in items
    )
    assert saved[items[0]]["note"] == "첫 메모"
    age_every_row()
    autosave({items[0]: "첫 메모", items[1]: "둘째 메모"})  # one note typed: one row written
    saved = rows()
    assert [i for i in items if saved[i]["updated_at"] != "before"] == [items[1]]
    assert saved[items[1]]["note"] == "둘째 메모" and saved[items[0]]["note"] == "첫 메모"
    assert _answers(app, draft)[0] == _answers(app, first)[0]
    age_every_row()
    autosave({})  # both notes cleared: both rows written, the answers kept
    saved = rows()
    assert sorted(i for i in items if saved[i]["updated_at"] != "before") == sorted(items[:2])
    assert _answers(app, draft) == (_answers(app, first)[0], {})
