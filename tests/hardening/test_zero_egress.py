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
from pathlib import Path

import pytest

from hardtools import pair_with_cli, start_serve

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
    proc, base, session = start_serve(env)
    try:
        auth = pair_with_cli(session, base, env, "egresstest")
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


def _tiny_spam_set(path: Path) -> Path:
    rows = [("WINNER!! Claim your free prize now, call 0800", "spam"), ("Are we still on for lunch?", "ham"),
            ("URGENT: your account won cash, text WIN to 80082", "spam"), ("See you at the station at 6", "ham"),
            ("Free entry in a weekly competition, reply now", "spam"), ("Thanks for dinner last night", "ham")] * 4
    path.write_text("\n".join(json.dumps({"text": t, "label": lab}) for t, lab in rows) + "\n", encoding="utf-8")
    return path


def test_translate_train_and_eval_make_no_outbound_attempt(tmp_path):
    log = tmp_path / "egress.jsonl"
    env = _env(tmp_path, log)
    data = _tiny_spam_set(tmp_path / "spam.jsonl")
    runs = [
        _feedlens("translate", "--from", "pt", "--to", "en", "Bom dia a todos!"),
        _feedlens("train", "--task", "spam", "--data", str(data), "--val", str(data), "--out", str(tmp_path / "heads"),
                  "--quiet"),
        _feedlens("eval", "--task", "spam", "--data", str(data), "--json"),
    ]
    for cmd in runs:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, (cmd, out.stderr[-2000:])
    assert _non_loopback(log) == []
