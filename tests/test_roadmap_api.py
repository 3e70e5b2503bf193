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
    path = spec["paths"]["/assessments/{id}/roadmap"]["get"]
    assert path["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Roadmap"
    )
    roadmap = spec["components"]["schemas"]["Roadmap"]
    assert {"themes", "modules", "theme_to_confirm"} <= set(roadmap["properties"])
    assert "PlannedModule" in spec["components"]["schemas"]
