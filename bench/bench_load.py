"""Load on loopback: 50 clients for 60 s of /v1/analyze batches of 20 against `feedlens serve`.

    .venv/bin/python bench/bench_load.py [--clients 50] [--seconds 60]

Starts the real companion in a subprocess (its own process, so its memory is measured alone), pairs,
runs bench/loadgen.py, prints the figures and writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import run_load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--batch", type=int, default=20)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="feedlens-load-")
    env = {**os.environ, "FEEDLENS_HOME": home}
    (Path(home) / "config.json").write_text(json.dumps({"rate_limit_per_minute": 10_000_000}))
    proc = subprocess.Popen([sys.executable, "-m", "companion", "serve", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r":(\d+)", proc.stdout.readline()).group(1))
        base = f"http://127.0.0.1:{port}"
        s = requests.Session()
        s.trust_env = False
        for _ in range(600):
            try:
                if s.get(f"{base}/v1/status", timeout=5).status_code in (200, 401):
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        origin = {"Origin": "chrome-extension://loadbench"}
        req = s.post(f"{base}/v1/pair/request", json={"extension_id": "loadbench", "name": "load"}, headers=origin).json()
        subprocess.run([sys.executable, "-m", "companion", "pair", "approve", req["code"]], env=env, check=True,
                       capture_output=True)
        token = s.get(f"{base}/v1/pair/{req['id']}", headers=origin).json()["token"]
        headers = {**origin, "Authorization": f"Bearer {token}"}
        # Warm the models (first request loads them) so the run measures serving, not loading.
        s.post(f"{base}/v1/analyze", json={"site": "x", "posts": [{"id": "w", "text": "warm up"}]}, headers=headers,
               timeout=600)
        report = run_load(base, headers, clients=args.clients, seconds=args.seconds, batch=args.batch,
                          server_pid=proc.pid)
        report["status"] = s.get(f"{base}/v1/status", headers=headers).json()["models"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
