"""Routes of the settings page and the dashboard (``/settings/...``).

Pages: ``/settings/login?t=`` (spends a one-time nonce, sets the cookie), ``/settings``,
``/settings/dashboard``, ``/settings/charts/<name>.svg``. JSON for the page's script:
``/settings/api/...``. Every route checks the Host header; every route but login and static files
needs the session cookie; every state-changing one also needs the CSRF header and a same-origin
``Origin`` (see :mod:`companion.web.auth`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, make_response, render_template, request

from companion.api import read_json
from companion.errors import FeedlensError, InvalidRequest
from companion.security import check_host
from companion.web import auth as auth_mod
from companion.web import i18n

log = logging.getLogger(__name__)

bp = Blueprint("web", __name__, url_prefix="/settings", template_folder="templates",
               static_folder="static", static_url_path="/static")

PUBLIC_ENDPOINTS = ("web.login", "web.static")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class NoSession(FeedlensError):
    code = "no_session"
    status = 403


class CrossSite(FeedlensError):
    code = "cross_site"
    status = 403


def _ext() -> dict[str, Any]:
    return current_app.extensions["feedlens_web"]


def _controls():
    return _ext()["controls"]


def _lang() -> str:
    return i18n.pick(request.args.get("lang"), _controls().cfg.get("ui_language"))


def _refused(message_key: str, status: int = 403) -> Response:
    lang = _lang()
    html = render_template("refused.html", t=i18n.strings(lang), lang=lang, message_key=message_key)
    return make_response(html, status)


def _same_origin() -> bool:
    """``Origin`` and ``Sec-Fetch-Site``, when the browser sends them, must say "this companion"."""
    port = current_app.config["FEEDLENS_PORT"]
    origin = request.headers.get("Origin")
    if origin is not None and origin not in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


@bp.before_request
def _guard() -> Response | None:
    check_host()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not _ext()["auth"].valid(request.cookies.get(auth_mod.COOKIE)):
        if request.path.startswith("/settings/api/"):
            raise NoSession("no settings session: open settings from the tray or run `feedlens settings`")
        return _refused("refused_no_session")
    if request.method not in SAFE_METHODS:
        if request.headers.get(auth_mod.CSRF_HEADER) != "1" or not _same_origin():
            log.warning("refused a settings change without the CSRF header or from another origin (%s)",
                        (request.headers.get("Origin") or "no Origin")[:100])
            raise CrossSite("cross-site request refused: change settings from the settings page itself")
    g.lang = _lang()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- pages -------------------------------------------------------------------------------------


@bp.get("/login")
def login() -> Response:
    session = _ext()["auth"].redeem(request.args.get("t"))
    if session is None:
        log.warning("refused a settings login with a missing, spent or expired one-time link")
        return _refused("refused_bad_link")
    target = "/settings/dashboard" if request.args.get("next") == "dashboard" else "/settings"
    lang = _lang()
    # A page that moves on by itself (not a 302): the next request starts from this origin, so the
    # SameSite=Strict cookie goes with it whatever opened the login link.
    resp = make_response(render_template("login.html", t=i18n.strings(lang), lang=lang, target=target))
    resp.set_cookie(auth_mod.COOKIE, session, max_age=int(auth_mod.SESSION_TTL), path="/settings",
                    httponly=True, samesite="Strict")
    resp.headers["Refresh"] = f"0; url={target}"
    return resp


@bp.post("/logout")
def logout() -> Response:
    _ext()["auth"].end(request.cookies.get(auth_mod.COOKIE))
    resp = jsonify({"ok": True})
    resp.delete_cookie(auth_mod.COOKIE, path="/settings")
    return resp


@bp.get("")
@bp.get("/")
def settings_page() -> str:
    c = _controls()
    return render_template("settings.html", t=i18n.strings(g.lang), lang=g.lang, page="settings",
                           strings_json=json.dumps(i18n.strings(g.lang), ensure_ascii=False),
                           vault_problem=c.vault_problem())


@bp.get("/dashboard")
def dashboard_page() -> str:
    from companion.web.charts import CHARTS, summary

    c = _controls()
    days = _days()
    problem = c.vault_problem()
    stats = None if problem else c.stats(days)
    profile = None if problem else c.profile()
    return render_template("dashboard.html", t=i18n.strings(g.lang), lang=g.lang, page="dashboard",
                           vault_problem=problem, days=days, charts=CHARTS,
                           summary=summary(stats, profile) if stats else None, stamp=int(time.time()))


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    from companion.web import charts

    if name not in charts.CHARTS:
        raise InvalidRequest(f"no chart {name!r}; charts: {', '.join(charts.CHARTS)}")
    theme = "dark" if request.args.get("theme") == "dark" else "light"
    c = _controls()
    svg = charts.render(name, c.stats(_days()), c.profile(), theme=theme, strings=i18n.strings(g.lang))
    resp = Response(svg, mimetype="image/svg+xml")
    # matplotlib's SVG styles its shapes inline; nothing in it loads or runs anything.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return resp


def _days() -> int:
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        raise InvalidRequest("days must be a whole number from 1 to 365") from None
    if not 1 <= days <= 365:
        raise InvalidRequest(f"days must be from 1 to 365, got {days}")
    return days


# --- JSON for the page's script ----------------------------------------------------------------


def _body() -> dict[str, Any]:
    body = read_json()
    if not isinstance(body, dict):
        raise InvalidRequest("send a JSON object")
    return body


@bp.get("/api/state")
def state() -> Response:
    c = _controls()
    return jsonify({"state": c.state(), "attention": c.attention(), "paused": c.paused, "device": c.device, "devices": c.devices(),
                    "ui_language": c.cfg.get("ui_language", "en"), "retention_days": c.cfg["retention_days"],
                    "vault_problem": c.vault_problem(), "data_dir": str(c.data_dir)})


@bp.get("/api/profile")
def get_profile() -> Response:
    return jsonify(_controls().profile())


@bp.put("/api/profile")
def put_profile() -> Response:
    return jsonify(_controls().put_profile(_body()))


@bp.post("/api/pause")
def pause() -> Response:
    value = _body().get("paused")
    if not isinstance(value, bool):
        raise InvalidRequest("send {\"paused\": true} or {\"paused\": false}")
    return jsonify({"paused": _controls().set_paused(value)})


@bp.post("/api/device")
def device() -> Response:
    return jsonify({"device": _controls().set_device(str(_body().get("device")))})


@bp.post("/api/settings")
def save_settings() -> Response:
    body = _body()
    allowed = {"retention_days", "ui_language"}
    extra = sorted(set(body) - allowed)
    if extra:
        raise InvalidRequest(f"cannot change {', '.join(extra)} here; this accepts {', '.join(sorted(allowed))}")
    try:
        return jsonify(_controls().save_settings(body))
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc


@bp.get("/api/pairings")
def pairings() -> Response:
    c = _controls()
    return jsonify({"pairings": c.pairings(), "pending": c.pending()})


@bp.post("/api/pairings/approve")
def approve() -> Response:
    return jsonify(_controls().approve(str(_body().get("code", ""))))


@bp.post("/api/pairings/deny")
def deny() -> Response:
    return jsonify(_controls().deny(str(_body().get("code", ""))))


@bp.post("/api/pairings/<pairing_id>/revoke")
def revoke(pairing_id: str) -> Response:
    _controls().revoke(pairing_id)
    return jsonify({"ok": True})


@bp.get("/api/models")
def models() -> Response:
    return jsonify({"models": _controls().models()})


@bp.post("/api/models/<model_id>/pull")
def pull(model_id: str) -> Response:
    return jsonify(_controls().jobs.start(model_id)), 202


@bp.get("/api/jobs/<job_id>")
def job(job_id: str) -> Response:
    return jsonify(_controls().jobs.get(job_id))


@bp.delete("/api/models/<model_id>")
def remove_model(model_id: str) -> Response:
    _controls().remove_model(model_id)
    return jsonify({"ok": True})


@bp.get("/api/export")
def export() -> Response:
    doc = _controls().export()
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=2, default=str), mimetype="application/json")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    resp.headers["Content-Disposition"] = f'attachment; filename="feedlens-export-{stamp}.json"'
    return resp


@bp.post("/api/erase")
def erase() -> Response:
    body = _body()
    if body.get("confirm") != "ERASE":
        raise InvalidRequest("to erase everything, send {\"confirm\": \"ERASE\"} (the page asks you to type it)")
    _controls().erase(forget_pairings=bool(body.get("forget_pairings")))
    return jsonify({"ok": True})


@bp.post("/api/purge")
def purge() -> Response:
    return jsonify({"purged": _controls().purge()})
