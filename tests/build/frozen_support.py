"""Finding or building the desktop build for the tests and the benchmark.

    exe = frozen_app(tmp_dir)         # dist/feedlens/feedlens if fresh, else a build into tmp_dir

A build is *fresh* when its executable is newer than every file it is made from (our packages,
build.spec, packaging/). ``FEEDLENS_FROZEN_APP=/path/to/feedlens`` uses that build as is.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from keyring_daemons import read_keyring_env, stop_keyring_daemons

ROOT = Path(__file__).resolve().parents[2]
DIST_EXE = ROOT / "dist" / "feedlens" / ("feedlens.exe" if os.name == "nt" else "feedlens")
SOURCES = ("companion", "models", "privacy", "packaging")
BUILD_TIMEOUT_S = 900
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def newest_source_mtime() -> float:
    newest = (ROOT / "build.spec").stat().st_mtime
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def is_fresh(exe: Path) -> bool:
    return exe.is_file() and exe.stat().st_mtime >= newest_source_mtime()


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on build.spec (niced: the machine is shared) and return the executable."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")]
    if hasattr(os, "nice"):
        cmd = ["nice", "-n", "10", *cmd]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"pyinstaller build.spec failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    exe = dist / "feedlens" / DIST_EXE.name
    if not exe.is_file():
        raise RuntimeError(f"pyinstaller finished but {exe} is missing:\n{proc.stderr[-3000:]}")
    return exe


def frozen_app(tmp_dir: Path) -> Path:
    """The executable to test: $FEEDLENS_FROZEN_APP, a fresh dist/feedlens, or a new build in tmp_dir."""
    given = os.environ.get("FEEDLENS_FROZEN_APP")
    if given:
        return Path(given)
    if is_fresh(DIST_EXE):
        return DIST_EXE
    return build(tmp_dir / "dist", tmp_dir / "work")


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for the frozen app: a temp data dir and no models dir override, so the app
    uses what it ships (the point of the test), and nothing of the developer's Python leaks in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FEEDLENS_MODELS", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FEEDLENS_PASSPHRASE",
                        "FEEDLENS_PASSPHRASE_FILE")}
    env["FEEDLENS_HOME"] = str(home)
    env.update(extra)
    return env


@contextlib.contextmanager
def private_keyring(base: Path) -> Iterator[dict[str, str]]:
    """Environment for a private D-Bus + unlocked gnome-keyring (what a desktop session has), or a
    passphrase where those programs are missing. Stops both daemons on exit."""
    if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        yield {"FEEDLENS_PASSPHRASE": "frozen-test-passphrase"}
        return
    out = subprocess.run(["sh", str(ROOT / "tests" / "privacy" / "start_keyring.sh"), str(base)],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    info = read_keyring_env(out)
    try:
        yield {"DBUS_SESSION_BUS_ADDRESS": info["DBUS_SESSION_BUS_ADDRESS"], "HOME": str(base / "home"),
               "XDG_DATA_HOME": str(base / "data"), "XDG_RUNTIME_DIR": str(base / "run")}
    finally:
        stop_keyring_daemons(info)


def start_serving(exe: Path, env: dict[str, str], timeout_s: float = 60) -> tuple[subprocess.Popen, int, float]:
    """Start ``feedlens serve --port 0``; return the process, its port and seconds to a healthy /v1/health."""
    import json
    import urllib.request

    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "serve", "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stdout is not None
    port = None
    deadline = time.monotonic() + timeout_s
    while port is None:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the frozen app exited ({proc.wait()}) before listening: {proc.stderr.read()[-3000:]}")
        m = LISTENING.search(line)
        if m:
            port = int(m.group(1))
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the frozen app did not say where it listens")
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as r:
                if json.load(r).get("ok") is True:
                    return proc, port, time.perf_counter() - t0
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"/v1/health did not answer within {timeout_s} s")
        time.sleep(0.05)
