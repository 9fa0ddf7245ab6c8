"""Pieces the hardening tests share: the figures report, a live in-process companion, and a
`feedlens serve` subprocess paired through the command line."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, dict] = {}
# fuzzing, hostile callers, load, crashes, plaintext at rest
EXPECTED_SECTIONS = 5


class LiveCompanion:
    """The real app served by werkzeug on 127.0.0.1:<free port> in a thread, with a paired token."""

    def __init__(self, data_dir: Path, **config):
        from companion.cli.serve import Server
        from companion.config import load_config

        cfg = load_config({"data_dir": data_dir, **config})
        self.server = Server(cfg, 0)
        self.port = self.server.port
        self.base = f"http://127.0.0.1:{self.port}"
        self.services = self.server.services
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.session = requests.Session()
        self.session.trust_env = False
        self.ext_id = "hardeningext"
        self.origin = {"Origin": f"chrome-extension://{self.ext_id}"}
        self.pair()

    def pair(self) -> None:
        """(Re-)pair the test extension: after an erase that dropped pairings, for instance."""
        req = self.session.post(f"{self.base}/v1/pair/request", headers=self.origin,
                                json={"extension_id": self.ext_id, "name": "hardening"}).json()
        self.services.pairing.approve(req["code"])
        self.token = self.session.get(f"{self.base}/v1/pair/{req['id']}", headers=self.origin).json()["token"]
        self.auth = {**self.origin, "Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        self.server.shutdown()




def start_serve(env: dict[str, str], *options: str, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, str, requests.Session]:
    """Start ``feedlens [options] serve --port 0`` and wait for health; ``(process, base URL, session)``.

    The caller stops it (SIGTERM or SIGKILL) and closes ``process.stdout``.
    """
    proc = subprocess.Popen([sys.executable, "-m", "companion", *options, "serve", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.trust_env = False  # no proxies: straight to loopback
    deadline = time.time() + 60
    while True:
        try:
            session.get(f"{base}/v1/health", timeout=2)
            return proc, base, session
        except requests.ConnectionError:
            assert time.time() < deadline, "the companion did not answer /v1/health within 60 s"
            time.sleep(0.1)


def pair_with_cli(session: requests.Session, base: str, env: dict[str, str], ext_id: str,
                  name: str = "hardening") -> dict[str, str]:
    """Pair as extension ``ext_id``, approving with `feedlens pair approve`; the headers to call with."""
    origin = {"Origin": f"chrome-extension://{ext_id}"}
    req = session.post(f"{base}/v1/pair/request", json={"extension_id": ext_id, "name": name}, headers=origin).json()
    subprocess.run([sys.executable, "-m", "companion", "pair", "approve", req["code"]], env=env, check=True,
                   capture_output=True, timeout=120)
    token = session.get(f"{base}/v1/pair/{req['id']}", headers=origin).json()["token"]
    return {**origin, "Authorization": f"Bearer {token}"}
