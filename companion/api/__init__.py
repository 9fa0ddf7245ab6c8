"""The HTTP API, v1: one blueprint per area, each guarded by :mod:`companion.security`."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request

from companion.errors import InvalidRequest, TooLarge


def read_json(what: str = "request body") -> Any:
    """The request body as JSON, or a 400 that says what is wrong with it."""
    if request.mimetype != "application/json":
        raise InvalidRequest(f"send the {what} as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the {what} is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"the {what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def check_batch(items: Any, what: str, max_items: int, max_chars: int, text_field: str | None = None) -> None:
    """413 for too many ``items`` or a text over ``max_chars``, checked before the schema (which
    would call them 400s). Shapes the schema will refuse anyway are left to it.

    :param what: the field's path in messages, e.g. ``body.posts``.
    :param text_field: the key of an item's text when items are objects (posts); ``None`` when the
        items are the texts themselves (/v1/translate).
    """
    if not isinstance(items, list):
        return
    if len(items) > max_items:
        raise TooLarge(f"{len(items)} {what.rsplit('.', 1)[-1]} in one request; send at most {max_items} per request")
    for i, item in enumerate(items):
        text = item.get(text_field) if text_field and isinstance(item, dict) else item
        if isinstance(text, str) and len(text) > max_chars:
            path = f"{what}[{i}]" + (f".{text_field}" if text_field else "")
            raise TooLarge(f"{path} has {len(text)} characters; the limit is {max_chars}")


def blueprint_modules() -> tuple[Any, ...]:
    """Every API area's module. Importing one also describes its routes in the OpenAPI document."""
    from companion.api import analyze, feedback, health, openapi, pair, privacy, profile, status, translate

    return (health, openapi, pair, status, analyze, translate, profile, feedback, privacy)


def register(app: Flask) -> None:
    for module in blueprint_modules():
        app.register_blueprint(module.bp)
