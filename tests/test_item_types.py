"""Item and profile field types as classes (``diagnose/questionnaire/types.py``).

Each type knows its form field, its check, its score, its text and its JSON; the pages and
the JSON API check an answer alike, and nothing outside the types branches on a type's name.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from diagnose.questionnaire.schema import load_questionnaire
from diagnose.questionnaire.types import (
    NOT_APPLICABLE,
    FreeText,
    MultiChoice,
    NumberItem,
    SingleChoice,
)
from diagnose.web.forms import profile_form_class, profile_values, section_form_class

ROOT = Path(__file__).parent.parent
MINI = load_questionnaire(Path(__file__).parent / "data/questionnaires/mini/v1.yaml")
FULL = load_questionnaire(ROOT / "questionnaires/ai_training_needs/v2.yaml")

# A branch on a type's name: ``item.type == "number"``, ``spec.type in (...)`` and the like
BRANCH = re.compile(r"""\.type\s*(==|!=|\bin\b|\bnot\s+in\b)""")


def test_no_code_outside_the_types_branches_on_a_type_name():
    found = []
    for path in sorted((ROOT / "diagnose").rglob("*")):
        if path.suffix not in (".py", ".html") or path.name == "types.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BRANCH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    # The contract's check (``schema.breaks``, beside the loader) compares the type a file
    # declares with the types its readers expect: a check of the data, not behaviour chosen
    # by type. Exactly that one comparison is allowed.
    allowed = [f for f in found if f.startswith("diagnose/questionnaire/schema.py:")]
    assert [f.split(": ", 1)[1] for f in allowed] == ["if item.type not in needs.types:"]
    assert [f for f in found if f not in allowed] == []


def test_each_item_holds_the_object_of_its_type():
    kinds = {i.id: type(i.kind) for i in MINI.items()}
    assert kinds["plan"] is SingleChoice and kinds["tools"] is MultiChoice
    assert kinds["hours"] is NumberItem and kinds["plan_detail"] is FreeText
    assert all(i.kind.item is i for i in FULL.items())


def test_the_api_checks_import_no_web_module():
    code = (
        "import sys, diagnose.services.submissions, diagnose.services.schemas; "
        "print(sorted(m for m in sys.modules if m.startswith('diagnose.web')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


@pytest.fixture
def ctx(make_app):
    app = make_app(
        QUESTIONNAIRES=str(Path(__file__).parent / "data/questionnaires"), WTF_CSRF_ENABLED=False
    )
    with app.test_request_context("/?lang=ko"):
        yield app


def test_checks_speak_korean_and_english(make_app):
    app = make_app(QUESTIONNAIRES=str(Path(__file__).parent / "data/questionnaires"))
    hours, tools = MINI.item("hours"), MINI.item("tools")
    with app.test_request_context("/?lang=ko"):
        assert str(hours.kind.check("9999")) == "0에서 500 사이의 숫자를 입력하십시오."
        assert str(tools.kind.check(["chat", "nothing"])) == (
            "'없음'은 다른 응답과 함께 선택할 수 없습니다."
        )
    with app.test_request_context("/?lang=en"):
        assert str(hours.kind.check("9999")) == "Enter a number from 0 to 500."
        assert str(tools.kind.check(["chat", "nothing"])) == (
            "'None' cannot be combined with other answers."
        )
        assert str(MINI.item("plan").kind.check("maybe")) == "Choose one of the options."
        assert hours.kind.check("12") is None and tools.kind.check(["chat", "vision"]) is None


def test_scores_text_and_json_per_type(ctx):
    plan, tools, hours, detail = (MINI.item(i) for i in ("plan", "tools", "hours", "plan_detail"))
    assert plan.kind.score("some") == 50 and tools.kind.score(["chat", "vision"]) == 100
    assert hours.kind.is_answered("3") and not hours.kind.is_answered("three")
    assert detail.kind.score("anything") is None and not detail.is_scored
    assert list(plan.kind.steps("some", up=True)) == ["written"]
    assert list(plan.kind.steps("none", up=False)) == []
    assert tools.kind.stored([NOT_APPLICABLE]) == NOT_APPLICABLE
    assert tools.kind.form_value(NOT_APPLICABLE) == [NOT_APPLICABLE]
    assert plan.kind.text("written", "en") == "Written"
    assert tools.kind.text(["chat", "vision"], "ko") == "챗봇, 비전 검사"
    assert plan.kind.text(None, "en") == "–"
    assert detail.kind.text("x" * 10, "ko", shorten=lambda t: t[:3]) == "xxx"
    assert set(hours.kind.json_extra()) == {"min", "max", "unit", "score_bands"}
    assert plan.kind.json_extra() == {}
    number = MINI.profile_field("employees").kind
    assert number.json_extra() == {"min": 1, "max": 100000}
    assert MINI.profile_field("business_number").kind.text("1234567891", "ko") == "123-45-67891"


def test_a_file_that_gives_a_type_what_it_cannot_hold_is_refused():
    from diagnose.questionnaire.schema import Item

    with pytest.raises(ValueError, match="a text item cannot be scored"):
        Item.model_validate({"id": "t", "type": "text", "question": _q(), "scored": True})
    with pytest.raises(ValueError, match="a number item needs min <= max"):
        Item.model_validate({"id": "n", "type": "number", "question": _q(), "min": 5, "max": 1})
    with pytest.raises(ValueError, match="a single item needs at least two options"):
        Item.model_validate({"id": "s", "type": "single", "question": _q(), "options": []})


def _q():
    return {"ko": "질문", "en": "Question"}


# --- the pages and the API check alike -------------------------------------------------------


def _through_forms(questionnaire, profile, answers):
    """What the interview's forms make of a JSON submission: the values put through a
    werkzeug MultiDict and the pages' WTForms classes, as the API once did."""
    errors = []
    form = profile_form_class(questionnaire, "en")(
        formdata=MultiDict({k: "" if v is None else str(v) for k, v in profile.items()}),
        meta={"csrf": False},
    )
    if not form.validate():
        errors += [(f"profile.{k}", str(m)) for k, ms in form.errors.items() for m in ms]
    formdata = MultiDict()
    for item_id, value in answers.items():
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                formdata.add(item_id, str(v))
    forms = [
        section_form_class(d, "en")(formdata=formdata, meta={"csrf": False})
        for d in questionnaire.dimensions
    ]
    clean = {}
    for section in forms:
        clean.update({k: v for k, v in section.answers().items() if v not in (None, "", [])})
    clean = questionnaire.visible(clean)
    for section in forms:
        section.context_answers = clean
        if not section.validate():
            errors += [(f"answers.{k}", str(m)) for k, ms in section.errors.items() for m in ms]
    return profile_values(form), clean, errors


