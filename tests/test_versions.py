"""An assessment is always shown with the questionnaire version it was answered with."""

import shutil

import pytest
import yaml
from conftest import DATA, Browser, add_user, register_firm, start_assessment

from diagnose.records.questionnaire_versions import QuestionnaireChanged

MINI = DATA / "questionnaires" / "mini" / "v1.yaml"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "questionnaires" / "mini"
    target.mkdir(parents=True)
    shutil.copy(MINI, target / "v1.yaml")
    return target


def _publish_v2(folder):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["version"] = 2
    data["dimensions"][0]["items"][0]["question"]["ko"] = "새 버전의 질문입니까?"
    (folder / "v2.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _consultant(app, first=True):
    if first:
        add_user(app)
    browser = Browser(app)
    browser.login("doctor@center-a.example")
    return browser


def test_old_assessments_keep_their_version_after_a_new_one_is_published(make_app, folder):
    app = make_app(QUESTIONNAIRES=str(folder.parent))
    consultant = _consultant(app)
    old_id = start_assessment(consultant, register_firm(consultant))

    _publish_v2(folder)
    app = make_app(QUESTIONNAIRES=str(folder.parent))  # restart with v2 published
    consultant = _consultant(app, first=False)
    old_page = consultant.get(f"/assessments/{old_id}/lead").get_data(as_text=True)
    assert "AI 계획이 있습니까?" in old_page and "v1" in old_page
    new_id = start_assessment(consultant, register_firm(consultant, business_number="1248100998"))
    new_page = consultant.get(f"/assessments/{new_id}/lead").get_data(as_text=True)
    assert "새 버전의 질문입니까?" in new_page

    # Even with the v1 file gone, the copy kept in the database shows the old assessment.
    (folder / "v1.yaml").unlink()
    app = make_app(QUESTIONNAIRES=str(folder.parent))
    consultant = _consultant(app, first=False)
    assert "AI 계획이 있습니까?" in consultant.get(f"/assessments/{old_id}/lead").get_data(
        as_text=True
    )


def test_editing_an_answered_version_in_place_is_refused(make_app, folder):
    app = make_app(QUESTIONNAIRES=str(folder.parent))
    consultant = _consultant(app)
    start_assessment(consultant, register_firm(consultant))
    text = (folder / "v1.yaml").read_text(encoding="utf-8")
    (folder / "v1.yaml").write_text(text.replace("AI 계획이 있습니까?", "바뀐 질문?"))
    with pytest.raises(QuestionnaireChanged, match="publish the change as v2"):
        make_app(QUESTIONNAIRES=str(folder.parent))


def test_an_unanswered_version_may_still_be_edited(make_app, folder):
    make_app(QUESTIONNAIRES=str(folder.parent))
    text = (folder / "v1.yaml").read_text(encoding="utf-8")
    (folder / "v1.yaml").write_text(text.replace("AI 계획이 있습니까?", "바뀐 질문?"))
    app = make_app(QUESTIONNAIRES=str(folder.parent))
    assert app.extensions["questionnaires"].current.item("plan").question.ko == "바뀐 질문?"
