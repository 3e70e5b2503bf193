"""The consultant's view of a diagnosis: confirm or override, and the center's override rates."""

from answering import all_answers
from conftest import Browser, add_user, register_firm, start_assessment

from diagnose.diagnosis.store import real_examples
from diagnose.storage import connect


def _submitted(consultant, app):
    q = app.extensions["questionnaires"].current
    assessment_id = start_assessment(consultant, register_firm(consultant))
    for dimension_id, data in all_answers(q).items():
        consultant.post_form(
            f"/assessments/{assessment_id}/{dimension_id}", {**data, "action": "next"}
        )
    response = consultant.post_form(f"/assessments/{assessment_id}/review", {"confirm": "y"})
    assert response.status_code == 302
    return assessment_id


def test_the_result_shows_the_scorecard_track_reasons_sources_and_no_probability(consultant, app):
    assessment_id = _submitted(consultant, app)
    html = consultant.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "추천 트랙" in html
    assert "이 트랙인 이유" in html
    assert "트랙을 바꿀 수 있는 답변" in html
    assert "공개된 판정표로 결정" in html and "판정표 규칙:" in html and "근거:" in html
    assert "판단 방법:" in html  # which lines are the policy's and which the tool's
    # the shadow model is on its card only: no bars, no percentages, no version on the page
    assert '<meter min="0" max="1"' not in html
    assert app.extensions["track_model"].version not in html
    db = connect(app.config["DATABASE"])
    stored = db.execute("SELECT decided_by, shadow_track, track FROM predictions").fetchone()
    assert stored[0] == "scorecard" and stored[1] in ("beginner", "ax", "shared_center")
    english = consultant.get(f"/assessments/{assessment_id}?lang=en").get_data(as_text=True)
    assert "Why this track" in english and "What would change the track" in english


def test_confirm_and_override_are_stored_with_who_and_why(consultant, app):
    assessment_id = _submitted(consultant, app)
    db = connect(app.config["DATABASE"])
    predicted = db.execute("SELECT track FROM predictions").fetchone()[0]
    other = "beginner" if predicted != "beginner" else "ax"
    page = f"/assessments/{assessment_id}"
    url = f"/assessments/{assessment_id}/decision"

    refused = consultant.post_form(url, {"final_track": other, "reason": " "}, page=page)
    assert refused.status_code == 422
    assert "다른 트랙을 고른 이유를" in refused.get_data(as_text=True)

    assert consultant.post_form(url, {"final_track": predicted}, page=page).status_code == 302
    override = consultant.post_form(
        url, {"final_track": other, "reason": "대표가 다음 달 퇴사 예정"}, page=page
    )
    assert override.status_code == 302
    shown = consultant.get(page).get_data(as_text=True)
    assert "대표가 다음 달 퇴사 예정" in shown and "홍길동" in shown

    rows = list(db.query("SELECT * FROM decisions ORDER BY id"))
    assert [r["action"] for r in rows] == ["confirm", "override"]
    assert rows[1]["decided_by"] == consultant.user["id"] and rows[1]["decided_at"]
    (example,) = real_examples(db)  # the latest decision is the label
    assert example.track == other and example.source == "override" and example.independent

    rates = consultant.get("/center/overrides").get_data(as_text=True)
    assert "100%" in rates and "홍길동" in rates


def test_another_center_cannot_decide(consultant, app):
    assessment_id = _submitted(consultant, app)
    other = add_user(app, "b@center-b.example", center="센터 B", name="임꺽정")
    intruder = Browser(app)
    intruder.login(other["email"])
    response = intruder.post_form(
        f"/assessments/{assessment_id}/decision",
        {"final_track": "ax", "reason": "x"},
        page="/firms",
    )
    assert response.status_code == 404
    assert "홍길동" not in intruder.get("/center/overrides").get_data(as_text=True)


