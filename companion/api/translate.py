"""``POST /v1/translate``: ``{texts: [...], to, from?}`` -> ``{translations: [{text, translation, from, to}]}``.

No model for the pair: 404 whose message names the pull (``no model for zh->en; run `feedlens
models pull translate-zh-en```). Unknown language code, empty text: 400. A text over
``max_text_chars`` or more than ``max_texts_per_translate`` texts: 413. Text with nothing to
translate (emoji, URLs, mentions) comes back unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from companion.api import check_batch, read_json
from companion.api.openapi import _errors, _json, describe
from companion.api.schemas import validate
from companion.security import guard_blueprint

bp = Blueprint("translate", __name__, url_prefix="/v1")
guard_blueprint(bp)

_LANG = {"type": "string", "minLength": 2, "maxLength": 35}
TRANSLATE_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["texts", "to"],
    "additionalProperties": False,
    "properties": {
        "texts": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "to": _LANG,
        "from": {**_LANG, "description": "source language; detected per text when absent"},
    },
}
TRANSLATION = {
    "type": "object",
    "required": ["text", "translation", "from", "to"],
    "properties": {
        "text": {"type": "string", "description": "the original, unchanged"},
        "translation": {"type": "string"},
        "from": {"type": "string", "description": "source language ('und' when it could not be detected)"},
        "to": {"type": "string"},
        "error": {"type": "string", "description": "only with detection: why this text was left untranslated"},
    },
}

describe("/v1/translate", "post", {
    "summary": "Translate texts on this machine; the original comes back beside each translation",
    "requestBody": {"required": True, **_json(TRANSLATE_REQUEST)},
    "responses": {"200": {"description": "one translation per text, in order",
                          **_json({"type": "object", "properties": {
                              "translations": {"type": "array", "items": TRANSLATION}}})},
                  **_errors(400, 404, 413, 503, 401, 403, 421, 429)},
})

def translator():
    """The app's one :class:`~models.translate.Translator`, shared with /v1/analyze."""
    return current_app.extensions["feedlens"].translator()


@bp.post("/translate")
def translate():
    body = read_json()
    cfg = current_app.config["FEEDLENS"]
    if isinstance(body, dict):
        check_batch(body.get("texts"), "body.texts", cfg["max_texts_per_translate"], cfg["max_text_chars"])
    validate(body, TRANSLATE_REQUEST, "translate request")
    src = body.get("from")
    detect = None
    if src is None:
        from models.langid import detect
    results = translator().translate(body["texts"], body["to"], src=src, detect=detect)
    return jsonify({"translations": results})
