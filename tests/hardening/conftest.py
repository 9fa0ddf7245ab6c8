"""Shared pieces of the hardening suite: a live companion on loopback, and the figures report.

Every hardening test adds its figures to :data:`FIGURES`; at the end of the session they are
written to ``docs/hardening.md`` (and ``test-artifacts/hardening.json``), so the document always
shows the latest run, produced by the suite itself.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
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
        req = self.session.post(f"{self.base}/v1/pair/request", headers=self.origin,
                                json={"extension_id": self.ext_id, "name": "hardening"}).json()
        self.services.pairing.approve(req["code"])
        self.token = self.session.get(f"{self.base}/v1/pair/{req['id']}", headers=self.origin).json()["token"]
        self.auth = {**self.origin, "Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    companion = LiveCompanion(tmp_path_factory.mktemp("hardening-home"), rate_limit_per_minute=1_000_000,
                              pair_requests_per_minute=1_000_000)
    yield companion
    companion.stop()


def pytest_sessionfinish(session, exitstatus):
    if not FIGURES:
        return
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "hardening.json").write_text(json.dumps({"run": stamp, **FIGURES}, indent=2))
    lines = ["# Hardening figures", "",
             f"Written by the hardening suite (`tests/hardening/`, `make harden`) on its latest run: {stamp}.",
             "Do not edit by hand; rerun the suite.", ""]
    for name, figures in FIGURES.items():
        lines.append(f"## {name}")
        lines.append("")
        for key, value in figures.items():
            lines.append(f"- {key}: {value}")
        lines.append("")
    # Only a whole-suite run rewrites the document, so a partial run never drops a section.
    if len(FIGURES) >= EXPECTED_SECTIONS:
        (ROOT / "docs" / "hardening.md").write_text("\n".join(lines), encoding="utf-8")
