"""One answering engine (``services/answering.py``) under the consultant's interview and the
firm owner's self-assessment: pages, skip logic, saves that keep what was typed, progress."""

from types import SimpleNamespace

from conftest import register_firm, start_assessment

from diagnose.questionnaire.types import NOT_APPLICABLE
from diagnose.records import assessments as ops
from diagnose.services import answering, self_assessment
from diagnose.services.answering import REVIEW, Answering


def _owner_draft(app, db):
    catalogue = app.extensions["questionnaires"]
    _row_id, token = self_assessment.start(db, catalogue.current, "ko", days=3)
    row = self_assessment.by_token(db, token)
    return token, self_assessment.answering(db, catalogue, row, days=3)


def test_a_self_assessment_skips_a_screen_its_answers_leave_empty(app, db):
    _token, draft = _owner_draft(app, db)
    assert isinstance(draft, Answering) and not draft.with_notes
    keys = draft.steps
    assert keys[:4] == ["company", "place", "size", "contact"] and keys[-1] == REVIEW
    # train_facility follows train_past: "no training yet" leaves its screen nothing to ask
    before = keys[keys.index("train_facility") - 1]
    after = keys[keys.index("train_facility") + 1]
    draft.keep(draft.page("train_past"), answers={"train_past": "occasional"})
    assert draft.is_shown(draft.page("train_facility"))
    draft.keep(draft.page("train_past"), answers={"train_past": "none"})
    assert not draft.is_shown(draft.page("train_facility"))
    assert draft.neighbour(before, 1) == after
    assert draft.neighbour("train_facility", 1) == after  # from its place, once hidden
    assert draft.neighbour("train_facility", -1) == before


def test_a_save_keeps_what_was_typed_and_an_empty_answer_removes_it(app, db):
    token, draft = _owner_draft(app, db)
    draft.keep(draft.page("train_hours"), answers={"train_hours": "12 hours?"})
    draft.keep(draft.page("need_equipment"), answers={"need_equipment": ["vision", "gpu"]})
    stored = self_assessment.by_token(db, token)["answers"]
    assert stored == {"train_hours": "12 hours?", "need_equipment": ["vision", "gpu"]}
    assert draft.progress() == (1, len(draft.asked()))  # "12 hours?" is not a number
    draft.keep(draft.page("train_hours"), answers={"train_hours": ""})
    assert "train_hours" not in self_assessment.by_token(db, token)["answers"]
    assert "train_hours" not in draft.answers
    draft.keep(draft.page("company"), profile={"company_name": "가나다"})
    assert self_assessment.by_token(db, token)["profile"] == {"company_name": "가나다"}


def test_an_interview_is_the_same_engine_with_notes_and_an_audited_save(app, db, consultant):
    firm_id = register_firm(consultant)
    assessment_id = start_assessment(consultant, firm_id)
    user = SimpleNamespace(**consultant.user)
    record = ops.get_assessment(db, user.center_id, assessment_id)
    draft = answering.interview(db, app.extensions["questionnaires"], record, user)
    assert draft.with_notes and draft.steps[0] == "profile" and draft.steps[-1] == REVIEW
    dimension = draft.questionnaire.dimensions[2]
    page = draft.page(dimension.id)
    item = next(i for i in dimension.items if i.allow_na)
    draft.keep(page, answers={item.id: NOT_APPLICABLE}, notes={item.id: "공장 없음"})
    answers, notes = ops.load_answers(db, assessment_id)
    assert answers[item.id] == NOT_APPLICABLE and notes[item.id] == "공장 없음"
    saves = db.execute(
        "SELECT user_id, detail FROM audit_log WHERE action = 'save' AND target_id = ?",
        [assessment_id],
    ).fetchall()
    assert (user.id, dimension.id) in [tuple(r) for r in saves]
    counts = draft.progress_by_dimension()[dimension.id]
    assert counts["answered"] >= 1 and counts["total"] >= counts["answered"]
