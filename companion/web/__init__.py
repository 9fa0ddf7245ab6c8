"""The settings page and the dashboard, served by the companion under ``/settings``.

    from companion import web
    web.register(app)                     # in create_app, after the API blueprints
    web.controls_of(app).state()          # the object the tray drives too
    web.login_url(app)                    # a one-time URL that opens the page (tray "Open settings")

Access is by one-time URL + session cookie, never by the extension's bearer token: see
:mod:`companion.web.auth`. Charts are rendered by :mod:`companion.web.charts` (matplotlib, imported
only when a chart is asked for).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from companion.web.auth import SettingsAuth
from companion.web.controls import Controls

EXTENSION_KEY = "feedlens_web"


def register(app: Flask) -> None:
    from companion.web.views import bp

    services = app.extensions["feedlens"]
    app.extensions[EXTENSION_KEY] = {
        "auth": SettingsAuth(services.cfg["data_dir"]),
        "controls": Controls(services),
    }
    app.register_blueprint(bp)


def controls_of(app: Flask) -> Controls:
    return app.extensions[EXTENSION_KEY]["controls"]


def settings_auth(app: Flask) -> SettingsAuth:
    return app.extensions[EXTENSION_KEY]["auth"]


def login_url(app: Flask, page: str = "settings", port: Any = None) -> str:
    """``http://127.0.0.1:<port>/settings/login?t=<one-time nonce>`` (``page``: settings or dashboard)."""
    port = port or app.config["FEEDLENS_PORT"]
    nonce = settings_auth(app).mint_nonce()
    suffix = "&next=dashboard" if page == "dashboard" else ""
    return f"http://127.0.0.1:{port}/settings/login?t={nonce}{suffix}"
