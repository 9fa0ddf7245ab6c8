"""``GET /v1/profile`` and ``PUT /v1/profile``: the person's preferences, stored in the vault.

    GET  /v1/profile  -> the profile document, with its "version"
    PUT  /v1/profile  {"languages": ["en", "zh"], "dials": {...}, ...} -> the stored document

PUT replaces the whole document (fields left out take their defaults); it is validated by
:func:`companion.profile.validate_profile` first, so a bad document changes nothing. Every
successful PUT bumps ``version``, which the verdict cache keys on.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from companion.api import read_json
from companion.api.openapi import _errors, _json, describe
from companion.security import guard_blueprint

bp = Blueprint("profile", __name__, url_prefix="/v1")
guard_blueprint(bp)

PROFILE = {
    "type": "object",
    "description": "The profile document (DESIGN.md core fields plus those in docs/decisions.md); "
                   "validated by companion.profile.validate_profile, errors name each wrong field.",
    "properties": {
        "version": {"type": "integer", "description": "set by the companion; ignored in a PUT"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "auto_translate": {"type": "boolean"},
        "dials": {"type": "object", "additionalProperties": {"enum": ["off", "low", "medium", "high", "strict"]}},
        "mutes": {"type": "object"},
        "allow": {"type": "object"},
        "topics": {"type": "array", "items": {"type": "object"}},
        "sites": {"type": "object", "additionalProperties": {"type": "boolean"}},
    },
}

_GUARDED = (401, 403, 421, 429)
describe("/v1/profile", "get", {
    "summary": "The person's profile (languages, dials, mutes, allow-lists, topics, sites) with its version",
    "responses": {"200": {"description": "the profile", **_json(PROFILE)}, **_errors(503, *_GUARDED)},
})
describe("/v1/profile", "put", {
    "summary": "Replace the profile (validated; fields left out take their defaults); bumps the version",
    "requestBody": {"required": True, **_json(PROFILE)},
    "responses": {"200": {"description": "the stored profile", **_json(PROFILE)}, **_errors(400, 413, 503, *_GUARDED)},
})


@bp.get("/profile")
def get_profile():
    services = current_app.extensions["feedlens"]
    services.require_vault()
    return jsonify(services.profile())


@bp.put("/profile")
def put_profile():
    from companion.profile import validate_profile

    services = current_app.extensions["feedlens"]
    body = read_json("profile")
    vault = services.require_vault()
    vault.profile_put(validate_profile(body))
    return jsonify(services.profile())
