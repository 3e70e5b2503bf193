"""The short self-assessment: the ``self`` flag checked at load, and scores, the policy and the
model treating the questions it leaves out as not answered, never as zero."""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.diagnosis.model import firm_features
from diagnose.diagnosis.policy import Firm, track_for
from diagnose.diagnosis.scoring import dimension_scores, is_visible
from diagnose.diagnosis.synthetic import synthetic_firm
from diagnose.questionnaire.contract import ITEMS
from diagnose.questionnaire.schema import (
    SHORT_FORM_MAX,
    YAML_LOADER,
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
)

ROOT = Path(__file__).parent.parent / "questionnaires" / "ai_training_needs"
V1, V2 = ROOT / "v1.yaml", ROOT / "v2.yaml"
# v1's digest as published and answered: a new field must never change it.
V1_DIGEST = "648601328134bb44bda8567b0b0d62b348ff12bc531670fd168e294871be9b11"


@functools.cache
def load_v2() -> Questionnaire:
    return load_questionnaire(V2)


@pytest.fixture(scope="module")
def v2() -> Questionnaire:
    return load_v2()


@functools.cache
def _v2_raw() -> dict:
    return yaml.load(V2.read_text(encoding="utf-8"), Loader=YAML_LOADER)


def with_flags(tmp_path: Path, flagged: set[str]) -> Path:
    """v2 with exactly ``flagged`` items marked ``self``, as a file of its own (parsed once and
    written with libyaml where PyYAML has it, as the loader reads it: the pure-Python parser
    and emitter took 2 s of CPU a file)."""
    raw = copy.deepcopy(_v2_raw())
    for dimension in raw["dimensions"]:
        for item in dimension["items"]:
            item.pop("self", None)
            if item["id"] in flagged:
                item["self"] = True
    path = tmp_path / "ai_training_needs" / "v2.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(raw, Dumper=dumper, allow_unicode=True), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    try:
        load_questionnaire(path)
    except QuestionnaireError as error:
        return [f"{p.where}: {p.message}" for p in error.problems]
    return []


def test_a_version_published_before_the_flag_keeps_its_digest():
    v1 = load_questionnaire(V1)
    assert not v1.has_short_form
    assert v1.digest() == V1_DIGEST


def test_v2_marks_a_short_form_the_policy_can_decide_on(v2):
    asked = {i.id for i in v2.items() if i.self_assessment}
    assert 0 < len(asked) <= SHORT_FORM_MAX
    policy_reads = {n.item for n in ITEMS if "policy" in n.users}
    assert policy_reads <= asked, policy_reads - asked
    for dimension in v2.short_form().dimensions:
        assert any(i.is_scored for i in dimension.items)
    assert {d.id for d in v2.short_form().dimensions} == {d.id for d in v2.dimensions}
    # the copy is its own questionnaire: an item it leaves out is not found in it
    left_out = next(i.id for i in v2.items() if not i.self_assessment)
    assert v2.short_form().find_item(left_out) is None
    assert v2.find_item(left_out) is not None


def test_the_flag_is_kept_in_the_stored_copy_and_the_digest(v2):
    again = Questionnaire.model_validate_json(v2.model_dump_json(by_alias=True))
    assert again.digest() == v2.digest()
    assert [i.id for i in again.items() if i.self_assessment] == [
        i.id for i in v2.items() if i.self_assessment
    ]


def test_too_many_short_form_items_are_refused(tmp_path, v2):
    scored = [i.id for i in v2.items() if i.is_scored and i.show_if is None]
    found = problems(with_flags(tmp_path, set(scored[: SHORT_FORM_MAX + 1])))
    assert any("at most 20" in p for p in found), found


def test_a_dimension_without_a_scored_short_form_item_is_refused(tmp_path, v2):
    asked = {i.id for i in v2.items() if i.self_assessment}
    leadership = {i.id for i in v2.dimensions[0].items}
    found = problems(with_flags(tmp_path, asked - leadership))
    assert found == [
        "dimension leadership: the short self-assessment needs at least one scored 'self' item "
        "here, or this dimension has no score"
    ]


def test_a_follow_up_without_the_question_it_follows_is_refused(tmp_path, v2):
    asked = {i.id for i in v2.items() if i.self_assessment}
    found = problems(with_flags(tmp_path, (asked - {"train_past"}) | {"need_data_ready"}))
    assert (
        "dimension training_system item train_facility: is 'self' but follows 'train_past', "
        "which is not: mark it 'self' too" in found
    )
    assert not any("need_data_ready" in p for p in found)  # its parent is asked


