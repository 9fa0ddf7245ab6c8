"""Pairing: ``POST /v1/pair/request`` and ``GET /v1/pair/<id>`` (no token: this is how one is got)."""

from flask import Blueprint, current_app, g, jsonify

from companion.api import read_json
from companion.api.schemas import PAIR_REQUEST, validate
from companion.errors import Forbidden
from companion.security import guard_blueprint

bp = Blueprint("pair", __name__, url_prefix="/v1/pair")
guard_blueprint(bp, pairing_routes=True)


def _service():
    return current_app.extensions["feedlens"].pairing


@bp.post("/request")
def pair_request():
    body = read_json()
    validate(body, PAIR_REQUEST, "pairing request")
    # From a browser, only the extension itself may ask, and only for its own id.
    if g.extension_id is not None and g.extension_id != body["extension_id"]:
        raise Forbidden("extension_id does not match the calling extension's origin")
    return jsonify(_service().request(body["extension_id"], body["name"])), 202


@bp.get("/<request_id>")
def pair_status(request_id: str):
    return jsonify(_service().poll(request_id, extension_id=g.extension_id))
