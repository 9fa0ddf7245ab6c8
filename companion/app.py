"""The Flask app factory.

    app = create_app({"data_dir": "/tmp/feedlens-test", "port": 8795})

Defaults, then ``config.json`` in the data dir, then ``config`` (tests pass theirs here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from companion.config import load_config
from companion.errors import FeedlensError, TooLarge, error_body
from companion.services import Services
from models.errors import ModelError
from privacy.errors import VaultError

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None, services: Services | None = None) -> Flask:
    cfg = load_config(config)
    app = Flask(__name__)
    app.config["FEEDLENS"] = cfg
    app.config["FEEDLENS_PORT"] = cfg["port"]
    app.config["MAX_CONTENT_LENGTH"] = cfg["max_body_bytes"]
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["feedlens"] = services or Services(cfg)

    from companion import api, security

    security.install(app)
    api.register(app)
    from companion import web

    web.register(app)  # settings page + dashboard under /settings (session-cookie auth)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Every error, whatever raised it, leaves as the one JSON shape of :func:`error_body`."""

    def render(exc: BaseException):
        body, status = error_body(exc)
        return jsonify(body), status

    @app.errorhandler(FeedlensError)
    def _feedlens(exc: FeedlensError):
        return render(exc)

    @app.errorhandler(ModelError)
    def _model(exc: ModelError):
        return render(exc)

    @app.errorhandler(VaultError)
    def _vault(exc: VaultError):
        return render(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            return render(TooLarge(f"request body over {limit} bytes; send smaller batches"))
        message = exc.description or exc.name
        if exc.code == 405:
            message = f"{exc.name}: this route does not accept that method"
        return render(FeedlensError(message, status=exc.code or 500, code=exc.name.lower().replace(" ", "_")))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        return render(FeedlensError("internal error; see the companion's log", status=500, code="internal"))
