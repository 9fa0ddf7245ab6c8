"""``POST /v1/analyze``: a batch of posts -> one verdict per post."""

from flask import Blueprint, current_app, jsonify

from companion.api import check_batch, read_json
from companion.api.schemas import ANALYZE_REQUEST, validate
from companion.pipeline.types import Post
from companion.security import guard_blueprint

bp = Blueprint("analyze", __name__, url_prefix="/v1")
guard_blueprint(bp)


@bp.post("/analyze")
def analyze():
    services = current_app.extensions["feedlens"]
    body = read_json()
    cfg = current_app.config["FEEDLENS"]
    if isinstance(body, dict):
        check_batch(body.get("posts"), "body.posts", cfg["max_posts_per_batch"], cfg["max_text_chars"], "text")
    validate(body, ANALYZE_REQUEST, "analyze request")
    posts = [Post(**p) for p in body["posts"]]
    verdicts = services.analyze(body["site"], posts, translate=body.get("translate", False))
    return jsonify({"verdicts": [v.to_json() for v in verdicts]})
