"""``GET /v1/openapi.json``: the OpenAPI 3 document of the API.

Request schemas come from :mod:`companion.api.schemas` (the same objects the views validate with);
``tests/api/test_openapi.py`` checks that every route is described and every description is routed.
Blueprints that land later add their paths to :data:`PATHS` in their own module via :func:`describe`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from companion import __version__
from companion.api import schemas
from companion.security import guard_blueprint

bp = Blueprint("openapi", __name__, url_prefix="/v1")
guard_blueprint(bp, public=True)

ERROR = {
    "type": "object",
    "required": ["ok", "error", "code", "status"],
    "properties": {
        "ok": {"const": False},
        "error": {"type": "string", "description": "what is wrong and what to do"},
        "code": {"type": "string"},
        "status": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}

VERDICT = {
    "type": "object",
    "required": ["id", "lang", "lang_confidence", "action", "reasons"],
    "properties": {
        "id": {"type": "string"},
        "lang": {"type": "string", "description": "ISO 639-1 code, 'und' when unknown"},
        "lang_confidence": {"type": "number"},
        "action": {"type": "string", "enum": ["show", "badge", "blur", "collapse", "hide"]},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "sentiment": {
            "type": "object",
            "properties": {"label": {"enum": ["negative", "neutral", "positive"]}, "score": {"type": "number"}},
        },
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "topics": {"type": "array", "items": {"type": "object"}},
        "interest": {"type": "number"},
        "translation": {"type": "object"},
    },
    "description": "Fields whose models are not available are absent.",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "invalid request", 401: "missing, wrong or revoked token", 403: "web-page origin",
            404: "not found", 413: "too large", 421: "foreign Host header", 429: "rate limited",
            409: "conflict", 502: "download failed", 503: "model or vault unavailable"}
    return {str(c): {"description": text[c], **_json({"$ref": "#/components/schemas/Error"})} for c in codes}


_GUARDED = (401, 403, 421, 429)

PATHS: dict[str, dict[str, Any]] = {
    "/v1/health": {"get": {"summary": "Liveness; no token", "security": [],
                           "responses": {"200": {"description": "alive"}, **_errors(403, 421, 429)}}},
    "/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                 "responses": {"200": {"description": "OpenAPI 3 document"}, **_errors(403, 421)}}},
    "/v1/status": {"get": {"summary": "Models loaded, device, versions, paused or not",
                           "responses": {"200": {"description": "status"}, **_errors(*_GUARDED)}}},
    "/v1/pair/request": {"post": {
        "summary": "Ask to pair an extension; the person approves the code shown in the tray / CLI",
        "security": [],
        "requestBody": {"required": True, **_json(schemas.PAIR_REQUEST)},
        "responses": {"202": {"description": "{id, code, expires_in}"}, **_errors(400, 403, 421, 429)}}},
    "/v1/pair/{request_id}": {"get": {
        "summary": "Pairing status; the token appears once, on the first read after approval",
        "security": [],
        "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "{status, token?}"}, **_errors(403, 404, 421, 429)}}},
    "/v1/analyze": {"post": {
        "summary": "Verdicts for a batch of posts",
        "requestBody": {"required": True, **_json(schemas.ANALYZE_REQUEST)},
        "responses": {"200": {"description": "one verdict per post",
                              **_json({"type": "object", "properties": {
                                  "verdicts": {"type": "array", "items": {"$ref": "#/components/schemas/Verdict"}}}})},
                      **_errors(400, 413, *_GUARDED)}}},
}


def describe(path: str, method: str, operation: dict[str, Any]) -> None:
    """Add one operation; each API area describes its own routes beside their code."""
    PATHS.setdefault(path, {})[method.lower()] = operation


def document() -> dict[str, Any]:
    from companion.api import blueprint_modules

    blueprint_modules()  # the document is whole whatever was imported before
    return {
        "openapi": "3.0.3",
        "info": {"title": "Feedlens companion API", "version": __version__,
                 "description": "Local-only API of the Feedlens companion (127.0.0.1)."},
        "servers": [{"url": "http://127.0.0.1:8795"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Verdict": VERDICT},
        },
        "security": [{"bearer": []}],
        "paths": dict(PATHS),
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
