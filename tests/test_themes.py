"""The task model: themes of a stated task read by meaning (Kiwi morphemes + a calibrated
linear classifier), checked by cross-validation, a fixed held-out part and the issue's own
tasks; stored per assessment, a consultant's setting kept and used as a label."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from firms import FIRMS, answers_at, store_firm
from issue_firms import DENTAL, ISSUE_FIRMS
from test_roadmap import DATA, Q

from diagnose.diagnosis.policy import Firm, track_for
from diagnose.roadmap import themes
from diagnose.roadmap.planner import plan

CORPUS = themes.load_corpus()
HANGUL = re.compile(r"[가-힣]")


@pytest.fixture(scope="module")
def model() -> themes.TaskModel:
    return themes.current_model()


def test_the_corpus_has_every_theme_with_thirty_varied_statements_in_both_languages():
    assert len(CORPUS.themes) >= 15
    for spec in CORPUS.themes:
        own = [t for t, ls in zip(CORPUS.texts, CORPUS.labels, strict=True) if ls == (spec.id,)]
        assert len(own) >= 30, spec.id
        assert len(set(own)) == len(own), spec.id
        assert sum(1 for t in own if not HANGUL.search(t)) >= 5, spec.id  # English ones
        assert spec.projects and all(p in DATA.catalogue.by_id for p in spec.projects)
    # near-misses: the same word under two themes
    text = dict(zip(CORPUS.texts, CORPUS.labels, strict=True))
    assert text["프레스 설비 고장 예측"] == ("predictive_maintenance",)
    assert text["자사 데이터로 수요 예측"] == ("demand_forecasting",)
    assert text["주간 보고서 자동 작성"] == ("reporting_automation",)


def test_a_fixed_held_out_part_is_read_right(held_out_theme_model):
    """Every eighth statement of each theme (and of the two-theme ones) is held out, fixed
    (``held_out_theme_model`` in conftest.py)."""
    held, model = held_out_theme_model
    right = answered = 0
    for i, probs in zip(held, model.probabilities([CORPUS.texts[i] for i in held]), strict=True):
        reading = themes.reading_of(probs)
        if reading.abstained:
            continue
        answered += 1
        right += {t.theme for t in reading.themes} <= set(CORPUS.labels[i])
    assert len(held) >= 60
    assert answered >= 0.6 * len(held)  # abstains on at most 40 %
    assert right / answered >= 0.75, (right, answered)


def test_cross_validation_keeps_accuracy_and_abstain_rate():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from themes import cross_validate  # bench/themes.py, the figures the bench prints

    result = cross_validate(CORPUS, folds=3)
    assert result["accuracy_answered"] >= 0.75, result
    assert result["abstain_rate"] <= 0.4, result


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            "프레스 라인 설비의 고장 예측(예지보전)과 프레스 부품 외관 불량 검출",
            {"predictive_maintenance", "visual_inspection"},
        ),
        ("Automate the routine weekly report", {"reporting_automation"}),
        ("time wasted on meeting notes", {"genai_writing"}),
        ("reduce errors - especially in invoices", {"document_processing"}),
        ("냉동 수산물 포장 라벨의 유통기한 인쇄 오류 확인", {"visual_inspection"}),
        ("다음 분기 원자재 수요 예측", {"demand_forecasting"}),
    ],
)
def test_the_issues_tasks_are_read_by_meaning(model, task, expected):
    reading = model.read(task)
    assert {t.theme for t in reading.themes} == expected, reading


def test_a_forecast_said_without_the_word_is_read_as_demand_forecasting(model):
    """The Gwangju bakery decides how much to bake from each shop's sales by weekday and
    weather: a forecast, though it never says 예측 (the model abstained on it before corpus
    v2, its best guess below 0.15)."""
    reading = themes.read_task(model, ISSUE_FIRMS["gwangju_bakery"]["said"])
    assert [t.theme for t in reading.themes] == ["demand_forecasting"], reading
    for task in (
        "반찬가게 지점별로 하루에 얼마나 만들지 정하기",
        "how many cakes to make for the weekend",
    ):
        assert [t.theme for t in model.read(task).themes] == ["demand_forecasting"], task


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        # near-misses: the words of a forecast said without 예측 (가늠, 정하기, 판매, 미리)
        ("설비 수명을 가늠해 부품 교체 시기 정하기", "predictive_maintenance"),
        ("모터가 멈추기 전에 미리 정비 시점 정하기", "predictive_maintenance"),
        ("매장 판매 데이터로 인기 메뉴 홍보", "marketing_content"),
        ("POS 판매 기록을 한곳에 모으기", "sensor_data_collection"),
        ("작업자 교대 근무표 짜기", "dispatch_scheduling"),
        # themes said without the word most of their statements lean on
        ("상자를 팔레트에 쌓는 일을 기계로", "robotics_physical_ai"),
        ("사내 규정을 물어보면 답해 주는 도우미", "knowledge_search"),
        ("매달 본사에 올리는 실적 자료를 자동으로 정리", "reporting_automation"),
    ],
)
def test_tasks_in_other_words_and_their_near_misses_keep_their_theme(model, task, expected):
    assert [t.theme for t in model.read(task).themes] == [expected], model.read(task)


def test_a_no_show_task_is_read_as_a_forecast_as_well_as_booking(model):
    """Picking out who will not come, from the clinic's own records, is a forecast; calling
    them and refilling the chairs is booking. Both themes are read (corpus v3; before, the
    model read booking alone, 0.91), and the plan then has a project on its records."""
    reading = themes.read_task(model, DENTAL["said"])
    assert {t.theme for t in reading.themes} == {"customer_service", "demand_forecasting"}, reading
    answers = answers_at(Q, DENTAL["level"], DENTAL["said"])
    scored = Firm.of(Q, DENTAL["profile"], answers)
    found = [(t.theme, t.confidence, t.confirmed) for t in reading.themes]
    p = plan(
        scored.scores, track_for(scored), answers, DENTAL["profile"], DATA,
        date(2026, 12, 3), themes=found,
    )  # fmt: skip
    briefs = [(b.theme, b.module_id) for b in p.briefs]
    assert ("demand_forecasting", "first_use_case_data") in briefs, briefs


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        # bookings, reminders and no-shows handled, nothing predicted: booking alone
        ("예약 전날 환자에게 확인 전화 돌리기", "customer_service"),
        ("미용실 예약 변경 문자 자동 발송", "customer_service"),
        ("send booking confirmations by text", "customer_service"),
        # what customers will do, predicted, nothing booked: the forecast alone
        ("헬스장 회원 이탈 예측", "demand_forecasting"),
        ("predict which patients will not show up", "demand_forecasting"),
    ],
)
def test_booking_without_a_prediction_and_a_prediction_without_booking_keep_one_theme(
    model, task, expected
):
    assert [t.theme for t in model.read(task).themes] == [expected], model.read(task)


def test_fine_tuning_is_llm_engineering_not_a_chatbot(model):
    reading = model.read("Fine-tune a language model on our support tickets")
    assert reading.themes and reading.themes[0].theme == "llm_engineering"


def test_nonsense_is_not_guessed(model):
    assert model.read("그냥 잘 되었으면 좋겠습니다").abstained
    assert model.read("그거 좀 잘 되게 하기").abstained
    assert model.read("").abstained


def test_themes_are_kept_per_assessment_and_a_consultant_setting_wins(app, db):
    from diagnose.auth import create_center

    center_id = create_center(db, "테스트센터", "ulsan")
    firm = FIRMS["machining"]
    with app.app_context():
        assessment_id = store_firm(app, db, firm, center_id, None, "1234567891")
    found = themes.themes_for_assessments(db, [assessment_id])[assessment_id]
    assert found and found[0].theme == "visual_inspection" and not found[0].confirmed
    stored = db.execute(
        "SELECT theme, source FROM assessment_themes WHERE assessment_id = ?", [assessment_id]
    ).fetchall()
    assert ("visual_inspection", "model") in stored
    themes.set_themes(db, assessment_id, ["process_quality_analytics"], None)
    found = themes.themes_for_assessments(db, [assessment_id])[assessment_id]
    assert [(t.theme, t.confirmed) for t in found] == [("process_quality_analytics", True)]
    # the setting is a label for the next training
    labels = themes.consultant_labels(db)
    assert labels and labels[0][1] == ("process_quality_analytics",)
    assert "가공 부품 외관 검사" in labels[0][0]
    with pytest.raises(ValueError):
        themes.set_themes(db, assessment_id, ["no_such_theme"], None)


def test_a_changed_task_is_read_again(app, db):
    from diagnose.auth import create_center

    center_id = create_center(db, "테스트센터", "ulsan")
    with app.app_context():
        assessment_id = store_firm(app, db, FIRMS["logistics"], center_id, None, "1234567891")
    first = themes.themes_for_assessments(db, [assessment_id])[assessment_id]
    assert first[0].theme == "dispatch_scheduling"
    db.execute(
        "UPDATE answers SET value = ? WHERE assessment_id = ? AND item_id = 'need_task'",
        ['"고객 문의에 답하는 챗봇"', assessment_id],
    )
    again = themes.themes_for_assessments(db, [assessment_id])[assessment_id]
    assert again[0].theme == "customer_service"


def _ulsan():
    firm = FIRMS["machining"]
    said = {
        **firm["said"],
        "need_task": "프레스 라인 설비의 고장 예측(예지보전)과 프레스 부품 외관 불량 검출",
        "need_target_jobs": ["maintenance", "quality"],
        "need_data_ready": "scattered",
    }
    answers = answers_at(Q, firm["level"], said)
    profile = {**firm["profile"], "employees": "280", "region": "ulsan"}
    scored = Firm.of(Q, profile, answers)
    return scored, track_for(scored), answers, profile


def test_a_task_of_two_themes_plans_a_project_for_each_after_its_data(model):
    scored, track, answers, profile = _ulsan()
    reading = model.read(answers["need_task"])
    found = [(t.theme, t.confidence, t.confirmed) for t in reading.themes]
    p = plan(scored.scores, track, answers, profile, DATA, date(2026, 11, 22), themes=found)
    projects = [b.module_id for b in p.briefs]
    assert any("maintenance" in m for m in projects), projects
    assert any("vision" in m or "quality" in m for m in projects), projects
    assert not any("demand" in m for m in projects)
    ids = [m.module_id for m in sorted(p.modules, key=lambda m: m.start_month)]
    assert "data_foundation_workshop" in ids
    first_project = min(m.start_month for m in p.modules if m.brief is not None)
    prep = next(m for m in p.modules if m.module_id == "data_foundation_workshop")
    assert prep.start_month <= first_project


def test_when_the_model_abstains_the_plan_works_on_the_firms_words_and_asks_the_consultant():
    scored, track, answers, profile = _ulsan()
    p = plan(scored.scores, track, answers, profile, DATA, date(2026, 11, 22), themes=[])
    assert p.theme_to_confirm
    assert all(b.module_id == "pbl_own_task" or b.module_id is None for b in p.briefs)
    assert p.briefs[0].task == answers["need_task"]


def test_the_model_for_the_current_corpus_is_shipped_as_plain_arrays():
    """No request trains the model: the file for this corpus is in diagnose/trained_models
    (``flask roadmap train-themes`` writes one with the consultants' labels), plain arrays
    loaded without pickle."""
    path = themes.model_path(themes.SHIPPED, CORPUS)
    assert path.exists(), "corpus changed: ship a model trained on it (see the docstring)"
    model = themes.load_model(path)
    assert model.ids == CORPUS.ids and model.version.startswith(CORPUS.digest())
    assert model.read("Automate the routine weekly report").themes[0].theme == (
        "reporting_automation"
    )


def test_the_cli_retrains_with_the_consultants_labels(app, db, runner):
    from diagnose.auth import create_center

    center_id = create_center(db, "테스트센터", "ulsan")
    with app.app_context():
        assessment_id = store_firm(app, db, FIRMS["logistics"], center_id, None, "1234567891")
    themes.set_themes(db, assessment_id, ["demand_forecasting"], None)
    result = runner.invoke(args=["roadmap", "train-themes"])
    assert result.exit_code == 0, result.output
    assert "1 consultants' settings" in result.output
    saved = themes.model_path(Path(app.instance_path) / "models", CORPUS)
    assert saved.exists() and themes.load_model(saved).version != themes.current_model().version


def test_the_arrays_give_the_fitted_pipelines_probabilities(held_out_theme_model):
    """The saved model (plain arrays, computed with NumPy alone) is the fitted scikit-learn
    pipeline: the same probabilities for every statement of the corpus and for the issue's
    tasks, and it survives a save and a load."""
    import numpy as np

    _held, fitted = held_out_theme_model
    arrays = themes.ArrayPipeline.from_pipeline(fitted.pipeline)
    tasks = ["프레스 라인 설비의 고장 예측(예지보전)과 프레스 부품 외관 불량 검출",
             "reduce errors - especially in invoices"]  # fmt: skip
    texts = [themes.morphemes(t) for t in (*CORPUS.texts, *tasks)]
    expected = fitted.pipeline.predict_proba(texts)
    assert np.abs(arrays.predict_proba(texts) - expected).max() < 1e-9
    # a text of words the model never saw: the intercepts and calibration alone
    assert (
        np.abs(arrays.predict_proba(["zzz"]) - fitted.pipeline.predict_proba(["zzz"])).max() < 1e-9
    )


def test_a_saved_model_loads_back_the_same(tmp_path):
    model = themes.current_model()
    path = themes.save_model(model, tmp_path / "m.npz")
    loaded = themes.load_model(path)
    assert (loaded.ids, loaded.version) == (model.ids, model.version)
    texts = list(CORPUS.texts[::7])
    assert loaded.probabilities(texts) == model.probabilities(texts)


def test_reading_a_task_needs_neither_scikit_learn_nor_skops():
    """A queue consumer's first report reads the task with the shipped model: it loads in
    milliseconds, importing neither scikit-learn's estimators nor skops (seconds each)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from diagnose.roadmap import themes\n"
        "m = themes.current_model()\n"
        "assert m.read('Automate the routine weekly report').themes[0].theme == "
        "'reporting_automation'\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'skops')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert out.stdout.strip() == "[]", out.stdout


def test_the_quicker_analyser_cuts_the_corpus_like_the_default_one():
    """Kiwi without its multi-word dictionary (``themes.KIWI_OPTIONS``: a third of the load
    time) reads every statement of the corpus into the same morphemes as Kiwi's defaults."""
    from kiwipiepy import Kiwi

    default = Kiwi()
    kept = themes._KEPT_TAGS
    for text in CORPUS.texts:
        tokens = default.tokenize(text)
        words = " ".join(
            t.form.lower() if t.tag == "SL" else t.form for t in tokens if t.tag in kept
        )
        assert themes.morphemes(text) == words, text
