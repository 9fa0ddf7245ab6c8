"""A bounded load run on loopback: no errors, health stays responsive, memory does not run away.
(The full 50 clients x 60 s run is bench/bench_load.py; this one is sized for CI.)"""

from __future__ import annotations

import sys
from pathlib import Path

from hardtools import FIGURES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from loadgen import run_load  # noqa: E402


def test_concurrent_clients_get_no_errors_and_health_stays_responsive(live):
    report = run_load(live.base, live.auth, clients=20, seconds=20, batch=20)
    assert report["errors"] == 0, report
    assert report["requests_ok"] > 0
    # Health is answered by its own threads; a few seconds covers a loaded 2-core machine.
    assert report["health_max_ms"] < 5000, report
    # The server runs in this process; it may grow while models warm, not without bound.
    assert report["rss_mib_after"] < report["rss_mib_before"] + 1024, report
    FIGURES["Load (20 clients x 20 s, batches of 20, in CI)"] = report
