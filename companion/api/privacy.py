"""``GET /v1/export``, ``POST /v1/erase`` and ``GET /v1/stats``: the vault, whole.

    GET  /v1/export                          -> everything the vault holds, one JSON document
    POST /v1/erase {"keep_pairings": false}  -> erase it all (then VACUUM); pairings only if asked
    GET  /v1/stats?days=30                   -> dashboard aggregates
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from companion.api import read_json
from companion.api.openapi import _errors, _json, describe
from companion.api.schemas import validate
from companion.errors import InvalidRequest
from companion.security import guard_blueprint

bp = Blueprint("privacy", __name__, url_prefix="/v1")
guard_blueprint(bp)

ERASE_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"keep_pairings": {"type": "boolean", "description": "keep paired extensions (default false)"}},
}

_GUARDED = (401, 403, 421, 429)
describe("/v1/export", "get", {
    "summary": "Everything the vault holds as one schema-versioned JSON document",
    "responses": {"200": {"description": "{format, schema, exported_at, profile, pairings, feedback, seen, "
                                         "translations, interactions}"}, **_errors(503, *_GUARDED)},
})
describe("/v1/erase", "post", {
    "summary": "Erase everything in the vault, then VACUUM; pairings are kept only with keep_pairings",
    "requestBody": {"required": False, **_json(ERASE_REQUEST)},
    "responses": {"200": {"description": "{ok, kept_pairings}"}, **_errors(400, 503, *_GUARDED)},
})
describe("/v1/stats", "get", {
    "summary": "Dashboard aggregates: sentiment by day, actions by reason, languages, top authors, interactions",
    "parameters": [{"name": "days", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 30}}],
    "responses": {"200": {"description": "aggregates"}, **_errors(400, 503, *_GUARDED)},
})


@bp.get("/export")
def export():
    vault = current_app.extensions["feedlens"].require_vault()
    doc = vault.export()
    response = jsonify(doc)
    day = doc["exported_at"][:10]
    response.headers["Content-Disposition"] = f'attachment; filename="feedlens-export-{day}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/erase")
def erase():
    body = read_json("erase request") if request.get_data(cache=True) else {}
    validate(body, ERASE_REQUEST, "erase request")
    keep = bool(body.get("keep_pairings", False))
    current_app.extensions["feedlens"].erase(keep_pairings=keep)
    return jsonify({"ok": True, "kept_pairings": keep})


@bp.get("/stats")
def stats():
    raw = request.args.get("days", "30")
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= 3650:
        raise InvalidRequest(f"days must be a whole number from 1 to 3650, got {raw!r}")
    return jsonify(current_app.extensions["feedlens"].require_vault().stats(days))