def test_a_free_text_item_cannot_be_asked_on_the_short_form(tmp_path, v2):
    asked = {i.id for i in v2.items() if i.self_assessment} - {"use_area_marketing"}
    found = problems(with_flags(tmp_path, asked | {"need_notes"}))
    assert found == [
        "dimension job_ax_needs item need_notes: a free-text item cannot be 'self': the short "
        "form is for a phone"
    ]


@st.composite
def short_forms(draw, questionnaire: Questionnaire):
    """A valid short form: a scored item per dimension, closed under skip-logic parents."""
    chosen: set[str] = set()
    for dimension in questionnaire.dimensions:
        scored = [i.id for i in dimension.items if i.is_scored and i.show_if is None]
        chosen.add(draw(st.sampled_from(scored)))
    others = [i.id for i in questionnaire.items() if i.type != "text" and i.id not in chosen]
    chosen |= set(draw(st.lists(st.sampled_from(others), max_size=8, unique=True)))
    while True:  # add every parent of what is chosen
        parents = {
            c.item
            for i in chosen
            if (item := questionnaire.item(i)).show_if
            for c in item.show_if.referenced()
        }
        if parents <= chosen:
            return chosen
        chosen |= parents


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_short_form_within_the_rules_loads_and_dropping_a_parent_breaks_it(
    tmp_path_factory, v2, data
):
    flagged = data.draw(short_forms(v2))
    folder = tmp_path_factory.mktemp("q")
    if len(flagged) <= SHORT_FORM_MAX:
        assert problems(with_flags(folder, flagged)) == []
    follow_ups = sorted(i for i in flagged if v2.item(i).show_if)
    if follow_ups:
        child = v2.item(data.draw(st.sampled_from(follow_ups)))
        parent = next(iter(child.show_if.referenced())).item
        found = problems(with_flags(folder, flagged - {parent}))
        assert any(f"follows '{parent}'" in p for p in found), found


# --- unasked is not answered, not zero -------------------------------------------------------


def short_answers(questionnaire: Questionnaire, answers: dict) -> dict:
    return {k: v for k, v in answers.items() if questionnaire.item(k).self_assessment}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_scores_of_a_short_form_leave_the_unasked_questions_out(seed):
    v2 = load_v2()
    firm = synthetic_firm(np.random.default_rng(seed), v2)
    answers = short_answers(v2, firm.answers)
    scores = dimension_scores(v2, answers)
    # The same answers scored by a questionnaire without the questions left unasked (and
    # shown): the unasked ones change nothing of the score, only the count of what applies.
    unasked = {i.id for i in v2.items() if not i.self_assessment and is_visible(i, answers)}
    trimmed = Questionnaire.model_construct(
        **{
            **dict(v2),
            "dimensions": tuple(
                d.model_copy(update={"items": tuple(i for i in d.items if i.id not in unasked)})
                for d in v2.dimensions
            ),
        }
    )
    alone = dimension_scores(trimmed, answers)
    for dimension in v2.dimensions:
        full, short = scores[dimension.id], alone[dimension.id]
        assert full.score == short.score, dimension.id
        assert full.answered == short.answered
        left_out = sum(1 for i in dimension.items if i.id in unasked and i.is_scored)
        assert full.applicable == short.applicable + left_out
        assert full.score is not None  # every dimension keeps a score from the short form


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_model_reads_an_unasked_question_as_missing(seed):
    v2 = load_v2()
    firm = synthetic_firm(np.random.default_rng(seed), v2)
    answers = short_answers(v2, firm.answers)
    answers.pop("need_problem_clarity", None)
    features = firm_features(v2, Firm.of(v2, firm.profile, answers))
    assert math.isnan(features["need:problem"])
    assert all(
        not math.isnan(features[f"dim:{d.id}"]) for d in v2.dimensions if d.id != "job_ax_needs"
    )


def test_the_short_form_gives_most_firms_the_track_all_answers_give():
    """A figure, not a property: how often the policy decides alike from the short form."""
    v2 = load_v2()
    rng = np.random.default_rng(20261126)
    firms = [synthetic_firm(rng, v2) for _ in range(600)]
    alike = sum(
        track_for(Firm.of(v2, f.profile, short_answers(v2, f.answers))) == track_for(f)
        for f in firms
    )
    assert alike / len(firms) >= 0.9
