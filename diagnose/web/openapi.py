"""The OpenAPI document of the JSON API, served at /api/v1/openapi.json.

Assembled here, and only here, from two sources that cannot drift from what the API does:

- each API view declares its operation next to its route with ``@documented(...)``: a
  summary, who may call it, its parameters, its request model and every status it answers;
- the pydantic models that check each call and shape each answer (``services.schemas``)
  give every schema, through pydantic's JSON Schema.

The paths are the blueprint's own routes (``<int:assessment_id>`` becomes
``{assessment_id}``), so adding an endpoint is one change: the route and its
``@documented`` together. A route of the API without it fails ``tests/test_openapi.py``.
Every status other than 2xx answers the one error shape ``Error``
(``{"error": "<code>", "message": "..."}``); a bad bearer token answers 401 on every route,
so every operation lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..questionnaire.schema import Questionnaire
from ..services import schemas

REF = "#/components/schemas/{model}"
API_PREFIX = "/api/v1"
# SQLite's largest integer: an id beyond it names nothing (and is answered 404).
MAX_ID = 2**63 - 1

CONSULTANT = {"consultantToken": []}
RESULT_HOLDER = {"resultToken": []}
ANONYMOUS: dict[str, list] = {}


@dataclass(frozen=True)
class Json:
    """A JSON answer shaped by a pydantic model (a schema of its own), or by a plain schema."""

    model: type[BaseModel] | Mapping[str, Any]
    description: str


@dataclass(frozen=True)
class Pdf:
    description: str


@dataclass(frozen=True)
class Failure:
    """An error: always the ``Error`` shape; ``headers`` it always carries (name: meaning)."""

    description: str
    headers: Mapping[str, str] = field(default_factory=dict)


Answer = Json | Pdf | Failure | str  # a str: a Failure with that description


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: Mapping[int, Answer]
    security: tuple[dict[str, list], ...]
    parameters: tuple[dict[str, Any], ...]
    body: Callable[[Questionnaire], type[BaseModel]] | type[BaseModel] | None


def documented(
    summary: str,
    responses: Mapping[int, Answer],
    *,
    security: tuple[dict[str, list], ...] = (ANONYMOUS,),
    parameters: tuple[dict[str, Any], ...] = (),
    body: Callable[[Questionnaire], type[BaseModel]] | type[BaseModel] | None = None,
):
    """Declare a view's operation for the document (put it under ``@bp.route``)."""

    def attach(view):
        view.openapi = Operation(summary, responses, security, parameters, body)
        return view

    return attach


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema} | (
        {"description": description} if description else {}
    )


def header(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": schema} | (
        {"description": description} if description else {}
    )


# --- assembling ------------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_INVALID_TOKEN = Failure("an Authorization header was sent whose token is not valid")
_TOO_LARGE = Failure("the request body is larger than the service accepts (2 MB)")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/assessments/<int:assessment_id>`` -> ``/assessments/{assessment_id}`` and its
    parameters."""
    parameters = []
    for converter, name in _CONVERTER.findall(rule):
        schema = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string"}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\2}", rule.removeprefix(API_PREFIX)), parameters


def _response(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, str):
        answer = Failure(answer)
    if isinstance(answer, Pdf):
        return {
            "description": answer.description,
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    if isinstance(answer, Json):
        schema = (
            {"$ref": REF.format(model=answer.model.__name__)}
            if isinstance(answer.model, type)
            else dict(answer.model)
        )
        return {
            "description": answer.description,
            "content": {"application/json": {"schema": schema}},
        }
    response: dict[str, Any] = {
        "description": answer.description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }
    if answer.headers:
        response["headers"] = {
            name: {"description": meaning, "required": True, "schema": {"type": "string"}}
            for name, meaning in answer.headers.items()
        }
    return response


def _operations(app: Flask) -> list[tuple[str, str, list[dict[str, Any]], Operation]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        operation = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if operation is None:
            continue  # tests/test_openapi.py fails on it
        path, parameters = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), parameters, operation))
    return found


def _body_model(operation: Operation, questionnaire: Questionnaire) -> type[BaseModel] | None:
    body = operation.body
    if body is None or (isinstance(body, type) and issubclass(body, BaseModel)):
        return body
    return body(questionnaire)


def openapi_spec(app: Flask, questionnaire: Questionnaire) -> dict[str, Any]:
    """The whole document for the questionnaire the API serves now."""
    operations = _operations(app)
    request_models = {
        model.__name__: model
        for model in (_body_model(op, questionnaire) for *_rest, op in operations)
        if model is not None
    }
    answer_models = {
        answer.model.__name__: answer.model
        for *_rest, op in operations
        for answer in op.responses.values()
        if isinstance(answer, Json) and isinstance(answer.model, type)
    } | {"Error": schemas.Error}
    _refs, document = models_json_schema(
        [(m, "validation") for m in request_models.values()]
        + [(m, "serialization") for m in answer_models.values()],
        ref_template=REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for path, method, path_parameters, op in operations:
        responses = {_status: op.responses[_status] for _status in sorted(op.responses)}
        responses.setdefault(401, _INVALID_TOKEN)
        entry: dict[str, Any] = {"summary": op.summary}
        if op.security != (ANONYMOUS,):
            entry["security"] = list(op.security)
        if path_parameters or op.parameters:
            entry["parameters"] = [*path_parameters, *op.parameters]
        body = _body_model(op, questionnaire)
        if body is not None:
            responses.setdefault(413, _TOO_LARGE)
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(model=body.__name__)}}
                },
            }
        entry["responses"] = {str(s): _response(a) for s, a in sorted(responses.items())}
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "diagnose API",
            "version": "1",
            "description": "AI-training needs diagnosis for small firms. Error messages follow "
            "Accept-Language (ko by default, en). Every error answers "
            '{"error": "<code>", "message": "<words>"}.',
        },
        "servers": [{"url": API_PREFIX}],
        "components": {
            "securitySchemes": {
                "consultantToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask --app diagnose create-token EMAIL (expires; "
                    "flask revoke-tokens EMAIL)",
                },
                "resultToken": {"type": "apiKey", "in": "header", "name": "X-Result-Token"},
            },
            "schemas": document.get("$defs", {}),
        },
        "paths": paths,
    }
