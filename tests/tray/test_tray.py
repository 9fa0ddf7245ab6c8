"""``feedlens tray`` as a real process under Xvfb with a real system-tray host (trayer).

pystray's X11 backend draws no menu of its own (a click runs the default item, "Open settings"),
so the icon is clicked for real with xdotool, and the other menu items are activated through the
test hook (companion/tray/testhook.py), which calls the real pystray menu items exactly as a
click on them would. The results are checked against the companion's own state over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from traytools import ROOT, Tray

CSRF = {"X-Feedlens-Settings": "1"}


@pytest.fixture(scope="module")
def tray(display, tmp_path_factory):
    t = Tray(tmp_path_factory.mktemp("tray"), display).start()
    yield t
    t.stop()


def test_the_icon_appears_docked_in_the_system_tray(tray, display):
    found = subprocess.run(["xdotool", "search", "--name", "^Feedlens"], env={**os.environ, "DISPLAY": display},
                           capture_output=True, text=True, timeout=10)
    assert found.stdout.split(), "no Feedlens window on the display"
    # pystray shows and docks the icon from its own threads after the window exists; give a
    # loaded machine a few seconds for that before judging.
    deadline = time.monotonic() + 10
    state = tray.hook("state")
    while not (state["visible"] and state["docked"]) and time.monotonic() < deadline:
        time.sleep(0.2)
        state = tray.hook("state")
    assert state["visible"] and state["docked"] and state["image_matches_state"]
    assert tray.menu()["Vault locked: nothing is kept. Open settings…"]["visible"] is False  # the vault is open
    assert state["title"].startswith("Feedlens - ")


def test_clicking_the_icon_opens_settings_through_a_one_time_link(tray, display):
    before = len(tray.opened_lines())
    env = {**os.environ, "DISPLAY": display}
    window = subprocess.run(["xdotool", "search", "--name", "^Feedlens"], env=env, capture_output=True, text=True,
                            timeout=10).stdout.split()[0]
    for _ in range(5):  # a real pointer click; retried because a busy machine may map the icon late
        subprocess.run(["xdotool", "mousemove", "--window", window, "8", "8", "click", "1"], env=env, check=True,
                       timeout=10)
        try:
            url = tray.wait_opened(before + 1, timeout=3)[-1]
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("clicking the tray icon opened nothing")
    assert url.startswith(f"{tray.base}/settings/login?t=")
    browser = requests.Session()
    first = browser.get(url, timeout=10)
    assert first.status_code == 200 and "feedlens_settings" in browser.cookies.get_dict()
    assert browser.get(f"{tray.base}/settings", timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 403  # the same link again: refused


def test_pause_filtering_toggles_the_companion_and_the_check_mark(tray):
    s = tray.settings_session()
    assert tray.menu()["Pause filtering"]["checked"] is False
    tray.click("Pause filtering")
    assert s.get(f"{tray.base}/settings/api/state", timeout=10).json()["paused"] is True
    assert tray.menu()["Pause filtering"]["checked"] is True
    assert tray.wait_state("paused")["image_matches_state"]
    # Changed elsewhere (the settings page): the menu reads the real state.
    s.post(f"{tray.base}/settings/api/pause", json={"paused": False}, headers={**CSRF, "Origin": tray.base}, timeout=10)
    assert tray.menu()["Pause filtering"]["checked"] is False
    tray.wait_state("running")


def test_a_pairing_request_turns_the_icon_to_attention_and_the_menu_approves_it(tray):
    origin = {"Origin": "chrome-extension://traytestextension"}
    req = requests.post(f"{tray.base}/v1/pair/request", headers=origin, timeout=10,
                        json={"extension_id": "traytestextension", "name": "Firefox at work"})
    assert req.status_code == 202, req.text
    req = req.json()
    state = tray.wait_state("attention")
    assert state["image_matches_state"]
    item = tray.menu()["Pairing requests (1)"]
    assert item["enabled"]
    labels = [i["text"] for i in item["submenu"]]
    approve = f"Approve {req['code']} — Firefox at work"
    assert labels == [approve, f"Deny {req['code']} — Firefox at work"]
    tray.click("Pairing requests (1)", approve)
    polled = requests.get(f"{tray.base}/v1/pair/{req['id']}", headers=origin, timeout=10).json()
    assert polled["status"] == "approved" and len(polled["token"]) >= 40
    tray.wait_state("running")
    assert tray.menu()["Pairing requests"]["enabled"] is False


def test_the_device_menu_offers_what_onnxruntime_reports_and_sets_it(tray):
    import onnxruntime

    items = {i["text"]: i for i in tray.menu()["Device"]["submenu"]}
    gpu = any(p not in ("CPUExecutionProvider", "AzureExecutionProvider") for p in onnxruntime.get_available_providers())
    assert list(items) == ["Automatic", "CPU"] + (["GPU"] if gpu else [])
    assert items["Automatic"]["checked"] is True
    tray.click("Device", "CPU")
    assert json.loads((tray.home / "config.json").read_text())["device"] == "cpu"
    items = {i["text"]: i for i in tray.menu()["Device"]["submenu"]}
    assert items["CPU"]["checked"] is True and items["Automatic"]["checked"] is False


def test_start_at_login_writes_and_removes_the_xdg_autostart_entry(tray):
    entry = tray.tmp / "xdg-config" / "autostart" / "feedlens.desktop"
    tray.click("Start at login")
    text = entry.read_text()
    assert "Exec=env FEEDLENS_HOME=" in text and "-m companion tray" in text and "Type=Application" in text
    assert tray.menu()["Start at login"]["checked"] is True
    tray.click("Start at login")
    assert not entry.exists() and tray.menu()["Start at login"]["checked"] is False


def test_open_data_folder_hands_the_folder_to_the_desktop(tray):
    before = len(tray.opened_lines())
    tray.click("Open data folder")
    assert tray.wait_opened(before + 1)[-1] == str(tray.home)


def test_a_second_tray_says_so_and_opens_the_running_ones_settings(tray):
    before = len(tray.opened_lines())
    second = subprocess.run([sys.executable, "-m", "companion", "tray"], env=tray.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout and str(tray.port) in second.stdout
    url = tray.wait_opened(before + 1)[-1]
    assert url.startswith(f"{tray.base}/settings/login?t=")
    assert requests.get(url, timeout=10).status_code == 200
    assert tray.proc.poll() is None  # the first one is untouched


def test_a_locked_vault_asks_for_attention_and_points_to_settings(display, tmp_path):
    t = Tray(tmp_path, display)
    t.env.pop("FEEDLENS_PASSPHRASE")  # no keyring and no passphrase here: the vault stays locked
    t.start()
    try:
        state = t.wait_state("attention")
        assert state["title"] == "Feedlens - Your data is not being kept (vault locked)"
        item = t.menu()["Vault locked: nothing is kept. Open settings…"]
        assert item["visible"] is True
        t.click("Vault locked: nothing is kept. Open settings…")
        url = t.wait_opened(1)[-1]
        s = requests.Session()
        assert s.get(url, timeout=10).status_code == 200
        page = s.get(f"{t.base}/settings", timeout=10).text
        assert "FEEDLENS_PASSPHRASE" in page  # the vault's own way out, shown on the page
        assert s.get(f"{t.base}/settings/api/state", timeout=10).json()["attention"] == "vault"
    finally:
        assert t.stop() == 0


def test_quit_stops_everything_and_exits_0(display, tmp_path):
    t = Tray(tmp_path, display).start()
    t.wait_state("running", timeout=60)
    t.click("Quit Feedlens")
    assert t.finish(30) == 0
    assert "stopped" in t.output()
    assert not (t.home / "companion.json").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{t.base}/v1/health", timeout=5)


def test_sigterm_shuts_down_cleanly(display, tmp_path):
    t = Tray(tmp_path, display).start()
    assert requests.get(f"{t.base}/v1/health", timeout=10).status_code == 200
    assert t.stop(signal.SIGTERM) == 0
    assert not (t.home / "companion.json").exists()


def test_without_a_desktop_the_tray_says_what_to_do_instead(tmp_path):
    env = {**os.environ, "FEEDLENS_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "companion", "tray", "--port", "0"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "feedlens serve" in r.stderr and "desktop session" in r.stderr
    assert not (tmp_path / "home" / "companion.json").exists()
    assert time.monotonic() - started < 60


def test_feedlens_settings_prints_a_one_time_link_for_the_running_companion(tray):
    r = subprocess.run([sys.executable, "-m", "companion", "settings", "--no-open"], env=tray.env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert url.startswith(f"{tray.base}/settings/login?t=") and "works once" in r.stderr
    assert requests.get(url, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 403


def test_feedlens_settings_without_a_running_companion_says_how_to_start_one(tmp_path):
    env = {**os.environ, "FEEDLENS_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "companion", "settings", "--no-open"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "feedlens tray" in r.stderr
