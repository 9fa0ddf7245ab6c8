"""Zero egress: the companion tries to reach nothing but loopback unless the person runs `models pull`.

Two independent proofs:
1. Every Python-level connect / name lookup of the companion's processes is recorded by an audit hook
   (tests/hardening/egress_audit/sitecustomize.py) and must target 127.0.0.1 / localhost / a Unix socket.
2. The same commands succeed inside a fresh network namespace that has only a loopback interface
   (``unshare --net``, as root), so nothing they need lies outside the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
LOOPBACK = re.compile(r"127\.\d+\.\d+\.\d+|'localhost'|::1|^'/|\('/|AF_UNIX")


def _env(tmp_path: Path, log: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE / "egress_audit"), env.get("PYTHONPATH", "")])
    env["FEEDLENS_EGRESS_LOG"] = str(log)
    env["FEEDLENS_HOME"] = str(tmp_path / "home")
    env.pop("http_proxy", None)
    env.pop("https_proxy", None)
    return env


def _feedlens(*args: str) -> list[str]:
    return [sys.executable, "-m", "companion", *args]


def _attempts(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _non_loopback(log: Path) -> list[dict]:
    return [a for a in _attempts(log) if not LOOPBACK.search(a["target"])]


def test_audit_hook_sees_an_outbound_attempt(tmp_path):
    """The instrument works: a deliberate connect to a public address is recorded."""
    log = tmp_path / "egress.jsonl"
    code = "import socket\ns=socket.socket()\ns.settimeout(0.01)\ntry: s.connect(('192.0.2.1', 80))\nexcept OSError: pass"
    subprocess.run([sys.executable, "-c", code], env=_env(tmp_path, log), check=True, timeout=60)
    assert any("192.0.2.1" in a["target"] for a in _non_loopback(log))


def test_cli_analyze_makes_no_outbound_attempt(tmp_path):
    log = tmp_path / "egress.jsonl"
    out = subprocess.run(_feedlens("analyze", "--json", "Bom dia a todos!", "今天天气真好", "This is fine"),
                         env=_env(tmp_path, log), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert [v["lang"] for v in json.loads(out.stdout)["verdicts"]] == ["pt", "zh", "en"]
    assert _non_loopback(log) == []


def test_server_makes_no_outbound_attempt(tmp_path):
    log = tmp_path / "egress.jsonl"
    env = _env(tmp_path, log)
    proc = subprocess.Popen(_feedlens("serve", "--port", "0"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        port = int(re.search(r":(\d+)", proc.stdout.readline()).group(1))
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        session.trust_env = False  # no proxies: straight to loopback
        deadline = time.time() + 60
        while True:
            try:
                session.get(f"{base}/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.2)
        origin = {"Origin": "chrome-extension://egresstest"}
        req = session.post(f"{base}/v1/pair/request", json={"extension_id": "egresstest", "name": "t"},
                           headers=origin).json()
        subprocess.run(_feedlens("pair", "approve", req["code"]), env=env, check=True, timeout=120,
                       capture_output=True)
        token = session.get(f"{base}/v1/pair/{req['id']}", headers=origin).json()["token"]
        auth = {**origin, "Authorization": f"Bearer {token}"}
        posts = [{"id": "1", "text": "Bom dia a todos! https://example.com @friend"}, {"id": "2", "text": "今天天气真好"}]
        r = session.post(f"{base}/v1/analyze", json={"site": "x", "posts": posts, "translate": True}, headers=auth)
        assert r.status_code == 200
        session.post(f"{base}/v1/translate", json={"texts": ["Bom dia a todos!"], "to": "en"}, headers=auth)
        session.get(f"{base}/v1/status", headers=auth)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert _attempts(log), "the audit hook recorded nothing: the instrument is broken"
    assert _non_loopback(log) == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare for a network namespace")
def test_cli_works_in_a_network_namespace_with_only_loopback(tmp_path):
    log = tmp_path / "egress.jsonl"
    cmd = ["unshare", "--net", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh",
           *_feedlens("analyze", "--json", "Bom dia a todos!", "This is fine")]
    out = subprocess.run(cmd, env=_env(tmp_path, log), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert [v["lang"] for v in json.loads(out.stdout)["verdicts"]] == ["pt", "en"]
