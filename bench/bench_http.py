"""Latency of /v1/analyze through HTTP, uncached: one post, and batches of 20, on `feedlens serve`.

    .venv/bin/python bench/bench_http.py [--rounds 60]

Every post is new (a unique suffix), so the verdict cache never answers; translation is off
(English posts, auto_translate off) so this measures language ID + encoder + heads + decisions + the
HTTP and vault bookkeeping. Beside it, the same posts through the Analyzer in-process (the plain way
without HTTP), to show what HTTP and the vault add. Prints and writes bench/results/http.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "hardening"))
from hardtools import pair_with_cli, start_serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TWEETS = ROOT.parent / "shared" / "data" / "tweeteval-sentiment" / "val.jsonl"
FALLBACK = ["I can't believe how good this new album is", "Traffic on the bridge again, awful morning",
            "The meeting moved to Thursday at 3pm", "What a goal in the last minute!"]


def _texts(n: int, rng: random.Random) -> list[str]:
    pool = [json.loads(line)["text"] for line in TWEETS.open()] if TWEETS.exists() else FALLBACK
    return [f"{rng.choice(pool)} #{rng.randrange(10**9)}" for _ in range(n)]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=60)
    args = ap.parse_args()
    rng = random.Random(11)
    home = tempfile.mkdtemp(prefix="feedlens-http-")
    env = {**os.environ, "FEEDLENS_HOME": home, "FEEDLENS_PASSPHRASE": os.environ.get("FEEDLENS_PASSPHRASE", "bench")}
    proc, base, s = start_serve(env)
    try:
        h = pair_with_cli(s, base, env, "httpbench")
        doc = s.get(f"{base}/v1/profile", headers=h).json()
        doc.update(languages=["en"], auto_translate=False)
        s.put(f"{base}/v1/profile", json=doc, headers=h)
        s.post(f"{base}/v1/analyze", json={"site": "x", "posts": [{"id": "w", "text": "warm up"}]}, headers=h,
               timeout=600)
        report = {}
        for size in (1, 20):
            times = []
            for r in range(args.rounds):
                posts = [{"id": f"{r}-{i}", "text": t} for i, t in enumerate(_texts(size, rng))]
                started = time.perf_counter()
                resp = s.post(f"{base}/v1/analyze", json={"site": "x", "posts": posts}, headers=h, timeout=60)
                times.append(time.perf_counter() - started)
                assert resp.status_code == 200
            report[f"http_batch_{size}"] = {"p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95),
                                            "mean_ms": round(1000 * statistics.mean(times), 1)}
        cache = s.get(f"{base}/v1/status", headers=h).json()["models"]["verdict_cache"]
        report["verdict_cache_hits_during_run"] = cache["hits"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        proc.stdout.close()

    # The same work in-process, without HTTP or the vault.
    from companion.config import models_dir
    from companion.pipeline.analyze import Analyzer
    from companion.pipeline.types import Post

    analyzer = Analyzer(models_dir({"data_dir": home}))
    analyzer.analyze("x", [Post(id="w", text="warm up")])
    for size in (1, 20):
        times = []
        for r in range(args.rounds):
            posts = [Post(id=str(i), text=t) for i, t in enumerate(_texts(size, rng))]
            started = time.perf_counter()
            analyzer.analyze("x", posts)
            times.append(time.perf_counter() - started)
        report[f"in_process_batch_{size}"] = {"p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95)}
    report["targets"] = {"http_batch_1_p50_ms": 20, "http_batch_20_p50_ms": 250}
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results" / "http.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
