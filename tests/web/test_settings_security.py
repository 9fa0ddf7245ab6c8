"""Who may open and drive the settings page: one-time links, the session cookie, CSRF, Host."""

from __future__ import annotations

import os
import stat
import time

from companion import web
from companion.web import auth
from helpers import BASE, PORT
from webtools import CSRF, login


def test_settings_page_without_the_one_time_link_is_refused_with_directions(web_client):
    r = web_client.get("/settings", base_url=BASE)
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "open settings from the tray" in page.lower() or "Open settings from the tray" in page
    assert "feedlens settings" in page


def test_settings_api_without_a_session_is_refused(web_client):
    r = web_client.get("/settings/api/profile", base_url=BASE)
    assert r.status_code == 403 and r.json["code"] == "no_session"
    assert "feedlens settings" in r.json["error"]


def test_one_time_link_sets_a_strict_httponly_cookie_and_opens_the_page(web_app, web_client):
    r = login(web_app, web_client)
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{auth.COOKIE}=")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/settings"):
        assert flag in cookie
    assert r.headers["Refresh"] == "0; url=/settings"
    page = web_client.get("/settings", base_url=BASE)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_one_time_link_works_once(web_app, web_client):
    url = web.login_url(web_app).split(str(PORT), 1)[1]
    assert web_client.get(url, base_url=BASE).status_code == 200
    other = web_app.test_client()  # a second browser replaying the link
    r = other.get(url, base_url=BASE)
    assert r.status_code == 403 and "already been used or has expired" in r.get_data(as_text=True)
    assert other.get("/settings", base_url=BASE).status_code == 403


def test_an_expired_link_is_refused(web_app, web_client):
    nonce = web.settings_auth(web_app).mint_nonce(ttl=0.01)
    time.sleep(0.05)
    assert web_client.get(f"/settings/login?t={nonce}", base_url=BASE).status_code == 403


def test_a_made_up_link_is_refused(web_client):
    assert web_client.get("/settings/login?t=guess", base_url=BASE).status_code == 403
    assert web_client.get("/settings/login", base_url=BASE).status_code == 403


def test_a_link_minted_by_another_process_works_once_and_only_its_hash_is_on_disk(web_app, web_client, data_dir):
    nonce = auth.mint_login_file(data_dir)
    path = data_dir / auth.LOGIN_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert nonce not in path.read_text()
    assert web_client.get(f"/settings/login?t={nonce}", base_url=BASE).status_code == 200
    assert web_app.test_client().get(f"/settings/login?t={nonce}", base_url=BASE).status_code == 403
    assert "hash" not in path.read_text()  # spent: removed from the file


def test_cross_site_form_post_is_refused_and_changes_nothing(web_app, session):
    services = web_app.extensions["feedlens"]
    # What a hostile page's <form method=post> sends (were the browser to attach the cookie at all).
    r = session.post("/settings/api/pause", base_url=BASE, data={"paused": "true"},
                     headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and r.json["code"] == "cross_site"
    assert services.paused is False


def test_state_change_without_the_csrf_header_is_refused(web_app, session):
    r = session.post("/settings/api/pause", base_url=BASE, json={"paused": True})
    assert r.status_code == 403 and r.json["code"] == "cross_site"
    r = session.post("/settings/api/pause", base_url=BASE, json={"paused": True},
                     headers={**CSRF, "Origin": "http://127.0.0.1:1"})
    assert r.status_code == 403
    assert web_app.extensions["feedlens"].paused is False
    r = session.post("/settings/api/pause", base_url=BASE, json={"paused": True}, headers={**CSRF, "Origin": BASE})
    assert r.status_code == 200 and web_app.extensions["feedlens"].paused is True


def test_foreign_host_is_refused_even_with_a_session(session):
    r = session.get("/settings/api/state", base_url="http://evil.example:8795")
    assert r.status_code == 421


def test_logout_ends_the_session(session):
    assert session.post("/settings/logout", base_url=BASE, headers=CSRF).status_code == 200
    assert session.get("/settings/api/state", base_url=BASE).status_code == 403
