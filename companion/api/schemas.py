"""JSON Schemas of the request bodies. The OpenAPI document embeds these same objects, so the
validation and the documentation cannot drift apart."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from companion.errors import InvalidRequest
from companion.pipeline.types import SITES

_NULLABLE_STR = {"type": ["string", "null"], "maxLength": 2048}

POST = {
    "type": "object",
    "required": ["id", "text"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 256},
        "text": {"type": "string", "minLength": 1},
        "author": _NULLABLE_STR,
        "url": _NULLABLE_STR,
        "lang_hint": {"type": ["string", "null"], "maxLength": 35},
        "kind": {"type": ["string", "null"], "maxLength": 32},
    },
}

ANALYZE_REQUEST = {
    "type": "object",
    "required": ["site", "posts"],
    "additionalProperties": False,
    "properties": {
        "site": {"type": "string", "enum": list(SITES)},
        "posts": {"type": "array", "items": POST},
        "translate": {"type": "boolean"},
    },
}

PAIR_REQUEST = {
    "type": "object",
    "required": ["extension_id", "name"],
    "additionalProperties": False,
    "properties": {
        "extension_id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
    },
}


def _where(error: Any) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"body{path}" if path else "body"


def _explain(error: Any) -> str:
    where = _where(error)
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{where}: {error.message}; allowed fields: {allowed}"
    if error.validator == "minLength" and error.validator_value == 1:
        return f"{where}: must not be empty"
    return f"{where}: {error.message}"


def validate(instance: Any, schema: dict[str, Any], what: str) -> None:
    """Raise :class:`InvalidRequest` listing every problem, each naming its field."""
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        details = [_explain(e) for e in errors[:20]]
        raise InvalidRequest(f"invalid {what}: {details[0]}", errors=details)
