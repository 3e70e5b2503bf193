"""WTForms classes built from the questionnaire."""

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from diagnose.diagnosis.scoring import NOT_APPLICABLE
from diagnose.questionnaire.schema import load_questionnaire
from diagnose.web.forms import form_data, profile_form_class, section_form_class

MINI = load_questionnaire(Path(__file__).parent / "data/questionnaires/mini/v1.yaml")


@pytest.fixture
def ctx(make_app):
    app = make_app(
        QUESTIONNAIRES=str(Path(__file__).parent / "data/questionnaires"), WTF_CSRF_ENABLED=False
    )
    with app.test_request_context("/?lang=ko"):
        yield app


def test_a_section_form_has_a_field_and_a_note_per_item(ctx):
    form = section_form_class(MINI.dimensions[0], "ko")(formdata=None)
    names = [f.name for f in form]
    assert names == [
        "plan",
        "plan__note",
        "budget",
        "budget__note",
        "plan_detail",
        "plan_detail__note",
    ]
    assert [c.label for c in form.plan.choices] == ["없음", "구두로", "문서로"]
    assert form.budget.choices[-1].value == NOT_APPLICABLE  # "not applicable" offered
    assert form.plan.label.text == "AI 계획이 있습니까?"
    english = section_form_class(MINI.dimensions[0], "en")(formdata=None)
    assert english.plan.label.text == "Is there an AI plan?"


def _section(ctx, index, data, context=None):
    form = section_form_class(MINI.dimensions[index], "ko")(formdata=MultiDict(data))
    form.context_answers = {**(context or {}), **form.answers()}
    return form


def test_required_answers_and_skip_logic(ctx):
    form = _section(ctx, 0, {})
    assert not form.validate()
    assert form.errors["plan"] == ["응답을 선택하십시오."]
    assert "plan_detail" not in form.errors  # not required, and hidden anyway

    use = _section(ctx, 1, [("tools", "nothing"), ("hours", "3")])
    assert use.validate(), use.errors  # "measured" is hidden when no tool is in use
    use = _section(ctx, 1, [("tools", "chat"), ("hours", "3")])
    assert not use.validate() and "measured" in use.errors


def test_numbers_are_checked_but_kept_as_typed(ctx):
    form = _section(ctx, 1, [("tools", "nothing"), ("hours", "12a")])
    assert not form.validate()
    assert form.errors["hours"] == ["숫자만 입력하십시오."]
    assert form.answers()["hours"] == "12a"
    form = _section(ctx, 1, [("tools", "nothing"), ("hours", "900")])
    assert (
        not form.validate() and "0" in form.errors["hours"][0] and "500" in form.errors["hours"][0]
    )


def test_exclusive_options_cannot_be_combined(ctx):
    form = _section(ctx, 1, [("tools", "nothing"), ("tools", "chat"), ("hours", "1")])
    assert not form.validate()
    assert "없음" in form.errors["tools"][0]


def test_unknown_option_values_are_refused(ctx):
    form = _section(ctx, 0, {"plan": "hacked"})
    assert not form.validate() and "plan" in form.errors


def test_not_applicable_on_multi_is_stored_as_the_marker(ctx):
    form = _section(ctx, 1, {"tools": NOT_APPLICABLE})
    assert form.answers()["tools"] == NOT_APPLICABLE
    again = section_form_class(MINI.dimensions[1], "ko")(
        formdata=None, data=form_data(MINI.dimensions[1], {"tools": NOT_APPLICABLE}, {})
    )
    assert again.tools.data == [NOT_APPLICABLE]


def test_profile_form_checks_the_business_number_in_the_ui_language(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    q = app.extensions["questionnaires"].current
    with app.test_request_context("/?lang=en"):
        form = profile_form_class(q, "en")(formdata=MultiDict({"business_number": "220-81-62518"}))
        form.validate()
        assert form.errors["business_number"] == [
            "This business registration number is not valid: check the digits."
        ]
        assert form.business_number.data == "220-81-62518"
