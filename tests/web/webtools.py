"""Helpers the web tests share (conftest modules are not importable by name)."""

from __future__ import annotations

from companion import web
from helpers import BASE, PORT

CSRF = {"X-Feedlens-Settings": "1"}


def login(app, client, page: str = "settings"):
    """Open a fresh one-time link with ``client``; the response that sets the session cookie."""
    url = web.login_url(app, page)
    return client.get(url.split(str(PORT), 1)[1], base_url=BASE)
