"""Start ``feedlens tray`` as a real process on the test display and talk to it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from companion.tray.testhook import recv_line

ROOT = Path(__file__).resolve().parents[2]

FAKE_OPENER = """#!/bin/sh
# Stands in for the desktop's URL/folder handler: records what the tray asked it to open.
printf '%s\\n' "$1" >> "$FEEDLENS_TEST_OPENED"
"""


class Tray:
    """One ``python -m companion tray --port 0`` with its own FEEDLENS_HOME, XDG config and opener."""

    def __init__(self, tmp: Path, display: str, home: Path | None = None):
        self.tmp = tmp
        self.home = home or tmp / "home"
        self.sock = tmp / "hook.sock"
        self.opened = tmp / "opened.txt"
        bin_dir = tmp / "bin"
        bin_dir.mkdir(exist_ok=True)
        opener = bin_dir / "xdg-open"
        opener.write_text(FAKE_OPENER)
        opener.chmod(0o755)
        self.env = {
            **os.environ,
            "DISPLAY": display,
            "FEEDLENS_HOME": str(self.home),
            "FEEDLENS_TRAY_TEST_SOCKET": str(self.sock),
            "FEEDLENS_TEST_OPENED": str(self.opened),
            "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "FEEDLENS_PASSPHRASE": "feedlens tray tests",  # no keyring here: the vault takes a passphrase
            # No models: these tests are about the tray, and shutting down waits for a model still loading.
            "FEEDLENS_MODELS": str(tmp / "models"),
            "PYTHONFAULTHANDLER": "1",  # a hang shows its threads (see finish)
        }
        self.proc: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self._out: str | None = None

    def start(self, timeout: float = 60) -> Tray:
        self.proc = subprocess.Popen([sys.executable, "-m", "companion", "-v", "tray", "--port", "0"], env=self.env,
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        runtime = self.home / "companion.json"
        while not (self.sock.exists() and runtime.exists()):
            if self.proc.poll() is not None:
                raise AssertionError(f"tray exited early ({self.proc.returncode}): {self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError("tray did not start in time")
            time.sleep(0.1)
        self.port = json.loads(runtime.read_text())["port"]
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hook(self, op: str, **kw: Any) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(20)
            s.connect(str(self.sock))
            s.sendall(json.dumps({"op": op, **kw}).encode() + b"\n")
            data = recv_line(s)
        if not data and op == "click" and kw.get("path") == ["Quit Feedlens"]:
            return {}  # the process ended before the hook could answer: that is what Quit does
        reply = json.loads(data)
        assert "error" not in reply, reply
        return reply

    def menu(self) -> dict[str, dict[str, Any]]:
        return {item["text"]: item for item in self.hook("menu")["menu"]}

    def click(self, *path: str) -> None:
        self.hook("click", path=list(path))

    def opened_lines(self) -> list[str]:
        return self.opened.read_text().splitlines() if self.opened.exists() else []

    def wait_opened(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.opened_lines()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing was opened; opened so far: {self.opened_lines()}")
            time.sleep(0.05)
        return self.opened_lines()

    def wait_state(self, state: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (current := self.hook("state"))["state"] != state:
            if time.monotonic() > deadline:
                raise AssertionError(f"tray state stayed {current}, expected {state}")
            time.sleep(0.1)
        return current

    def settings_session(self) -> requests.Session:
        """A browser-like session, logged in through "Open settings" (the fake opener got the link)."""
        before = len(self.opened_lines())
        self.click("Open settings")
        url = self.wait_opened(before + 1)[-1]
        s = requests.Session()
        r = s.get(url, timeout=10)
        assert r.status_code == 200, r.text[:300]
        return s

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.finish(timeout)

    def finish(self, timeout: float = 30) -> int:
        """Wait for the exit; keep the output (and close the pipe)."""
        assert self.proc is not None
        if self._out is None:
            try:
                self._out, _ = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
                self._out, _ = self.proc.communicate(timeout=10)
                raise AssertionError(f"the tray did not exit within {timeout} s:\n{self._out[-6000:]}") from None
        return self.proc.returncode

    def output(self) -> str:
        self.finish()
        return self._out or ""