def test_what_would_change_the_track_names_the_answers_not_the_questions(app):
    import numpy as np

    from diagnose.diagnosis.explanations import ITEM_NAMES, counterfactual_text
    from diagnose.diagnosis.scorecard import assess
    from diagnose.diagnosis.synthetic import bootstrap_set

    model = app.extensions["track_model"]
    q = app.extensions["questionnaires"].current
    single = levers = None
    for firm, _track in bootstrap_set(q, 400, np.random.default_rng(11), 0):
        prediction = assess(q, firm.profile, firm.answers, model=model)
        if prediction.sensitivity and single is None:
            single = prediction  # answers one option away: exact, each alone
        if prediction.counterfactual and prediction.counterfactual.changes and levers is None:
            levers = prediction  # none is: the fewest steps toward the next track
        if single is not None and levers is not None:
            break  # one of each is found: the rest of the sample changes nothing read
    assert single is not None and levers is not None and not levers.sensitivity
    with app.test_request_context("/?lang=en"):
        text = counterfactual_text(single, q, "en")
        step = single.sensitivity[0]
        assert text.startswith("Any one of these answers, changed by one option")
        assert str(ITEM_NAMES[step["item"]]) in text
        assert q.item(step["item"]).question.en not in text  # a short name, not the question
        assert counterfactual_text(levers, q, "en")
    with app.test_request_context("/?lang=ko"):
        assert "한 단계 바뀌어도 트랙이 달라집니다" in counterfactual_text(single, q, "ko")
        assert "골라 주십시오" not in counterfactual_text(single, q, "ko")


def test_retraining_from_the_command_line_keeps_the_model_unless_it_is_not_worse(consultant, app):
    from pathlib import Path

    assessment_id = _submitted(consultant, app)
    consultant.post_form(
        f"/assessments/{assessment_id}/decision",
        {"final_track": "beginner", "reason": "대표 부재"},
        page=f"/assessments/{assessment_id}",
    )
    result = app.test_cli_runner().invoke(
        args=["model", "train", "--bootstrap-size", "400", "--seed", "5"]
    )
    assert result.exit_code == 1, result.output
    assert "real decisions: 1 (1 overrides" in result.output
    # one override is too few to hold any out: the shipped model stays current
    assert "refused by independent_decisions" in result.output
    models = Path(app.instance_path) / "models"
    refused = list((models / "refused").glob("track-*.skops"))
    assert len(refused) == 1 and refused[0].with_suffix(".md").exists()
    assert not (models / "CURRENT").exists()


def test_the_firm_list_shows_each_firms_latest_track_and_filters_by_it(consultant, app):
    assessment_id = _submitted(consultant, app)
    db = connect(app.config["DATABASE"])
    predicted = db.execute("SELECT track FROM predictions").fetchone()[0]
    waiting = register_firm(consultant, company_name="대기산업", business_number="101-81-15218")
    start_assessment(consultant, waiting)
    register_firm(consultant, company_name="새내기상사", business_number="110-81-00010")

    listing = consultant.get("/firms").get_data(as_text=True)
    assert f'track-{predicted}"' in listing and f"/assessments/{assessment_id}" in listing

    def shown(state):
        page = consultant.get(f"/firms?state={state}").get_data(as_text=True)
        return {n for n in ("테스트정밀", "대기산업", "새내기상사") if n in page}

    assert shown(predicted) == {"테스트정밀"}
    assert shown("draft") == {"대기산업"}
    assert shown("none") == {"새내기상사"}
    other = "beginner" if predicted != "beginner" else "ax"
    assert shown(other) == set()
    assert "조건에 맞는 기업이 없습니다" in consultant.get(f"/firms?state={other}").get_data(
        as_text=True
    )
    assert len(shown("nonsense")) == 3  # an unknown filter shows everything, not an error

    # The consultant's override is the firm's track from then on, in the list and its history.
    consultant.post_form(
        f"/assessments/{assessment_id}/decision",
        {"final_track": other, "reason": "현장 확인 결과"},
        page=f"/assessments/{assessment_id}",
    )
    assert shown(other) == {"테스트정밀"} and shown(predicted) == set()
    firm_id = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    history = consultant.get(f"/firms/{firm_id[0]}").get_data(as_text=True)
    assert "주치의가 변경" in history and f"/assessments/{assessment_id}/roadmap.pdf" in history

    # Another center's consultant sees none of it.
    intruder = Browser(app)
    intruder.login(add_user(app, "b@center-b.example", center="센터 B", name="임꺽정")["email"])
    assert "테스트정밀" not in intruder.get(f"/firms?state={other}").get_data(as_text=True)
