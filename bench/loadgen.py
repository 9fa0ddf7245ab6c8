"""A bounded load generator for the companion's API, used by bench/bench_load.py and the hardening suite.

    report = run_load(base_url, headers, clients=50, seconds=60, batch=20)

Each client sends ``/v1/analyze`` batches of ``batch`` posts back to back for ``seconds``; a separate
prober hits ``/v1/health`` every 0.5 s to show the companion stays responsive. Loopback only.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from typing import Any

import requests

SAMPLE = [
    "Bom dia a todos! Que dia lindo hoje.", "今天天气真好，我们去公园吧。", "This is fine, everything is fine.",
    "I can't believe they cancelled the show, worst decision ever", "Guten Morgen zusammen, wie geht's?",
    "Free crypto giveaway now!!! click the link", "Qué partido tan increíble anoche", "Ce film était magnifique",
    "You are an idiot and everyone knows it", "Just finished my first marathon 🏃‍♀️🎉",
]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _rss_mib(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/status"
    with open(path) as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_load(base_url: str, headers: dict[str, str], *, clients: int = 50, seconds: float = 60, batch: int = 20,
             unique_fraction: float = 0.5, server_pid: int | None = None, seed: int = 7) -> dict[str, Any]:
    """Returns throughput, latency percentiles, errors, health latency and server memory."""
    latencies: list[float] = []
    errors: list[str] = []
    health: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    rss_before = _rss_mib(server_pid)
    rss_samples: list[float] = []

    def client(n: int) -> None:
        rng = random.Random(seed + n)
        session = requests.Session()
        session.trust_env = False
        i = 0
        while time.monotonic() < stop_at:
            posts = []
            for j in range(batch):
                text = rng.choice(SAMPLE)
                if rng.random() < unique_fraction:  # half the posts are new, half re-rendered (cache)
                    text = f"{text} #{n}-{i}-{j}"
                posts.append({"id": f"{n}-{i}-{j}", "text": text, "author": f"@user{rng.randint(1, 300)}"})
            started = time.perf_counter()
            try:
                r = session.post(f"{base_url}/v1/analyze", json={"site": "x", "posts": posts}, headers=headers,
                                 timeout=60)
                ok = r.status_code == 200 and len(r.json()["verdicts"]) == batch
                err = None if ok else f"HTTP {r.status_code}"
            except requests.RequestException as exc:
                err = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                (errors.append(err) if err else latencies.append(elapsed))
            i += 1

    def prober() -> None:
        session = requests.Session()
        session.trust_env = False
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                session.get(f"{base_url}/v1/health", timeout=30)
                health.append(time.perf_counter() - started)
            except requests.RequestException:
                health.append(float("inf"))
            rss_samples.append(_rss_mib(server_pid))
            time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    threads.append(threading.Thread(target=prober, daemon=True))
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    wall = time.perf_counter() - wall
    return {
        "clients": clients, "seconds": seconds, "batch": batch,
        "requests_ok": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
        "posts_per_s": round(len(latencies) * batch / wall, 1),
        "requests_per_s": round(len(latencies) / wall, 2),
        "latency_p50_ms": round(1000 * _percentile(latencies, 0.5), 1),
        "latency_p99_ms": round(1000 * _percentile(latencies, 0.99), 1),
        "health_p99_ms": round(1000 * _percentile(health, 0.99), 1),
        "health_max_ms": round(1000 * max(health), 1) if health else None,
        "rss_mib_before": round(rss_before, 1),
        "rss_mib_mid": round(statistics.median(rss_samples), 1) if rss_samples else None,
        "rss_mib_after": round(_rss_mib(server_pid), 1),
    }
