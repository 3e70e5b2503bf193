"""The OpenAPI document describes what the API really answers: real responses are checked
against the schemas it serves, and every API route is in it."""

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from test_api import _payload, _token

URI = "urn:diagnose-openapi"


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def _check(spec, path, method, response, content="application/json"):
    documented = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code)
    schema = documented[str(response.status_code)]["content"][content]["schema"]
    if content != "application/json":
        assert response.mimetype == content
        return
    registry = Registry().with_resource(URI, DRAFT202012.create_resource(spec))
    validator = jsonschema.Draft202012Validator(
        {"$ref": URI + schema["$ref"]} if "$ref" in schema else schema, registry=registry
    )
    errors = sorted(validator.iter_errors(response.json), key=str)
    assert not errors, [e.message for e in errors]


def test_real_answers_match_the_document(app, client, spec):
    payload = _payload(app)
    request_schema = spec["paths"]["/assessments"]["post"]["requestBody"]["content"]
    registry = Registry().with_resource(URI, DRAFT202012.create_resource(spec))
    jsonschema.Draft202012Validator(
        {"$ref": URI + request_schema["application/json"]["schema"]["$ref"]}, registry=registry
    ).validate(payload)

    anonymous = client.post("/api/v1/assessments", json=payload)
    _check(spec, "/assessments", "post", anonymous)
    assert {"roadmap_pdf_url", "diagnosed_at", "result_url"} <= set(anonymous.json)
    token = _token(app)
    bearer = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    created = client.post("/api/v1/assessments", json=payload, headers=bearer)
    _check(spec, "/assessments", "post", created)
    reused = client.post("/api/v1/assessments", json=_payload(app, employees="7"), headers=bearer)
    _check(spec, "/assessments", "post", reused)
    bad = client.post("/api/v1/assessments", json={"profile": {"company_name": [1]}, "answers": {}})
    _check(spec, "/assessments", "post", bad)
    forged = client.post("/api/v1/assessments", json=payload, headers={"Authorization": "Bearer x"})
    _check(spec, "/assessments", "post", forged)

    read = client.get(f"/api/v1/assessments/{created.json['id']}", headers=bearer)
    _check(spec, "/assessments/{id}", "get", read)
    assert read.json["roadmap_pdf_url"].endswith(f"/assessments/{created.json['id']}/roadmap.pdf")
    _check(spec, "/assessments/{id}", "get", client.get("/api/v1/assessments/999"))
    pdf = client.get(f"/api/v1/assessments/{created.json['id']}/roadmap.pdf", headers=bearer)
    _check(spec, "/assessments/{id}/roadmap.pdf", "get", pdf, "application/pdf")


def test_every_api_route_is_documented(app, spec):
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<int:assessment_id>", "{id}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    }
    assert routes == set(spec["paths"])
