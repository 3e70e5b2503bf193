"""The OpenAPI description of the JSON API, served at /api/v1/openapi.json.

Its schemas are generated from the pydantic models that check each call and shape each
answer (``services.schemas``), so the document cannot drift from what the API does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..questionnaire.schema import Questionnaire
from ..services import schemas

REF = "#/components/schemas/{model}"


def _components(questionnaire: Questionnaire) -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        schemas.submission_model(questionnaire),
        schemas.Diagnosis,
        schemas.Error,
        schemas.Roadmap,
    ]
    _refs, document = models_json_schema(
        [(m, "validation" if i == 0 else "serialization") for i, m in enumerate(models)],
        ref_template=REF,
    )
    return document.get("$defs", {})


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=schema_name)}}},
    }


def _id_parameter() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_spec(questionnaire: Questionnaire) -> dict[str, Any]:
    error = _json("Error", "an error, with a message in the Accept-Language language")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "diagnose API",
            "version": "1",
            "description": "AI-training needs diagnosis for small firms. Error messages follow "
            "Accept-Language (ko by default, en).",
        },
        "servers": [{"url": "/api/v1"}],
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
            "schemas": _components(questionnaire),
        },
        "paths": {
            "/questionnaire": {
                "get": {
                    "summary": "The current questionnaire: sections, items, options with scores, "
                    "profile fields",
                    "responses": {
                        "200": {
                            "description": "the questionnaire",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["id", "version", "sections", "profile"],
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/assessments": {
                "post": {
                    "summary": "Diagnose a firm. Without a token: an anonymous self-assessment, "
                    "rate-limited per client, answered with a secret result link; it never "
                    "attaches to a firm a center registered.",
                    "security": [{}, {"consultantToken": []}],
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "the same key with the same request gives the first "
                            "call's diagnosis again instead of a second one",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(model="Submission")}}
                        },
                    },
                    "responses": {
                        "201": _json("Diagnosis", "diagnosed and stored"),
                        "400": _json("Error", "invalid input; nothing stored"),
                        "401": error | {"description": "a token was sent but is not valid"},
                        "422": error
                        | {"description": "the Idempotency-Key was used for another request"},
                        "429": error | {"description": "too many anonymous self-assessments"},
                        "503": error | {"description": "no track model is loaded"},
                    },
                }
            },
            "/assessments/{id}": {
                "get": {
                    "summary": "A diagnosis, for a consultant of its center or the holder of its "
                    "result token",
                    "security": [{"consultantToken": []}, {"resultToken": []}],
                    "parameters": [_id_parameter()],
                    "responses": {
                        "200": _json("Diagnosis", "the diagnosis"),
                        "404": error | {"description": "no such assessment for this caller"},
                    },
                }
            },
            "/assessments/{id}/roadmap": {
                "get": {
                    "summary": "The training plan as JSON: the task's themes (confidence, "
                    "confirmed), each module with why, who, when, hours, cost and funding route",
                    "security": [{"consultantToken": []}, {"resultToken": []}],
                    "parameters": [
                        _id_parameter(),
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["ko", "en"]},
                        },
                    ],
                    "responses": {
                        "200": _json("Roadmap", "the plan"),
                        "404": error | {"description": "no such assessment for this caller"},
                    },
                }
            },
            "/assessments/{id}/roadmap.pdf": {
                "get": {
                    "summary": "The training roadmap as a PDF, for the same callers",
                    "security": [{"consultantToken": []}, {"resultToken": []}],
                    "parameters": [
                        _id_parameter(),
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["ko", "en"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "the roadmap",
                            "content": {
                                "application/pdf": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        },
                        "404": error | {"description": "no such assessment for this caller"},
                        "503": error
                        | {
                            "description": "the report is not ready: `report_not_ready` (being "
                            "rendered, ask again after `Retry-After` seconds), `queue_full` (many "
                            "reports waiting), `report_failed` (its render failed; tried again "
                            "after a pause)",
                            "headers": {
                                "Retry-After": {"schema": {"type": "integer"}},
                            },
                        },
                    },
                }
            },
        },
    }
