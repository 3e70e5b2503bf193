"""The interview's polish: counters, the English UI, Korea time, units, the firm's details,
and what an anonymous visitor reads on a missing page."""

from __future__ import annotations

import re

from answering import all_answers, page_answers
from conftest import csrf_from, register_firm, start_assessment

from diagnose.storage import connect
from diagnose.templating import answer_text


def _diagnose(consultant, app) -> int:
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    for dimension_id, data in all_answers(questionnaire).items():
        consultant.post_form(
            f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"}
        )
    response = consultant.post_form(f"/assessments/{assessment_id}/review", {"confirm": "y"})
    assert response.status_code == 302
    return assessment_id


def test_the_english_result_names_dimensions_and_levels_in_english(consultant, app):
    assessment_id = _diagnose(consultant, app)
    questionnaire = app.extensions["questionnaires"].current
    html = consultant.get(f"/assessments/{assessment_id}?lang=en").get_data(as_text=True)
    scores = html[html.index('<table class="list scores') :]
    for dimension in questionnaire.dimensions:
        assert dimension.title.en in scores
        assert dimension.title.ko not in scores
    assert questionnaire.dimensions[0].levels[4].en in scores


def test_counters_count_shown_questions_and_stay_right_after_a_refused_page(consultant, app):
    questionnaire = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    pages = all_answers(questionnaire)
    for dimension_id, data in pages.items():
        consultant.post_form(
            f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"}
        )
    html = consultant.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    done = int(re.search(r'<span class="done">(\d+)</span>', html).group(1))
    total = int(re.search(r'<span class="total">(\d+)</span>', html).group(1))
    assert done == total  # a finished interview is finished, whatever the follow-ups
    # A page refused for a missing answer shows the counts of what it now holds.
    assessment_id = start_assessment(
        consultant, register_firm(consultant, business_number="1234567891")
    )
    for dimension_id, data in list(pages.items())[1:]:
        consultant.post_form(
            f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"}
        )
    dimension = questionnaire.dimensions[0]
    data = dict(page_answers(dimension))
    dropped = next(iter(data))
    del data[dropped]
    refused = consultant.post_form(
        f"/assessments/{assessment_id}/{dimension.id}", {**data, "action": "next"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    shown = len(dimension.items)  # the first dimension has no follow-ups
    assert f'<span class="count">{shown - 1}/{shown}</span>' in page
    assert f'<span class="done">{total - 1}</span>' in page


def test_hours_a_month_are_written_the_korean_way(app):
    item = app.extensions["questionnaires"].current.item("need_release_hours")
    assert answer_text(item, "8", "ko") == "8시간/월"
    assert answer_text(item, "8", "en") == "8\u00a0hours per month"


def test_the_pdf_file_is_named_with_the_day_in_korea(consultant, app):
    assessment_id = _diagnose(consultant, app)
    db = connect(app.config["DATABASE"])
    try:  # 20:30 UTC on the 26th is already the 27th in Korea
        db.execute(
            "UPDATE assessments SET submitted_at = '2026-11-26T20:30:00+00:00' WHERE id = ?",
            [assessment_id],
        )
    finally:
        db.conn.close()
    response = consultant.get(f"/assessments/{assessment_id}/roadmap.pdf")
    assert response.status_code == 200
    assert "-2026-11-27-ko.pdf" in response.headers["Content-Disposition"]


def test_firm_details_are_editable_from_the_firm_page(consultant, app):
    firm_id = register_firm(consultant)
    assert f"/firms/{firm_id}/edit" in consultant.get(f"/firms/{firm_id}").get_data(as_text=True)
    page = consultant.get(f"/firms/{firm_id}/edit").get_data(as_text=True)
    assert "테스트정밀" in page
    form = {
        m.group(1): m.group(2)
        for m in re.finditer(r'name="(\w+)"[^>]*value="([^"]*)"', page)
        if m.group(1) != "csrf_token"
    }
    refused = consultant.client.post(
        f"/firms/{firm_id}/edit",
        data={
            **form,
            "region": "seoul",
            "industry": "C",
            "revenue_band": "under_100m",
            "business_number": "123-45-67890",
            "csrf_token": csrf_from(page),
        },
    )
    assert refused.status_code == 422 and "123-45-67890" in refused.get_data(as_text=True)
    saved = consultant.client.post(
        f"/firms/{firm_id}/edit",
        data={
            **form,
            "company_name": "테스트정밀 2공장",
            "region": "busan",
            "industry": "C",
            "revenue_band": "under_100m",
            "csrf_token": csrf_from(page),
        },
    )
    assert saved.status_code == 302
    firm = consultant.get(f"/firms/{firm_id}").get_data(as_text=True)
    assert "테스트정밀 2공장" in firm and "부산광역시" in firm


def test_a_missing_page_speaks_of_centers_only_to_staff(client, consultant):
    anonymous = client.get("/firms/999999/nothing").get_data(as_text=True)
    assert "다른 센터" not in anonymous and "만료" in anonymous
    staff = consultant.get("/firms/999999").get_data(as_text=True)
    assert "다른 센터" in staff
