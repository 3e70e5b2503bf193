"""The OpenAPI document describes what the API really answers: real responses are checked
against the schemas it serves, every API route is in it, and schemathesis generates calls
from it (valid and invalid) that the API must answer as documented, never with a 5xx."""

import re
from collections import Counter

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    _check(spec, "/assessments/{assessment_id}", "get", read)
    assert read.json["roadmap_pdf_url"].endswith(f"/assessments/{created.json['id']}/roadmap.pdf")
    _check(spec, "/assessments/{assessment_id}", "get", client.get("/api/v1/assessments/999"))
    pdf = client.get(f"/api/v1/assessments/{created.json['id']}/roadmap.pdf", headers=bearer)
    _check(spec, "/assessments/{assessment_id}/roadmap.pdf", "get", pdf, "application/pdf")


def test_every_api_route_is_documented(app, spec):
    """A route of the API whose view lacks ``@documented`` is missing from the document."""
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(path, method) for path, item in spec["paths"].items() for method in item}


def test_every_error_is_documented_in_the_one_error_shape(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert "401" in operation["responses"], (path, method)  # a bad token, anywhere
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"]
    assert error["properties"]["error"]["type"] == "string"


def test_a_report_not_ready_answers_503_in_the_error_shape_with_retry_after(make_app):
    app = make_app(QUEUE_IMMEDIATE=False, RENDER_WAIT=0.05)  # no consumer renders it
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").json
    bearer = {"Authorization": f"Bearer {_token(app)}"}
    created = client.post("/api/v1/assessments", json=_payload(app), headers=bearer)
    assert created.status_code == 201
    pdf = client.get(f"/api/v1/assessments/{created.json['id']}/roadmap.pdf", headers=bearer)
    assert pdf.status_code == 503 and int(pdf.headers["Retry-After"]) > 0
    assert pdf.json["error"] == "report_not_ready" and "보고서를 만들고" in pdf.json["message"]
    _check(spec, "/assessments/{assessment_id}/roadmap.pdf", "get", pdf)
    documented = spec["paths"]["/assessments/{assessment_id}/roadmap.pdf"]["get"]["responses"]
    assert "Retry-After" in documented["503"]["headers"]


def test_a_wrong_method_is_refused_with_allow(client):
    response = client.delete("/api/v1/assessments")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert response.json["error"] == "method_not_allowed"


# --- property-based: schemathesis against the generated document ------------------------------


@pytest.fixture
def api_app(app):
    """The app with a consultant's token and one diagnosed firm (its reports rendered, as
    a consumer would have), so reads and downloads meet a real assessment too."""
    app.config["API_TEST_TOKEN"] = token = _token(app)
    created = app.test_client().post(
        "/api/v1/assessments", json=_payload(app), headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201
    return app


def test_generated_calls_are_answered_as_documented_and_never_with_a_5xx(api_app):
    """Calls schemathesis generates from the document, valid and invalid, to every operation:
    every check it has holds (no server error; status, content type, headers and body as
    documented; a call the document forbids is refused) but two, by design:
    ``positive_data_acceptance``, as the request schema states each field's type, not the
    check digit or the rules between answers that the API also applies (answered 400, as
    documented); ``ignored_auth``, as a read without credentials answers 404 like a read of
    an id that does not exist, so that the API never says which ids exist."""
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    bearer = {"Authorization": f"Bearer {api_app.config['API_TEST_TOKEN']}"}
    statuses: Counter = Counter()
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def answered_as_documented(case):
            response = case.call_and_validate(
                headers=bearer, excluded_checks=[positive_data_acceptance, ignored_auth]
            )
            statuses[(case.method, case.path, response.status_code)] += 1
            assert response.status_code < 500

        answered_as_documented()
    # every operation was called (schemathesis leaves out the document's own path)
    operations = {(m.upper(), p) for p, item in schema.raw_schema["paths"].items() for m in item}
    called = {(method, path) for method, path, _status in statuses}
    assert called == operations - {("GET", "/openapi.json")}, statuses
