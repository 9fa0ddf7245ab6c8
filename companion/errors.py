"""Errors the companion raises, and how every error becomes one JSON shape.

The shape, pinned by ``tests/api/test_errors.py``::

    {"ok": false, "error": "<message>", "code": "<machine code>", "status": <int>, "errors": [...]}

``models`` and ``privacy`` have their own error bases (they may not import the companion); they
carry the same ``code`` / ``status`` / ``message`` attributes, so :func:`error_body` renders them too.
"""

from __future__ import annotations

from typing import Any


class FeedlensError(Exception):
    """Base class: ``FeedlensError(message, status=..., code=..., errors=[...])``."""

    code = "error"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: list[str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.errors = errors or []


class InvalidRequest(FeedlensError):
    """The request body or parameters are wrong; the message says which field and why."""

    code = "invalid_request"
    status = 400


class NotPaired(FeedlensError):
    """Missing, wrong or revoked bearer token."""

    code = "not_paired"
    status = 401


class Forbidden(FeedlensError):
    """A web page (not a paired extension) tried to call the API."""

    code = "forbidden_origin"
    status = 403


class MisdirectedHost(FeedlensError):
    """A ``Host`` header other than ``127.0.0.1:<port>`` / ``localhost:<port>`` (DNS rebinding)."""

    code = "bad_host"
    status = 421


class TooLarge(FeedlensError):
    """Body, batch or text over its limit."""

    code = "too_large"
    status = 413


class RateLimited(FeedlensError):
    """Too many requests from one client in the current window."""

    code = "rate_limited"
    status = 429


class NotFound(FeedlensError):
    code = "not_found"
    status = 404


def error_body(exc: BaseException) -> tuple[dict[str, Any], int]:
    """Render any Feedlens-family error (or anything with ``status``/``code``) as the JSON shape."""
    status = int(getattr(exc, "status", 500) or 500)
    code = str(getattr(exc, "code", "error"))
    message = getattr(exc, "message", None) or str(exc) or code
    errors = list(getattr(exc, "errors", []) or [])
    return {"ok": False, "error": message, "code": code, "status": status, "errors": errors}, status
