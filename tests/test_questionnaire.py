"""Loading questionnaires: the real one, and broken files that must be reported in full."""

import shutil
from pathlib import Path

import pytest
import yaml

from diagnose.questionnaire.schema import (
    QuestionnaireError,
    load_catalogue,
    load_questionnaire,
)

ROOT = Path(__file__).parent.parent
MINI = Path(__file__).parent / "data/questionnaires/mini/v1.yaml"


def test_the_shipped_questionnaire_is_complete():
    catalogue = load_catalogue(ROOT / "questionnaires")
    q = catalogue.current
    assert q.id == "ai_training_needs"
    assert [f.id for f in q.profile][:2] == ["company_name", "business_number"]
    assert len(q.profile_field("region").choices) == 17
    assert len(q.profile_field("industry").choices) == 21
    assert len(q.dimensions) >= 6
    scored = [i for i in q.items() if i.is_scored]
    assert len(scored) >= 30
    for dimension in q.dimensions:
        assert sum(i.is_scored for i in dimension.items) >= 3, dimension.id
    assert any(i.allow_na for i in q.items())
    assert any(i.show_if for i in q.items())
    for item in q.items():  # every user-visible string in both languages
        assert item.question.ko and item.question.en
        assert all(o.label.ko and o.label.en for o in item.options)


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    change(data)
    folder = tmp_path / "mini"
    folder.mkdir(exist_ok=True)
    path = folder / "v1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    return [str(p) for p in caught.value.problems]


def test_every_problem_is_reported_with_file_and_item(tmp_path):
    def break_it(data):
        lead, use = data["dimensions"]
        del lead["items"][0]["options"][1]["score"]  # plan: an option without a score
        lead["items"][1]["options"][0]["score"] = 150  # budget: a score out of range
        use["items"][2]["show_if"] = {"item": "tools", "in": ["telepathy"]}  # unknown value
        use["items"][1]["type"] = "dropdown"  # hours: unknown type
        data["profile"].pop()  # contact_email missing

    path = _broken(tmp_path, break_it)
    problems = _problems(path)
    text = "\n".join(problems)
    assert all(p.startswith(str(path)) for p in problems)
    assert "items[plan]" in text and "without a score: some" in text
    assert "items[budget].options[none].score" in text and "100" in text
    assert "items[hours].type" in text
    assert "contact_email" in text
    # schema errors come first; cross-item checks run once the schema holds
    assert len(problems) == 4


def test_skip_logic_must_point_back_at_real_options(tmp_path):
    def break_it(data):
        lead, use = data["dimensions"]
        use["items"][2]["show_if"] = {"item": "tools", "in": ["telepathy"]}
        lead["items"][0]["show_if"] = {"item": "measured", "in": ["yes"]}  # a later item
        use["items"][1]["id"] = "plan"  # duplicate id

    problems = _problems(_broken(tmp_path, break_it))
    text = "\n".join(problems)
    assert "item plan: show_if refers to 'measured', which is not an earlier item" in text
    assert "item measured: show_if value 'telepathy' is not an option of 'tools'" in text
    assert "duplicate item id" in text


def test_unquoted_yes_gets_a_hint(tmp_path):
    path = tmp_path / "mini" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(MINI.read_text(encoding="utf-8").replace('value: "yes"', "value: yes"))
    problems = _problems(path)
    assert len(problems) == 2  # budget and measured both have a "yes" option
    assert all('write it in quotes, e.g. "yes"' in p for p in problems)
    assert "items[budget].options[True].value" in problems[0]


def test_yaml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "mini" / "v1.yaml"
    path.parent.mkdir()
    path.write_text("id: mini\nversion: [1\n")
    (problem,) = _problems(path)
    assert str(path) in problem


def test_file_path_must_match_id_and_version(tmp_path):
    folder = tmp_path / "questionnaires" / "mini"
    folder.mkdir(parents=True)
    shutil.copy(MINI, folder / "v2.yaml")
    with pytest.raises(QuestionnaireError, match="file says mini v1; its path says mini v2"):
        load_catalogue(tmp_path / "questionnaires")


def test_catalogue_keeps_every_version(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    shutil.copy(MINI, folder / "v1.yaml")
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["version"] = 2
    (folder / "v2.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.current.version == 2
    assert catalogue.get("mini", 1).version == 1


def test_the_app_refuses_to_start_on_an_invalid_questionnaire(tmp_path, make_app):
    _broken(tmp_path, lambda data: data["dimensions"][0]["items"][0].pop("question"))
    with pytest.raises(QuestionnaireError, match=r"items\[plan\]\.question"):
        make_app(QUESTIONNAIRES=str(tmp_path))
