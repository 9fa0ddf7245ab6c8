"""The HTTP API, v1: one blueprint per area, each guarded by :mod:`companion.security`."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request

from companion.errors import InvalidRequest


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


def blueprint_modules() -> tuple[Any, ...]:
    """Every API area's module. Importing one also describes its routes in the OpenAPI document."""
    from companion.api import analyze, feedback, health, openapi, pair, privacy, profile, status, translate

    return (health, openapi, pair, status, analyze, translate, profile, feedback, privacy)


def register(app: Flask) -> None:
    for module in blueprint_modules():
        app.register_blueprint(module.bp)
