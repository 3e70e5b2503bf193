"""The questionnaire contract: a version that renames what the code reads fails at load."""

import ast
from pathlib import Path

import pytest
import yaml

from diagnose.questionnaire.contract import DIMENSIONS, ITEMS
from diagnose.questionnaire.schema import QuestionnaireError, load_questionnaire

ROOT = Path(__file__).parent.parent
V1 = ROOT / "questionnaires/ai_training_needs/v1.yaml"
STAGES = ("diagnosis", "roadmap")


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "ai_training_needs" / "v2.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({**raw, "version": 2}, allow_unicode=True), encoding="utf-8")
    return path


def _item(raw: dict, item_id: str) -> dict:
    return next(i for d in raw["dimensions"] for i in d["items"] if i["id"] == item_id)


def test_the_current_questionnaire_keeps_the_contract():
    load_questionnaire(V1)


def test_a_version_that_renames_what_the_code_reads_fails_with_a_list(tmp_path):
    raw = yaml.safe_load(V1.read_text(encoding="utf-8"))
    _item(raw, "need_equipment")["id"] = "equipment_lacking"
    option = next(o for o in _item(raw, "train_instructors")["options"] if o["value"] == "some")
    option["value"] = "a_few"
    raw["dimensions"][0]["id"] = "leaders"
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaire(_write(tmp_path, raw))
    listing = str(error.value)
    assert "item need_equipment: missing; read by policy, model, planner" in listing
    assert "item train_instructors option some: missing" in listing
    assert "dimension leadership: missing" in listing


def test_a_changed_item_type_is_named(tmp_path):
    raw = yaml.safe_load(V1.read_text(encoding="utf-8"))
    item = _item(raw, "train_ai_courses")
    item["type"] = "single"
    item["options"] = [o for o in item["options"] if not o.get("exclusive")] + [
        {"value": "none", "label": {"ko": "없음", "en": "None"}, "score": 0}
    ]
    with pytest.raises(QuestionnaireError, match="train_ai_courses: is a single item"):
        load_questionnaire(_write(tmp_path, raw))


def test_the_app_does_not_start_on_a_broken_version(tmp_path, make_app):
    raw = yaml.safe_load(V1.read_text(encoding="utf-8"))
    _item(raw, "need_problem_clarity")["id"] = "problem"
    folder = tmp_path / "questionnaires"
    _write(folder, raw)
    (folder / "ai_training_needs" / "v1.yaml").write_text(V1.read_text(encoding="utf-8"))
    with pytest.raises(QuestionnaireError, match="need_problem_clarity: missing"):
        make_app(QUESTIONNAIRES=str(folder))


def test_every_item_id_in_the_stages_code_is_in_the_contract():
    """An item id written in the policy, model, planner or report must be declared."""
    questionnaire = load_questionnaire(V1)
    item_ids = {i.id for i in questionnaire.items()}
    declared = {n.item for n in ITEMS}
    used: dict[str, set[str]] = {}
    for stage in STAGES:
        for path in (ROOT / "diagnose" / stage).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in item_ids:
                    used.setdefault(node.value, set()).add(path.name)
    # the explanations' short names cover every scored item: not a dependency on any
    from diagnose.diagnosis.explanations import ITEM_NAMES

    undeclared = {
        item: files
        for item, files in used.items()
        if item not in declared and not (files == {"explanations.py"} and item in ITEM_NAMES)
    }
    assert not undeclared, f"declare these in questionnaire/contract.py: {undeclared}"
    assert {d.id for d in questionnaire.dimensions} == set(DIMENSIONS)


def test_every_scored_item_has_a_short_name():
    from diagnose.diagnosis.explanations import ITEM_NAMES

    questionnaire = load_questionnaire(V1)
    assert {i.id for i in questionnaire.items() if i.is_scored} <= set(ITEM_NAMES)


def test_the_catalogue_may_only_name_answers_the_questionnaire_has(tmp_path):
    """A module's 'already has' rule that names a renamed option is a load error."""
    import shutil

    from diagnose.questionnaire.schema import QuestionnaireError as Error
    from diagnose.roadmap.catalogue import load_roadmap_data

    questionnaire = load_questionnaire(V1)
    folder = tmp_path / "roadmap_templates"
    shutil.copytree(ROOT / "roadmap_templates", folder)
    catalogue = folder / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8")
    assert "{item: skill_office_ai, in: [applied, advanced]}" in text
    catalogue.write_text(
        text.replace(
            "{item: skill_office_ai, in: [applied, advanced]}",
            "{item: skill_office_ai, in: [applied, expert]}",
            1,
        ),
        encoding="utf-8",
    )
    dims = {d.id for d in questionnaire.dimensions}
    regions = {c.value for c in questionnaire.profile_field("region").choices}
    with pytest.raises(Error, match="option 'expert' of 'skill_office_ai'"):
        load_roadmap_data(folder, dims, regions, questionnaire)
    load_roadmap_data(ROOT / "roadmap_templates", dims, regions, questionnaire)
