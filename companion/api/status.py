"""``GET /v1/status``: models loaded, device, versions, paused or not."""

from flask import Blueprint, current_app, jsonify

from companion.security import guard_blueprint

bp = Blueprint("status", __name__, url_prefix="/v1")
guard_blueprint(bp)


@bp.get("/status")
def status():
    return jsonify(current_app.extensions["feedlens"].status())
