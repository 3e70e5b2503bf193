"""The OpenAPI description of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

TRACK = {"type": "string", "enum": ["beginner", "ax", "shared_center"]}
TEXT = {"type": "object", "properties": {"ko": {"type": "string"}, "en": {"type": "string"}}}
ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "example": "profile.business_number"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
DIAGNOSIS = {
    "type": "object",
    "required": [
        "id",
        "dimensions",
        "readiness",
        "track",
        "probabilities",
        "needs_review",
        "reasons",
        "model_version",
    ],
    "properties": {
        "id": {"type": "integer"},
        "questionnaire": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "version": {"type": "integer"}},
        },
        "dimensions": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "score": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
                    "level": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                    "level_description": {"type": ["string", "null"]},
                    "answered": {"type": "integer"},
                    "applicable": {"type": "integer"},
                },
            },
        },
        "readiness": {"type": ["number", "null"]},
        "track": TRACK,
        "track_name": {"type": "string"},
        "probabilities": {
            "type": "object",
            "properties": {t: {"type": "number"} for t in ("beginner", "ax", "shared_center")},
        },
        "needs_review": {
            "type": "boolean",
            "description": "the top two tracks are close: the consultant decides",
        },
        "model_version": {"type": "string"},
        "reasons": {
            "type": "object",
            "description": "what weighed for `track` over the next likeliest track, `against`",
            "properties": {
                "against": TRACK,
                "toward": {"type": "array", "items": {"type": "string"}},
                "away": {"type": "array", "items": {"type": "string"}},
            },
        },
        "counterfactual": {
            "type": ["object", "null"],
            "properties": {
                "target": TRACK,
                "reached": {"type": "boolean"},
                "probability": {"type": "number"},
                "text": {"type": "string"},
                "changes": {"type": "array", "items": {"type": "object"}},
            },
        },
        "decision": {"type": ["object", "null"]},
        "result_url": {"type": "string", "description": "self-assessments only: the secret link"},
        "result_token": {"type": "string", "description": "self-assessments only"},
    },
}


def openapi_spec() -> dict[str, Any]:
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
                    "description": "flask --app diagnose create-token EMAIL",
                },
                "resultToken": {"type": "apiKey", "in": "header", "name": "X-Result-Token"},
            },
            "schemas": {"Diagnosis": DIAGNOSIS, "Error": ERROR},
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
                    "rate-limited per client, answered with a secret result link.",
                    "security": [{}, {"consultantToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["profile", "answers"],
                                    "properties": {
                                        "profile": {
                                            "type": "object",
                                            "additionalProperties": {"type": ["string", "integer"]},
                                        },
                                        "answers": {
                                            "type": "object",
                                            "additionalProperties": {
                                                "oneOf": [
                                                    {"type": "string"},
                                                    {"type": "number"},
                                                    {"type": "array", "items": {"type": "string"}},
                                                ]
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "diagnosed and stored",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Diagnosis"}
                                }
                            },
                        },
                        "400": {
                            "description": "invalid input; nothing stored",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                        "401": {"description": "a token was sent but is not valid"},
                        "429": {"description": "too many anonymous self-assessments"},
                    },
                }
            },
            "/assessments/{id}": {
                "get": {
                    "summary": "A diagnosis, for a consultant of its center or the holder of its "
                    "result token",
                    "security": [{"consultantToken": []}, {"resultToken": []}],
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the diagnosis",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Diagnosis"}
                                }
                            },
                        },
                        "404": {"description": "no such assessment for this caller"},
                    },
                }
            },
        },
    }
