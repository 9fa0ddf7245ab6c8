"""Start the tray at login, per OS.

    enable(); is_enabled()  # -> True;  disable()

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/feedlens.desktop`` (XDG Autostart spec).
- macOS: ``~/Library/LaunchAgents/org.feedlens.tray.plist`` with ``RunAtLoad`` (launchd reads it at
  the next login; nothing is loaded now).
- Windows: the ``Feedlens`` value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

The command is the frozen executable (``feedlens tray``) or this Python running ``-m companion tray``,
with ``FEEDLENS_HOME`` passed along when it is set, so the login start uses the same data.
"""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

APP_ID = "org.feedlens.tray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Feedlens"


def command() -> list[str]:
    """The argv that starts the tray."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "tray"]
    return [sys.executable, "-m", "companion", "tray"]


def _env() -> dict[str, str]:
    home = os.environ.get("FEEDLENS_HOME")
    return {"FEEDLENS_HOME": home} if home else {}


def desktop_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "feedlens.desktop"


def plist_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def desktop_entry() -> str:
    """The XDG autostart entry (``Exec`` quoted per the Desktop Entry spec)."""
    argv = command()
    env = _env()
    if env:  # the spec has no environment key; env(1) is the portable way
        argv = ["env", *(f"{k}={v}" for k, v in env.items()), *argv]
    exec_line = " ".join(_desktop_quote(a) for a in argv)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Feedlens",
        "Comment=Privacy-first companion for social feeds",
        f"Exec={exec_line}",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def _desktop_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./=:@+," for c in arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'.replace("%", "%%")


def launch_agent() -> bytes:
    doc = {"Label": APP_ID, "ProgramArguments": command(), "RunAtLoad": True, "ProcessType": "Interactive"}
    if _env():
        doc["EnvironmentVariables"] = _env()
    return plistlib.dumps(doc)


def windows_command() -> str:
    import subprocess

    return subprocess.list2cmdline(command())


def _platform() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "xdg"


def is_enabled() -> bool:
    kind = _platform()
    if kind == "xdg":
        return desktop_path().exists()
    if kind == "macos":
        return plist_path().exists()
    import winreg  # type: ignore[import-not-found]

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.QueryValueEx(key, RUN_VALUE)
        return True
    except OSError:
        return False


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def enable() -> str:
    """Register the login start; returns where (a path or the registry value), for the log."""
    kind = _platform()
    if kind == "xdg":
        _write(desktop_path(), desktop_entry().encode("utf-8"))
        return str(desktop_path())
    if kind == "macos":
        _write(plist_path(), launch_agent())
        return str(plist_path())
    import winreg  # type: ignore[import-not-found]

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
        winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, windows_command())
    return f"HKCU\\{RUN_KEY}\\{RUN_VALUE}"


def disable() -> None:
    kind = _platform()
    if kind == "xdg":
        desktop_path().unlink(missing_ok=True)
    elif kind == "macos":
        plist_path().unlink(missing_ok=True)
    else:
        import winreg  # type: ignore[import-not-found]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            pass


def set_enabled(value: bool) -> bool:
    enable() if value else disable()
    return is_enabled()


__all__ = ["command", "desktop_entry", "launch_agent", "windows_command", "enable", "disable", "is_enabled",
           "set_enabled", "desktop_path", "plist_path"]
