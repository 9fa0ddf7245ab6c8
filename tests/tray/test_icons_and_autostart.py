"""Tray pieces that need no display: the state icons and the start-at-login entries per OS."""

from __future__ import annotations

import plistlib
import sys

import pytest

from companion.tray import autostart, icons


def test_each_state_has_its_own_icon():
    images = {state: icons.icon_image(state) for state in icons.STATES}
    assert all(img.size == (64, 64) and img.mode == "RGBA" for img in images.values())
    assert len({img.tobytes() for img in images.values()}) == len(icons.STATES)
    assert icons.icon_image("paused", 22).size == (22, 22)  # small trays scale cleanly


def test_an_unknown_state_is_a_clear_error():
    with pytest.raises(ValueError, match="running, paused, loading, attention"):
        icons.icon_image("sleepy")


def test_the_xdg_autostart_entry_starts_this_tray_with_the_same_data(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("FEEDLENS_HOME", str(tmp_path / "my data"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert not autostart.is_enabled()
    where = autostart.enable()
    assert where == str(tmp_path / "cfg" / "autostart" / "feedlens.desktop") and autostart.is_enabled()
    text = (tmp_path / "cfg" / "autostart" / "feedlens.desktop").read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == f'Exec=env "FEEDLENS_HOME={tmp_path / "my data"}" {sys.executable} -m companion tray'
    autostart.disable()
    assert not autostart.is_enabled()


def test_the_macos_launch_agent_runs_at_load(monkeypatch, tmp_path):
    monkeypatch.delenv("FEEDLENS_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    autostart.enable()
    doc = plistlib.loads(autostart.plist_path().read_bytes())
    assert doc["Label"] == "org.feedlens.tray" and doc["RunAtLoad"] is True
    assert doc["ProgramArguments"] == [sys.executable, "-m", "companion", "tray"]
    assert autostart.is_enabled()
    autostart.disable()
    assert not autostart.is_enabled()


def test_the_windows_run_key_value_is_a_quoted_command_line(monkeypatch):
    monkeypatch.setattr(sys, "executable", r"C:\Program Files\Feedlens\feedlens.exe")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert autostart.windows_command() == r'"C:\Program Files\Feedlens\feedlens.exe" tray'
    # The registry itself (winreg) exists only on Windows; that path is not run here.


def test_frozen_builds_restore_the_library_path_for_the_desktop_opener(monkeypatch):
    from companion.tray import system

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/feedlens/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/lib/custom")
    assert system.clean_env()["LD_LIBRARY_PATH"] == "/usr/lib/custom"
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")
    assert "LD_LIBRARY_PATH" not in system.clean_env()


def test_a_failing_menu_action_is_logged_not_raised(caplog):
    from companion.tray.app import safe

    @safe
    def broken(*_):
        raise RuntimeError("boom")

    assert broken() is None
    assert "tray action broken failed" in caplog.text
