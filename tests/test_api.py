"""The JSON API: questionnaire, diagnoses with and without a token, errors, limits, OpenAPI."""

from urllib.parse import urlsplit

import pytest
from answering import all_answers
from conftest import add_user, firm_form

from diagnose.auth import create_api_token
from diagnose.storage import connect


def _token(app, email="api@center-a.example", center="센터 A"):
    user = add_user(app, email, center=center)
    db = connect(app.config["DATABASE"])
    try:
        return create_api_token(db, user["id"])
    finally:
        db.conn.close()


def _payload(app, **profile_changes):
    q = app.extensions["questionnaires"].current
    profile = firm_form(app, **profile_changes)
    profile["business_number"] = profile["business_number"].replace("-", "")
    answers = {k: v for page in all_answers(q).values() for k, v in page.items()}
    return {"profile": profile, "answers": answers}


def _count(app, table):
    db = connect(app.config["DATABASE"])
    try:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        db.conn.close()


def test_questionnaire_lists_items_with_scores(client, app):
    body = client.get("/api/v1/questionnaire").json
    q = app.extensions["questionnaires"].current
    assert body["id"] == q.id and body["version"] == q.version
    items = [i for s in body["sections"] for i in s["items"]]
    assert len(items) == len(list(q.items()))
    single = next(i for i in items if i["type"] == "single" and i["scored"])
    assert {"id", "type", "dimension", "required", "options"} <= set(single)
    option = single["options"][0]
    assert option["label"]["ko"] and option["label"]["en"] and 0 <= option["score"] <= 100
    region = next(f for f in body["profile"] if f["id"] == "region")
    assert len(region["choices"]) == 17


def test_anonymous_self_assessment_gets_a_diagnosis_and_a_secret_link(client, app):
    response = client.post("/api/v1/assessments", json=_payload(app))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["track"] in ("beginner", "ax", "shared_center")
    assert "probabilities" not in body and body["decided_by"] == "scorecard"
    assert body["reasons"]["toward"] and isinstance(body["needs_review"], bool)
    assert body["needs_review"] == bool(body["review_items"])
    assert all(i["answers"] and i["text"] for i in body["review_items"])
    assert all(s["track"] != body["track"] for s in body["sensitivity"])
    assert body["method_note"] and body["rule"]["source"]
    assert body["consultants_usually"] is None  # never to a firm
    assert body["counterfactual"] is None or body["counterfactual"]["text"]
    assert body["rule"]["id"] and body["reasons"]["summary"]
    assert all(d["level"] in range(1, 6) for d in body["dimensions"].values())
    # the secret link works, a wrong one does not
    page = client.get(urlsplit(body["result_url"]).path)
    assert page.status_code == 200 and "테스트정밀" in page.get_data(as_text=True)
    assert client.get("/r/not-the-token").status_code == 404
    fetched = client.get(
        f"/api/v1/assessments/{body['id']}", headers={"X-Result-Token": body["result_token"]}
    )
    assert fetched.status_code == 200 and fetched.json["track"] == body["track"]
    assert client.get(f"/api/v1/assessments/{body['id']}").status_code == 404
    assert client.get(f"/api/v1/assessments/{body['id']}?token=wrong").status_code == 404


def test_bad_input_lists_field_errors_and_stores_nothing(client, app):
    payload = _payload(app, business_number="1234567891", employees="열두")
    payload["answers"]["lead_ceo_understanding"] = "telepathy"
    payload["answers"]["no_such_item"] = "x"
    del payload["answers"]["lead_budget"]
    before = {t: _count(app, t) for t in ("firms", "assessments", "answers", "predictions")}
    response = client.post("/api/v1/assessments", json=payload, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    fields = {e["field"]: e["message"] for e in response.json["errors"]}
    assert "profile.employees" in fields
    assert fields["answers.lead_ceo_understanding"] == "Choose one of the options."
    assert fields["answers.lead_budget"] == "Choose an answer."
    assert fields["answers.no_such_item"] == "Unknown question."
    assert {t: _count(app, t) for t in before} == before
    korean = client.post("/api/v1/assessments", json=payload).json
    assert any("선택" in e["message"] for e in korean["errors"])


def test_wrong_shapes_are_refused(client):
    assert client.post("/api/v1/assessments", data="nope").status_code == 400
    response = client.post("/api/v1/assessments", json={"profile": [], "answers": "x"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json["errors"]} == {"profile", "answers"}


def test_a_consultant_token_files_the_firm_in_its_center(client, app):
    token = _token(app)
    response = client.post(
        "/api/v1/assessments", json=_payload(app), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    assert "result_url" not in response.json
    assessment_id = response.json["id"]
    mine = client.get(
        f"/api/v1/assessments/{assessment_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200
    other = _token(app, "api@center-b.example", center="센터 B")
    theirs = client.get(
        f"/api/v1/assessments/{assessment_id}", headers={"Authorization": f"Bearer {other}"}
    )
    assert theirs.status_code == 404
    bad = client.get(
        f"/api/v1/assessments/{assessment_id}", headers={"Authorization": "Bearer dg_forged"}
    )
    assert bad.status_code == 401


def test_anonymous_calls_are_rate_limited(make_app):
    app = make_app(SELF_ASSESSMENT_RATE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [client.post("/api/v1/assessments", json={}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert client.post("/api/v1/assessments", json={}).json["error"] == "rate_limited"
    token = _token(app)
    with_token = client.post(
        "/api/v1/assessments", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert with_token.status_code == 400  # consultants are not limited


def test_openapi_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/questionnaire", "/assessments", "/assessments/{assessment_id}"} <= set(spec["paths"])


@pytest.mark.parametrize("path", ["/api/v1/assessments/999999"])
def test_unknown_assessments_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_an_id_beyond_sqlites_integers_is_404_for_a_consultant_too(client, app):
    bearer = {"Authorization": f"Bearer {_token(app)}"}
    for path in ("/api/v1/assessments/99999999999999999999", "/api/v1/assessments/0"):
        for suffix in ("", "/roadmap.pdf"):
            response = client.get(path + suffix, headers=bearer)
            assert response.status_code == 404 and response.json["error"] == "not_found"
