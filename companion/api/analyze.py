"""``POST /v1/analyze``: a batch of posts -> one verdict per post."""

from flask import Blueprint, current_app, jsonify

from companion.api import read_json
from companion.api.schemas import ANALYZE_REQUEST, validate
from companion.errors import TooLarge
from companion.pipeline.types import Post
from companion.security import guard_blueprint

bp = Blueprint("analyze", __name__, url_prefix="/v1")
guard_blueprint(bp)


def check_limits(body: object, cfg: dict) -> None:
    """413 for batches and texts over the limits (before schema validation, which would say 400)."""
    if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
        return
    posts = body["posts"]
    if len(posts) > cfg["max_posts_per_batch"]:
        raise TooLarge(f"{len(posts)} posts in one batch; send at most {cfg['max_posts_per_batch']} per request")
    for i, post in enumerate(posts):
        text = post.get("text") if isinstance(post, dict) else None
        if isinstance(text, str) and len(text) > cfg["max_text_chars"]:
            raise TooLarge(f"body.posts[{i}].text has {len(text)} characters; the limit is {cfg['max_text_chars']}")


@bp.post("/analyze")
def analyze():
    services = current_app.extensions["feedlens"]
    body = read_json()
    check_limits(body, current_app.config["FEEDLENS"])
    validate(body, ANALYZE_REQUEST, "analyze request")
    posts = [Post(**p) for p in body["posts"]]
    verdicts = services.analyze(body["site"], posts, translate=body.get("translate", False))
    return jsonify({"verdicts": [v.to_json() for v in verdicts]})
