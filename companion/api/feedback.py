"""``POST /v1/feedback``: one feedback event from the extension, stored in the vault.

    POST /v1/feedback {"kind": "less", "site": "x", "post_id": "123", "author": "@a", "lang": "en"}
    -> 201 {"ok": true, "id": 7, "profile_version": 3, "learned": true}

A post named by ``post_id`` that the companion analysed lately gets its text attached (from
memory), so the personal interest model learns from it; the event, text included, is stored
encrypted in the vault.

Kinds: ``more`` / ``more_like_this``, ``less`` / ``less_like_this``, ``wrong_label``,
``hide_author`` (which also mutes the author in the profile, in the same transaction).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify

from companion.api import read_json
from companion.api.openapi import _errors, _json, describe
from companion.api.schemas import validate
from companion.errors import TooLarge
from companion.pipeline.types import SITES
from companion.security import guard_blueprint

log = logging.getLogger(__name__)

bp = Blueprint("feedback", __name__, url_prefix="/v1")
guard_blueprint(bp)

# The extension's buttons say more/less; the pipeline's interest model says *_like_this.
KIND_ALIASES = {"more": "more_like_this", "less": "less_like_this"}
KINDS = ("more", "less", "more_like_this", "less_like_this", "wrong_label", "hide_author")
ACTIONS = ("show", "badge", "blur", "collapse", "hide")

FEEDBACK_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "site": {"type": "string", "enum": list(SITES)},
        "post_id": {"type": "string", "minLength": 1, "maxLength": 256},
        "author": {"type": ["string", "null"], "maxLength": 512},
        "lang": {"type": ["string", "null"], "maxLength": 35},
        "label": {"type": ["string", "null"], "maxLength": 64},
        "category": {"type": "string", "maxLength": 64, "description": "wrong_label: the category judged wrongly"},
        "expected": {"type": "string", "enum": list(ACTIONS), "description": "wrong_label: what should have happened"},
        "text": {"type": "string", "description": "optional post text, kept (encrypted) to train the personal model"},
    },
}

describe("/v1/feedback", "post", {
    "summary": "Store one feedback event (hide_author also mutes the author)",
    "requestBody": {"required": True, **_json(FEEDBACK_REQUEST)},
    "responses": {"201": {"description": "{ok, id, profile_version, learned}"}, **_errors(400, 413, 503, 401, 403, 421, 429)},
})


@bp.post("/feedback")
def post_feedback():
    from companion.pipeline.interest import profile_patch_for
    from companion.profile import validate_profile

    services = current_app.extensions["feedlens"]
    body = read_json("feedback event")
    validate(body, FEEDBACK_REQUEST, "feedback event")
    limit = services.cfg["max_text_chars"]
    if len(body.get("text") or "") > limit:
        raise TooLarge(f"body.text is over {limit} characters; send the post's first {limit}")
    event = {**body, "kind": KIND_ALIASES.get(body["kind"], body["kind"])}
    if "text" not in event:
        # The extension names the post by id; the companion saw its text moments ago.
        text = services.recent_text(event.get("site"), event.get("post_id"))
        if text is not None:
            event["text"] = text
    vault = services.require_vault()
    # Work out (and validate) the profile change before writing anything: all or nothing.
    patch = profile_patch_for(event, services.profile())
    new_profile = validate_profile({**services.profile(), **patch}) if patch else None
    with vault.transaction():
        event_id = vault.feedback_add(event)
        if new_profile is not None:
            vault.profile_put(new_profile)
    services.analyzer.learn(event)  # the personal interest model learns on-device, at once
    learned = False
    learn = getattr(services.analyzer, "learn", None)
    if learn is not None:
        try:
            learned = bool(learn(event))
        except Exception:  # the event is stored; the model catches up when it is rebuilt
            log.exception("the interest model could not learn from a feedback event")
    return jsonify({"ok": True, "id": event_id, "profile_version": vault.profile_version(), "learned": learned}), 201
