"""``GET /v1/health``: liveness. No token; reveals nothing personal."""

from flask import Blueprint, jsonify

from companion import __version__
from companion.security import guard_blueprint

bp = Blueprint("health", __name__, url_prefix="/v1")
guard_blueprint(bp, public=True)


@bp.get("/health")
def health():
    return jsonify({"ok": True, "service": "feedlens", "version": __version__})
