"""packaging/linux: the menu entry and the per-user install script (against a stand-in build folder)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from frozen_support import ROOT

LINUX = ROOT / "packaging" / "linux"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux install")


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # Desktop Entry keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_menu_entry_starts_the_tray() -> None:
    entry = read_entry(LINUX / "feedlens.desktop")
    assert entry["Type"] == "Application" and entry["Exec"] == "feedlens tray"
    assert entry["Terminal"] == "false" and entry["Icon"] == "feedlens"
    if shutil.which("desktop-file-validate"):
        out = subprocess.run(["desktop-file-validate", str(LINUX / "feedlens.desktop")], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture
def fake_build(tmp_path: Path) -> Path:
    """A stand-in for dist/feedlens: an executable and the icon where the real build has it."""
    build = tmp_path / "dist" / "feedlens"
    (build / "_internal" / "companion" / "web" / "static").mkdir(parents=True)
    shutil.copy(ROOT / "companion" / "web" / "static" / "icon.svg", build / "_internal" / "companion" / "web" / "static")
    exe = build / "feedlens"
    exe.write_text("#!/bin/sh\necho feedlens-stand-in \"$@\"\n", encoding="utf-8")
    exe.chmod(0o755)
    return build


def run_install(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "PREFIX")}
    env["HOME"] = str(home / "my home")  # a space: Exec must be quoted
    return subprocess.run(["sh", str(LINUX / "install.sh"), *args], env=env, capture_output=True, text=True, timeout=60)


def test_install_puts_app_menu_entry_icon_and_autostart_in_the_users_home(fake_build: Path, tmp_path: Path) -> None:
    out = run_install(tmp_path, "--autostart", str(fake_build))
    assert out.returncode == 0, out.stderr
    home = tmp_path / "my home"
    app = home / ".local" / "opt" / "feedlens" / "feedlens"
    assert app.is_file() and (home / ".local" / "bin" / "feedlens").resolve() == app.resolve()
    entry = read_entry(home / ".local" / "share" / "applications" / "feedlens.desktop")
    assert entry["Exec"] == f'"{app}" tray'
    assert (home / ".local" / "share" / "icons" / "hicolor" / "scalable" / "apps" / "feedlens.svg").is_file()
    assert read_entry(home / ".config" / "autostart" / "feedlens.desktop")["Exec"] == f'"{app}" tray'

    out = run_install(tmp_path, "--uninstall")
    assert out.returncode == 0, out.stderr
    assert not app.exists() and not (home / ".config" / "autostart" / "feedlens.desktop").exists()


def test_install_without_a_build_says_how_to_make_one(tmp_path: Path) -> None:
    out = run_install(tmp_path, str(tmp_path / "nowhere"))
    assert out.returncode == 1
    assert "make dist" in out.stderr
