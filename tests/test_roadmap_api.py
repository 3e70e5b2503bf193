"""GET /api/v1/assessments/<id>/roadmap: the plan as JSON, for a consultant of the firm's
center, documented in the OpenAPI file; a center never sees another's."""

from test_api import _payload, _token


def test_the_roadmap_json_holds_themes_and_why_who_when_hours_cost_route(client, app):
    token = _token(app)
    auth = {"Authorization": f"Bearer {token}"}
    payload = _payload(app)
    payload["answers"]["need_task"] = (
        "프레스 라인 설비의 고장 예측(예지보전)과 프레스 부품 외관 불량 검출"
    )
    created = client.post("/api/v1/assessments", json=payload, headers=auth)
    assert created.status_code == 201, created.get_json()
    assessment_id = created.get_json()["id"]
    response = client.get(f"/api/v1/assessments/{assessment_id}/roadmap?lang=en", headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {t["theme"] for t in body["themes"]} == {"predictive_maintenance", "visual_inspection"}
    assert all(0 < t["confidence"] <= 1 and t["confirmed"] is False for t in body["themes"])
    assert body["modules"]
    for m in body["modules"]:
        assert m["why"], m["module"]  # every module follows from something
        assert m["who"]["trainees"] >= 1 and m["hours_per_person"] > 0
        # the number is the plan's assumption or the firm's, as the report says it (one
        # function, report.count_assumed); the CEO is never assumed
        assert isinstance(m["who"]["assumed"], bool)
        assert not (m["who"]["job_group"] == "executives" and m["who"]["assumed"])
        assert m["who"]["job"] is None or isinstance(m["who"]["job"], str)
        assert m["when"]["start"] <= m["when"]["end"]
        assert m["funding_route"]["name"] and m["cost"]["source"]
        assert (m["cost"]["firm_pays_krw"] is None) == (not m["cost"]["known"])
    tasks = [m for m in body["modules"] if {"item": "need_task", "answer": payload["answers"]
             ["need_task"]} in m["why"]]  # fmt: skip
    assert tasks, "the task's project is in the plan"
    # another center's consultant sees nothing
    other = _token(app, "api@center-b.example", center="센터 B")
    assert (
        client.get(
            f"/api/v1/assessments/{assessment_id}/roadmap",
            headers={"Authorization": f"Bearer {other}"},
        ).status_code
        == 404
    )


def test_openapi_documents_the_roadmap(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/assessments/{assessment_id}/roadmap"]["get"]
    assert path["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Roadmap"
    )
    roadmap = spec["components"]["schemas"]["Roadmap"]
    assert {"themes", "modules", "theme_to_confirm"} <= set(roadmap["properties"])
    assert "PlannedModule" in spec["components"]["schemas"]


def _submitted_by(app, browser, task: str) -> int:
    from diagnose.auth import create_api_token
    from diagnose.storage import connect

    db = connect(app.config["DATABASE"])
    try:
        token = create_api_token(db, browser.user["id"])
    finally:
        db.conn.close()
    payload = _payload(app)
    payload["answers"]["need_task"] = task
    for item in ("need_problem", "need_data_desc", "need_notes"):  # nothing else to read
        payload["answers"][item] = "잘 모르겠습니다"
    created = browser.client.post(
        "/api/v1/assessments", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"], token


def test_the_consultant_sets_the_theme_and_the_plan_follows_it(app, consultant):
    assessment_id, token = _submitted_by(app, consultant, "그냥 잘 되었으면 좋겠습니다")
    page = consultant.get(f"/assessments/{assessment_id}/task")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "그냥 잘 되었으면 좋겠습니다" in html and "과제 모델이 어떤 AI 과제인지" in html
    auth = {"Authorization": f"Bearer {token}"}
    before = consultant.client.get(f"/api/v1/assessments/{assessment_id}/roadmap", headers=auth)
    assert before.get_json()["themes"] == [] and before.get_json()["theme_to_confirm"]
    # none chosen: a clear message, nothing stored
    url = f"/assessments/{assessment_id}/task"
    refused = consultant.post_form(url, {})
    assert refused.status_code == 422
    assert "AI 과제 유형을 하나나 두 개 고르십시오" in refused.get_data(as_text=True)
    saved = consultant.post_form(url, {"themes": ["demand_forecasting"]})
    assert saved.status_code == 302
    after = consultant.client.get(f"/api/v1/assessments/{assessment_id}/roadmap", headers=auth)
    body = after.get_json()
    assert [(t["theme"], t["confirmed"]) for t in body["themes"]] == [("demand_forecasting", True)]
    assert not body["theme_to_confirm"]
    assert body["projects"][0]["module"] == "pbl_demand_forecasting" or body["track"] != "ax"
    # the answers are a record of their own on that page, not pages of the report
    assert "진단 응답" in consultant.get(url).get_data(as_text=True)


def test_another_centers_consultant_cannot_see_or_set_the_task(app, consultant):
    from conftest import Browser, add_user

    assessment_id, _token = _submitted_by(app, consultant, "주간 보고서 자동 작성")
    other = add_user(app, "doctor@center-b.example", center="센터 B")
    stranger = Browser(app)
    stranger.login(other["email"])
    assert stranger.get(f"/assessments/{assessment_id}/task").status_code == 404


def test_a_project_on_the_firms_own_words_is_named_by_its_task_as_in_the_report(client, app):
    """A task the model cannot read is planned on the firm's own words; the JSON names that
    project by the task, as the PDF does, in the language asked for."""
    from diagnose.roadmap.planner import OWN_WORDS_PROJECT, short_task
    from diagnose.roadmap.themes import TASK_ITEMS

    token = _token(app)
    auth = {"Authorization": f"Bearer {token}"}
    payload = _payload(app)
    task = "그거 좀 잘 되게 하기"
    for item in TASK_ITEMS:  # nothing else to read a theme from
        payload["answers"].pop(item, None)
    payload["answers"]["need_task"] = task
    created = client.post("/api/v1/assessments", json=payload, headers=auth)
    assert created.status_code == 201, created.get_json()
    assessment_id = created.get_json()["id"]
    for lang in ("ko", "en"):
        body = client.get(
            f"/api/v1/assessments/{assessment_id}/roadmap?lang={lang}", headers=auth
        ).get_json()
        assert body["theme_to_confirm"] is True
        own = [m for m in body["modules"] if m["module"] in OWN_WORDS_PROJECT.values()]
        assert own, [m["module"] for m in body["modules"]]
        assert all(f"“{short_task(task)}”" in m["title"] for m in own), own