def _through_types(questionnaire, profile, answers):
    profile, profile_errors = questionnaire.check_profile(profile)
    answers, answer_errors = questionnaire.check_answers(answers)
    errors = [(f"profile.{k}", str(m)) for k, m in profile_errors]
    return profile, answers, errors + [(f"answers.{k}", str(m)) for k, m in answer_errors]


def _value(item):
    options = [o.value for o in item.options] + [NOT_APPLICABLE, "other", ""]
    junk = st.text(alphabet="0123456789,. -abc\x00\u3000２", max_size=8)
    if isinstance(item.kind, SingleChoice):
        return st.sampled_from(options)
    if isinstance(item.kind, MultiChoice):
        return st.lists(st.sampled_from(options), max_size=4) | st.sampled_from(options)
    if isinstance(item.kind, NumberItem):
        return st.integers(-5, 200) | st.floats(-1, 150, allow_nan=False) | junk
    return junk | st.text(max_size=4)


def _answers(questionnaire):
    items = list(questionnaire.items())
    return st.fixed_dictionaries({}, optional={i.id: _value(i) for i in items})


PROFILE = st.fixed_dictionaries(
    {},
    optional={
        "company_name": st.sampled_from(["", " ", "(주)가나", "x" * 201]),
        "business_number": st.sampled_from(
            ["", "123-45-67891", "1234567890", "１２３４５６７８９１"]
        ),
        "region": st.sampled_from(["", "seoul", "mars"]),
        "employees": st.integers(-1, 200000) | st.sampled_from(["", "12", "1,200", "many"]),
        "contact_phone": st.sampled_from(["", "02-1234-5678", "call me"]),
        "contact_email": st.sampled_from(["", "a@b.kr", "a@b"]),
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=PROFILE, answers=_answers(MINI))
def test_the_api_checks_as_the_pages_do(ctx, profile, answers):
    assert _through_types(MINI, profile, answers) == _through_forms(MINI, profile, answers)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=_answers(FULL))
def test_the_api_checks_the_full_questionnaire_as_the_pages_do(ctx, answers):
    assert _through_types(FULL, {}, answers) == _through_forms(FULL, {}, answers)
