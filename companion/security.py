"""The localhost security model of DESIGN.md, as request hooks on the API blueprints.

- ``Host`` must be ``127.0.0.1:<port>`` or ``localhost:<port>`` (DNS rebinding: Ollama's
  CVE-2024-28224 was this) -> else 421.
- An ``Origin`` that is not an extension (``chrome-extension://``, ``moz-extension://``) -> 403.
  Requests without ``Origin`` (the CLI, curl) are allowed; they still need a token.
- ``Authorization: Bearer <token>`` on every endpoint but health and pairing -> else 401.
  A token used from another extension's origin is refused too.
- Per-client rate limits -> 429. Body size is capped by Flask's ``MAX_CONTENT_LENGTH`` -> 413.
- CORS answers only for paired extension origins (pairing endpoints: any extension origin).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from typing import Any

from flask import Flask, Response, current_app, g, request

from companion.errors import Forbidden, MisdirectedHost, NotPaired, RateLimited

log = logging.getLogger(__name__)

_EXTENSION_ORIGIN = re.compile(r"^(chrome-extension|moz-extension)://([A-Za-z0-9._-]{1,128})$")
LOCAL_HOSTNAMES = ("127.0.0.1", "localhost")


def extension_id_of(origin: str | None) -> str | None:
    """``chrome-extension://abc`` -> ``abc``; ``None`` for anything that is not an extension."""
    if not origin:
        return None
    m = _EXTENSION_ORIGIN.match(origin)
    return m.group(2) if m else None


class RateLimiter:
    """Sliding one-minute window per key. In memory: limits protect a running process."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, per_minute: int) -> bool:
        """Record one request; ``False`` when ``key`` is over ``per_minute``."""
        now = time.monotonic()
        with self._lock:
            window = self._hits.setdefault(key, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= per_minute:
                return False
            window.append(now)
            if len(self._hits) > 10_000:  # forget idle clients; keep memory bounded
                for k in [k for k, w in self._hits.items() if not w]:
                    del self._hits[k]
            return True


def check_host() -> None:
    """Refuse any Host other than 127.0.0.1:<port> / localhost:<port>."""
    host = request.headers.get("Host", "")
    port = current_app.config.get("FEEDLENS_PORT")
    name, _, host_port = host.rpartition(":") if ":" in host else (host, "", "")
    if name not in LOCAL_HOSTNAMES or (port and host_port != str(port)):
        log.warning("refused request with Host %r (expected 127.0.0.1:%s or localhost:%s)", host[:100], port, port)
        raise MisdirectedHost(
            f"Host {host[:100]!r} is not this companion; use http://127.0.0.1:{port}/ "
            "(other host names are refused to stop DNS rebinding)"
        )


def check_origin() -> None:
    """Refuse web pages; remember the calling extension's id (if any) on ``g``."""
    origin = request.headers.get("Origin")
    g.extension_id = extension_id_of(origin)
    if origin is not None and g.extension_id is None:
        log.warning("refused request from web origin %r", origin[:100])
        raise Forbidden(
            f"requests from {origin[:100]!r} are refused: only the paired Feedlens extension may call the companion"
        )


def client_key() -> str:
    pairing = getattr(g, "pairing", None)
    return f"pairing:{pairing['id']}" if pairing else f"addr:{request.remote_addr}"


def check_rate(limit_setting: str, bucket: str) -> None:
    services = current_app.extensions["feedlens"]
    per_minute = current_app.config["FEEDLENS"][limit_setting]
    if not services.limiter.hit(f"{bucket}:{client_key()}", per_minute):
        log.warning("rate limit hit (%s) for %s", bucket, client_key())
        raise RateLimited(f"more than {per_minute} requests a minute; slow down and retry in a minute")


def require_token() -> None:
    """Bearer token of an active pairing; the pairing must belong to the calling extension."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotPaired("missing bearer token: pair the extension first (POST /v1/pair/request), then send "
                        "'Authorization: Bearer <token>'")
    pairing = current_app.extensions["feedlens"].pairing.authenticate(token.strip())
    if pairing is None:
        log.warning("refused a wrong or revoked token from %s", request.remote_addr)
        raise NotPaired("wrong or revoked token: pair the extension again")
    if g.get("extension_id") and g.extension_id != pairing["extension_id"]:
        log.warning("refused a token used from another extension's origin")
        raise NotPaired("this token was issued to another extension: pair this extension")
    g.pairing = pairing


def add_cors_headers(response: Response, any_extension: bool = False) -> Response:
    """CORS only for extension origins that are paired (or, for pairing routes, any extension)."""
    ext = getattr(g, "extension_id", None)
    if not ext:
        return response
    allowed = any_extension or getattr(g, "pairing", None) is not None or _is_paired(ext)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
    return response


def _is_paired(extension_id: str) -> bool:
    pairing = current_app.extensions["feedlens"].pairing
    return any(p["extension_id"] == extension_id and not p.get("revoked") for p in pairing.list())


def install(app: Flask) -> None:
    """Security headers that apply to every response of the companion."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response


def guard_blueprint(bp: Any, *, public: bool = False, pairing_routes: bool = False) -> None:
    """Attach the checks to one API blueprint.

    ``public``: no token (health). ``pairing_routes``: no token, stricter rate limit, CORS for any
    extension origin.
    """

    @bp.before_request
    def _guard() -> Response | None:
        check_host()
        check_origin()
        if request.method == "OPTIONS":
            # A preflight carries no credentials; answer it (CORS headers only for allowed origins).
            return current_app.make_default_options_response()
        if pairing_routes and request.method == "POST":
            # Only *asking* is tightly limited; polling a request's status is cheap.
            check_rate("pair_requests_per_minute", "pair")
        elif public or pairing_routes:
            check_rate("rate_limit_per_minute", "public")
        else:
            require_token()
            check_rate("rate_limit_per_minute", "api")
        return None

    @bp.after_request
    def _cors(response: Response) -> Response:
        return add_cors_headers(response, any_extension=pairing_routes)
